"""Locks between processes sharing a database: one per connection for syncs, one for schema upgrades.

SQLite: an ``flock`` on a file in seatkeeper's lock folder (never beside the database), named after the
database file's identity (device and inode), so a path through a symlink or a hard link finds the same lock.
PostgreSQL: a session advisory lock. Both are released by the operating system or the server when the
process dies, so a killed sync never leaves a stale lock. The database itself forbids a second open interval
for a seat, so even two syncs that do not see each other's lock (two users' lock folders) cannot corrupt
history: the second one to apply fails.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .errors import StoreError, SyncInProgress


def lock_dir() -> Path:
    """The folder of seatkeeper's lock files: ``SEATKEEPER_LOCK_DIR``, ``$XDG_RUNTIME_DIR/seatkeeper``, or a temp one."""
    override = os.environ.get("SEATKEEPER_LOCK_DIR")
    candidates = [Path(override)] if override else []
    if os.environ.get("XDG_RUNTIME_DIR"):
        candidates.append(Path(os.environ["XDG_RUNTIME_DIR"]) / "seatkeeper")
    candidates.append(Path(tempfile.gettempdir()) / f"seatkeeper-{os.getuid()}")
    for candidate in candidates:
        with contextlib.suppress(OSError):
            candidate.mkdir(parents=True, exist_ok=True, mode=0o700)
            if os.access(candidate, os.W_OK):
                return candidate
    raise StoreError(f"cannot create a folder for lock files (tried {', '.join(map(str, candidates))})")


def database_identity(database: str) -> str:
    """What names a SQLite file whatever path reaches it: its device and inode, else its resolved path."""
    path = Path(database).expanduser()
    try:
        status = path.stat()
    except OSError:
        return os.path.realpath(path)
    return f"{status.st_dev}:{status.st_ino}"


def _advisory_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def sync_lock(engine: Engine, connection_name: str) -> Iterator[None]:
    """Hold the lock for ``connection_name`` or raise :class:`SyncInProgress` at once."""
    with _lock(engine, f"seatkeeper:{connection_name}", wait=False) as held:
        if not held:
            raise SyncInProgress(
                f"another sync of connection {connection_name!r} is running against this database; "
                "wait for it to finish, then run again"
            )
        yield


def sync_in_progress(engine: Engine, connection_name: str) -> bool:
    """Whether a live process holds ``connection_name``'s sync lock (probed by taking it, released at once)."""
    try:
        with sync_lock(engine, connection_name):
            return False
    except SyncInProgress:
        return True


@contextlib.contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's schema-upgrade lock, waiting while another process upgrades the schema.

    Two commands started at once on a new database (two cron jobs, two hosts) would otherwise both create
    the tables, and one would fail.
    """
    # By resolved path: the file may not exist yet, and its inode is not known before it does.
    with _lock(engine, "seatkeeper-schema-upgrade", wait=True, identity=_resolved_path):
        yield


@contextlib.contextmanager
def _lock(engine: Engine, name: str, *, wait: bool, identity=None) -> Iterator[bool]:
    """A lock shared by every process using the database; yields whether it is held (always, when waiting).

    ``identity`` names the SQLite file (default :func:`database_identity`). An in-memory database is private to
    its process and needs none.
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

    digest = hashlib.sha256(f"{(identity or database_identity)(database)}\0{name}".encode()).hexdigest()[:32]
    with open(lock_dir() / f"{digest}.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _resolved_path(database: str) -> str:
    return os.path.realpath(Path(database).expanduser())
