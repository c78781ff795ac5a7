"""The databases built once per test session (tests/built.py): a copy holds what the build wrote, and takes
new syncs as the built database would. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from seatkeeper.config import ConnectionConfig
from seatkeeper.models import metadata
from seatkeeper.sync import sync_connection
from tests.reports import history, report_plugin


def every_row(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Each table's rows, in primary-key order."""
    with engine.connect() as db:
        return {
            table.name: [tuple(row) for row in db.execute(sa.select(table).order_by(*table.primary_key.columns))]
            for table in metadata.sorted_tables
        }


def emptied(engine: sa.Engine) -> sa.Engine:
    """``engine``'s database with every seatkeeper row deleted and its id sequences reset, as a fresh one."""
    with engine.begin() as db:
        if db.dialect.name == "postgresql":
            names = ", ".join(table.name for table in metadata.sorted_tables)
            db.exec_driver_sql(f"truncate {names} restart identity")
        else:
            for table in reversed(metadata.sorted_tables):
                db.execute(table.delete())
    return engine


def test_a_copy_holds_what_the_build_wrote_and_syncs_on(engine, plugins, built_databases):
    built_databases.fill(engine, "copy_check", history.build)
    built = every_row(engine)
    assert built["seat"] and built["seat_activity"] and built["sync_run"]

    built_databases.fill(emptied(engine), "copy_check", lambda _: pytest.fail("built a second time"))
    assert every_row(engine) == built

    # New rows take ids after the copied ones (PostgreSQL's sequences were moved past them).
    provider = report_plugin.providers["alpha"]
    provider.records = history.alpha_eu(datetime(2026, 4, 20, tzinfo=UTC))
    result = sync_connection(
        engine, ConnectionConfig("alpha-eu", "alpha"), provider, {}, now=datetime(2026, 4, 20, tzinfo=UTC)
    )
    assert result.ok, result.error
    runs = every_row(engine)["sync_run"]
    assert len(runs) == len(built["sync_run"]) + 1


def test_a_database_that_is_not_empty_is_refused(engine, plugins, built_databases):
    history.build(engine)
    with pytest.raises(ValueError, match="needs an empty database"):
        built_databases.fill(engine, "copy_check", history.build)
