"""A per-connection lock so two syncs of the same connection never run at once.

SQLite: an ``flock`` on a file beside the database. PostgreSQL: a session advisory lock. Both are released by
the operating system or the server when the process dies, so a killed sync never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .errors import SyncInProgress


def _refuse(connection_name: str) -> SyncInProgress:
    return SyncInProgress(
        f"another sync of connection {connection_name!r} is running against this database; "
        "wait for it to finish, then run again"
    )


@contextlib.contextmanager
def sync_lock(engine: Engine, connection_name: str) -> Iterator[None]:
    """Hold the lock for ``connection_name`` or raise :class:`SyncInProgress` at once."""
    if engine.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"seatkeeper:{connection_name}".encode()).digest()[:8], "big", signed=True)
        with engine.connect() as connection:
            if not connection.execute(sa.text("select pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                raise _refuse(connection_name)
            try:
                yield
            finally:
                connection.execute(sa.text("select pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    import fcntl

    digest = hashlib.sha256(connection_name.encode()).hexdigest()[:16]
    lock_path = Path(f"{database}.{digest}.lock")
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refuse(connection_name) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
