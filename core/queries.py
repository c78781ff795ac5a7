"""Reading stored seats and runs: current seats, seats as of a date, recent sync runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .locks import sync_in_progress
from .models import Connection, PlanUsage, Seat, SyncRun
from .runs import KILLED, RunOutcome

connection_t = Connection.__table__
seat_t = Seat.__table__
run_t = SyncRun.__table__
plan_t = PlanUsage.__table__

SEAT_COLUMNS = (
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


def held_at(when: datetime) -> sa.ColumnElement[bool]:
    """Condition for seat rows valid at ``when``: seen_from <= when < seen_until (or still open)."""
    return sa.and_(seat_t.c.seen_from <= when, sa.or_(seat_t.c.seen_until.is_(None), seat_t.c.seen_until > when))


def seats(
    engine: Engine,
    *,
    as_of: datetime | None = None,
    provider: str | None = None,
    connection: str | None = None,
    status: str | None = None,
    billable: bool | None = None,
) -> list[dict[str, Any]]:
    """Seats currently held (or held at ``as_of``), filtered, ordered by provider, connection and email."""
    query = sa.select(*SEAT_COLUMNS).join(connection_t, seat_t.c.connection_id == connection_t.c.id)
    query = query.where(seat_t.c.seen_until.is_(None) if as_of is None else held_at(as_of))
    if provider:
        query = query.where(connection_t.c.provider == provider)
    if connection:
        query = query.where(connection_t.c.name == connection)
    if status:
        query = query.where(seat_t.c.status == status)
    if billable is not None:
        query = query.where(seat_t.c.billable.is_(billable))
    query = query.order_by(connection_t.c.provider, connection_t.c.name, seat_t.c.email, seat_t.c.seat_key)
    with engine.connect() as db:
        return [dict(row._mapping) for row in db.execute(query)]


def recent_runs(engine: Engine, limit: int = 20, connection: str | None = None) -> list[dict[str, Any]]:
    """The latest sync runs, newest first.

    A run recorded as running whose connection no live process is syncing is shown as ``interrupted``: its
    process was killed before it could record its end.
    """
    query = (
        sa.select(
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
            run_t.c.rejected,
            run_t.c.error,
            run_t.c.notes,
        )
        .join(connection_t, run_t.c.connection_id == connection_t.c.id)
        .order_by(run_t.c.started_at.desc(), run_t.c.id.desc())
        .limit(limit)
    )
    if connection:
        query = query.where(connection_t.c.name == connection)
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
        run_t.c.outcome == RunOutcome.SUCCEEDED.value
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
