"""The SQL behind a report: seats held at an instant, aggregated in the database.

Every figure is read from the history intervals as they stood at the report's cut-off (``held_at``), and
activity from ``seat_activity`` (the latest month at or before the report month), never from the current
rows, so a past month's report comes out the same whenever it is rebuilt. Queries return aggregated rows;
only the seat lists (unused seats, changes, the CSV) return one row per seat.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from seatkeeper.models import UTCDateTime, activity_t, connection_t, person_t, run_t, seat_t
from seatkeeper.queries import application_column, held_at
from seatkeeper.runs import RunOutcome

#: Unused categories in the order a report lists them (idle buckets follow, longest idle first).
FIXED_CATEGORIES = {
    "pending": "Pending invitation",
    "deactivated": "Deactivated, still assigned",
    "never": "Never signed in",
}
ACTIVE, UNKNOWN = "active", "unknown"


@dataclass(frozen=True)
class Scope:
    """Which connections a report covers (None: all)."""

    provider: str | None = None
    connection: str | None = None
    application: str | None = None

    def where(self, query: sa.Select) -> sa.Select:
        """``query`` (joined to ``connection``) limited to this scope."""
        if self.provider:
            query = query.where(connection_t.c.provider == self.provider)
        if self.connection:
            query = query.where(connection_t.c.name == self.connection)
        if self.application:
            query = query.where(application_column == self.application)
        return query


#: The whole database: every provider and connection.
EVERYTHING = Scope()


@dataclass(frozen=True)
class IdleBucket:
    """Seats whose last activity is at least ``low`` days (and under ``high`` days) before the cut-off."""

    low: int
    high: int | None

    @property
    def category(self) -> str:
        """Stable key, e.g. ``idle_30_59`` or ``idle_90_plus``."""
        return f"idle_{self.low}_{'plus' if self.high is None else self.high - 1}"

    @property
    def label(self) -> str:
        """Words for the bucket, e.g. ``No activity for 30–59 days``."""
        span = f"{self.low}+" if self.high is None else f"{self.low}–{self.high - 1}"
        return f"No activity for {span} days"


def idle_buckets(days: Sequence[int]) -> list[IdleBucket]:
    """Buckets for thresholds such as (30, 60, 90): 30–59, 60–89, 90+ days, longest idle first."""
    bounds = list(days)
    buckets = [IdleBucket(low, high) for low, high in zip(bounds, bounds[1:] + [None], strict=True)]
    return buckets[::-1]


def category_labels(buckets: Sequence[IdleBucket]) -> dict[str, str]:
    """Category key -> label for the fixed categories plus ``buckets``."""
    return {**FIXED_CATEGORIES, **{bucket.category: bucket.label for bucket in buckets}}


def category_rank(category: str) -> tuple[int, int]:
    """Sort key: pending, deactivated, never, then idle buckets from the longest idle."""
    if category in FIXED_CATEGORIES:
        return (list(FIXED_CATEGORIES).index(category), 0)
    low = int(category.split("_")[1]) if category.startswith("idle_") else 0
    return (len(FIXED_CATEGORIES), -low)


# ---- connections and runs ----------------------------------------------------------------------------------


def connections(engine: Engine, scope: Scope, cutoff: datetime) -> list[dict[str, Any]]:
    """Connections in scope that existed at ``cutoff``: id, name, provider, application."""
    query = sa.select(
        connection_t.c.id,
        connection_t.c.name,
        connection_t.c.provider,
        application_column.label("application"),
    ).where(connection_t.c.created_at <= cutoff, ~_directory_only())
    query = scope.where(query).order_by(connection_t.c.provider, connection_t.c.name)
    with engine.connect() as db:
        return [dict(row._mapping) for row in db.execute(query)]


def named_connections(engine: Engine, names: Sequence[str]) -> list[dict[str, Any]]:
    """The stored connections called ``names``: id, name, provider, application."""
    query = (
        sa.select(
            connection_t.c.id, connection_t.c.name, connection_t.c.provider, application_column.label("application")
        )
        .where(connection_t.c.name.in_(sorted(names)))
        .order_by(connection_t.c.name)
    )
    with engine.connect() as db:
        return [dict(row._mapping) for row in db.execute(query)]


def _directory_only() -> sa.ColumnElement[bool]:
    """A connection that lists people and never held a seat (an HR export): the people sections use it, the
    seat figures have nothing of it to show."""
    has_people = sa.select(person_t.c.id).where(person_t.c.connection_id == connection_t.c.id).exists()
    has_seats = sa.select(seat_t.c.id).where(seat_t.c.connection_id == connection_t.c.id).exists()
    return sa.and_(has_people, ~has_seats)


def run_status(engine: Engine, connection_ids: Sequence[int], cutoff: datetime) -> dict[int, dict[str, Any]]:
    """Per connection, as of ``cutoff``: first and last successful sync, and the latest run's outcome."""
    if not connection_ids:
        return {}
    successes = (
        sa.select(
            run_t.c.connection_id,
            sa.func.min(run_t.c.started_at).label("first_success_at"),
            sa.func.max(run_t.c.started_at).label("last_success_at"),
        )
        .where(
            run_t.c.outcome == RunOutcome.SUCCEEDED,
            run_t.c.started_at <= cutoff,
            run_t.c.connection_id.in_(connection_ids),
        )
        .group_by(run_t.c.connection_id)
    )
    ranked = (
        sa.select(
            run_t.c.connection_id,
            run_t.c.started_at,
            run_t.c.outcome,
            run_t.c.error,
            sa.func.row_number()
            .over(partition_by=run_t.c.connection_id, order_by=(run_t.c.started_at.desc(), run_t.c.id.desc()))
            .label("position"),
        )
        .where(run_t.c.started_at <= cutoff, run_t.c.connection_id.in_(connection_ids))
        .subquery()
    )
    latest = sa.select(ranked.c.connection_id, ranked.c.started_at, ranked.c.outcome, ranked.c.error).where(
        ranked.c.position == 1
    )
    status: dict[int, dict[str, Any]] = {
        connection_id: {
            "first_success_at": None,
            "last_success_at": None,
            "latest_run_at": None,
            "latest_outcome": None,
            "latest_error": None,
        }
        for connection_id in connection_ids
    }
    with engine.connect() as db:
        for row in db.execute(successes):
            status[row.connection_id].update(first_success_at=row.first_success_at, last_success_at=row.last_success_at)
        for row in db.execute(latest):
            status[row.connection_id].update(
                latest_run_at=row.started_at, latest_outcome=row.outcome, latest_error=row.error
            )
    return status


