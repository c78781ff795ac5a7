"""Faults a sync must ride out: with any of them injected, the stored seats are exactly a clean sync's.

Waits run on a virtual clock shared by the provider (its ``sleep`` and ``clock``) and the server (its
``timer``), so the server's own request log shows that no retry came before its ``Retry-After``, without the
test waiting for real.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest

from seatkeeper_zoom.fake_server import FakeZoom

from .kit import LOCALHOST_ONLY, USERS, VirtualClock, current_seats, fast_provider, seeded_zoom, sync_zoom

pytestmark = LOCALHOST_ONLY

MAX_RETRIES = 3


def first_page_of(status: str):
    return lambda request: request.query.get("status") == status and "next_page_token" not in request.query


def later_pages(request) -> bool:
    return "next_page_token" in request.query


#: Each fault a sync survives, armed on a fresh server, with the provider options the case needs.
SURVIVABLE = {
    "429 Retry-After seconds": lambda z: z.faults.retry_after("seconds", 2, times=3),
    "429 Retry-After HTTP date": lambda z: z.faults.retry_after("http-date", 5, times=2, when=later_pages),
    "429 Retry-After ISO time": lambda z: z.faults.retry_after("iso", 4, times=2, skip=2),
    "429 without Retry-After": lambda z: z.faults.rate_limit(retry_after=None, times=2),
    "429 on the token request": lambda z: z.faults.retry_after("seconds", 3, path="/oauth/token"),
    "5xx burst": lambda z: z.faults.server_error(503, times=MAX_RETRIES),
    "500 502 504": lambda z: [
        z.faults.server_error(status, skip=index) for index, status in enumerate((500, 502, 504))
    ],
    "5xx on the token request": lambda z: z.faults.server_error(502, times=2, path="/oauth/token"),
    "dropped connections": lambda z: z.faults.drop_connection(times=MAX_RETRIES, skip=1),
    "answer cut off mid-body": lambda z: z.faults.truncate_body(times=2, when=later_pages),
    "slow answers": lambda z: z.faults.slow(0.05, times=6),
    "token expires mid-pagination": lambda z: z.faults.expire_tokens(after=3),
    "token expires on two pages of a list": lambda z: [
        z.faults.expire_tokens(after=0, when=lambda r: later_pages(r) and r.query.get("status") == "active"),
        z.faults.expire_tokens(after=3, when=lambda r: later_pages(r) and r.query.get("status") == "active"),
    ],
    "duplicate users across pages": lambda z: z.faults.duplicates_across_pages(),
}


@pytest.mark.parametrize("arm", SURVIVABLE.values(), ids=SURVIVABLE.keys())
def test_a_survivable_fault_stores_exactly_the_clean_seats(arm, sqlite_engine, clean_seats):
    clock = VirtualClock()
    with seeded_zoom(timer=clock.now) as zoom:
        arm(zoom)
        result = sync_zoom(sqlite_engine, zoom, fast_provider(clock, max_retries=MAX_RETRIES))

    assert result.ok, result.error
    assert current_seats(sqlite_engine) == clean_seats
    assert result.counts["seen"] == USERS and result.counts["rejected"] == 0
    assert_no_retry_before_retry_after(zoom)


def test_every_survivable_fault_at_once(engine, clean_seats):
    # Each rule aims at requests of its own, so however the three lists interleave no single request meets
    # more faults than the retries allow (that case is test_the_client_gives_up_after_a_bounded_number_of_tries).
    clock = VirtualClock()
    active_later = lambda r: later_pages(r) and r.query.get("status") == "active"  # noqa: E731
    with seeded_zoom(timer=clock.now) as zoom:
        zoom.faults.expire_tokens(after=1, when=active_later)
        zoom.faults.retry_after("http-date", 3, when=first_page_of("inactive"))
        zoom.faults.retry_after("iso", 2, when=first_page_of("pending"))
        zoom.faults.retry_after("seconds", 1, skip=2, when=active_later)
        zoom.faults.server_error(503, times=2, when=first_page_of("active"))
        zoom.faults.drop_connection(skip=3, when=active_later)
        zoom.faults.truncate_body(when=lambda r: later_pages(r) and r.query.get("status") == "inactive")
        zoom.faults.server_error(502, path="/oauth/token")
        zoom.faults.slow(0.02, times=4)
        zoom.faults.duplicates_across_pages()
        result = sync_zoom(engine, zoom, fast_provider(clock, max_retries=MAX_RETRIES))

    assert result.ok, result.error
    assert current_seats(engine) == clean_seats
    assert result.counts["duplicates"] > 0  # the repeats were seen, and stored once
    assert_no_retry_before_retry_after(zoom)
    assert len(zoom.faults.throttles) == 3
    assert zoom.tokens_issued == 2


def assert_no_retry_before_retry_after(zoom: FakeZoom) -> None:
    """Server side: the next request for a throttled URL arrived no sooner than its Retry-After allowed."""
    requests = zoom.requests
    for throttle in zoom.faults.throttles:
        throttled = requests[throttle.number - 1]
        retry = next(
            r
            for r in requests[throttle.number :]
            if (r.method, r.path, r.query) == (throttled.method, throttled.path, throttled.query)
        )
        waited_until = zoom.faults.arrivals[retry.number]
        assert waited_until >= throttle.not_before - 1e-6, (throttled, waited_until, throttle)


@pytest.mark.parametrize(("form", "seconds"), [("seconds", 7), ("http-date", 9), ("iso", 65)])
def test_the_client_sleeps_at_least_retry_after(form, seconds, sqlite_engine, clean_seats):
    clock = VirtualClock(start=1_780_000_000.75)  # a fraction: dates round down, the wait must still cover them
    with seeded_zoom(timer=clock.now) as zoom:
        zoom.faults.retry_after(form, seconds, when=first_page_of("active"))
        result = sync_zoom(sqlite_engine, zoom, fast_provider(clock))

    assert result.ok, result.error
    [throttle] = zoom.faults.throttles
    expected = throttle.not_before - zoom.faults.arrivals[throttle.number]
    assert len(clock.waits) == 1 and clock.waits[0] >= expected - 1e-6
    assert clock.waits[0] <= seconds  # and no needless extra wait
    assert current_seats(sqlite_engine) == clean_seats


def test_retry_after_is_honoured_in_real_time(sqlite_engine, clean_seats):
    """One check without the virtual clock: the server's wall clock sees the retry a second later."""
    with seeded_zoom() as zoom:
        zoom.faults.retry_after("seconds", 1, when=first_page_of("pending"))
        from seatkeeper_zoom import ZoomProvider

        result = sync_zoom(sqlite_engine, zoom, ZoomProvider(page_size=8))

    assert result.ok, result.error
    [throttle] = zoom.faults.throttles
    assert_no_retry_before_retry_after(zoom)
    retry_arrival = max(zoom.faults.arrivals.values())
    assert retry_arrival - zoom.faults.arrivals[throttle.number] >= 1.0
    assert current_seats(sqlite_engine) == clean_seats


