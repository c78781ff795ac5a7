"""The sync engine's guarantees beyond history itself: duplicates, guards, locks, stops, ownership of the session.

Every test runs on a SQLite file and on PostgreSQL (see the ``database_url`` fixture) unless it is about files.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from seatkeeper import SeatRecord, cancel, db, queries
from seatkeeper.config import ConnectionConfig
from seatkeeper.models import run_t, seat_t
from seatkeeper.sync import SHRINK_MIN_SEATS, sync_connection
from tests.throwaway_plugin import ListProvider, user

from .conftest import SETTINGS

JAN = datetime(2026, 1, 15, tzinfo=UTC)
FEB = datetime(2026, 2, 15, tzinfo=UTC)


def run(engine, connection, provider, when, **kwargs):
    return sync_connection(engine, connection, provider, SETTINGS, now=when, **kwargs)


def seats_of(engine):
    return sorted((s["user_id"], s["license_type"], s["status"]) for s in queries.seats(engine))


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=str)
def test_duplicate_records_keep_one_by_the_rule_whatever_their_order(engine, connection, provider, order):
    variants = [
        user(1, license_type="Basic", billable=False),
        user(1, license_type="Licensed", billable=True, status="inactive"),
        user(1, license_type="Pro", billable=True, status="active"),
    ]
    provider.users = [variants[i] for i in order] + [user(2)]
    result = run(engine, connection, provider, JAN)
    assert result.ok, result.error
    assert seats_of(engine) == [("u1", "Pro", "active"), ("u2", "Licensed", "active")]  # paid, then liveliest
    assert result.counts["duplicates"] == 2 and result.counts["seen"] == 2
    note = next(note for note in result.notes if "duplicate" in note)
    assert note.startswith("2 duplicate record(s)") and note.endswith(": u1")
    with engine.connect() as connection_:
        stored = connection_.execute(sa.select(run_t.c.duplicates, run_t.c.notes)).one()
    assert stored.duplicates == 2 and note in stored.notes


def test_a_resync_with_duplicates_in_another_order_changes_nothing(engine, connection, provider):
    a, b = user(1, license_type="Basic", billable=False), user(1, license_type="Licensed")
    provider.users = [a, b, user(2)]
    run(engine, connection, provider, JAN)
    provider.users = [b, user(2), a]
    result = run(engine, connection, provider, FEB)
    assert result.counts["changed"] == 0 and result.counts["unchanged"] == 2


def test_a_run_removing_most_seats_is_refused_unless_allowed(engine, connection, provider):
    provider.users = [user(n) for n in range(40)]
    run(engine, connection, provider, JAN)
    provider.users = [user(0)]  # a truncated export
    refused = run(engine, connection, provider, FEB)
    assert not refused.ok
    assert "would remove 39 of the 40 stored seats (98%)" in refused.error and "--allow-shrink" in refused.error
    assert len(queries.seats(engine)) == 40
    allowed = run(engine, connection, provider, FEB, allow_shrink=True)
    assert allowed.ok and allowed.counts["removed"] == 39


def test_small_or_modest_removals_need_no_permission(engine, connection, provider):
    provider.users = [user(n) for n in range(2 * SHRINK_MIN_SEATS)]
    run(engine, connection, provider, JAN)
    provider.users = provider.users[:SHRINK_MIN_SEATS]  # half removed: not more than half
    assert run(engine, connection, provider, FEB).ok
    provider.users = [user(0)]  # most of the rest, but fewer than SHRINK_MIN_SEATS
    assert run(engine, connection, provider, FEB + timedelta(days=1)).ok


def test_activity_after_the_sync_is_recorded_as_the_syncs_time(engine, connection, provider):
    provider.users = [user(1, last_activity_at=JAN + timedelta(days=40))]
    result = run(engine, connection, provider, JAN)
    assert queries.seats(engine)[0]["last_activity_at"] == JAN
    assert any("after the sync's time" in note for note in result.notes)


class Owned(ListProvider):
    """Records what the engine closes."""

    def __init__(self):
        super().__init__()
        self.closed: list[str] = []

    def authenticate(self, settings):
        owner = self

        class Session:
            def close(self):
                owner.closed.append("session")

        return Session()

    def fetch(self, session, context):
        try:
            yield from super().fetch(session, context)
        finally:
            self.closed.append("generator")


@pytest.mark.parametrize("fail_after", [None, 1])
def test_the_engine_closes_the_fetch_and_the_session_on_every_path(engine, connection, fail_after):
    provider = Owned()
    provider.users, provider.fail_after = [user(1), user(2)], fail_after
    result = run(engine, connection, provider, JAN)
    assert result.ok is (fail_after is None)
    assert provider.closed == ["generator", "session"]


def test_a_stop_request_interrupts_the_fetch_and_applies_nothing(engine, connection, provider):
    provider.users = [user(1)]
    run(engine, connection, provider, JAN)

    class Stopping(ListProvider):
        def fetch(self, session, context):
            yield SeatRecord(**user(2))
            cancel.request_stop("stopped by SIGTERM")
            yield SeatRecord(**user(3))

    try:
        result = run(engine, connection, Stopping(), FEB)
    finally:
        cancel.reset()
    assert not result.ok and result.outcome == "interrupted" and result.error == "stopped by SIGTERM"
    assert seats_of(engine) == [("u1", "Licensed", "active")]
    assert queries.recent_runs(engine)[0]["outcome"] == "interrupted"


def test_a_stop_request_ends_a_providers_wait_at_once(engine, connection):
    class Waiting(ListProvider):
        def fetch(self, session, context):
            threading.Timer(0.1, cancel.request_stop).start()
            context.sleep(300)  # a Retry-After of five minutes
            yield SeatRecord(**user(1))

    try:
        result = run(engine, connection, Waiting(), JAN)
    finally:
        cancel.reset()
    assert result.outcome == "interrupted" and queries.seats(engine) == []


def test_other_connections_sync_and_read_while_one_fetches(engine, provider):
    started, release = threading.Event(), threading.Event()

    class Slow(ListProvider):
        def fetch(self, session, context):
            yield SeatRecord(**user(1))
            started.set()
            assert release.wait(20)
            yield SeatRecord(**user(2))

    slow = Slow()
    results = {}
    thread = threading.Thread(target=lambda: results.update(slow=run(engine, ConnectionConfig("a", "x"), slow, JAN)))
    thread.start()
    try:
        assert started.wait(20)
        provider.users = [user(n) for n in range(3, 3000)]  # more than a staging page
        other = run(engine, ConnectionConfig("b", "listprovider"), provider, JAN)
        assert other.ok, other.error
        assert len(queries.seats(engine, connection="b")) == 2997
    finally:
        release.set()
        thread.join(20)
    assert results["slow"].ok
    assert len(queries.seats(engine, connection="a")) == 2


def test_the_database_forbids_a_second_open_interval_for_a_seat(engine, connection, provider):
    provider.users = [user(1)]
    run(engine, connection, provider, JAN)
    with engine.connect() as connection_:
        row = dict(connection_.execute(sa.select(seat_t)).one()._mapping)
    row.pop("id")
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection_:
        connection_.execute(sa.insert(seat_t).values(**row))


def test_a_runs_new_intervals_are_stored_in_seat_key_order_and_activity_by_its_key(tmp_path, connection, provider):
    # A report reads the held seats in the order they are stored and looks each one's activity up by its key:
    # with the intervals stored in key order (SQLite's rowids are the storage order) and the activity in a table
    # that is its key's own index (no rowid), both reads go forward, whatever order the provider listed.
    numbers = list(range(1, 60))
    random.Random(5).shuffle(numbers)
    provider.users = [user(n) for n in numbers]
    engine = db.open_engine(f"sqlite:///{tmp_path / 'seatkeeper.db'}")
    try:
        assert run(engine, connection, provider, JAN).ok
        with engine.connect() as connection_:
            seats = connection_.exec_driver_sql("SELECT seat_key FROM seat ORDER BY rowid").scalars().all()
            activity = connection_.exec_driver_sql("SELECT count(*) FROM seat_activity").scalar_one()
            with pytest.raises(sa.exc.OperationalError, match="no such column: rowid"):
                connection_.exec_driver_sql("SELECT rowid FROM seat_activity")
    finally:
        engine.dispose()
    assert len(seats) == activity == len(numbers)
    assert seats == sorted(seats)


def test_a_sync_through_a_symlink_finds_the_lock_of_its_target(tmp_path, connection, provider):
    target = tmp_path / "real.db"
    link = tmp_path / "link.db"
    first = db.open_engine(f"sqlite:///{target}")
    link.symlink_to(target)
    second = db.open_engine(f"sqlite:///{link}")
    started, release = threading.Event(), threading.Event()

    class Slow(ListProvider):
        def fetch(self, session, context):
            started.set()
            assert release.wait(20)
            yield SeatRecord(**user(1))

    results = {}
    thread = threading.Thread(target=lambda: results.update(first=run(first, connection, Slow(), JAN)))
    thread.start()
    try:
        assert started.wait(20)
        provider.users = [user(1)]
        refused = run(second, connection, provider, JAN)
    finally:
        release.set()
        thread.join(20)
    assert not refused.ok and "another sync of connection 'acme' is running" in refused.error
    assert results["first"].ok and len(queries.seats(second)) == 1
    first.dispose()
    second.dispose()


def test_lock_files_stay_out_of_the_databases_folder(tmp_path, connection, provider, monkeypatch):
    locks = tmp_path / "locks"
    monkeypatch.setenv("SEATKEEPER_LOCK_DIR", str(locks))
    folder = tmp_path / "data"
    engine = db.open_engine(f"sqlite:///{folder / 'seatkeeper.db'}")
    provider.users = [user(1)]
    assert run(engine, connection, provider, JAN).ok
    engine.dispose()
    assert sorted(os.listdir(folder)) in (
        ["seatkeeper.db"],
        ["seatkeeper.db", "seatkeeper.db-shm", "seatkeeper.db-wal"],
    )
    assert len(list(locks.glob("*.lock"))) == 2  # the schema lock and the connection's


def test_a_full_disk_fails_the_run_in_one_line_and_keeps_what_was_stored(tmp_path, connection, provider):
    engine = db.open_engine(f"sqlite:///{tmp_path / 'seatkeeper.db'}")
    provider.users = [user(1)]
    assert run(engine, connection, provider, JAN).ok

    @sa.event.listens_for(engine, "connect")
    def full(dbapi_connection, _record):
        # The file may not grow: as a full disk would have it, for real, to SQLite.
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    engine.dispose()
    provider.users = [user(n, name="x" * 400) for n in range(1, 3000)]
    result = run(engine, connection, provider, FEB)
    assert not result.ok and "database or disk is full" in result.error and "\n" not in result.error
    assert result.error.startswith("cannot write to the database")
    sa.event.remove(engine, "connect", full)
    engine.dispose()
    assert seats_of(engine) == [("u1", "Licensed", "active")]


def test_sixteen_syncs_fetching_at_once_each_get_a_database_connection(engine):
    together = threading.Barrier(16, timeout=30)

    class Waiting(ListProvider):
        def fetch(self, session, context):
            yield SeatRecord(**user(1))
            together.wait()  # every sync is part way through its fetch, holding its staging connection
            yield SeatRecord(**user(2))

    results = []
    threads = [
        threading.Thread(target=lambda n=n: results.append(run(engine, ConnectionConfig(f"c{n}", "x"), Waiting(), JAN)))
        for n in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 16 and all(result.ok for result in results), [r.error for r in results if not r.ok]