def connections_with_activity(engine: Engine, connection_ids: Sequence[int], month: str) -> set[int]:
    """Connections that recorded any activity in or before ``month`` (the others' providers report none)."""
    if not connection_ids:
        return set()
    recorded = (
        sa.select(activity_t.c.connection_id)
        .where(activity_t.c.connection_id == connection_t.c.id, activity_t.c.month <= month)
        .exists()
    )
    query = sa.select(connection_t.c.id).where(connection_t.c.id.in_(connection_ids), recorded)
    with engine.connect() as db:
        return set(db.execute(query).scalars())


# ---- seats held at an instant ---------------------------------------------------------------------------------


def _held_query(connection_ids: Sequence[int], cutoff: datetime, *columns: Any) -> sa.Select:
    return (
        sa.select(*columns)
        .select_from(seat_t.join(connection_t, seat_t.c.connection_id == connection_t.c.id))
        .where(held_at(cutoff), seat_t.c.connection_id.in_(connection_ids))
    )


@dataclass(frozen=True)
class IdleRule:
    """How one connection's idle seats are told: thresholds, counted back from the time of its data."""

    #: The connection's last successful sync at or before the cut-off: activity cannot be newer than
    #: that, so idleness is measured up to it (a sync on the 2nd must not make everyone look 29 days idle).
    observed_at: datetime
    days: tuple[int, ...]


