"""Schema upgrades through Alembic, beyond tests/core/test_migrations.py: the migrations build exactly the
models' schema, a first-schema database with real history keeps answering the same after the upgrade, and
processes opening a new database at once take turns instead of failing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from seatkeeper import db, queries
from seatkeeper.models import Seat, metadata

from .kit import FEB, JAN, LOCALHOST_ONLY, fast_provider, run_rows, seeded_zoom, sync_zoom

MAR = datetime(2026, 3, 15, tzinfo=UTC)


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)


def test_migrations_build_exactly_the_models_schema(database_url):
    engine = db.open_engine(database_url)
    assert schema_differences(engine) == []
    engine.dispose()


def insert_first_schema_history(engine) -> None:
    """Two months of one connection as the 0001 code wrote them: a changed seat, activity, a killed run.

    Ids are left to the database (a fresh one numbers them 1, 2, 3), so its sequences stay right.
    """
    jan, feb = datetime(2026, 1, 15), datetime(2026, 2, 15)
    seat = (
        "insert into seat (connection_id, seat_key, user_id, email, name, license_type, billable, status, extras,"
        " state_hash, last_activity_at, seen_from, seen_until, opened_by_run, closed_by_run) values"
        " (1, :key, :key, :email, 'Ana', :licence, :billable, 'active', '{\"zoom_type\": 2}', :hash, :seen, :start,"
        " :until, :opened, :closed)"
    )
    statements = [
        ("insert into connection (name, provider, created_at) values ('zoom', 'zoom', :t)", {"t": jan}),
        *(
            (
                "insert into sync_run (connection_id, started_at, finished_at, outcome, seen, added, changed,"
                " removed, unchanged, rejected, duplicates, notes) values (1, :t, :t, 'succeeded', 1, 1, 0, 0,"
                " 0, 0, 0, '[]')",
                {"t": when},
            )
            for when in (jan, feb)
        ),
        (
            "insert into sync_run (connection_id, started_at, outcome, seen, added, changed, removed, unchanged,"
            " rejected, duplicates, notes) values (1, :t, 'running', 0, 0, 0, 0, 0, 0, 0, '[]')",
            {"t": feb + timedelta(days=1)},
        ),
        (
            seat,
            {"key": "u1", "email": "ana@example.com", "licence": "Basic", "billable": False, "hash": "h1"}
            | {"seen": jan, "start": jan, "until": feb, "opened": 1, "closed": 2},
        ),
        (
            seat,
            {"key": "u1", "email": "ana@example.com", "licence": "Licensed", "billable": True, "hash": "h2"}
            | {"seen": feb, "start": feb, "until": None, "opened": 2, "closed": None},
        ),
        *(
            (
                "insert into seat_activity (connection_id, seat_key, month, last_activity_at) values (1, 'u1', :m, :t)",
                {"m": month, "t": when},
            )
            for month, when in (("2026-01", jan), ("2026-02", feb))
        ),
    ]
    with engine.begin() as connection:
        for statement, values in statements:
            connection.execute(sa.text(statement), values)


FIRST_SCHEMA_FIELDS = ("provider", "connection", "user_id", "email", "name", "license_type", "billable", "status")


def first_schema_seats(engine, when) -> list[dict]:
    """The seats held at ``when``, read with the columns the first schema has (today's queries need newer ones)."""
    connection_t, seat_t = (
        sa.table("connection", sa.column("id"), sa.column("name"), sa.column("provider")),
        Seat.__table__,
    )
    query = (
        sa.select(
            connection_t.c.provider,
            connection_t.c.name.label("connection"),
            *(seat_t.c[f] for f in FIRST_SCHEMA_FIELDS[2:]),
        )
        .join(connection_t, seat_t.c.connection_id == connection_t.c.id)
        .where(queries.held_at(when))
        .order_by(connection_t.c.provider, connection_t.c.name, seat_t.c.email, seat_t.c.seat_key)
    )
    with engine.connect() as db:
        return [dict(row._mapping) for row in db.execute(query)]


def first_schema_fields(seats: list[dict]) -> list[dict]:
    return [{name: seat[name] for name in FIRST_SCHEMA_FIELDS} for seat in seats]


@LOCALHOST_ONLY
def test_first_schema_history_answers_the_same_after_the_upgrade(database_url):
    engine = db.create_engine(database_url)
    db.upgrade(engine, "0001")
    insert_first_schema_history(engine)
    as_of = {when: first_schema_seats(engine, when + timedelta(days=1)) for when in (JAN, FEB)}

    engine.dispose()
    engine = db.open_engine(database_url)  # what any command does: upgrade on open

    assert db.current_revision(engine) == db.head_revision()
    assert schema_differences(engine) == []
    for when, seats in as_of.items():
        assert first_schema_fields(queries.seats(engine, as_of=when + timedelta(days=1))) == seats
    assert [seat["license_type"] for seat in as_of[JAN]] == ["Basic"]
    assert [seat["license_type"] for seat in as_of[FEB]] == ["Licensed"]

    with seeded_zoom(3) as zoom:  # the next sync continues the history and closes the killed run
        result = sync_zoom(engine, zoom, fast_provider(), when=MAR)
    assert result.ok, result.error
    assert result.counts["removed"] == 1 and result.counts["added"] == 3
    assert [run["outcome"] for run in run_rows(engine)] == ["succeeded", "succeeded", "interrupted", "succeeded"]
    assert first_schema_fields(queries.seats(engine, as_of=FEB + timedelta(days=1))) == as_of[FEB]
    engine.dispose()


def test_processes_opening_a_new_database_at_once_take_turns(database_url):
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        try:
            start.wait(5)
            db.open_engine(database_url).dispose()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    engine = db.create_engine(database_url)
    assert db.current_revision(engine) == db.head_revision()
    engine.dispose()
