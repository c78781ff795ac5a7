"""Reading stored seats and runs: current seats, seats as of a date, recent sync runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .locks import sync_in_progress
from .models import activity_t, connection_t, person_t, plan_t, run_t, seat_t
from .runs import KILLED, RunOutcome

#: The application a connection tracks (recorded by its syncs; before the first one, its provider's name).
application_column = sa.func.coalesce(connection_t.c.application, connection_t.c.provider)

SEAT_COLUMNS = (
    application_column.label("application"),
    connection_t.c.provider.label("provider"),
    connection_t.c.name.label("connection"),
    seat_t.c.user_id,
    seat_t.c.email,
    seat_t.c.name,
    seat_t.c.license_type,
    seat_t.c.billable,
    seat_t.c.status,
    seat_t.c.department,
    seat_t.c.role,
    seat_t.c.last_activity_at,
    seat_t.c.created_at,
    seat_t.c.seen_from,
    seat_t.c.extras,
)


def held_at(when: datetime, table: sa.Table | sa.Alias = seat_t) -> sa.ColumnElement[bool]:
    """Condition for rows of an interval table (seats by default, people, or an alias of either) valid at
    ``when``: seen_from <= when < seen_until (or still open)."""
    return sa.and_(table.c.seen_from <= when, sa.or_(table.c.seen_until.is_(None), table.c.seen_until > when))


def seats(
    engine: Engine,
    *,
    as_of: datetime | None = None,
    provider: str | None = None,
    connection: str | None = None,
    status: str | None = None,
    billable: bool | None = None,
    application: str | None = None,
) -> list[dict[str, Any]]:
    """Seats currently held (or held at ``as_of``), filtered, ordered by application, connection and email.

    With ``as_of``, ``last_activity_at`` is the seat's activity as of that moment (:func:`activity_as_of`), not
    the latest one stored.
    """
    columns = SEAT_COLUMNS if as_of is None else [*SEAT_COLUMNS[:-4], activity_as_of(as_of), *SEAT_COLUMNS[-3:]]
    query = sa.select(*columns).join(connection_t, seat_t.c.connection_id == connection_t.c.id)
    query = query.where(seat_t.c.seen_until.is_(None) if as_of is None else held_at(as_of))
    if provider:
        query = query.where(connection_t.c.provider == provider)
    if application:
        query = query.where(application_column == application)
    if connection:
        query = query.where(connection_t.c.name == connection)
    if status:
        query = query.where(seat_t.c.status == status)
    if billable is not None:
        query = query.where(seat_t.c.billable.is_(billable))
    query = query.order_by(application_column, connection_t.c.name, seat_t.c.email, seat_t.c.seat_key)
    with engine.connect() as db:
        return [dict(row._mapping) for row in db.execute(query)]


def activity_as_of(when: datetime) -> sa.Label[Any]:
    """The seat's last activity as a sync saw it by ``when``: from ``seat_activity``, the value of the latest month
    at or before ``when`` whose value is not after ``when`` (a later value of the same month is skipped)."""
    return (
        sa.select(activity_t.c.last_activity_at)
        .where(
            activity_t.c.connection_id == seat_t.c.connection_id,
            activity_t.c.seat_key == seat_t.c.seat_key,
            activity_t.c.month <= when.strftime("%Y-%m"),
            sa.or_(activity_t.c.last_activity_at.is_(None), activity_t.c.last_activity_at <= when),
        )
        .order_by(activity_t.c.month.desc())
        .limit(1)
        .correlate(seat_t)
        .scalar_subquery()
        .label("last_activity_at")
    )


def stored_connections(engine: Engine) -> dict[str, str]:
    """Every connection the database knows (configured or not any more): name -> provider."""
    with engine.connect() as db:
        return dict(db.execute(sa.select(connection_t.c.name, connection_t.c.provider)).all())


def stored_applications(engine: Engine) -> set[str]:
    """The applications of every stored connection."""
    with engine.connect() as db:
        return set(db.execute(sa.select(application_column).distinct()).scalars())


def latest_runs(engine: Engine) -> dict[str, dict[str, Any]]:
    """Each stored connection's latest run (as :func:`recent_runs` shows it), by connection name."""
    latest = sa.select(sa.func.max(run_t.c.id)).group_by(run_t.c.connection_id).scalar_subquery()
    runs = _shown(engine, _RUN_QUERY.where(run_t.c.id.in_(latest)))
    return {run["connection"]: run for run in runs}