def held_with_activity(connection_ids: Sequence[int], cutoff: datetime, month: str) -> sa.Select:
    """Seats held at ``cutoff`` with their last activity as of ``month`` (the latest month at or before it)."""
    latest_activity = (
        sa.select(activity_t.c.last_activity_at)
        .where(
            activity_t.c.connection_id == seat_t.c.connection_id,
            activity_t.c.seat_key == seat_t.c.seat_key,
            activity_t.c.month <= month,
        )
        .order_by(activity_t.c.month.desc())
        .limit(1)
        .correlate(seat_t)
        .scalar_subquery()
    )
    return _held_query(
        connection_ids,
        cutoff,
        seat_t.c.connection_id,
        connection_t.c.provider,
        connection_t.c.name.label("connection"),
        seat_t.c.seat_key,
        seat_t.c.user_id,
        seat_t.c.email,
        seat_t.c.name,
        seat_t.c.department,
        seat_t.c.role,
        seat_t.c.license_type,
        seat_t.c.billable,
        seat_t.c.status,
        seat_t.c.created_at,
        latest_activity.label("last_activity_at"),
    )


def with_usage(held: sa.CTE | sa.Table, idle_rules: Mapping[int, IdleRule], activity_reported: set[int]) -> sa.Select:
    """``held`` (the rows of :func:`held_with_activity`) with each seat's usage category as ``usage``.

    The category is one of pending, deactivated, never, an idle bucket (per connection thresholds), active,
    or unknown (the provider reports no activity).
    """
    return sa.select(*held.c, _usage_case(held, idle_rules, activity_reported).label("usage"))


def _usage_case(seats: sa.CTE | sa.Table, idle_rules: Mapping[int, IdleRule], activity_reported: set[int]) -> sa.Case:
    activity, connection_id = seats.c.last_activity_at, seats.c.connection_id
    whens: list[tuple[Any, str]] = [
        (seats.c.status == "pending", "pending"),
        (seats.c.status == "inactive", "deactivated"),
        (connection_id.not_in(sorted(activity_reported)), UNKNOWN),
        (activity.is_(None), "never"),
    ]
    # Each connection's buckets are told apart only for its own seats, and a seat active since the shortest
    # threshold (most of them) is told in one comparison: the category is worked out for every seat held.
    idle: dict[int, sa.Case] = {}
    for seat_connection, rule in sorted(idle_rules.items()):
        buckets = idle_buckets(rule.days)
        if not buckets:
            continue

        def limit(days: int, rule: IdleRule = rule) -> sa.ColumnElement:
            return sa.literal(rule.observed_at - timedelta(days=days), UTCDateTime)

        idle[seat_connection] = sa.case(
            (activity > limit(min(bucket.low for bucket in buckets)), ACTIVE),
            *((activity <= limit(bucket.low), bucket.category) for bucket in buckets),
            else_=ACTIVE,
        )
    if not idle:
        return sa.case(*whens, else_=ACTIVE)
    return sa.case(*whens, else_=sa.case(idle, value=connection_id, else_=ACTIVE))


@contextmanager
def materialized(db: sa.Connection, held: sa.Select) -> Iterator[sa.Table]:
    """The rows of ``held`` (:func:`held_with_activity`, with their people) written once into a temporary
    table of ``db``.

    The seat counts, the unused-seat list and the people sections all read every seat held with its activity
    and its person; looking those up (a search per seat) once instead of once per query is a good part of a
    large report's time.
    """
    columns = [sa.Column(column.name, column.type) for column in held.selected_columns]
    with temporary_table(db, "report_seats", columns) as table:
        db.execute(table.insert().from_select([column.name for column in held.selected_columns], held))
        yield table


@contextmanager
def temporary_table(db: sa.Connection, name: str, columns: Sequence[sa.Column], **options: Any) -> Iterator[sa.Table]:
    """A temporary table of ``columns`` that only ``db`` sees; the transaction is ended on leaving. ``db`` is a
    :func:`~seatkeeper.db.scratch_connection`, which takes the table with it when it ends.

    ``options`` are the table's dialect options (``sqlite_with_rowid=False``).
    """
    table = sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"], **options)
    table.create(db)
    try:
        yield table
    finally:
        db.commit()


