"""Writing sync results: connections, sync runs, and applying a run's seat changes in one transaction."""

from __future__ import annotations

import contextlib
import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from .errors import ConfigError
from .locks import write_lock
from .models import Connection, PlanUsage, Seat, SeatActivity, SyncRun, UTCDateTime

CHUNK = 5000  # rows per executemany batch: big enough to amortise round trips, small enough for PostgreSQL

connection_t = Connection.__table__
run_t = SyncRun.__table__
seat_t = Seat.__table__
activity_t = SeatActivity.__table__
plan_t = PlanUsage.__table__

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"
KILLED = "the process stopped before the sync finished"  # why a run left running by a killed process ended


class OpenSeat(NamedTuple):
    """What the sync needs to know about a current seat row to diff against fresh data."""

    id: int
    state_hash: str
    email: str | None
    user_id: str | None
    last_activity_at: datetime | None


@dataclass
class Changes:
    """Everything one sync run changes, applied together or not at all."""

    inserts: list[dict[str, Any]] = field(default_factory=list)  # seat rows, without the run's own columns
    closes: list[int] = field(default_factory=list)
    activity_updates: list[tuple[int, datetime | None]] = field(default_factory=list)  # (seat id, value)
    month_activity: dict[str, datetime | None] = field(default_factory=dict)  # seat key -> new value this month
    first_month_activity: dict[str, datetime | None] = field(default_factory=dict)  # the same, no row yet
    plans: list[dict[str, Any]] = field(default_factory=list)  # SeatPlan fields, as reported by this run
    unstreamed: set[str] = field(default_factory=set)  # seat keys whose streamed seat rows of this run are dropped
    unstreamed_activity: set[str] = field(default_factory=set)  # ... and whose streamed activity rows are


def chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    """Consecutive slices of ``rows`` of at most ``size`` items."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class _Column(NamedTuple):
    """One value of the rows handed to the driver: a row key, or a value every row shares."""

    name: str
    processor: Callable[[Any], Any] | None  # the column's bind processor
    varies: bool  # taken from each row; else ``shared`` for every row
    shared: Any = None


def driver_values(rows: Sequence[dict[str, Any]], columns: Sequence[_Column]) -> Iterator[tuple]:
    """The driver's tuple for each row, its values through their columns' bind processors, a column at a time."""
    values = []
    for column in columns:
        if not column.varies:
            shared = column.shared if column.processor is None else column.processor(column.shared)
            values.append(itertools.repeat(shared))
            continue
        taken = map(operator.itemgetter(column.name), rows)
        values.append(taken if column.processor is None else map(column.processor, taken))
    return zip(*values, strict=False)  # shared values repeat endlessly


def execute_many(db: sa.Connection, statement: sa.Executable, rows: Sequence[dict[str, Any]]) -> None:
    """Execute ``statement`` once per row (dicts of one shape), in batches of :data:`CHUNK`.

    On SQLite the statement is compiled once and the rows go to the driver as plain tuples, their values
    through their columns' own bind processors (so they are stored exactly as SQLAlchemy would store them),
    one column at a time: SQLAlchemy's per-row parameter handling otherwise costs more than the inserts
    themselves. PostgreSQL keeps SQLAlchemy's path, which batches rows into multi-row statements.
    """
    if not rows:
        return
    if db.dialect.name != "sqlite":
        for batch in chunks(rows):
            db.execute(statement, list(batch))
        return
    sql, columns = driver_columns(db.dialect, statement, rows[0])
    for batch in chunks(rows):
        db.exec_driver_sql(sql, list(driver_values(batch, columns)))


def driver_columns(dialect: sa.Dialect, statement: sa.Executable, row: dict[str, Any]) -> tuple[str, list[_Column]]:
    """``statement`` compiled for rows shaped like ``row``, and its parameters in order, with their processors."""
    compiled = statement.compile(dialect=dialect, column_keys=list(row))
    template = compiled.construct_params(row)  # also holds values written into the statement (.values())
    columns = []
    for name in compiled.positiontup:
        bind_type = compiled.binds[name].type
        if isinstance(bind_type, UTCDateTime):
            processor = _utc_processor(bind_type, dialect)
        else:
            processor = bind_type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(_Column(name, processor, name in row, template.get(name)))
    return compiled.string, columns


def insert_many(db: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], shared: dict[str, Any]) -> None:
    """Insert ``rows`` (dicts of one shape) into ``table``, each with the ``shared`` values added.

    PostgreSQL (psycopg) takes them with ``COPY``, several times faster than INSERT statements for a big
    first sync; other databases through :func:`execute_many`. Values go through their columns' bind processors
    either way, so they are stored as SQLAlchemy would store them.
    """
    if not rows:
        return
    if db.dialect.name != "postgresql" or db.dialect.driver != "psycopg":
        execute_many(db, sa.insert(table).values(**shared), rows)
        return
    names = [*rows[0], *shared]
    preparer = db.dialect.identifier_preparer
    copy_sql = f"COPY {preparer.format_table(table)} ({', '.join(map(preparer.quote, names))}) FROM STDIN"
    columns = [
        _Column(
            name,
            table.c[name].type.dialect_impl(db.dialect).bind_processor(db.dialect),
            name not in shared,
            shared.get(name),
        )
        for name in names
    ]
    with db.connection.driver_connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for values in driver_values(rows, columns):
            copy.write_row(values)


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """What UTCDateTime and SQLite's default DATETIME storage format make of ``value``, in one call."""
    if value is None:
        return None
    if value.tzinfo is not UTC and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # without the "+00:00" of an aware value


