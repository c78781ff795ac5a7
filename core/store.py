"""Writing a connection's bookkeeping: the connection row and its sync runs (the seats: :mod:`seatkeeper.staging`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from .errors import ConfigError
from .models import connection_t, run_t, seat_t
from .runs import KILLED, RunOutcome


def ensure_connection(engine: Engine, name: str, provider: str, now: datetime, application: str | None = None) -> int:
    """The id of connection ``name``, creating it on first use; ``application``, when given, is recorded.

    Write first (insert unless it exists), then read: two first syncs starting together never both insert,
    and SQLite never has to turn a read transaction into a write one, which it refuses at once under WAL.
    """
    insert = _upsert(engine.dialect.name)(connection_t).values(
        name=name, provider=provider, created_at=now, application=application
    )
    with engine.begin() as db:
        db.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
        if application is not None:
            db.execute(
                sa.update(connection_t)
                .where(connection_t.c.name == name, connection_t.c.provider == provider)
                .where(sa.or_(connection_t.c.application.is_(None), connection_t.c.application != application))
                .values(application=application)
            )
        row = db.execute(
            sa.select(connection_t.c.id, connection_t.c.provider, connection_t.c.retired_at).where(
                connection_t.c.name == name
            )
        ).one()
    if row.retired_at is not None:
        raise ConfigError(
            f"connection {name!r} was retired on {row.retired_at:%Y-%m-%d}: its history stays, it syncs no more "
            "(give a new account a connection name of its own)"
        )
    if row.provider != provider:
        raise ConfigError(
            f"connection {name!r} was synced before with provider {row.provider!r}, now it says {provider!r}: "
            "give the new account a connection name of its own"
        )
    return row.id


def connection_id(engine: Engine, name: str) -> int | None:
    """The id of connection ``name``, or None when it was never synced (reads only)."""
    with engine.connect() as db:
        return db.execute(sa.select(connection_t.c.id).where(connection_t.c.name == name)).scalar_one_or_none()


def last_sync_at(engine: Engine, connection_id: int) -> datetime | None:
    """When the connection's latest successful sync stands in its history (None before the first one)."""
    with engine.connect() as db:
        return db.execute(
            sa.select(sa.func.max(run_t.c.started_at)).where(
                run_t.c.connection_id == connection_id, run_t.c.outcome == RunOutcome.SUCCEEDED.value
            )
        ).scalar_one_or_none()


def rename_connection(engine: Engine, old: str, new: str) -> None:
    """Give connection ``old`` the name ``new``, keeping its history (rename it in the config file too)."""
    with engine.begin() as db:
        if db.execute(sa.select(connection_t.c.id).where(connection_t.c.name == new)).first() is not None:
            raise ConfigError(f"a connection named {new!r} exists already: choose another name")
        if db.execute(sa.update(connection_t).where(connection_t.c.name == old).values(name=new)).rowcount == 0:
            raise ConfigError(f"no stored connection named {old!r}")


def retire_connection(engine: Engine, name: str, when: datetime) -> int:
    """Stop tracking connection ``name`` from ``when``: its open seats close then, its history stays; the number
    of seats closed."""
    with engine.begin() as db:
        row = db.execute(
            sa.select(connection_t.c.id, connection_t.c.retired_at).where(connection_t.c.name == name)
        ).first()
        if row is None:
            raise ConfigError(f"no stored connection named {name!r}")
        if row.retired_at is not None:
            raise ConfigError(f"connection {name!r} was retired already, on {row.retired_at:%Y-%m-%d}")
        latest = db.execute(
            sa.select(sa.func.max(seat_t.c.seen_from)).where(seat_t.c.connection_id == row.id)
        ).scalar_one_or_none()
        if latest is not None and when < latest:
            raise ConfigError(f"connection {name!r} has seats seen after {when:%Y-%m-%d}: retire it at a later date")
        closed = db.execute(
            sa.update(seat_t)
            .where(seat_t.c.connection_id == row.id, seat_t.c.seen_until.is_(None))
            .values(seen_until=when)
        ).rowcount
        db.execute(sa.update(connection_t).where(connection_t.c.id == row.id).values(retired_at=when))
        return closed


def start_run(engine: Engine, connection_id: int, now: datetime) -> int:
    """Record a sync run as running; runs left 'running' by a killed process are marked failed first.

    Call it while holding the connection's sync lock, so no live process owns those runs.
    """
    with engine.begin() as db:
        db.execute(
            sa.update(run_t)
            .where(run_t.c.connection_id == connection_id, run_t.c.outcome == RunOutcome.RUNNING.value)
            .values(outcome=RunOutcome.INTERRUPTED.value, error=KILLED, finished_at=now)
        )
        return db.execute(
            sa.insert(run_t)
            .values(connection_id=connection_id, started_at=now, outcome=RunOutcome.RUNNING.value, notes=[])
            .returning(run_t.c.id)
        ).scalar_one()


def record_failed_run(engine: Engine, connection_name: str, provider: str, error: str, now: datetime) -> int:
    """Record a run of ``connection_name`` that failed before it could start (a configuration problem).

    ``seatkeeper runs`` and the report's freshness then show the failure instead of nothing. The connection is
    created when it is new (with ``provider`` as configured, known or not); an existing one keeps its provider.
    """
    insert = _upsert(engine.dialect.name)(connection_t).values(name=connection_name, provider=provider, created_at=now)
    with engine.begin() as db:
        db.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
        connection_id = db.execute(
            sa.select(connection_t.c.id).where(connection_t.c.name == connection_name)
        ).scalar_one()
        return db.execute(
            sa.insert(run_t)
            .values(
                connection_id=connection_id,
                started_at=now,
                finished_at=now,
                outcome=RunOutcome.FAILED.value,
                error=error,
                notes=[],
            )
            .returning(run_t.c.id)
        ).scalar_one()


def fail_run(
    engine: Engine,
    run_id: int,
    error: str,
    finished_at: datetime,
    notes: list[str] | None = None,
    outcome: RunOutcome = RunOutcome.FAILED,
) -> None:
    """Mark a run failed (or interrupted) with its reason; no seat data is touched."""
    with engine.begin() as db:
        db.execute(
            sa.update(run_t)
            .where(run_t.c.id == run_id)
            .values(outcome=RunOutcome(outcome).value, error=error, finished_at=finished_at, notes=notes or [])
        )


def _upsert(dialect_name: str):
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert
