"""Database URLs: an in-memory SQLite URL is refused clearly, and a password in the URL (user part, query, with an
unencoded "@") never appears in any message, whatever fails: host, driver, syntax, options."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from seatkeeper import db
from seatkeeper.app import App
from seatkeeper.errors import ConfigError, SeatkeeperError
from tests.conftest import POSTGRES_ADMIN_URL
from tests.reliability.cli_kit import run_cli
from tests.reliability.kit import fast_provider

SECRET = "hunter2-SECRET"
#: Pieces of the secret that must not show either (an unencoded "@" splits it).
PIECES = (SECRET, "hunter2", "SECRET", "nter2-S")

ZOOM_ENV = {
    "ZOOM_ACCOUNT_ID": "acct",
    "ZOOM_CLIENT_ID": "client",
    "ZOOM_CLIENT_SECRET": "client-secret",
    "ZOOM_API_URL": "http://127.0.0.1:9/v2",
    "ZOOM_OAUTH_URL": "http://127.0.0.1:9/oauth/token",
}

URLS = {
    "port closed": f"postgresql+psycopg://seatkeeper:{SECRET}@127.0.0.1:1/db",
    "password in query": f"postgresql+psycopg://seatkeeper@127.0.0.1:1/db?password={SECRET}",
    "unencoded @": "postgresql+psycopg://seatkeeper:hun@ter2-SECRET@127.0.0.1:1/db",
    "unencoded @ and :": "postgresql+psycopg://seatkeeper:hu@n:ter2-SECRET@127.0.0.1:1/db",
    "unknown host": f"postgresql+psycopg://seatkeeper:{SECRET}@no-such-host.invalid/db",
    "bad port": f"postgresql+psycopg://seatkeeper:{SECRET}@127.0.0.1:xx/db",
    "no scheme": f"seatkeeper:{SECRET}@127.0.0.1/db",
    "bad option": f"postgresql+psycopg://seatkeeper:{SECRET}@127.0.0.1:1/db?password={SECRET}&sslmode=bogus",
    "psycopg2": f"postgresql+psycopg2://seatkeeper:{SECRET}@127.0.0.1:1/db",
    "unknown driver": f"postgresql+nosuch://seatkeeper:{SECRET}@127.0.0.1:1/db",
    "mysql": f"mysql://seatkeeper:{SECRET}@127.0.0.1/db",
}


def assert_no_secret(message: str) -> None:
    assert len(message.strip().splitlines()) == 1, message
    assert "Traceback" not in message
    for piece in PIECES:
        assert piece not in message, message


@pytest.mark.parametrize("url", URLS.values(), ids=URLS.keys())
@pytest.mark.parametrize("opener", [db.open_engine, db.open_reader], ids=["writer", "reader"])
def test_no_message_shows_the_password(opener, url):
    with pytest.raises(SeatkeeperError) as raised:
        opener(url)
    assert_no_secret(str(raised.value))
    assert raised.value.exit_code in (2, 3)


@pytest.mark.parametrize("url", URLS.values(), ids=URLS.keys())
def test_no_cli_message_shows_the_password(monkeypatch, capsys, url):
    outcome = run_cli(monkeypatch, capsys, fast_provider(), "--database-url", url, "syncs")
    assert outcome.code in (2, 3), outcome
    assert_no_secret(outcome.err)


def test_safe_url_masks_the_password_everywhere():
    assert db.safe_url(URLS["bad option"]) == (
        "postgresql+psycopg://seatkeeper:***@127.0.0.1:1/db?password=***&sslmode=bogus"
    )
    assert db.safe_url(URLS["unencoded @"]) == "postgresql+psycopg://seatkeeper:***@127.0.0.1:1/db"


def test_a_password_with_an_unencoded_at_sign_works(postgres_url):
    url = sa.make_url(postgres_url)
    written = f"postgresql+psycopg://{url.username}:p@ss@{url.host}:{url.port}/{url.database}"  # trust auth
    parsed = db.parse_url(written)
    assert (parsed.host, parsed.password) == (url.host, "p@ss")
    db.open_engine(written).dispose()
    db.open_reader(written).dispose()


def test_a_reachable_server_with_a_wrong_database_never_shows_the_password():
    url = sa.make_url(POSTGRES_ADMIN_URL).set(database="seatkeeper_no_such_db", password=SECRET)
    with pytest.raises(SeatkeeperError) as raised:
        db.open_reader(url.render_as_string(hide_password=False))
    assert 'database "seatkeeper_no_such_db" does not exist' in str(raised.value)
    assert_no_secret(str(raised.value))


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
@pytest.mark.parametrize("opener", [db.open_engine, db.open_reader], ids=["writer", "reader"])
def test_an_in_memory_database_is_refused(opener, url):
    with pytest.raises(ConfigError) as raised:
        opener(url)
    assert str(raised.value).startswith(
        f"the database URL '{url}' names no file: an in-memory database would be gone when the command ends; use e.g."
    )
    assert raised.value.exit_code == 2


def test_sync_into_an_in_memory_database_is_one_line_exit_2(monkeypatch, capsys):
    for name, value in ZOOM_ENV.items():
        monkeypatch.setenv(name, value)
    outcome = run_cli(monkeypatch, capsys, fast_provider(), "--database-url", "sqlite://", "sync")
    assert outcome.code == 2, outcome
    assert outcome.err.startswith("Error: the database URL 'sqlite://' names no file"), outcome.err
    assert len(outcome.err.strip().splitlines()) == 1, outcome.err


def test_app_reader_and_engine_share_the_url_rules():
    app = App(database_url_option="sqlite://")
    with pytest.raises(ConfigError):
        _ = app.reader
    with pytest.raises(ConfigError):
        _ = app.engine


def test_a_sqlite_path_may_start_with_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    db.open_engine("sqlite:///~/seatkeeper/sk.db").dispose()
    db.open_reader("sqlite:///~/seatkeeper/sk.db").dispose()
    assert (tmp_path / "home" / "seatkeeper" / "sk.db").is_file()
    assert not (tmp_path / "~").exists()
