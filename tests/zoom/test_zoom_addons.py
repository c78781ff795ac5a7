"""Reading add-ons against the fake Zoom server: bounded concurrency, 429s mid-way, streaming, failures."""

from __future__ import annotations

import threading
import time

import pytest

from seatkeeper import PermissionDenied, RateLimited, Rejected
from seatkeeper_zoom import ZoomProvider
from seatkeeper_zoom.fake_server import Reply
from seatkeeper_zoom.transport import RetryPolicy

from .zoom_testkit import LOCALHOST_ONLY, Recorder, Waits, fake_zoom, records, sync, users_of, zoom_user

pytestmark = LOCALHOST_ONLY

SETTINGS = "/v2/users/{userId}/settings"
WEBINAR = {"webinar": True, "webinar_capacity": 500}
PHONE = {"zoom_phone": True}


def addon_account(active: int, inactive: int = 0, pending: int = 0) -> list[dict]:
    """Users where every third active user has a webinar licence and every fifth Zoom Phone."""
    users, number = [], 0
    for status, count in (("active", active), ("inactive", inactive), ("pending", pending)):
        for _ in range(count):
            number += 1
            feature = {**(WEBINAR if number % 3 == 0 else {}), **(PHONE if number % 5 == 0 else {})}
            user = zoom_user(number, status=status)
            if feature and status != "pending":
                user["feature"] = feature
            users.append(user)
    return users


def expected_addons(user: dict) -> list[str]:
    return sorted(name for name in ("webinar", "zoom_phone") if user.get("feature", {}).get(name))


def with_addons(settings: dict) -> dict:
    return {**settings, "fetch_addons": "true"}


def fetch_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("seatkeeper-zoom-")]


