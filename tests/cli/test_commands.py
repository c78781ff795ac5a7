"""The listing and sync commands through the real CLI (in-process), with the throwaway provider."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from seatkeeper import db
from seatkeeper.config import ConnectionConfig
from seatkeeper.sync import sync_connection
from tests.throwaway_plugin import SECRET, user


def test_runs_lists_sync_runs_and_syncs_still_works_unlisted(cli_run, provider):
    provider.users = [user(1)]
    assert cli_run("sync").exit_code == 0
    code, out, _ = cli_run("runs", "--format", "json")
    assert code == 0
    assert [(run["connection"], run["outcome"], run["added"]) for run in json.loads(out)] == [
        ("listprovider", "succeeded", 1)
    ]
    code, old, _ = cli_run("syncs", "--format", "json", "--limit", "1")
    assert code == 0 and json.loads(old) == json.loads(out)
    help_text = cli_run("--help").stdout
    assert "runs" in help_text and "syncs" not in help_text


def test_connections_shows_each_connection_its_last_sync_and_what_is_in_use(cli_run, provider, write_config, tmp_path):
    config = write_config(
        "[connections.alpha]\nprovider = 'listprovider'\ntoken_env = 'LISTPROVIDER_TOKEN'\n"
        "[connections.beta]\nprovider = 'listprovider'\ntoken_env = 'UNSET_TOKEN'\n"
    )
    provider.users = [user(1)]
    assert cli_run("sync", "alpha").exit_code == 0
    assert cli_run("sync", "beta").exit_code == 2

    code, out, _ = cli_run("connections", "--format", "json")
    assert code == 0
    shown = json.loads(out)
    assert shown["config_file"] == str(config)
    assert shown["database"] == f"sqlite:///{tmp_path / 'cli.db'}"
    assert [(c["connection"], c["provider"], c["outcome"]) for c in shown["connections"]] == [
        ("alpha", "listprovider", "succeeded"),
        ("beta", "listprovider", "failed"),
    ]  # no default "listprovider" connection from LISTPROVIDER_TOKEN: the file defines connections of it
    assert all(c["configured"] for c in shown["connections"])
    assert shown["connections"][0]["last_sync_at"].startswith(str(datetime.now(UTC).year))
    assert "UNSET_TOKEN" in shown["connections"][1]["error"]

    code, out, err = cli_run("connections")  # piped: rows on stdout, the context on stderr
    assert out.splitlines()[0].split("\t") == [
        "connection",
        "provider",
        "configured",
        "last_sync_at",
        "outcome",
        "error",
    ]
    assert out.splitlines()[1].split("\t")[:3] + out.splitlines()[1].split("\t")[4:5] == [
        "alpha",
        "listprovider",
        "yes",
        "succeeded",
    ]
    assert f"config file: {config}" in err and "database: sqlite:///" in err

    code, out, _ = cli_run("connections", "--format", "csv")
    assert out.splitlines()[0] == "connection,provider,configured,last_sync_at,outcome,error"

    write_config("[connections.gamma]\nprovider = 'listprovider'\ntoken_env = 'LISTPROVIDER_TOKEN'\n")
    code, out, _ = cli_run("connections", "--format", "json")
    assert [(c["connection"], c["configured"], c["outcome"]) for c in json.loads(out)["connections"]] == [
        ("gamma", True, None),
        ("alpha", False, "succeeded"),  # no longer configured, still stored: listed after the configured ones
        ("beta", False, "failed"),
    ]


def test_connections_before_any_sync(cli_run, tmp_path, monkeypatch):
    monkeypatch.delenv("SEATKEEPER_CONFIG")  # the default location, where no file is
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    code, out, _ = cli_run("connections", "--format", "json")
    assert code == 0
    shown = json.loads(out)
    assert shown["config_file"] == str(tmp_path / "config-home" / "seatkeeper" / "seatkeeper.toml")
    assert [(c["connection"], c["outcome"], c["last_sync_at"]) for c in shown["connections"]] == [
        ("listprovider", None, None)
    ]
    code, out, err = cli_run("connections")
    assert out.splitlines()[1].split("\t")[:5] == ["listprovider", "listprovider", "yes", "", "never synced"]
    assert "(not found: environment variables only)" in err


def test_providers_as_json_and_csv(cli_run):
    code, out, _ = cli_run("providers", "--format", "json")
    assert code == 0
    [listed] = json.loads(out)
    assert listed["provider"] == "listprovider" and listed["title"] == "List provider (tests)"
    assert listed["settings"][0] == {"name": "token", "required": True, "secret": True, "env": "LISTPROVIDER_TOKEN"}
    code, out, _ = cli_run("providers", "--format", "csv")
    assert out.splitlines()[0] == "provider,title,package,version,settings"
    assert "token* (secret) [LISTPROVIDER_TOKEN]" in out.splitlines()[1]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["licenses", "--provider", "zoon"], "no provider named 'zoon': known providers are listprovider"),
        (["licenses", "--connection", "acme"], "no connection named 'acme': known connections are listprovider"),
        (["runs", "--connection", "acme"], "no connection named 'acme': known connections are listprovider"),
    ],
)
def test_an_unknown_filter_is_an_error_naming_the_known_ones(cli_run, provider, args, expected):
    provider.users = [user(1)]
    assert cli_run("sync").exit_code == 0
    code, out, err = cli_run(*args)
    assert code == 2
    assert err.strip() == f"Error: {expected}"
    assert out == ""


def test_a_connection_only_in_the_database_is_a_known_filter(cli_run, provider, write_config):
    provider.users = [user(1)]
    assert cli_run("sync").exit_code == 0
    write_config("[connections.other]\nprovider = 'listprovider'\ntoken_env = 'LISTPROVIDER_TOKEN'\n")
    code, out, _ = cli_run("licenses", "--connection", "listprovider", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 1


def sync_at(tmp_path, provider, when: datetime, activity: datetime) -> None:
    """Sync the list provider's one user, last active at ``activity``, with the clock at ``when``."""
    provider.users = [user(1, last_activity_at=activity)]
    engine = db.open_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        connection = ConnectionConfig("listprovider", "listprovider")
        assert sync_connection(engine, connection, provider, {"token": SECRET}, now=when).ok
    finally:
        engine.dispose()