def recent_runs(engine: Engine, limit: int = 20, connection: str | None = None) -> list[dict[str, Any]]:
    """The latest sync runs, newest first.

    A run recorded as running whose connection no live process is syncing is shown as ``interrupted``: its
    process was killed before it could record its end.
    """
    query = _RUN_QUERY.order_by(run_t.c.started_at.desc(), run_t.c.id.desc()).limit(limit)
    if connection:
        query = query.where(connection_t.c.name == connection)
    return _shown(engine, query)


_RUN_QUERY = sa.select(
    run_t.c.id,
    connection_t.c.name.label("connection"),
    connection_t.c.provider,
    run_t.c.started_at,
    run_t.c.finished_at,
    run_t.c.outcome,
    run_t.c.seen,
    run_t.c.added,
    run_t.c.changed,
    run_t.c.removed,
    run_t.c.unchanged,
    run_t.c.rejected,
    run_t.c.duplicates,
    run_t.c.error,
    run_t.c.notes,
).join(connection_t, run_t.c.connection_id == connection_t.c.id)


def _shown(engine: Engine, query: sa.Select) -> list[dict[str, Any]]:
    """The runs of ``query``, a run left running by a process that is gone shown as interrupted."""
    with engine.connect() as db:
        runs = [dict(row._mapping) for row in db.execute(query)]
    live: dict[str, bool] = {}
    for run in runs:
        if run["outcome"] == RunOutcome.RUNNING:
            name = run["connection"]
            if name not in live:
                live[name] = sync_in_progress(engine, name)
            if not live[name]:
                # A killed process cannot record its end; its run is marked failed at the connection's next sync.
                run["outcome"] = RunOutcome.INTERRUPTED.value
                run["error"] = KILLED
    return runs


def seat_row_count(engine: Engine) -> int:
    """Number of seat history rows (all intervals, open and closed)."""
    with engine.connect() as db:
        return db.execute(sa.select(sa.func.count()).select_from(seat_t)).scalar_one()


def plans(engine: Engine, *, as_of: datetime | None = None) -> list[dict[str, Any]]:
    """Purchased/assigned seats per plan from each connection's latest successful run (at or before ``as_of``).

    A connection whose provider reports no plans has no rows.
    """
    latest = sa.select(run_t.c.connection_id, sa.func.max(run_t.c.id).label("run_id")).where(
        run_t.c.outcome == RunOutcome.SUCCEEDED
    )
    if as_of is not None:
        latest = latest.where(run_t.c.started_at <= as_of)
    latest = latest.group_by(run_t.c.connection_id).subquery()
    query = (
        sa.select(
            connection_t.c.provider,
            connection_t.c.name.label("connection"),
            plan_t.c.plan,
            plan_t.c.license_type,
            plan_t.c.purchased,
            plan_t.c.assigned,
            plan_t.c.observed_at,
            plan_t.c.extras,
        )
        .join(latest, sa.and_(plan_t.c.run_id == latest.c.run_id, plan_t.c.connection_id == latest.c.connection_id))
        .join(connection_t, plan_t.c.connection_id == connection_t.c.id)
        .order_by(connection_t.c.provider, connection_t.c.name, plan_t.c.plan)
    )
    with engine.connect() as db:
        return [dict(row._mapping) for row in db.execute(query)]


def people(engine: Engine, *, as_of: datetime | None = None, connection: str | None = None) -> list[dict[str, Any]]:
    """The people of every directory connection as they stood now (or at ``as_of``), by directory and email."""
    held = person_t.c.seen_until.is_(None) if as_of is None else held_at(as_of, person_t)
    columns = [
        c
        for c in person_t.c
        if c.name not in ("id", "connection_id", "folded_name", "state_hash", "opened_by_run", "closed_by_run")
    ]
    query = (
        sa.select(connection_t.c.name.label("directory"), *columns)
        .join(connection_t, person_t.c.connection_id == connection_t.c.id)
        .where(held)
        .order_by(connection_t.c.name, person_t.c.email, person_t.c.person_key)
    )
    if connection:
        query = query.where(connection_t.c.name == connection)
    with engine.connect() as db:
        return [dict(row._mapping) for row in db.execute(query)]
