"""A sync killed with SIGKILL part way (while fetching, with seats staged, and inside the apply) leaves the
database as it was; the next sync works and shows the killed run as interrupted."""

from __future__ import annotations

import signal
import threading

import sqlalchemy as sa

from seatkeeper import db, queries
from tests.sqlite_locks import write_lock_free
from tests.zoom_server import generate_users

from .cli_kit import child_environment, start_child, zoom_environment
from .kit import (
    FEB,
    JAN,
    LOCALHOST_ONLY,
    USERS,
    current_seats,
    fast_provider,
    run_rows,
    seat_rows,
    seeded_zoom,
    sync_zoom,
    wait_until,
)

pytestmark = LOCALHOST_ONLY


def assert_sound(engine) -> None:
    """The database passes its own consistency check."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.execute(sa.text("pragma integrity_check")).scalar() == "ok"
            assert connection.execute(sa.text("pragma foreign_key_check")).all() == []


def later_than_the_first(request) -> bool:
    """Whether a list request is any but the first page of the active list."""
    return request.query.get("status") != "active" or "next_page_token" in request.query


def wait_for_the_held_page(zoom, asked_before: int, child) -> None:
    """Wait until one list page is served and the next one held: the child is part way through its fetch."""
    wait_until(
        lambda: len(zoom.requests_to("/v2/users")) >= asked_before + 2 or child.poll() is not None,
        what="the fetch to start",
    )
    assert child.poll() is None, child.communicate()


def kill(child) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL


def check_after_kill(engine, zoom, rows_before, seats_before) -> None:
    assert_sound(engine)
    assert seat_rows(engine) == rows_before  # not one row of the killed run
    assert current_seats(engine) == seats_before
    assert [run["outcome"] for run in run_rows(engine)] == ["succeeded", "running"]
    # No process holds the connection any more: `seatkeeper syncs` shows the run for what it is.
    shown = queries.recent_runs(engine)[0]
    assert (shown["outcome"], shown["error"]) == ("interrupted", "the process stopped before the sync finished")

    # The next sync (it takes the lock); the account's users were all replaced.
    result = sync_zoom(engine, zoom, fast_provider(), when=FEB, allow_shrink=True)
    assert result.ok, result.error
    assert result.counts["removed"] == USERS and result.counts["added"] == USERS // 2
    killed = run_rows(engine)[1]
    assert (killed["outcome"], killed["error"]) == ("interrupted", "the process stopped before the sync finished")
    assert killed["finished_at"] is not None
    assert_sound(engine)


def kill_part_way_through_the_fetch(database_url, tmp_path, command: list[str], environment: dict, check) -> None:
    """Run ``command`` as a child that syncs new users; kill it once a page is served, the next held, and ``check``
    (called with the engine and the child) has looked; then check that the database is as it was."""
    engine = db.open_engine(database_url)
    release = threading.Event()
    with seeded_zoom() as zoom:
        assert sync_zoom(engine, zoom, fast_provider(), when=JAN).ok
        rows_before, seats_before = seat_rows(engine), current_seats(engine)
        zoom.set_users(generate_users(USERS // 2, seed=2))
        # The active list's first page is served (the fetch yields it first), every other page is held.
        zoom.faults.add(
            lambda request, server: release.wait(30) and None, times=None, when=later_than_the_first, path="/v2/users"
        )
        asked_before = len(zoom.requests_to("/v2/users"))

        environment = zoom_environment(zoom, database_url) | environment
        child = start_child(command, child_environment(environment, tmp_path))
        try:
            wait_for_the_held_page(zoom, asked_before, child)
            check(engine, child)
            kill(child)
        finally:
            release.set()
            if child.poll() is None:
                child.kill()
        check_after_kill(engine, zoom, rows_before, seats_before)
    engine.dispose()


def test_kill_while_fetching(database_url, tmp_path):
    def holds_the_connection(engine, _child):
        assert queries.recent_runs(engine)[0]["outcome"] == "running"

    kill_part_way_through_the_fetch(database_url, tmp_path, ["-m", "seatkeeper", "sync"], {}, holds_the_connection)


def test_kill_with_seats_staged_while_the_database_stays_writable(tmp_path):
    """Seats staged a page at a time hold no lock on the database: other programs write while the sync fetches."""
    path = tmp_path / "seatkeeper.db"

    def others_can_write(engine, child):
        # The first page is staged (two seats per page here) and the next one held: the database is free.
        assert queries.recent_runs(engine)[0]["outcome"] == "running"
        assert write_lock_free(path)

    command, pages = ["-m", "tests.reliability.child_sync"], {"SEATKEEPER_TEST_STAGE_PAGE": "2"}
    kill_part_way_through_the_fetch(f"sqlite:///{path}", tmp_path, command, pages, others_can_write)


def test_kill_inside_the_apply_transaction(database_url, tmp_path):
    engine = db.open_engine(database_url)
    marker = tmp_path / "paused"
    with seeded_zoom() as zoom:
        assert sync_zoom(engine, zoom, fast_provider(), when=JAN).ok
        rows_before, seats_before = seat_rows(engine), current_seats(engine)
        zoom.set_users(generate_users(USERS // 2, seed=2))

        environment = zoom_environment(zoom, database_url) | {"SEATKEEPER_TEST_PAUSE_MARKER": str(marker)}
        child = start_child(["-m", "tests.reliability.child_sync"], child_environment(environment, tmp_path))
        try:
            wait_until(lambda: marker.exists() or child.poll() is not None, what="the apply to start")
            assert child.poll() is None, child.communicate()
            kill(child)
        finally:
            if child.poll() is None:
                child.kill()
        check_after_kill(engine, zoom, rows_before, seats_before)
    engine.dispose()