#: What :func:`seat_counts` counts seats by.
COUNTED_BY = ("connection_id", "license_type", "billable", "status", "usage")


def seat_counts(db: sa.Connection, seats: sa.CTE | sa.Table, also: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Seat counts by connection, licence type, billable, status and usage category, and by the ``also``
    columns of ``seats``.

    A grouping sorts every seat held (SQLite has no hash aggregate), whatever the number of groups: one
    grouping by the keys of several sections, added up by :func:`summed` for each, is one sort instead of several.
    """
    return counted_by(db, seats, list(dict.fromkeys((*COUNTED_BY, *also))))


def counted_by(db: sa.Connection, seats: sa.CTE | sa.Table, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Seat counts of ``seats`` by its ``keys`` columns: each set of their values, with its ``seats``."""
    columns = [seats.c[name] for name in keys]
    query = sa.select(*columns, sa.func.count().label("seats")).group_by(*columns)
    return [dict(row._mapping) for row in db.execute(query)]


def summed(counts: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    """The ``seats`` of ``counts`` (rows of :func:`seat_counts`) added up by ``keys`` alone."""
    totals: dict[tuple, int] = {}
    for row in counts:
        key = tuple(row[name] for name in keys)
        totals[key] = totals.get(key, 0) + row["seats"]
    return [{**dict(zip(keys, key, strict=True)), "seats": seats} for key, seats in totals.items()]


def unused_seat_rows(
    db: sa.Connection, seats: sa.CTE | sa.Table, categories: Sequence[str], limit: int | None
) -> list[dict]:
    """Billable seats in an unused category: pending, deactivated, never signed in, then the longest idle first."""
    ordered = sorted(categories, key=category_rank)
    if not ordered or limit == 0:
        return []
    rank = sa.case({category: index for index, category in enumerate(ordered)}, value=seats.c.usage)
    query = (
        sa.select(seats)
        .where(seats.c.billable.is_(True), seats.c.usage.in_(ordered))
        .order_by(
            rank,
            seats.c.last_activity_at.asc().nulls_first(),
            seats.c.provider,
            seats.c.connection,
            seats.c.email,
            seats.c.seat_key,
        )
    )
    if limit is not None:
        query = query.limit(limit)
    return [dict(row._mapping) for row in db.execute(query)]


def iter_seat_rows(db: sa.Connection, seats: sa.Select, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every row of ``seats`` (held seats), one at a time (streamed on ``db``), ordered by provider, connection
    and email."""
    columns = seats.selected_columns
    query = seats.order_by(columns.provider, columns.connection, columns.email, columns.seat_key)
    result = db.execute(query, execution_options={"stream_results": True, "yield_per": batch})
    try:
        for row in result:
            yield dict(row._mapping)
    finally:
        result.close()


# ---- changes, people, trend -------------------------------------------------------------------------------------


def seat_differences(
    engine: Engine, connection_ids: Sequence[int], before: datetime, after: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Seats held at ``after`` that are new or changed licence since ``before``, and seats held only at ``before``.

    Seats are matched by connection and seat key. The first list has ``before_license_type`` and
    ``before_billable`` (None for new seats); the second lists removed seats.

    Only rows that changed between the two instants can differ: a row held at both is the same state. So the
    first list starts from rows opened after ``before`` and the second from rows closed by ``after`` (a few
    per cent of the seats), each looked up against the other instant by seat, instead of joining every seat
    held at one instant with every seat held at the other.
    """
    now, then = seat_t.alias("now_seat"), seat_t.alias("then_seat")
    same_seat = sa.and_(then.c.connection_id == now.c.connection_id, then.c.seat_key == now.c.seat_key)
    arrived_or_changed = (
        sa.select(
            *_seat_identity(now),
            then.c.license_type.label("before_license_type"),
            then.c.billable.label("before_billable"),
        )
        .select_from(
            now.join(connection_t, now.c.connection_id == connection_t.c.id).outerjoin(
                then, sa.and_(same_seat, held_at(before, then))
            )
        )
        .where(
            now.c.connection_id.in_(connection_ids),
            now.c.seen_from > before,
            held_at(after, now),
            sa.or_(
                then.c.seat_key.is_(None),
                then.c.license_type != now.c.license_type,
                then.c.billable != now.c.billable,
            ),
        )
    )
    departed = (
        sa.select(*_seat_identity(then))
        .select_from(then.join(connection_t, then.c.connection_id == connection_t.c.id))
        .where(
            then.c.connection_id.in_(connection_ids),
            then.c.seen_from <= before,
            then.c.seen_until > before,
            then.c.seen_until <= after,
            ~sa.exists().where(same_seat, held_at(after, now)),
        )
    )
    seat = itemgetter("connection_id", "seat_key")  # sorted here: an ORDER BY would steer SQLite to a full scan
    with engine.connect() as db:
        return (
            sorted((dict(row._mapping) for row in db.execute(arrived_or_changed)), key=seat),
            sorted((dict(row._mapping) for row in db.execute(departed)), key=seat),
        )


def _seat_identity(table: sa.Table | sa.Alias) -> tuple[Any, ...]:
    """A seat's identity and licence, from ``table`` (an alias of the seat table) joined to its connection."""
    return (
        table.c.connection_id,
        connection_t.c.provider,
        connection_t.c.name.label("connection"),
        table.c.seat_key,
        table.c.email,
        table.c.name,
        table.c.department,
        table.c.license_type,
        table.c.billable,
    )


def trend_counts(
    engine: Engine, connection_ids: Sequence[int], cutoffs: Mapping[str, datetime]
) -> list[dict[str, Any]]:
    """Seats held at each month's cut-off, by month, provider, connection, licence type and billable.

    One pass over the intervals: each row is numbered with the first cut-off at or after its start and the
    first at or after its end, and the database counts rows per (first, last, connection, type). A row is
    held at every cut-off from its first to just before its last, which is summed here over those few groups.
    The connection is kept because a connection's own ``[prices.CONNECTION]`` table may price its seats.
    """
    labels = list(cutoffs)
    opened = _month_index(seat_t.c.seen_from, cutoffs)
    closed = _month_index(seat_t.c.seen_until, cutoffs)
    group = (
        opened.label("first"),
        closed.label("last"),
        seat_t.c.connection_id,
        seat_t.c.license_type,
        seat_t.c.billable,
    )
    # Grouped by the connection's id, named afterwards: the names are not compared for every row.
    counted = (
        sa.select(*group, sa.func.count().label("seats"))
        .where(seat_t.c.connection_id.in_(connection_ids), seat_t.c.seen_from <= max(cutoffs.values()))
        .group_by(*group)
        .subquery()
    )
    query = sa.select(
        counted.c.first,
        counted.c.last,
        connection_t.c.provider,
        connection_t.c.name,
        counted.c.license_type,
        counted.c.billable,
        counted.c.seats,
    ).join(connection_t, connection_t.c.id == counted.c.connection_id)
    held: dict[tuple[str, str, str, str, bool], int] = {}
    with engine.connect() as db:
        for first, last, provider, connection, license_type, billable, seats in db.execute(query):
            for index in range(first, len(labels) if last is None else last):
                key = (labels[index], provider, connection, license_type, bool(billable))
                held[key] = held.get(key, 0) + seats
    return [
        {
            "month": month,
            "provider": provider,
            "connection": connection,
            "license_type": license_type,
            "billable": billable,
            "seats": seats,
        }
        for (month, provider, connection, license_type, billable), seats in held.items()
    ]


def _month_index(moment: sa.ColumnElement, cutoffs: Mapping[str, datetime]) -> sa.Case:
    """Index of the first cut-off at or after ``moment`` (None when ``moment`` is None or after them all).

    A row is held at cut-off c when seen_from <= c < seen_until: from the first cut-off at or after its
    start, until the first cut-off at or after its end.
    """
    # An open interval (no end) is told first: it would otherwise be compared with every cut-off.
    return sa.case(
        (moment.is_(None), sa.null()),
        *((moment <= sa.literal(cutoff, UTCDateTime), index) for index, cutoff in enumerate(cutoffs.values())),
        else_=None,
    )
