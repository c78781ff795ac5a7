"""One exit-code table holds for every command: 0 ok, 1 a job failed, 2 configuration or usage, 3 database
(130 and 143, for Ctrl-C and SIGTERM, are in test_signals.py). Every error is one line, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.throwaway_plugin import user


def assert_error(outcome, code: int, expected: str) -> None:
    assert outcome.exit_code == code, outcome
    assert expected in outcome.stderr
    assert len(outcome.stderr.strip().splitlines()) == 1, outcome.stderr
    assert "Traceback" not in outcome.stderr


def test_success_is_0(cli_run, provider):
    provider.users = [user(1)]
    assert cli_run("sync").exit_code == 0
    assert cli_run("licenses").exit_code == 0


def test_a_failed_sync_is_1(cli_run, provider):
    provider.users, provider.fail_after = [user(1), user(2)], 1
    assert_error(cli_run("sync"), 1, "listprovider: sync failed: listprovider dropped the connection after 1 users")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["licenses", "--no-such-option"], "No such option: --no-such-option"),
        (["licenses", "--format", "xml"], "Invalid value for '--format'"),
        (["runs", "--limit", "0"], "Invalid value for '--limit'"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["sync", "nosuch"], "no connection named 'nosuch'"),
        (["licenses", "--as-of", "yesterday"], "--as-of 'yesterday' is not a date: use YYYY-MM-DD"),
    ],
)
def test_usage_and_configuration_errors_are_2(cli_run, args, expected):
    assert_error(cli_run(*args), 2, expected)


def test_a_connection_whose_configuration_is_wrong_fails_its_sync_with_2(cli_run, provider, write_config):
    write_config(
        "[connections.good]\nprovider = 'listprovider'\ntoken_env = 'LISTPROVIDER_TOKEN'\n"
        "[connections.bad]\nprovider = 'listprovider'\ntoken_env = 'NOT_SET_ANYWHERE'\n"
    )
    provider.users = [user(1)]
    outcome = cli_run("sync", "good", "bad")
    assert_error(outcome, 2, "bad: sync failed: connection 'bad': environment variable NOT_SET_ANYWHERE")
    assert outcome.stdout.startswith("good: 1 seats")  # the others still sync
    assert provider.fetches == 1  # "bad" was refused before any sync started
    runs = cli_run("runs", "--format", "json").stdout
    assert '"connection": "bad"' in runs and '"outcome": "failed"' in runs  # recorded, for `runs` and reports


def test_a_database_error_is_3(cli_run, tmp_path):
    garbage = tmp_path / "notes.db"
    garbage.write_bytes(b"not a database\n" * 300)
    assert_error(cli_run("--database-url", f"sqlite:///{garbage}", "licenses"), 3, "file is not a database")


def test_demo_into_a_file_is_2(cli_run, tmp_path):
    in_the_way = tmp_path / "demo"
    in_the_way.write_text("a file, not a folder")
    assert_error(cli_run("demo", "--directory", str(in_the_way)), 2, f"--directory {in_the_way} is a file")
    assert in_the_way.read_text() == "a file, not a folder"
    assert_error(cli_run("demo", "--directory", str(in_the_way / "sub")), 2, f"cannot use {in_the_way / 'sub'}")


@pytest.mark.parametrize(
    ("args", "code", "expected"),
    [
        (["licenses", "--wat"], 2, "No such option: --wat"),
        (["--database-url", "mysql://u@127.0.0.1/db", "runs"], 2, "unsupported database 'mysql'"),
        (["--database-url", "sqlite:///{garbage}", "runs"], 3, "file is not a database"),
    ],
)
def test_the_codes_reach_the_shell(tmp_path, args, code, expected):
    """The console script's process exits with the code (not only main()'s SystemExit)."""
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00not sqlite\n" * 300)
    args = [arg.replace("{garbage}", str(garbage)) for arg in args]
    done = subprocess.run(
        [sys.executable, "-m", "seatkeeper", *args], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == code, done
    assert expected in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_reader_that_went_away_is_no_error_message(tmp_path):
    """``seatkeeper providers | head -0``: the closed pipe ends the command quietly."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "seatkeeper", "providers", "--format", "json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert done.stderr == ""


def test_no_arguments_shows_the_help(cli_run):
    code, out, err = cli_run()
    assert code == 0 and "Usage: seatkeeper" in out and "licenses" in out and err == ""