@pytest.mark.parametrize(
    ("arm", "message"),
    [
        (lambda z: z.faults.retry_after("seconds", 1, times=None), "kept answering 'too many requests'"),
        (lambda z: z.faults.rate_limit(retry_after=None, times=None), "kept answering 'too many requests'"),
        (lambda z: z.faults.server_error(503, times=None), "kept failing with HTTP 503 after 4 tries"),
        (lambda z: z.faults.drop_connection(times=None), "the server closed the connection"),
        (lambda z: z.faults.truncate_body(times=None), "the connection broke while reading the answer"),
        (lambda z: z.faults.server_error(500, times=None, path="/oauth/token"), "HTTP 500 after 4 tries"),
    ],
    ids=["429 with Retry-After", "429 without", "503", "dropped", "cut off", "token 500"],
)
def test_the_client_gives_up_after_a_bounded_number_of_tries(arm, message, sqlite_engine):
    clock = VirtualClock()
    with seeded_zoom(timer=clock.now) as zoom:
        arm(zoom)
        started = time.monotonic()
        result = sync_zoom(sqlite_engine, zoom, fast_provider(clock, max_retries=MAX_RETRIES))
        elapsed = time.monotonic() - started

    assert not result.ok and message in result.error
    tries = Counter((r.method, r.path, tuple(sorted(r.query.items()))) for r in zoom.requests)
    assert max(tries.values()) == MAX_RETRIES + 1
    # At most the three lists were retrying when the first gave up, each waiting the backoff (0.5 s, doubling)
    # or the Retry-After (1 s), whichever is longer.
    assert len(clock.waits) <= 3 * MAX_RETRIES
    assert sum(clock.waits) <= 3 * sum(max(1.0, 0.5 * 2**retry) for retry in range(MAX_RETRIES))
    assert elapsed < 5
    assert current_seats(sqlite_engine) == []


def test_a_read_timeout_is_retried(sqlite_engine, clean_seats):
    with seeded_zoom() as zoom:
        zoom.faults.slow(0.5, times=1, when=later_pages)
        provider = fast_provider(timeout=(2.0, 0.2))
        result = sync_zoom(sqlite_engine, zoom, provider)
    assert result.ok, result.error
    assert current_seats(sqlite_engine) == clean_seats
