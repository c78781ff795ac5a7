"""Two ``seatkeeper sync`` processes at once on one database: one refuses clearly, nothing is corrupted."""

from __future__ import annotations

import threading

from seatkeeper import db

from .cli_kit import child_environment, start_child, zoom_environment
from .kit import LOCALHOST_ONLY, USERS, current_seats, run_rows, seeded_zoom, wait_until
from .test_kill import assert_sound

pytestmark = LOCALHOST_ONLY

REFUSAL = "zoom: sync failed: another sync of connection 'zoom' is running against this database; wait for it"


def test_a_second_sync_refuses_while_the_first_holds_the_connection(database_url, tmp_path):
    release = threading.Event()
    with seeded_zoom() as zoom:
        zoom.faults.add(lambda request, server: release.wait(30) and None, times=1, path="/v2/users")
        environment = child_environment(zoom_environment(zoom, database_url), tmp_path)
        first = start_child(["-m", "seatkeeper", "sync"], environment)
        try:
            wait_until(lambda: zoom.requests_to("/v2/users") or first.poll() is not None, what="the first sync")
            second = start_child(["-m", "seatkeeper", "sync"], environment)
            second_out, second_err = second.communicate(timeout=30)
        finally:
            release.set()
        first_out, first_err = first.communicate(timeout=30)

    assert (first.returncode, second.returncode) == (0, 1), (first_err, second_err)
    assert second_err.strip().startswith(REFUSAL) and len(second_err.strip().splitlines()) == 1
    assert second_out == ""
    assert f"zoom: {USERS} seats — {USERS} added" in first_out
    engine = db.open_engine(database_url)
    assert [run["outcome"] for run in run_rows(engine)] == ["succeeded"]  # the refused sync recorded nothing
    assert len(current_seats(engine)) == USERS
    assert_sound(engine)
    engine.dispose()


def test_two_syncs_started_together_on_a_new_database(database_url, tmp_path):
    # Both open (and create) the schema at the same moment, then race for the connection's lock.
    with seeded_zoom() as zoom:
        zoom.faults.slow(0.2, times=None)
        environment = child_environment(zoom_environment(zoom, database_url), tmp_path)
        children = [start_child(["-m", "seatkeeper", "sync"], environment) for _ in range(2)]
        outcomes = [(child, *child.communicate(timeout=60)) for child in children]

    codes = sorted(child.returncode for child, _out, _err in outcomes)
    assert codes in ([0, 0], [0, 1]), outcomes
    for child, _out, err in outcomes:
        assert "Traceback" not in err
        if child.returncode == 1:
            assert err.strip().startswith(REFUSAL), err
    engine = db.open_engine(database_url)
    assert [run["outcome"] for run in run_rows(engine)] == ["succeeded"] * codes.count(0)
    assert len(current_seats(engine)) == USERS
    assert_sound(engine)
    engine.dispose()
