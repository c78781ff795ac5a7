"""Schema upgrades go through Alembic: a database made by the first schema, with data, upgrades cleanly."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from seatkeeper import db, queries
from seatkeeper.sync import sync_connection
from tests.throwaway_plugin import user

from .conftest import SETTINGS


def old_connection_and_run(conn, t: dict) -> tuple[int, int]:
    """A connection and one succeeded run, written with plain SQL as an older schema's code wrote them."""
    connection_id = conn.execute(
        sa.text("insert into connection (name, provider, created_at) values ('acme', 'listprovider', :t) returning id"),
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
    return connection_id, run_id


def test_first_schema_database_with_data_upgrades_to_head(database_url, connection, provider):
    engine = db.create_engine(database_url)
    db.upgrade(engine, "0001")
    assert db.current_revision(engine) == "0001"
    assert "plan_usage" not in sa.inspect(engine).get_table_names()
    # Data written as the first schema's code wrote it: plain SQL against the 0001 tables.
    with engine.begin() as conn:
        t = {"t": datetime(2026, 1, 1)}
        connection_id, run_id = old_connection_and_run(conn, t)
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


def test_stored_extras_become_canonical_and_the_next_sync_finds_the_seat_unchanged(database_url, connection, provider):
    # Before 0006 a seat's state was a stored digest; now its columns are compared, extras as canonical JSON text.
    engine = db.create_engine(database_url)
    db.upgrade(engine, "0005")
    extras = {"zoom_type": 2, "group_ids": ["b", "a"], "plan": "pro"}
    with engine.begin() as conn:
        t = {"t": datetime(2026, 1, 1)}
        connection_id, run_id = old_connection_and_run(conn, t)
        conn.execute(
            sa.text(
                "insert into seat (connection_id, seat_key, user_id, email, name, license_type, billable, status,"
                " department, extras, state_hash, last_activity_at, seen_from, opened_by_run) values (:c, 'u1', 'u1',"
                " 'user1@example.com', 'User 1', 'Licensed', true, 'active', 'Sales', :extras, 'a digest', :t, :t, :r)"
            ),
            {**t, "c": connection_id, "r": run_id, "extras": json.dumps(extras)},  # keys in the plugin's order
        )

    db.upgrade(engine)
    assert "state_hash" not in {column["name"] for column in sa.inspect(engine).get_columns("seat")}
    cast = "" if engine.dialect.name == "sqlite" else "::text"
    with engine.connect() as conn:
        stored = conn.exec_driver_sql(f"select extras{cast} from seat").scalar_one()
    assert stored == json.dumps(extras, sort_keys=True)

    provider.users = [user(1, extras=extras, last_activity_at=datetime(2026, 1, 1, tzinfo=UTC))]
    result = sync_connection(engine, connection, provider, SETTINGS, now=datetime(2026, 2, 1, tzinfo=UTC))
    assert result.ok, result.error
    assert (result.counts["unchanged"], result.counts["changed"], result.counts["added"]) == (1, 0, 0)
    assert queries.seat_row_count(engine) == 1
    engine.dispose()


def test_a_downgrade_below_0006_stores_the_digests_the_older_code_compares(database_url, connection, provider):
    from alembic import command

    engine = db.open_engine(database_url)
    provider.users = [
        {
            "user_id": "u1",
            "email": "Ana@Example.com",
            "name": "Ana Müller",
            "license_type": "Licensed",
            "billable": True,
            "created_at": datetime(2024, 5, 1, 8, 30, tzinfo=UTC),
            "extras": {"zoom_type": 2, "group_ids": ["b", "a"]},
        }
    ]
    assert sync_connection(engine, connection, provider, SETTINGS, now=datetime(2026, 2, 1, tzinfo=UTC)).ok
    with engine.begin() as conn:
        command.downgrade(db._alembic_config(conn), "0005")
    with engine.connect() as conn:
        digest = conn.exec_driver_sql("select state_hash from seat").scalar_one()
    assert digest == "45963a5533615858617ad4510071a0a4"  # what 0005's code computed for this record
    engine.dispose()


def test_0007_folds_stored_peoples_names_and_keeps_every_activity_month(database_url, connection, provider):
    from alembic import command

    from seatkeeper.people import MatchingRules
    from seatkeeper.reports.accounts import People

    engine = db.create_engine(database_url)
    db.upgrade(engine, "0006")
    with engine.begin() as conn:
        t = {"t": datetime(2026, 1, 1)}
        connection_id, run_id = old_connection_and_run(conn, t)
        for key, email, name in (("p1", "ana@acme.com", " Ana  MÜLLER"), ("p2", "bo@acme.com", None)):
            conn.execute(
                sa.text(
                    "insert into person (connection_id, person_key, email, aliases, name, status, state_hash,"
                    " seen_from, opened_by_run) values (:c, :key, :email, '[]', :name, 'active', '', :t, :r)"
                ),
                {**t, "c": connection_id, "r": run_id, "key": key, "email": email, "name": name},
            )
        activity = [
            (f"u{n}", month, datetime(2026, int(month[-2:]), n)) for n in (2, 1) for month in ("2026-02", "2026-01")
        ]
        for key, month, when in activity:
            conn.execute(
                sa.text("insert into seat_activity values (:c, :key, :month, :when)"),
                {"c": connection_id, "key": key, "month": month, "when": when},
            )

    def stored_activity():
        with engine.connect() as conn:
            rows = conn.execute(sa.text("select seat_key, month, last_activity_at from seat_activity")).all()
        return sorted((key, month, str(when)[:10]) for key, month, when in rows)

    before = stored_activity()
    db.upgrade(engine)
    with engine.connect() as conn:
        folded = dict(conn.execute(sa.text("select person_key, folded_name from person")).all())
    assert folded == {"p1": "ana muller", "p2": None}
    assert stored_activity() == before and len(before) == 4
    guesses = People(engine, datetime(2026, 1, 2, tzinfo=UTC), MatchingRules()).possible_matches([("Ana Müller", None)])
    assert guesses == [["ana@acme.com"]]
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn, pytest.raises(sa.exc.OperationalError, match="no such column: rowid"):
            conn.execute(sa.text("select rowid from seat_activity"))

    with engine.begin() as conn:
        command.downgrade(db._alembic_config(conn), "0006")
    assert "folded_name" not in {column["name"] for column in sa.inspect(engine).get_columns("person")}
    assert stored_activity() == before
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert len(conn.execute(sa.text("select rowid from seat_activity")).all()) == 4
    engine.dispose()
