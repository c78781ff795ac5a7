"""Ctrl-C and SIGTERM stop ``seatkeeper sync`` cleanly, in a real child process syncing a local Zoom test server:
one line on stderr, exit 130 or 143, nothing of the sync applied, and the run never shown as succeeded."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from seatkeeper import db, queries
from tests.reliability.cli_kit import child_environment, start_child, zoom_environment
from tests.reliability.kit import (
    JAN,
    LOCALHOST_ONLY,
    USERS,
    current_seats,
    fast_provider,
    seat_rows,
    seeded_zoom,
    sync_zoom,
    wait_until,
)
from tests.zoom_server import generate_users

pytestmark = LOCALHOST_ONLY

APPLIED_NOTHING = "nothing of the running syncs was applied"


def stop_a_sync(tmp_path, signals: list[int], *, release_after_signal: bool):
    """Sync a changed account in a child, hold its second page, send ``signals``; return the child and the database
    as it was before and after.

    With ``release_after_signal`` the held page is served right after the signal, so the worker could go on and
    commit if the stop did not reach it; otherwise the page stays held (a worker stuck in a network call).
    """
    url = f"sqlite:///{tmp_path / 'seatkeeper.db'}"
    engine = db.open_engine(url)
    release = threading.Event()
    try:
        with seeded_zoom() as zoom:
            assert sync_zoom(engine, zoom, fast_provider(), when=JAN).ok
            before = seat_rows(engine), current_seats(engine)
            zoom.set_users(generate_users(USERS // 2, seed=2))  # a sync that went through would change everything
            zoom.faults.add(lambda request, server: release.wait(30) and None, times=None, skip=1, path="/v2/users")
            asked = len(zoom.requests_to("/v2/users"))
            child = start_child(["-m", "seatkeeper", "sync"], child_environment(zoom_environment(zoom, url), tmp_path))
            try:
                wait_until(
                    lambda: len(zoom.requests_to("/v2/users")) >= asked + 2 or child.poll() is not None,
                    what="the child's fetch to reach the held page",
                )
                assert child.poll() is None, child.communicate()
                for signum in signals:
                    child.send_signal(signum)
                if release_after_signal:
                    time.sleep(0.5)  # let the handler run before the page is served
                    release.set()
                out, err = child.communicate(timeout=20)  # a guard against a hang, not a timing check
            finally:
                release.set()
                if child.poll() is None:
                    child.kill()
                    child.wait()
        after = seat_rows(engine), current_seats(engine)
        shown = queries.recent_runs(engine)[0]
    finally:
        engine.dispose()
    return child.returncode, out, err, before, after, shown


@pytest.mark.parametrize(
    ("signals", "code", "line"),
    [
        ([signal.SIGINT], 130, f"Interrupted: {APPLIED_NOTHING}"),
        ([signal.SIGTERM], 143, f"Stopped by SIGTERM: {APPLIED_NOTHING}"),
        ([signal.SIGINT, signal.SIGINT], 130, f"Interrupted: {APPLIED_NOTHING}"),  # the second one: at once
    ],
    ids=["ctrl-c", "sigterm", "ctrl-c twice"],
)
def test_a_stopped_sync_whose_worker_is_stuck(tmp_path, signals, code, line):
    returncode, out, err, before, after, shown = stop_a_sync(tmp_path, signals, release_after_signal=False)
    assert returncode == code, err
    assert err.strip().splitlines() == [line]
    assert out == ""
    assert after == before
    assert shown["outcome"] == "interrupted"  # its process is gone, so is its lock


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_sync_whose_worker_could_go_on_applies_nothing(tmp_path, signum, code):
    returncode, out, err, before, after, shown = stop_a_sync(tmp_path, [signum], release_after_signal=True)
    assert returncode == code, err
    assert len(err.strip().splitlines()) == 1 and APPLIED_NOTHING in err and "Traceback" not in err
    assert after == before
    assert shown["outcome"] in ("failed", "interrupted")  # recorded by the worker as it stopped
    assert "interrupted" in shown["error"] or "SIGTERM" in shown["error"]
