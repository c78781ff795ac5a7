"""The command line, end to end in-process, with the throwaway provider plugin as the only plugin."""

from __future__ import annotations

import json
import os

import pytest

from seatkeeper import plugins as plugins_module
from seatkeeper.pytest_plugin import CliRunner
from tests.throwaway_plugin import SECRET, user


@pytest.fixture
def cli_run(plugins, monkeypatch, capsys, tmp_path):
    """Run ``seatkeeper ARGS`` in-process with only the throwaway plugin; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(plugins_module, "_default", plugins)
    monkeypatch.setenv("SEATKEEPER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return CliRunner(tmp_path / "no-config.toml", capsys)


def write_config(tmp_path, monkeypatch, text: str, mode: int = 0o600):
    path = tmp_path / "seatkeeper.toml"
    path.write_text(text)
    os.chmod(path, mode)
    monkeypatch.setenv("SEATKEEPER_CONFIG", str(path))
    return path


def test_sync_from_environment_then_list_as_json(cli_run, provider, monkeypatch):
    monkeypatch.setenv("LISTPROVIDER_TOKEN", SECRET)
    provider.users = [user(1), user(2, license_type="Basic", billable=False)]
    code, out, err = cli_run("sync")
    assert code == 0, err
    assert "listprovider: 2 seats — 2 added, 0 changed, 0 removed" in out

    code, out, _ = cli_run("licenses", "--format", "json")
    seats = json.loads(out)
    assert {
        "provider",
        "connection",
        "user_id",
        "email",
        "name",
        "license_type",
        "billable",
        "status",
        "department",
        "last_activity_at",
    } <= set(seats[0])
    assert [s["email"] for s in seats] == ["user1@example.com", "user2@example.com"]
    assert seats[0]["last_activity_at"] == "2026-01-01T00:00:00Z"

    code, out, _ = cli_run("licenses", "--free", "--format", "json")
    assert [s["user_id"] for s in json.loads(out)] == ["u2"]
    code, out, _ = cli_run("licenses", "--billable", "--format", "csv")
    assert out.splitlines()[0].startswith("provider,connection,user_id,email")
    assert len(out.splitlines()) == 2


def test_one_failing_connection_does_not_stop_the_others(cli_run, provider, monkeypatch, tmp_path):
    monkeypatch.setenv("GOOD_TOKEN", SECRET)
    monkeypatch.setenv("BAD_TOKEN", "not-the-token")
    write_config(
        tmp_path,
        monkeypatch,
        """
[connections.bad]
provider = "listprovider"
token_env = "BAD_TOKEN"

