"""A report works in temporary tables, which never outlive it: on SQLite and PostgreSQL, and in memory."""

from __future__ import annotations

import io

import sqlalchemy as sa

from seatkeeper import db
from seatkeeper.db import scratch_connection
from seatkeeper.reports.build import build_report
from seatkeeper.reports.figures import temporary_table
from seatkeeper.reports.generate import ReportFormat, write_report
from seatkeeper.reports.period import parse_month
from tests.reports import history

MARCH = parse_month("2026-03")


def temporary_tables(db: sa.Connection) -> list[str]:
    """The temporary tables this connection sees."""
    if db.dialect.name == "sqlite":
        query = "select name from sqlite_temp_master where type = 'table'"
    else:
        query = "select relname from pg_class where relnamespace = pg_my_temp_schema() and relkind = 'r'"
    return list(db.exec_driver_sql(query).scalars())


def pooled_temporary_tables(engine: sa.Engine) -> list[str]:
    """The temporary tables of every connection the pool keeps (all checked out at once)."""
    with engine.connect() as first:
        others = [engine.connect() for _ in range(engine.pool.checkedin())]
        try:
            return [name for db in (first, *others) for name in temporary_tables(db)]
        finally:
            for db in others:
                db.close()


def test_reports_leave_no_temporary_table_on_the_pool(history_engine, settings):
    first = build_report(history_engine, MARCH, settings, now=history.GENERATED_AT)
    write_report(history_engine, ReportFormat.csv, io.StringIO(), MARCH, settings, now=history.GENERATED_AT)
    again = build_report(history_engine, MARCH, settings, now=history.GENERATED_AT)
    assert again == first
    assert pooled_temporary_tables(history_engine) == []


def test_a_scratch_connection_takes_its_temporary_tables_along(engine):
    with scratch_connection(engine) as db:
        with temporary_table(db, "kept_for_a_while", [sa.Column("n", sa.Integer)]) as table:
            db.execute(table.insert(), [{"n": 1}])
        assert temporary_tables(db) == ["kept_for_a_while"]  # not dropped: the connection takes it along
    assert pooled_temporary_tables(engine) == []


def test_an_in_memory_database_outlives_its_scratch_connections():
    """An in-memory SQLite database lives only in its connection (a dry run's): its tables are dropped instead."""
    engine = db.empty_database()
    for _ in range(2):
        with scratch_connection(engine) as connection:
            with temporary_table(connection, "kept_for_a_while", [sa.Column("n", sa.Integer)]):
                pass
            assert temporary_tables(connection) == ["kept_for_a_while"]
    with engine.connect() as connection:
        assert temporary_tables(connection) == []
        assert connection.exec_driver_sql("select count(*) from seat").scalar() == 0  # the schema is still there
    engine.dispose()