def test_licenses_as_of_shows_the_activity_known_at_that_date(cli_run, provider, tmp_path):
    sync_at(tmp_path, provider, datetime(2026, 1, 20, tzinfo=UTC), datetime(2026, 1, 10, tzinfo=UTC))
    sync_at(tmp_path, provider, datetime(2026, 2, 20, tzinfo=UTC), datetime(2026, 2, 18, tzinfo=UTC))

    def activity_as_of(date: str) -> list[str | None]:
        code, out, err = cli_run("licenses", "--as-of", date, "--format", "json")
        assert code == 0, err
        return [seat["last_activity_at"] for seat in json.loads(out)]

    assert activity_as_of("2026-01-05") == []  # not held yet
    assert activity_as_of("2026-01-25") == ["2026-01-10T00:00:00Z"]
    # February's value (the 18th) is after the 15th: January's is what was known then.
    assert activity_as_of("2026-02-15") == ["2026-01-10T00:00:00Z"]
    assert activity_as_of("2026-02-19") == ["2026-02-18T00:00:00Z"]
    code, out, _ = cli_run("licenses", "--format", "json")
    assert [seat["last_activity_at"] for seat in json.loads(out)] == ["2026-02-18T00:00:00Z"]


def test_licenses_as_of_a_future_date_is_refused(cli_run, provider):
    code, out, err = cli_run("licenses", "--as-of", "2999-01-01")
    assert code == 2
    assert err.strip() == "Error: --as-of 2999-01-01 is in the future: the history ends now " + (
        f"({datetime.now(UTC):%Y-%m-%d})"
    )
    assert out == ""