def _stores_default_text(bind_type: UTCDateTime, dialect: sa.Dialect) -> bool:
    """Whether UTCDateTime values are SQLite's default DATETIME text here (``2026-01-31 12:00:00.000000``)."""
    impl = bind_type.dialect_impl(dialect).impl
    return type(impl) is sqlite.DATETIME and impl._storage_format == sqlite.DATETIME()._storage_format


def _utc_processor(bind_type: UTCDateTime, dialect: sa.Dialect):
    """The bind processor of a UTCDateTime column on SQLite: :func:`_sqlite_utc_text` for the default format."""
    if _stores_default_text(bind_type, dialect):
        return _sqlite_utc_text
    return bind_type.dialect_impl(dialect).bind_processor(dialect)


def _utc_selected(column: sa.Column, dialect: sa.Dialect) -> tuple[sa.ColumnElement, Callable[[Any], Any]]:
    """How to select a UTCDateTime ``column`` for a big read, and what turns each value read into its datetime.

    SQLAlchemy's own parsing of SQLite's text costs more than the rest of reading a row; on SQLite the column is
    read as text and parsed by :func:`datetime.fromisoformat`, which reads that text as it is written.
    """
    if not _stores_default_text(column.type, dialect):
        return column, _as_read
    standard = column.type.dialect_impl(dialect).result_processor(dialect, None)

    def parse(text: Any) -> datetime | None:
        if type(text) is str and len(text) == 26:  # 2026-01-31 12:00:00.000000, in UTC
            with contextlib.suppress(ValueError):
                return datetime.fromisoformat(text + "+00:00")
        return standard(text)  # NULL, or text some other program wrote: SQLAlchemy's parsing, as elsewhere

    return sa.type_coerce(column, sa.String), parse


def _as_read(value: Any) -> Any:
    return value


def ensure_connection(engine: Engine, name: str, provider: str, now: datetime) -> int:
    """The id of connection ``name``, creating it on first use.

    Write first (insert unless it exists), then read: two first syncs starting together never both insert,
    and SQLite never has to turn a read transaction into a write one, which it refuses at once under WAL.
    """
    insert = _upsert(engine.dialect.name)(connection_t).values(name=name, provider=provider, created_at=now)
    with write_lock(engine), engine.begin() as db:
        db.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
        row = db.execute(sa.select(connection_t.c.id, connection_t.c.provider).where(connection_t.c.name == name)).one()
    if row.provider != provider:
        raise ConfigError(
            f"connection {name!r} was synced before with provider {row.provider!r}, now it says {provider!r}: "
            "give the new account a connection name of its own"
        )
    return row.id


