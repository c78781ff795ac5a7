"""Helpers of the database-opening tests: a SQLite file with synced seats, and a child process that file
permissions bind (the tests run as root, which ignores them)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seatkeeper import db
from seatkeeper.config import ConnectionConfig
from seatkeeper.sync import sync_connection
from tests import throwaway_plugin

REPO = Path(__file__).resolve().parents[2]
EMAILS = ["ana@example.com", "bo@example.com"]


def seed(url: str) -> None:
    """Create the database at ``url`` and sync two seats into it, as ``seatkeeper sync`` would."""
    engine = db.open_engine(url)
    provider = throwaway_plugin.ListProvider()
    provider.users = [throwaway_plugin.user(n, email=email) for n, email in enumerate(EMAILS)]
    settings = {"token": throwaway_plugin.SECRET}
    try:
        result = sync_connection(
            engine, ConnectionConfig("acme", "listprovider"), provider, settings, now=datetime(2026, 3, 1, tzinfo=UTC)
        )
        assert result.ok, result.error
    finally:
        engine.dispose()


@pytest.fixture
def seeded(tmp_path) -> Path:
    """A seatkeeper SQLite file with two synced seats in a folder of its own (closed: no -wal or -shm file)."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "seatkeeper.db"
    seed(f"sqlite:///{path}")
    assert not Path(f"{path}-wal").exists()
    return path


def sqlite_names(path: Path) -> list[str]:
    """Every table, index, view and trigger in the SQLite file, read with the plain driver."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [name for (name,) in connection.execute("select name from sqlite_master order by name")]
    finally:
        connection.close()


#: A child that opens the database given as argv[1] for reading and prints the query argv[2]'s rows (or, with
#: no query, the emails of the current seats), or prints the one-line error and exits with its code.
READER = """
import json, sys
import sqlalchemy as sa
from seatkeeper import db, queries
from seatkeeper.app import App
from seatkeeper.errors import SeatkeeperError
try:
    if sys.argv[1] == "app-engine":
        App().engine
        sys.exit(0)
    engine = db.open_engine(sys.argv[1]) if sys.argv[2:] == ["write"] else db.open_reader(sys.argv[1])
    if sys.argv[2:] and sys.argv[2] != "write":
        with engine.connect() as connection:
            print(json.dumps([list(row) for row in connection.execute(sa.text(sys.argv[2]))]))
    else:
        print(json.dumps(sorted(seat["email"] for seat in queries.seats(engine))))
except SeatkeeperError as error:
    print(f"{type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(error.exit_code)
"""


def run_bound_by_permissions(*args: str, environment: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run :data:`READER` with ``args`` in a child that file permissions bind.

    As root, the child keeps uid 0 but loses the capabilities that bypass permissions (CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH, CAP_FOWNER), so a folder with mode 0555 is as read-only to it as to any other user.
    """
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux): cannot drop the capabilities")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]
    env = {name: value for name, value in os.environ.items() if not name.startswith(("SEATKEEPER_", "ZOOM_"))}
    env.update(environment or {})
    return subprocess.run(
        [*prefix, sys.executable, "-c", READER, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
