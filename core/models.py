"""Database tables (SQLModel).

Seat history is kept as intervals: a ``seat`` row is one state of one seat, valid from ``seen_from`` until
``seen_until`` (NULL while current). A sync that finds a seat unchanged writes nothing to it, so storage
grows with changes, not with the number of syncs. ``last_activity_at`` moves with every login, so it is not
part of a seat's state: the current row keeps the latest value in place, and ``seat_activity`` keeps one value
per seat per month so a past month's report can be rebuilt exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# Reuse one MetaData so Alembic and the tables agree.
metadata = SQLModel.metadata


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive; this puts UTC back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _dt(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


class Connection(SQLModel, table=True):
    """One configured account of one provider (a provider may have several)."""

    __tablename__ = "connection"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    provider: str = Field(max_length=100)
    created_at: datetime = _dt()
    application: str | None = Field(default=None, max_length=200, description="the tool its seats are for")
    retired_at: datetime | None = _dt(default=None)


class SyncRun(SQLModel, table=True):
    """One attempt to sync one connection, with its outcome and counts."""

    __tablename__ = "sync_run"
    __table_args__ = (sa.Index("ix_sync_run_connection_started", "connection_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(foreign_key="connection.id")
    started_at: datetime = _dt()
    finished_at: datetime | None = _dt(default=None)
    outcome: str = Field(
        max_length=20, description="a seatkeeper.runs.RunOutcome: running, succeeded, failed, interrupted"
    )
    seen: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    rejected: int = 0
    duplicates: int = 0
    error: str | None = Field(default=None, sa_type=sa.Text)
    notes: list[str] = Field(default_factory=list, sa_type=sa.JSON, description="warnings and rejected reasons")


class Seat(SQLModel, table=True):
    """One state of one seat, valid over [seen_from, seen_until)."""

    __tablename__ = "seat"
    __table_args__ = (
        sa.Index("ix_seat_connection_open", "connection_id", "seen_until"),
        sa.Index("ix_seat_connection_key", "connection_id", "seat_key", "seen_from"),
        sa.Index("ix_seat_interval", "seen_from", "seen_until"),
        sa.Index("ix_seat_email", "email"),
        # A seat has at most one open interval, whatever happens to the locks in front of the database.
        sa.Index(
            "ux_seat_open",
            "connection_id",
            "seat_key",
            unique=True,
            sqlite_where=sa.text("seen_until IS NULL"),
            postgresql_where=sa.text("seen_until IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(foreign_key="connection.id")
    seat_key: str = Field(max_length=600, description="user id, or 'email:<address>' when the provider has none")
    user_id: str | None = Field(default=None, max_length=600)
    email: str | None = Field(default=None, max_length=600)
    name: str | None = Field(default=None, max_length=600)
    license_type: str = Field(max_length=600)
    billable: bool
    status: str = Field(max_length=20)
    department: str | None = Field(default=None, max_length=600)
    role: str | None = Field(default=None, max_length=600)
    created_at: datetime | None = _dt(default=None)
    extras: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    last_activity_at: datetime | None = _dt(default=None)
    seen_from: datetime = _dt()
    seen_until: datetime | None = _dt(default=None)
    opened_by_run: int | None = Field(default=None, foreign_key="sync_run.id")
    closed_by_run: int | None = Field(default=None, foreign_key="sync_run.id")


class PersonState(SQLModel, table=True):
    """One state of one person of a directory connection, valid over [seen_from, seen_until), as seats are."""

    __tablename__ = "person"
    __table_args__ = (
        sa.Index("ix_person_connection_key", "connection_id", "person_key", "seen_from"),
        sa.Index("ix_person_interval", "seen_from", "seen_until"),
        sa.Index("ix_person_email", "email"),
        sa.Index("ix_person_folded_name", "folded_name"),
        sa.Index(
            "ux_person_open",
            "connection_id",
            "person_key",
            unique=True,
            sqlite_where=sa.text("seen_until IS NULL"),
            postgresql_where=sa.text("seen_until IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(foreign_key="connection.id")
    person_key: str = Field(max_length=600, description="the directory's person id, else 'email:<primary email>'")
    person_id: str | None = Field(default=None, max_length=600)
    email: str = Field(max_length=600)
    aliases: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    name: str | None = Field(default=None, max_length=600)
    folded_name: str | None = Field(
        default=None, max_length=600, description="the name as seatkeeper.people.stored_folded_name folds it"
    )
    status: str = Field(max_length=20)
    status_since: datetime | None = _dt(default=None)
    department: str | None = Field(default=None, max_length=600)
    cost_center: str | None = Field(default=None, max_length=600)
    job_title: str | None = Field(default=None, max_length=600)
    manager_email: str | None = Field(default=None, max_length=600)
    state_hash: str = Field(max_length=64)
    seen_from: datetime = _dt()
    seen_until: datetime | None = _dt(default=None)
    opened_by_run: int | None = Field(default=None, foreign_key="sync_run.id")
    closed_by_run: int | None = Field(default=None, foreign_key="sync_run.id")


class SeatActivity(SQLModel, table=True):
    """The last activity a seat showed as of a month (the latest value seen by syncs during that month)."""

    __tablename__ = "seat_activity"
    # A report looks up each seat's latest month by this key: in SQLite, a table without rowid is the key's own
    # index, so a lookup is one search and the table is no larger than its key.
    __table_args__ = {"sqlite_with_rowid": False}

    connection_id: int = Field(foreign_key="connection.id", primary_key=True)
    seat_key: str = Field(max_length=600, primary_key=True)
    month: str = Field(max_length=7, primary_key=True, description="YYYY-MM")
    last_activity_at: datetime | None = _dt(default=None)


class PlanUsage(SQLModel, table=True):
    """Purchased and assigned seats per plan, as a provider reported them in one successful sync run."""

    __tablename__ = "plan_usage"
    __table_args__ = (sa.Index("ix_plan_usage_connection_observed", "connection_id", "observed_at"),)

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(foreign_key="connection.id")
    run_id: int = Field(foreign_key="sync_run.id")
    observed_at: datetime = _dt()
    plan: str = Field(max_length=600)
    license_type: str | None = Field(default=None, max_length=600)
    purchased: int | None = None
    assigned: int | None = None
    extras: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)


# The tables as SQLAlchemy Core sees them, for the set-based reads and writes of the store, queries and reports.
connection_t = Connection.__table__
run_t = SyncRun.__table__
seat_t = Seat.__table__
activity_t = SeatActivity.__table__
plan_t = PlanUsage.__table__
person_t = PersonState.__table__