def start_run(engine: Engine, connection_id: int, now: datetime) -> int:
    """Record a sync run as running; runs left 'running' by a killed process are marked failed first.

    Call it while holding the connection's sync lock, so no live process owns those runs.
    """
    with write_lock(engine), engine.begin() as db:
        db.execute(
            sa.update(run_t)
            .where(run_t.c.connection_id == connection_id, run_t.c.outcome == RUNNING)
            .values(outcome=FAILED, error=f"interrupted: {KILLED}", finished_at=now)
        )
        return db.execute(
            sa.insert(run_t)
            .values(connection_id=connection_id, started_at=now, outcome=RUNNING, notes=[])
            .returning(run_t.c.id)
        ).scalar_one()


def record_failed_run(engine: Engine, connection_name: str, provider: str, error: str, now: datetime) -> int:
    """Record a run of ``connection_name`` that failed before it could start (a configuration problem).

    ``seatkeeper runs`` and the report's freshness then show the failure instead of nothing. The connection is
    created when it is new (with ``provider`` as configured, known or not); an existing one keeps its provider.
    """
    insert = _upsert(engine.dialect.name)(connection_t).values(name=connection_name, provider=provider, created_at=now)
    with write_lock(engine), engine.begin() as db:
        db.execute(insert.on_conflict_do_nothing(index_elements=["name"]))
        connection_id = db.execute(
            sa.select(connection_t.c.id).where(connection_t.c.name == connection_name)
        ).scalar_one()
        return db.execute(
            sa.insert(run_t)
            .values(connection_id=connection_id, started_at=now, finished_at=now, outcome=FAILED, error=error, notes=[])
            .returning(run_t.c.id)
        ).scalar_one()


def fail_run(engine: Engine, run_id: int, error: str, finished_at: datetime, notes: list[str] | None = None) -> None:
    """Mark a run failed with its reason; no seat data is touched."""
    with write_lock(engine), engine.begin() as db:
        db.execute(
            sa.update(run_t)
            .where(run_t.c.id == run_id)
            .values(outcome=FAILED, error=error, finished_at=finished_at, notes=notes or [])
        )


def open_seats(engine: Engine, connection_id: int) -> dict[str, OpenSeat]:
    """The connection's current seat rows by seat key."""
    activity, read_time = _utc_selected(seat_t.c.last_activity_at, engine.dialect)
    query = sa.select(
        seat_t.c.seat_key, seat_t.c.id, seat_t.c.state_hash, seat_t.c.email, seat_t.c.user_id, activity
    ).where(seat_t.c.connection_id == connection_id, seat_t.c.seen_until.is_(None))
    with engine.connect() as db:
        return {
            key: OpenSeat(seat_id, digest, email, user_id, read_time(moment))
            for key, seat_id, digest, email, user_id, moment in db.execute(query)
        }


def month_activity(engine: Engine, connection_id: int, month: str) -> dict[str, datetime | None]:
    """Activity values already recorded for ``month`` (seat key -> last activity)."""
    activity, read_time = _utc_selected(activity_t.c.last_activity_at, engine.dialect)
    query = sa.select(activity_t.c.seat_key, activity).where(
        activity_t.c.connection_id == connection_id, activity_t.c.month == month
    )
    with engine.connect() as db:
        return {key: read_time(moment) for key, moment in db.execute(query)}


def _upsert(dialect_name: str):
    return postgresql.insert if dialect_name == "postgresql" else sqlite.insert