def test_sync_names_a_connection_twice_syncs_it_once(cli_run, provider):
    provider.users = [user(1)]
    code, out, err = cli_run("sync", "listprovider", "listprovider")
    assert code == 0, err
    assert out.splitlines() == ["listprovider: 1 seats — 1 added, 0 changed, 0 removed, 0 unchanged"]
    assert provider.fetches == 1
    code, out, _ = cli_run("runs", "--format", "json")
    assert len(json.loads(out)) == 1


def test_the_sync_summary_counts_duplicates(cli_run, provider):
    provider.users = [user(1), user(2), user(1, name="User One again")]
    code, out, err = cli_run("sync")
    assert code == 0, err
    assert out.splitlines() == ["listprovider: 2 seats — 2 added, 0 changed, 0 removed, 0 unchanged, 1 duplicates"]


@pytest.mark.parametrize(("args", "passed"), [(["--allow-shrink"], True), ([], False)])
def test_sync_passes_allow_shrink_to_the_engine(cli_run, provider, monkeypatch, args, passed):
    from seatkeeper.cli import sync_command

    seen = []

    def engine_with_allow_shrink(*positional, allow_shrink: bool = False, **options):
        # The engine's next version takes allow_shrink; this one stands in for it and runs the real sync.
        seen.append(allow_shrink)
        return sync_connection(*positional, **options)

    monkeypatch.setattr(sync_command, "sync_connection", engine_with_allow_shrink)
    provider.users = [user(1)]
    code, _, err = cli_run("sync", *args)
    assert code == 0, err
    assert seen == [passed]


def test_licenses_by_application_and_an_unknown_one_refused(cli_run, provider, write_config):
    write_config(
        "[connections.design]\nprovider = 'listprovider'\napplication = 'Figma'\ntoken_env = 'LISTPROVIDER_TOKEN'\n"
        "[connections.calls]\nprovider = 'listprovider'\ntoken_env = 'LISTPROVIDER_TOKEN'\n"
    )
    provider.users = [user(1)]
    assert cli_run("sync").exit_code == 0
    code, out, _ = cli_run("licenses", "--application", "Figma", "--format", "json")
    assert code == 0 and [(s["application"], s["connection"]) for s in json.loads(out)] == [("Figma", "design")]
    code, out, _ = cli_run("licenses", "--format", "json")
    assert {s["application"] for s in json.loads(out)} == {"Figma", "List provider (tests)"}  # the title by default
    code, _, err = cli_run("licenses", "--application", "Figmaa")
    assert code == 2 and "no application named 'Figmaa': known applications are Figma, List provider (tests)" in err


def test_a_dry_run_shows_what_would_change_and_writes_nothing(cli_run, provider, tmp_path):
    provider.users = [user(1), user(2)]
    code, out, err = cli_run("sync", "--dry-run")
    assert code == 0, err
    assert "listprovider: would have 2 seats — 2 added, 0 changed, 0 removed, 0 unchanged" in out
    assert not (tmp_path / "cli.db").exists()  # before any sync: no database made
    assert cli_run("sync").exit_code == 0
    before = (tmp_path / "cli.db").read_bytes()
    provider.users = [user(1, license_type="Basic", billable=False), user(3)]
    code, out, _ = cli_run("sync", "--dry-run")
    assert "would have 2 seats — 1 added, 1 changed, 1 removed, 0 unchanged" in out
    code, out, _ = cli_run("runs", "--format", "json")
    assert len(json.loads(out)) == 1  # the dry run recorded no run
    code, out, _ = cli_run("licenses", "--format", "json")
    assert sorted(s["user_id"] for s in json.loads(out)) == ["u1", "u2"]
    assert (tmp_path / "cli.db").read_bytes() == before
