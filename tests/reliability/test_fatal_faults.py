"""Faults that must stop a sync, through the real ``seatkeeper sync``: the run is recorded as failed, the
message names the cause, the exit code is non-zero, and the previous data is untouched."""

from __future__ import annotations

import pytest

from tests.zoom_server import generate_users

from .cli_kit import zoom_environment
from .kit import LOCALHOST_ONLY, USERS, VirtualClock, fast_provider, seat_rows, seeded_zoom

pytestmark = LOCALHOST_ONLY


#: Seconds a request may take in these tests: ample for a local server, short of a trickled page (minutes).
REQUEST_TIMEOUT = 3.0


def later_pages(request) -> bool:
    return "next_page_token" in request.query


def always_refuse_the_token(zoom):
    from seatkeeper_zoom.fake_server import Reply

    zoom.faults.add(
        lambda r, s: Reply(401, {"code": 124, "message": "Invalid access token."}), times=None, path="/v2/users"
    )


FATAL = {
    "bad credentials": (lambda z: z.faults.bad_credentials(), "Zoom rejected the client id/secret"),
    "missing scope": (lambda z: z.faults.missing_scope(), "lacks the scope user:read:list_users:admin"),
    "daily limit": (
        lambda z: z.faults.rate_limit(daily=True, retry_after=None, when=later_pages),
        "Zoom's daily API limit is used up for this account; the sync stopped, try again after 00:00 UTC",
    ),
    "daily limit with reset time": (
        lambda z: z.faults.rate_limit(daily=True, retry_after="2031-05-01T00:00:00Z"),
        "daily API limit is used up for this account; the sync stopped, try again after 2031-05-01 00:00:00 UTC",
    ),
    "429 retries exhausted": (
        lambda z: z.faults.retry_after("seconds", 1, times=None, when=later_pages),
        "kept answering 'too many requests'",
    ),
    "5xx retries exhausted": (lambda z: z.faults.server_error(503, times=None), "kept failing with HTTP 503"),
    "Retry-After of an hour": (
        lambda z: z.faults.retry_after("seconds", 3600),
        "longer than max_retry_wait (300 s): the sync stopped; try again then, or raise max_retry_wait",
    ),
    "endless page tokens": (lambda z: z.faults.endless_pages("active"), "more than its first page announced"),
    "an HTML page": (lambda z: z.faults.html_page(200, when=later_pages), "with an HTML page, not JSON"),
    "a trickled answer": (
        lambda z: z.faults.trickle(0.05, times=1, when=later_pages),
        f"took more than {REQUEST_TIMEOUT:g} s to answer (it was still sending)",
    ),
    "malformed page": (lambda z: z.faults.malformed_json(when=later_pages), "with malformed JSON"),
    "token refused after renewal": (always_refuse_the_token, "Zoom refused the access token"),
}


def check_fatal_fault(seatkeeper_cli, monkeypatch, zoom, database_url, arm, message) -> None:
    for name, value in zoom_environment(zoom, database_url).items():
        monkeypatch.setenv(name, value)

    def provider():  # a new one per command, as each cron run is a new process (no token carried over)
        return fast_provider(VirtualClock(), max_retries=2, request_timeout=REQUEST_TIMEOUT)

    assert seatkeeper_cli(provider(), "sync").code == 0
    seats_before = seatkeeper_cli(provider(), "licenses", "--format", "json").json()
    from seatkeeper import db

    engine = db.open_engine(database_url)
    rows_before = seat_rows(engine)
    assert len(seats_before) == USERS

    # The account changed a lot since: a partial apply would show.
    zoom.set_users(generate_users(USERS // 2, seed=2))
    arm(zoom)
    failed = seatkeeper_cli(provider(), "sync")

    assert failed.code == 1
    assert failed.err.startswith("zoom: sync failed: ") and message in failed.err
    assert len(failed.err.strip().splitlines()) == 1 and "Traceback" not in failed.err
    assert failed.out == ""
    runs = seatkeeper_cli(provider(), "syncs", "--format", "json").json()
    assert [run["outcome"] for run in runs] == ["failed", "succeeded"]
    assert message in runs[0]["error"]
    assert seatkeeper_cli(provider(), "licenses", "--format", "json").json() == seats_before
    assert seat_rows(engine) == rows_before
    engine.dispose()


@pytest.mark.parametrize(("arm", "message"), FATAL.values(), ids=FATAL.keys())
def test_a_fatal_fault_fails_the_run_and_keeps_the_data(seatkeeper_cli, monkeypatch, tmp_path, arm, message):
    with seeded_zoom() as zoom:
        check_fatal_fault(seatkeeper_cli, monkeypatch, zoom, f"sqlite:///{tmp_path / 'sk.db'}", arm, message)


@pytest.mark.postgres
def test_a_fatal_fault_keeps_the_data_on_postgresql(seatkeeper_cli, monkeypatch, postgres_url):
    arm, message = FATAL["malformed page"]
    with seeded_zoom() as zoom:
        check_fatal_fault(seatkeeper_cli, monkeypatch, zoom, postgres_url, arm, message)


def test_an_unreachable_zoom_fails_the_run_and_names_the_host(seatkeeper_cli, monkeypatch, tmp_path):
    with seeded_zoom() as zoom:
        environment = zoom_environment(zoom, f"sqlite:///{tmp_path / 'sk.db'}")
    for name, value in environment.items():  # the server is stopped now: its port refuses connections
        monkeypatch.setenv(name, value)
    failed = seatkeeper_cli(fast_provider(), "sync")
    assert failed.code == 1
    assert "could not reach 127.0.0.1:" in failed.err and "connection refused" in failed.err
    assert seatkeeper_cli(fast_provider(), "syncs", "--format", "json").json()[0]["outcome"] == "failed"


def test_the_installed_command_fails_cleanly_on_bad_credentials(tmp_path):
    """The same through a real child process and the installed Zoom plugin as cron would run it."""
    from .cli_kit import child_environment, start_child

    with seeded_zoom() as zoom:
        zoom.faults.bad_credentials()
        environment = child_environment(zoom_environment(zoom, f"sqlite:///{tmp_path / 'sk.db'}"), tmp_path)
        child = start_child(["-m", "seatkeeper", "sync"], environment)
        out, err = child.communicate(timeout=60)

    assert child.returncode == 1
    assert err.strip() == (
        "zoom: sync failed: Zoom rejected the client id/secret: check them and that the app is activated"
    )
    assert out == ""
