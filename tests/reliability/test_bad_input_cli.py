"""Bad configuration and database URLs, through the real CLI: one line naming the fix, never a traceback.

tests/core/test_cli.py covers the generic cases with a throwaway provider; these are the Zoom connection from
environment variables and config files, and databases that cannot be opened.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from seatkeeper import db
from tests.conftest import POSTGRES_ADMIN_URL, TEST_CLIENT_SECRET

from .kit import fast_provider

ZOOM_ENV = {"ZOOM_ACCOUNT_ID": "acct", "ZOOM_CLIENT_ID": "client", "ZOOM_CLIENT_SECRET": TEST_CLIENT_SECRET}


def assert_one_line(outcome, expected: str, code: int = 1) -> None:
    assert outcome.code == code, outcome
    assert expected in outcome.err, outcome.err
    assert len(outcome.err.strip().splitlines()) == 1, outcome.err
    assert "Traceback" not in outcome.err
    assert TEST_CLIENT_SECRET not in outcome.out + outcome.err


@pytest.fixture
def run_sync(seatkeeper_cli, monkeypatch, tmp_path):
    """``run_sync(env, config=None)``: ``seatkeeper sync`` with these variables and config file text."""
    monkeypatch.setenv("SEATKEEPER_DATABASE_URL", f"sqlite:///{tmp_path / 'sk.db'}")

    def run(environment: dict[str, str], config: str | None = None, mode: int = 0o600, *args: str):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        if config is not None:
            path = tmp_path / "seatkeeper.toml"
            path.write_text(config)
            os.chmod(path, mode)
            monkeypatch.setenv("SEATKEEPER_CONFIG", str(path))
        return seatkeeper_cli(fast_provider(), *(args or ("sync",)))

    return run


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (
            {**ZOOM_ENV, "ZOOM_CLIENT_SECRET": ""},
            "zoom: sync failed: connection 'zoom' needs ZOOM_CLIENT_SECRET (Client secret of the Server-to-Server "
            "OAuth app): set it in the environment",
        ),
        ({**ZOOM_ENV, "ZOOM_CLIENT_SECRET": "   "}, "connection 'zoom' needs ZOOM_CLIENT_SECRET"),
        ({"ZOOM_ACCOUNT_ID": "acct"}, "connection 'zoom' needs ZOOM_CLIENT_ID"),
        ({"ZOOM_CLIENT_SECRET": TEST_CLIENT_SECRET}, "connection 'zoom' needs ZOOM_ACCOUNT_ID"),
        (
            {**ZOOM_ENV, "ZOOM_CLIENT_SECRET": "two words" + TEST_CLIENT_SECRET},
            "the Zoom client_secret contains spaces or characters Zoom never uses: copy it again from the Zoom app",
        ),
        ({**ZOOM_ENV, "ZOOM_API_URL": "ftp://api.zoom.us/v2"}, "is not an http(s) URL: check ZOOM_API_URL"),
        ({**ZOOM_ENV, "ZOOM_OAUTH_URL": "http://zoom.example.com/oauth/token"}, "ZOOM_OAUTH_URL"),
        (
            {**ZOOM_ENV, "ZOOM_API_URL": f"https://me:{TEST_CLIENT_SECRET}@api.zoom.us/v2"},
            "the Zoom api_url must not contain a user name or password: check ZOOM_API_URL",
        ),
    ],
    ids=[
        "empty secret",
        "blank secret",
        "no client id",
        "no account id",
        "secret with space",
        "ftp url",
        "http",
        "url creds",
    ],
)
def test_zoom_connection_from_environment(run_sync, environment, expected):
    # A setting missing is found before the sync starts; the provider checks the values' form itself. Both are
    # configuration errors (exit 2).
    assert_one_line(run_sync(environment), expected, 2)


@pytest.mark.parametrize(
    ("config", "environment", "expected"),
    [
        (
            "[connections.zoom-emea]\nprovider = 'zoom'\naccount_id = 'a'\nclient_id = 'c'\nclient_secret = ''\n",
            {},
            "zoom-emea: sync failed: connection 'zoom-emea' needs client_secret (Client secret of the "
            'Server-to-Server OAuth app): add client_secret_env = "ENV_VAR" to',
        ),
        (
            "[connections.zoom-emea]\nprovider = 'zoom'\naccount_id = 'a'\nclient_id = 'c'\n"
            "client_secret_env = 'EMEA_SECRET'\n",
            {"EMEA_SECRET": ""},
            "environment variable EMEA_SECRET (client_secret) is not set or empty",
        ),
        (
            "[connections.zoom-emea]\nprovider = 'zoom'\naccount_id = 'a'\nclient_id = 'c'\nsecret_env = 'X'\n",
            {},
            "unknown setting 'secret_env' for provider 'zoom' (settings: account_id, api_url, client_id",
        ),
        (
            "[connections.zoom-emea]\nprovider = 'zoom'\naccount_id = 42\nclient_id = ['c']\n",
            {},
            "account_id must be a string: write the number in quotes",
        ),
        (
            "[connections.zoom-emea]\nprovider = 'zoom'\naccount_id = 'a'\nclient_id = ['c']\n",
            {},
            "client_id must be a string",
        ),
    ],
    ids=["empty secret in file", "secret variable empty", "misspelt setting", "number", "wrong type"],
)
def test_zoom_connection_from_the_config_file(run_sync, config, environment, expected):
    assert_one_line(run_sync(environment, config), expected, code=2)


def test_malformed_toml_never_echoes_the_file(run_sync):
    outcome = run_sync({}, f"[connections.zoom]\nclient_secret = '{TEST_CLIENT_SECRET}\n")
    assert_one_line(outcome, "is not valid TOML", code=2)


def test_a_config_file_that_is_not_text_or_a_file(run_sync, tmp_path, monkeypatch):
    (tmp_path / "latin1.toml").write_bytes(b"[connections.zoom]\nclient_id = '\xe9'\n")
    monkeypatch.setenv("SEATKEEPER_CONFIG", str(tmp_path / "latin1.toml"))
    assert_one_line(run_sync({}), "cannot read config file", code=2)
    monkeypatch.setenv("SEATKEEPER_CONFIG", str(tmp_path))
    assert_one_line(run_sync({}), "cannot read config file", code=2)


def test_a_secret_in_a_world_readable_config_is_warned_about_and_not_shown(run_sync):
    config = (
        "[connections.zoom]\naccount_id = 'a'\nclient_id = 'c'\n"
        f"client_secret = '{TEST_CLIENT_SECRET}'\napi_url = 'http://127.0.0.1:9/v2'\n"
        "oauth_url = 'http://127.0.0.1:9/oauth/token'\n"
    )
    outcome = run_sync({}, config, 0o644)
    assert "holds the secret client_secret of connection 'zoom' and other users can read it: chmod 600" in outcome.err
    assert "client_secret_env" in outcome.err
    assert TEST_CLIENT_SECRET not in outcome.out + outcome.err
    assert run_sync({}, config, 0o600).err.count("other users can read it") == 0


def unreachable_url() -> str:
    return sa.make_url(POSTGRES_ADMIN_URL).set(port=1, password="hunter2-db-password").render_as_string(False)


@pytest.mark.parametrize(
    ("url", "expected", "code"),
    [
        (unreachable_url(), "Connection refused; is the database server running, and are the host and port", 3),
        (
            sa.make_url(POSTGRES_ADMIN_URL).set(database="seatkeeper_no_such_db").render_as_string(False),
            'database "seatkeeper_no_such_db" does not exist; create that database, or fix the database name',
            3,
        ),
        (
            sa.make_url(POSTGRES_ADMIN_URL).set(username="seatkeeper_no_such_role").render_as_string(False),
            'role "seatkeeper_no_such_role" does not exist; check the user name in the database URL',
            3,
        ),
        ("postgresql+psycopg2://u@127.0.0.1/db", "seatkeeper uses psycopg 3: write postgresql+psycopg://", 2),
        ("mysql://u@127.0.0.1/db", "unsupported database 'mysql'", 2),
        ("sqlite:////proc/no-such-dir/seatkeeper.db", "no seatkeeper database at /proc/no-such-dir/seatkeeper.db", 3),
    ],
    ids=["postgres port closed", "no such database", "no such role", "psycopg2", "mysql", "sqlite dir"],
)
def test_a_database_that_cannot_be_opened(seatkeeper_cli, url, expected, code):
    outcome = seatkeeper_cli(fast_provider(), "--database-url", url, "syncs")
    assert_one_line(outcome, expected, code)
    assert "hunter2-db-password" not in outcome.err


def test_a_file_that_is_not_a_database(seatkeeper_cli, tmp_path):
    garbage = tmp_path / "notes.db"
    garbage.write_bytes(b"these are my notes, not a database\n" * 200)
    outcome = seatkeeper_cli(fast_provider(), "--database-url", f"sqlite:///{garbage}", "licenses")
    assert_one_line(outcome, "file is not a database; the URL points at a file that is not a SQLite database", 3)


def test_a_database_from_a_newer_seatkeeper(seatkeeper_cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    engine = db.open_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("update alembic_version set version_num = '0099'"))
    engine.dispose()
    outcome = seatkeeper_cli(fast_provider(), "--database-url", url, "syncs")
    assert_one_line(outcome, "has schema revision '0099', which this seatkeeper does not know: a newer seatkeeper", 3)