[connections.good]
provider = "listprovider"
token_env = "GOOD_TOKEN"
""",
    )
    provider.users = [user(1)]
    code, out, err = cli_run("sync")
    assert code == 1
    assert "good: 1 seats" in out
    assert "bad: sync failed: listprovider rejected the token" in err
    assert "not-the-token" not in out + err
    code, out, _ = cli_run("syncs", "--format", "json")
    assert sorted((r["connection"], r["outcome"]) for r in json.loads(out)) == [
        ("bad", "failed"),
        ("good", "succeeded"),
    ]
    code, out, _ = cli_run("sync", "good")
    assert code == 0


def test_csv_output_neutralises_formulas(cli_run, provider, monkeypatch):
    monkeypatch.setenv("LISTPROVIDER_TOKEN", SECRET)
    provider.users = [user(1, name='=HYPERLINK("http://evil")', department="+cmd|' /C calc'!A0")]
    assert cli_run("sync")[0] == 0
    _, out, _ = cli_run("licenses", "--format", "csv")
    row = out.splitlines()[1]
    assert "'=HYPERLINK" in row and "'+cmd" in row


@pytest.mark.parametrize(
    ("args", "config", "expected"),
    [
        (["--database-url", "nosuchdb://x", "licenses"], None, "unsupported database 'nosuchdb'"),
        (["--database-url", "not a url", "licenses"], None, "bad database URL"),
        (
            ["sync", "missing"],
            "[connections.present]\nprovider = 'listprovider'\ntoken_env = 'T'\n",
            "no connection named 'missing'",
        ),
        (["sync"], None, "no connections configured"),
        (["sync"], "[connections.x\nprovider=", "is not valid TOML"),
        (["sync"], "[connections.x]\nprovider = 'nosuch'\n", "unknown provider 'nosuch'"),
        (
            ["sync"],
            "[connections.x]\nprovider = 'listprovider'\ntoken_env = 'UNSET_VAR'\n",
            "UNSET_VAR (token) is not set",
        ),
        (["sync"], "[connections.x]\nprovider = 'listprovider'\n", "needs token (API token): add token_env"),
        (
            ["sync"],
            "[connections.x]\nprovider = 'listprovider'\ntoken_env='T'\ncolour = 'red'\n",
            "unknown setting 'colour'",
        ),
        (["licenses", "--as-of", "last tuesday"], None, "is not a date"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(cli_run, monkeypatch, tmp_path, args, config, expected):
    monkeypatch.setenv("T", SECRET)
    if config is not None:
        write_config(tmp_path, monkeypatch, config)
    code, out, err = cli_run(*args)
    assert code != 0
    assert expected in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_secret_written_in_a_world_readable_config_is_warned_about(cli_run, provider, monkeypatch, tmp_path):
    write_config(tmp_path, monkeypatch, f"[connections.x]\nprovider = 'listprovider'\ntoken = '{SECRET}'\n", mode=0o644)
    provider.users = [user(1)]
    code, out, err = cli_run("sync")
    assert code == 0
    assert "other users can read it: chmod 600" in err
    assert SECRET not in out + err


def test_providers_lists_plugin_and_settings(cli_run):
    code, out, _ = cli_run("providers")
    assert code == 0
    assert "listprovider" in out and "token* (secret) [LISTPROVIDER_TOKEN]" in out


def test_demo_without_demo_data_says_so(cli_run, tmp_path):
    code, out, err = cli_run("demo", "--directory", str(tmp_path / "demo"))
    assert code == 1
    assert "no installed provider offers demo data" in err


def test_toml_booleans_reach_the_provider_as_strings_and_numbers_are_refused(tmp_path, monkeypatch):
    from seatkeeper.config import ConnectionConfig, load_config, resolve_settings
    from seatkeeper.errors import ConfigError
    from tests.throwaway_plugin import ListProvider

    path = write_config(
        tmp_path, monkeypatch, "[connections.x]\nprovider = 'listprovider'\ntoken_env = 'T'\nregion = true\n"
    )
    monkeypatch.setenv("T", SECRET)
    config = load_config(path)
    settings = resolve_settings(config.connections["x"], ListProvider(), config)
    assert settings["region"] == "true"
    numeric = ConnectionConfig("y", "listprovider", {"token_env": "T", "region": 42})
    with pytest.raises(ConfigError, match='region must be a string: write the number in quotes, region = "..."'):
        resolve_settings(numeric, ListProvider(), config)


def test_status_filter_is_checked(cli_run, provider, monkeypatch):
    monkeypatch.setenv("LISTPROVIDER_TOKEN", SECRET)
    provider.users = [user(1), user(2, status="pending", user_id=None)]
    assert cli_run("sync").exit_code == 0
    code, out, _ = cli_run("licenses", "--status", "pending", "--format", "json")
    assert [s["email"] for s in json.loads(out)] == ["user2@example.com"]
    code, _, err = cli_run("licenses", "--status", "deleted")
    assert code == 2 and "'deleted' is not one of" in err


def test_jobs_syncs_connections_at_the_same_time(cli_run, provider, monkeypatch, tmp_path):
    import threading

    write_config(
        tmp_path,
        monkeypatch,
        "".join(f"[connections.c{n}]\nprovider = 'listprovider'\ntoken_env = 'T'\n" for n in range(2)),
    )
    monkeypatch.setenv("T", SECRET)
    meet = threading.Barrier(2, timeout=10)  # passes only when both fetches run at once
    fetch = type(provider).fetch

    def fetch_together(self, session, context):
        meet.wait()
        yield from fetch(self, session, context)

    monkeypatch.setattr(type(provider), "fetch", fetch_together)
    provider.users = [user(1)]
    code, out, err = cli_run("sync", "--jobs", "2")
    assert code == 0, err
    assert out.splitlines() == [  # results stay in config order whatever finished first
        "c0: 1 seats — 1 added, 0 changed, 0 removed, 0 unchanged",
        "c1: 1 seats — 1 added, 0 changed, 0 removed, 0 unchanged",
    ]
