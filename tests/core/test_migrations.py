"""Schema upgrades go through Alembic: a database made by the first schema, with data, upgrades cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from seatkeeper import db, queries
from seatkeeper.sync import sync_connection
from tests.throwaway_plugin import user

from .conftest import SETTINGS


def test_first_schema_database_with_data_upgrades_to_head(database_url, connection, provider):
    engine = db.create_engine(database_url)
    db.upgrade(engine, "0001")
    assert db.current_revision(engine) == "0001"
    assert "plan_usage" not in sa.inspect(engine).get_table_names()
    # Data written as the first schema's code wrote it: plain SQL against the 0001 tables.
    with engine.begin() as conn:
        t = {"t": datetime(2026, 1, 1)}
        connection_id = conn.execute(
            sa.text(
                "insert into connection (name, provider, created_at) values ('acme', 'listprovider', :t) returning id"
            ),
            t,
        ).scalar_one()
        run_id = conn.execute(
            sa.text(
                "insert into sync_run (connection_id, started_at, finished_at, outcome, seen, added, changed, removed,"
                " unchanged, rejected, duplicates, notes) values (:c, :t, :t, 'succeeded', 1, 1, 0, 0, 0, 0, 0, '[]')"
                " returning id"
            ),
            {**t, "c": connection_id},
        ).scalar_one()
        conn.execute(
            sa.text(
                "insert into seat (connection_id, seat_key, user_id, email, name, license_type, billable, status,"
                " extras, state_hash, seen_from, opened_by_run) values (:c, 'u1', 'u1', 'user1@example.com', 'User 1',"
                " 'Licensed', true, 'active', '{}', 'old-hash', :t, :r)"
            ),
            {**t, "c": connection_id, "r": run_id},
        )

    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    assert "plan_usage" in sa.inspect(engine).get_table_names()
    assert [s["email"] for s in queries.seats(engine)] == ["user1@example.com"]

    # The upgraded database keeps working: the next sync sees the old seat and continues its history.
    provider.users = [user(1), user(2)]
    result = sync_connection(engine, connection, provider, SETTINGS, now=datetime(2026, 2, 1, tzinfo=UTC))
    assert result.ok, result.error
    assert sorted(s["user_id"] for s in queries.seats(engine)) == ["u1", "u2"]
    engine.dispose()


def test_open_engine_is_idempotent(database_url):
    first = db.open_engine(database_url)
    first.dispose()
    second = db.open_engine(database_url)
    assert db.current_revision(second) == db.head_revision()
    second.dispose()