def wait_for_no_fetch_threads(timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while fetch_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not fetch_threads(), "fetch or add-on threads still running"


def check_addons(items, users) -> None:
    by_id = {user["id"]: user for user in users if user["status"] != "pending"}
    for record in records(items):
        if record.user_id is None:
            assert "addons" not in record.extras
        else:
            assert record.extras.get("addons", []) == expected_addons(by_id[record.user_id])


def test_addons_are_read_a_few_at_a_time():
    users = addon_account(active=30, inactive=4, pending=3)
    with fake_zoom([users]) as zoom:
        zoom.faults.delay(0.02, path=SETTINGS)
        items, recorder = sync(
            ZoomProvider(policy=RetryPolicy(sleep=Waits()), addon_workers=3), with_addons(zoom.settings())
        )

        assert len(zoom.requests_to(SETTINGS)) == 34  # every user with an id, once; not the invitations
        assert 2 <= zoom.peak_in_flight(SETTINGS) <= 3  # concurrent, and never more than addon_workers

    assert len(users_of(items)) == 37
    check_addons(items, users)
    assert recorder.warnings == []
    wait_for_no_fetch_threads()


def test_without_the_setting_no_settings_are_read():
    users = addon_account(active=6)
    with fake_zoom([users]) as zoom:
        items, _ = sync(ZoomProvider(policy=RetryPolicy(sleep=Waits())), zoom.settings())
        assert zoom.requests_to(SETTINGS) == []

    assert not any("addons" in record.extras for record in records(items))


def test_a_429_mid_way_is_waited_out_before_that_request_is_sent_again():
    # Real time: the retried request must reach the server no sooner than Retry-After after the 429.
    seen: list[tuple[float, str]] = []
    lock = threading.Lock()
    throttled = Reply(
        429,
        {"code": 429, "message": "You have reached the maximum per-second rate limit for this API. Try again later."},
        {"Retry-After": "0.3", "X-RateLimit-Category": "Medium", "X-RateLimit-Type": "QPS"},
    )

    def tenth_is_throttled(request, _server):
        with lock:
            seen.append((time.monotonic(), request.path))
            return throttled if len(seen) == 10 else None

    users = addon_account(active=24)
    with fake_zoom([users]) as zoom:
        zoom.faults.add(tenth_is_throttled, times=None, path=SETTINGS)
        items, _ = sync(ZoomProvider(addon_workers=3), with_addons(zoom.settings()))

    limited_at, limited_path = seen[9]
    again = [at for at, path in seen[10:] if path == limited_path]
    assert len(again) == 1 and again[0] - limited_at >= 0.3
    assert len(seen) == 25  # 24 users, one of them twice
    check_addons(items, users)


def test_retry_after_is_waited_in_full():
    waits = Waits()
    users = addon_account(active=12)
    with fake_zoom([users]) as zoom:
        zoom.faults.rate_limit(path=SETTINGS, skip=5, retry_after="4")
        items, _ = sync(ZoomProvider(policy=RetryPolicy(sleep=waits), addon_workers=3), with_addons(zoom.settings()))

    assert waits == [4.0]
    check_addons(items, users)


def test_a_rate_limit_that_does_not_end_stops_the_sync_and_its_threads():
    waits = Waits()
    with fake_zoom([addon_account(active=200)]) as zoom:
        zoom.faults.rate_limit(path=SETTINGS, times=None, retry_after="1")
        provider = ZoomProvider(policy=RetryPolicy(sleep=waits, max_retries=2), addon_workers=3)
        with pytest.raises(RateLimited, match=r"settings of user user\d+A+ .* after 3 tries"):
            settings = with_addons(zoom.settings())
            list(provider.fetch(provider.authenticate(settings), Recorder().context(settings)))
        wait_for_no_fetch_threads()
        asked = {request.path for request in zoom.requests_to(SETTINGS)}

    assert set(waits) == {1.0}
    assert len(asked) <= 15  # the window read ahead (4 x 3 workers) and the requests in flight, not 200 users


def test_a_daily_limit_on_settings_stops_at_once():
    waits = Waits()
    with fake_zoom([addon_account(active=10)]) as zoom:
        zoom.faults.rate_limit(path=SETTINGS, times=None, daily=True, retry_after=None)
        provider = ZoomProvider(policy=RetryPolicy(sleep=waits), addon_workers=2)
        with pytest.raises(RateLimited, match="daily API limit"):
            settings = with_addons(zoom.settings())
            list(provider.fetch(provider.authenticate(settings), Recorder().context(settings)))
        wait_for_no_fetch_threads()

    assert waits == []


def test_without_the_settings_scope_the_sync_fails_naming_it():
    with fake_zoom([addon_account(active=10)]) as zoom:
        zoom.revoke_scopes("user:read:settings:admin")
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()))
        with pytest.raises(PermissionDenied, match=r"lacks the scope user:read:settings:admin.*fetch_addons"):
            settings = with_addons(zoom.settings())
            list(provider.fetch(provider.authenticate(settings), Recorder().context(settings)))
        wait_for_no_fetch_threads()


def test_a_user_deleted_during_the_sync_is_rejected_with_its_key():
    users = addon_account(active=5)
    gone = users[2]["id"]
    with fake_zoom([users]) as zoom:
        zoom.faults.add(
            lambda _r, _s: Reply(404, {"code": 1001, "message": f"User does not exist: {gone}."}),
            path=f"/v2/users/{gone}/settings",
        )
        items, _ = sync(ZoomProvider(policy=RetryPolicy(sleep=Waits())), with_addons(zoom.settings()))

    (rejected,) = [item for item in items if isinstance(item, Rejected)]
    assert rejected.key == gone
    assert len(records(items)) == 4


def test_settings_are_read_as_the_users_stream_in():
    # 3000 users in pages of 100: closing the stream after 30 users leaves the rest unread.
    with fake_zoom([addon_account(active=3000)]) as zoom:
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()), page_size=100, addon_workers=3)
        settings = with_addons(zoom.settings())
        stream = provider.fetch(provider.authenticate(settings), Recorder().context(settings))
        first = [next(stream) for _ in range(30)]
        stream.close()
        wait_for_no_fetch_threads()
        pages = len(zoom.requests_to("/v2/users"))
        asked = len(zoom.requests_to(SETTINGS))

    assert len(first) == 30
    assert pages < 15  # the status lists' bounded queue ran a few pages ahead, not the 30 pages of the account
    assert asked <= 30 + 12 + 3  # the records yielded, the window and the requests in flight