def apply_run(
    engine: Engine,
    run_id: int,
    connection_id: int,
    now: datetime,
    month: str,
    changes: Changes,
    counts: dict[str, int],
    notes: list[str],
    finished_at: datetime,
    streamed: StreamedRun | None = None,
) -> None:
    """Apply a completed run in one transaction: close, insert, update activity, mark the run succeeded.

    ``now`` is the run's point in history (rows close and open at it); ``finished_at`` is when it ended.
    ``streamed``: the run's transaction when new seats were already written during the fetch
    (:mod:`seatkeeper.stream`); the rest is applied in it, and it is committed.
    """
    with _run_transaction(engine, streamed) as db:
        # Seats met twice in the fetch (only when streamed): their streamed rows go; their last record's rows are
        # written below.
        if changes.unstreamed:
            drop = sa.delete(seat_t).where(
                seat_t.c.connection_id == connection_id,  # with the key: ix_seat_connection_key finds the rows
                seat_t.c.seat_key == sa.bindparam("key"),
                seat_t.c.opened_by_run == run_id,
            )
            execute_many(db, drop, [{"key": key} for key in sorted(changes.unstreamed)])
        if changes.unstreamed_activity:
            drop = sa.delete(activity_t).where(
                activity_t.c.connection_id == connection_id,
                activity_t.c.month == month,
                activity_t.c.seat_key == sa.bindparam("key"),
            )
            execute_many(db, drop, [{"key": key} for key in sorted(changes.unstreamed_activity)])
        if changes.closes:
            close = (
                sa.update(seat_t)
                .where(seat_t.c.id == sa.bindparam("seat_id"))
                .values(seen_until=now, closed_by_run=run_id)
            )
            execute_many(db, close, [{"seat_id": seat_id} for seat_id in changes.closes])
        insert_many(db, seat_t, changes.inserts, seat_shared(connection_id, now, run_id))
        if changes.activity_updates:
            touch = (
                sa.update(seat_t)
                .where(seat_t.c.id == sa.bindparam("seat_id"))
                .values(last_activity_at=sa.bindparam("value"))
            )
            updates = [{"seat_id": seat_id, "value": value} for seat_id, value in changes.activity_updates]
            execute_many(db, touch, updates)
        this_month = activity_shared(connection_id, month)
        rows = [{"seat_key": key, "last_activity_at": value} for key, value in changes.first_month_activity.items()]
        insert_many(db, activity_t, rows, this_month)
        if changes.month_activity:
            insert = _upsert(db.dialect.name)(activity_t).values(**this_month)
            upsert = insert.on_conflict_do_update(
                index_elements=["connection_id", "seat_key", "month"],
                set_={"last_activity_at": insert.excluded.last_activity_at},
            )
            rows = [{"seat_key": key, "last_activity_at": value} for key, value in changes.month_activity.items()]
            execute_many(db, upsert, rows)
        if changes.plans:
            db.execute(
                sa.insert(plan_t),
                [
                    {**plan, "connection_id": connection_id, "run_id": run_id, "observed_at": now}
                    for plan in changes.plans
                ],
            )
        db.execute(
            sa.update(run_t)
            .where(run_t.c.id == run_id)
            .values(outcome=SUCCEEDED, finished_at=finished_at, notes=notes, **counts)
        )


class StreamedRun(Protocol):
    """A run's open transaction, already holding the new seats written during the fetch."""

    def finish(self) -> sa.Connection:
        """Wait for the last rows to be written; the transaction's connection, for the rest of the run."""

    def commit(self) -> None:
        """Commit the run's transaction."""


@contextlib.contextmanager
def _run_transaction(engine: Engine, streamed: StreamedRun | None) -> Iterator[sa.Connection]:
    """The connection of the run's transaction, committed when the block succeeds: the streamed one, if any."""
    if streamed is None:
        with write_lock(engine), engine.begin() as db:
            yield db
        return
    yield streamed.finish()
    streamed.commit()  # on failure, the sync aborts the stream, which rolls it back


def activity_shared(connection_id: int, month: str) -> dict[str, Any]:
    """The ``seat_activity`` values every row a run inserts shares."""
    return {"connection_id": connection_id, "month": month}


def seat_shared(connection_id: int, now: datetime, run_id: int) -> dict[str, Any]:
    """The ``seat`` values every row a run inserts shares."""
    return {"connection_id": connection_id, "seen_from": now, "opened_by_run": run_id}
