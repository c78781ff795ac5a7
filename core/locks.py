"""Locks between processes sharing a database: one per connection for syncs, one for schema upgrades.

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


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _refuse(connection_name: str) -> SyncInProgress:
    return SyncInProgress(
        f"another sync of connection {connection_name!r} is running against this database; "
        "wait for it to finish, then run again"
    )


@contextlib.contextmanager
def sync_lock(engine: Engine, connection_name: str) -> Iterator[None]:
    """Hold the lock for ``connection_name`` or raise :class:`SyncInProgress` at once."""
    digest = hashlib.sha256(connection_name.encode()).hexdigest()[:16]
    with _lock(engine, f"seatkeeper:{connection_name}", f".{digest}.lock", wait=False) as held:
        if not held:
            raise _refuse(connection_name)
        yield


def sync_in_progress(engine: Engine, connection_name: str) -> bool:
    """Whether a live process holds ``connection_name``'s sync lock (probed by taking it, released at once)."""
    try:
        with sync_lock(engine, connection_name):
            return False
    except SyncInProgress:
        return True


@contextlib.contextmanager
def write_lock(engine: Engine, *, wait: bool = True) -> Iterator[bool]:
    """Hold the database's write lock (SQLite files only); yields whether it is held (always, when waiting).

    A sync that writes its new seats while still fetching (:mod:`seatkeeper.stream`) keeps SQLite's own write
    lock for as long as its fetch lasts, longer than SQLite's busy timeout. seatkeeper's other writers take this
    lock first, so they wait for that sync instead of failing with "database is locked". PostgreSQL and
    in-memory databases need none: it is always held there.
    """
    if engine.dialect.name != "sqlite":
        yield True
        return
    with _lock(engine, "seatkeeper-write", ".write.lock", wait=wait) as held:
        yield held


@contextlib.contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's schema-upgrade lock, waiting while another process upgrades the schema.

    Two commands started at once on a new database (two cron jobs, two hosts) would otherwise both create
    the tables, and one would fail.
    """
    with _lock(engine, "seatkeeper-schema-upgrade", ".schema.lock", wait=True):
        yield


@contextlib.contextmanager
def _lock(engine: Engine, name: str, file_suffix: str, *, wait: bool) -> Iterator[bool]:
    """A lock shared by every process using the database; yields whether it is held (always, when waiting).

    PostgreSQL: a session advisory lock keyed by ``name``. SQLite: an ``flock`` on the database path plus
    ``file_suffix``. An in-memory database is private to its process and needs none.
    """
    if engine.dialect.name == "postgresql":
        key = _advisory_key(name)
        with engine.connect() as connection:
            if wait:
                connection.execute(sa.text("select pg_advisory_lock(:k)"), {"k": key})
            elif not connection.execute(sa.text("select pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                yield False
                return
            connection.commit()
            try:
                yield True
            finally:
                connection.execute(sa.text("select pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield True
        return
    import fcntl

    with open(Path(f"{database}{file_suffix}"), "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
