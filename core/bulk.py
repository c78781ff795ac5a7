"""Writing many rows at once through the database driver, stored exactly as SQLAlchemy would store them.

SQLAlchemy's per-row parameter handling costs more than the inserts themselves when a sync writes a whole
account; here a statement is compiled once and the rows go to the driver as plain tuples, each value through
its column's own bind processor. PostgreSQL (psycopg) takes inserts with ``COPY``.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from .models import UTCDateTime

CHUNK = 5000  # rows per executemany batch: big enough to amortise round trips, small enough for PostgreSQL


class Column(NamedTuple):
    """One value of the rows handed to the driver: a row key, or a value every row shares."""

    name: str
    processor: Callable[[Any], Any] | None  # the column's bind processor
    varies: bool  # taken from each row; else ``shared`` for every row
    shared: Any = None


def chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    """Consecutive slices of ``rows`` of at most ``size`` items."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def driver_values(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> Iterator[tuple]:
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


def driver_columns(dialect: sa.Dialect, statement: sa.Executable, row: dict[str, Any]) -> tuple[str, list[Column]]:
    """``statement`` compiled for rows shaped like ``row``, and its parameters in order, with their processors."""
    compiled = statement.compile(dialect=dialect, column_keys=list(row))
    template = compiled.construct_params(row)  # also holds values written into the statement (.values())
    columns = []
    for name in compiled.positiontup:
        bind_type = compiled.binds[name].type
        if isinstance(bind_type, UTCDateTime):
            processor = utc_processor(bind_type, dialect)
        else:
            processor = bind_type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(Column(name, processor, name in row, template.get(name)))
    return compiled.string, columns


def execute_many(db: sa.Connection, statement: sa.Executable, rows: Sequence[dict[str, Any]]) -> None:
    """Execute ``statement`` once per row (dicts of one shape), in batches of :data:`CHUNK`.

    On SQLite through the driver (see the module's docstring); PostgreSQL keeps SQLAlchemy's path, which
    batches rows into multi-row statements.
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


def insert_many(
    db: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]], shared: dict[str, Any] | None = None
) -> None:
    """Insert ``rows`` (dicts of one shape) into ``table``, each with the ``shared`` values added.

    PostgreSQL (psycopg) takes them with ``COPY``; other databases through :func:`execute_many`. Values go
    through their columns' bind processors either way, so they are stored as SQLAlchemy would store them.
    """
    shared = shared or {}
    if not rows:
        return
    if db.dialect.name != "postgresql" or db.dialect.driver != "psycopg":
        execute_many(db, sa.insert(table).values(**shared), rows)
        return
    names = [*rows[0], *shared]
    preparer = db.dialect.identifier_preparer
    copy_sql = f"COPY {preparer.format_table(table)} ({', '.join(map(preparer.quote, names))}) FROM STDIN"
    columns = [
        Column(
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


def sqlite_utc_text(value: datetime | None) -> str | None:
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


def utc_processor(bind_type: UTCDateTime, dialect: sa.Dialect):
    """The bind processor of a UTCDateTime column: :func:`sqlite_utc_text` for SQLite's default format."""
    if _stores_default_text(bind_type, dialect):
        return sqlite_utc_text
    return bind_type.dialect_impl(dialect).bind_processor(dialect)
