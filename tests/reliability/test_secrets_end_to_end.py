"""The client secret and the access tokens of a sync never reach logs, messages, output, the database,
reports or cassettes, whatever goes wrong on the way."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from seatkeeper import db
from seatkeeper_zoom.fake_server import Reply
from tests.conftest import CASSETTES, TEST_CLIENT_ID, TEST_CLIENT_SECRET

from .cli_kit import zoom_environment
from .kit import LOCALHOST_ONLY, VirtualClock, fast_provider, seeded_zoom

pytestmark = LOCALHOST_ONLY

BASIC = base64.b64encode(f"{TEST_CLIENT_ID}:{TEST_CLIENT_SECRET}".encode()).decode()
LOGGERS = ("", "urllib3", "requests", "seatkeeper", "seatkeeper_zoom", "sqlalchemy.engine", "alembic")


def echo_credentials(request, server):
    """A server repeating the presented token and the secret back in its error text."""
    return Reply(400, {"code": 300, "message": f"bad token {request.token}; secret {TEST_CLIENT_SECRET} {BASIC}"})


def echo_on_token_request(request, server):
    return Reply(400, {"error": "invalid_scope", "reason": f"no: {TEST_CLIENT_SECRET} / Basic {BASIC}"})


def database_text(engine) -> str:
    """Every text, varchar and JSON value of every table, as the database returns it."""
    inspector = sa.inspect(engine)
    parts = []
    with engine.connect() as connection:
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                if isinstance(column["type"], sa.String | sa.Text | sa.JSON):
                    query = sa.text(f'select cast("{column["name"]}" as text) from "{table}"')
                    parts += [str(value) for value in connection.execute(query).scalars()]
    return "\n".join(parts)


def sqlite_bytes(url: str) -> bytes:
    """The raw bytes of a SQLite database and everything beside it (WAL, shared memory, lock files)."""
    path = Path(sa.make_url(url).database)
    return b"".join(sibling.read_bytes() for sibling in path.parent.iterdir() if sibling.name.startswith(path.name))


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_no_secret_or_token_anywhere(backend, seatkeeper_cli, monkeypatch, tmp_path, caplog, request):
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    url = f"sqlite:///{tmp_path / 'db' / 'sk.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    outputs: list[str] = []

    def run(*args: str):
        outcome = seatkeeper_cli(fast_provider(VirtualClock(), max_retries=2), *args)
        outputs.extend([outcome.out, outcome.err])
        return outcome

    with seeded_zoom() as zoom:
        for name, value in zoom_environment(zoom, url).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("SEATKEEPER_DEBUG", "1")
        assert run("sync").code == 0
        zoom.faults.expire_tokens(after=2)  # a second token mid-sync
        zoom.faults.retry_after("seconds", 1)
        assert run("sync").code == 0
        zoom.faults.add(echo_credentials, path="/v2/users")
        assert run("sync").code == 1
        zoom.faults.add(echo_on_token_request, path="/oauth/token")
        assert run("sync").code == 1
        zoom.faults.bad_credentials()
        assert run("sync").code == 1
        tokens = list(zoom.issued_tokens)

    month = datetime.now(UTC).strftime("%Y-%m")
    for format in ("table", "json", "csv"):
        run("syncs", "--format", format)
        run("licenses", "--format", format)
    reports = []
    for format in ("html", "md", "json", "csv"):
        path = tmp_path / f"report.{format}"
        assert run("report", "--month", month, "--format", format, "-o", str(path)).code == 0, outputs[-1]
        reports.append(path.read_text(encoding="utf-8"))

    engine = db.open_engine(url)
    stored = database_text(engine)
    engine.dispose()
    raw = sqlite_bytes(url).decode("latin-1") if backend == "sqlite" else ""
    cassettes = "".join(path.read_text(encoding="utf-8") for path in CASSETTES.rglob("*.yaml"))

    assert len(tokens) >= 3 and "***" in stored  # the echoed secrets were there to leak, and were masked
    everything = {
        "output": "\n".join(outputs),
        "logs": caplog.text,
        "database": stored,
        "database file": raw,
        "reports": "\n".join(reports),
        "cassettes": cassettes,
    }
    for where, text in everything.items():
        for secret in (TEST_CLIENT_SECRET, BASIC, *tokens):
            assert secret not in text, f"a secret in the {where}"
    assert "127.0.0.1" in caplog.text  # urllib3 did log its requests at DEBUG: the check above saw them
