"""Fixtures shared by every test module.

- Cassettes live in ``tests/cassettes/<module>/<test>.yaml`` and are scrubbed of credentials when recorded.
- ``database_url`` runs a store test on SQLite and, when reachable, on PostgreSQL. Each test session uses
  a database of its own on the server (created and dropped here), so parallel runs never collide. In CI
  (``CI`` set) an unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
CASSETTES = TESTS / "cassettes"

# Values tests use as credentials; test_cassettes_hold_no_secrets greps for them.
TEST_CLIENT_ID = "test-client-id"
TEST_CLIENT_SECRET = "TEST-CLIENT-SECRET-do-not-leak"
TEST_ACCOUNT_ID = "test-account-id"

SCRUBBED = "SCRUBBED"


def _scrub_response(response):
    """Replace access tokens in recorded token responses (a real recording would contain live tokens)."""
    import json

    body = response.get("body", {}).get("string")
    if not body:
        return response
    text = body.decode() if isinstance(body, bytes) else body
    if '"access_token"' in text:
        try:
            data = json.loads(text)
        except ValueError:
            return response
        data["access_token"] = SCRUBBED
        new = json.dumps(data)
        response["body"]["string"] = new.encode() if isinstance(body, bytes) else new
    return response


@pytest.fixture(scope="module")
def vcr_config():
    """Scrub credentials at record time: auth headers, token bodies, the account id in the token form."""
    return {
        "filter_headers": [("authorization", SCRUBBED), ("cookie", None), ("set-cookie", None)],
        "filter_post_data_parameters": [("account_id", SCRUBBED)],
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
        # No record_mode here: it would silently override --record-mode=none from the command line.
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    """All cassettes under tests/cassettes/<test module name>/."""
    return str(CASSETTES / request.module.__name__.split(".")[-1])


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path, tmp_path_factory):
    """Keep the user's real config, data dir and credentials out of every test."""
    for name in list(os.environ):
        if (
            name.startswith(("SEATKEEPER_", "ZOOM_", "M365_", "GOOGLE_WORKSPACE_"))
            and name != "SEATKEEPER_TEST_POSTGRES_URL"
        ):
            monkeypatch.delenv(name, raising=False)
    # A file named by SEATKEEPER_CONFIG must exist; it lives outside tmp_path, which tests may list.
    empty_config = tmp_path_factory.mktemp("config") / "no-config.toml"
    empty_config.touch(mode=0o600)
    monkeypatch.setenv("SEATKEEPER_CONFIG", str(empty_config))
    monkeypatch.setenv("SEATKEEPER_DATA_DIR", str(tmp_path / "data"))


# ---- databases -------------------------------------------------------------------------------------------

POSTGRES_ADMIN_URL = os.environ.get("SEATKEEPER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def postgres_server_url():
    """URL of a fresh PostgreSQL database for this test session, dropped at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:
        admin.dispose()
        message = f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string()} is not reachable: {error}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI requires it; .ci/run should have started it)")
        pytest.skip(message)
    name = f"seatkeeper_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'create database "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        from sqlalchemy.pool import NullPool  # noqa: F401 - engines made in tests are disposed by them

        with admin.connect() as connection:
            connection.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_server_url):
    """An empty PostgreSQL database (all tables dropped before the test)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_server_url)
    with engine.begin() as connection:
        connection.execute(text("drop schema public cascade"))
        connection.execute(text("create schema public"))
    engine.dispose()
    return postgres_server_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, then the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'seatkeeper.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url):
    """An engine on a fresh, migrated database: a SQLite file, then PostgreSQL."""
    from seatkeeper import db

    engine = db.open_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def built_databases(tmp_path_factory):
    """Databases built once per test session and copied into each test's own (see tests/built.py)."""
    from tests.built import BuiltDatabases

    return BuiltDatabases(tmp_path_factory.mktemp("built"))
