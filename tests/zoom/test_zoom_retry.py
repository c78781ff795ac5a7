"""ZoomRetry, the urllib3 retry policy: Retry-After formats, waits, what is never retried."""

from __future__ import annotations

import socket

import pytest
from urllib3.exceptions import MaxRetryError, NameResolutionError
from urllib3.response import HTTPResponse

from seatkeeper_zoom.transport import (
    RetryPolicy,
    ZoomRetry,
    describe_network_error,
    is_daily_limit,
    parse_retry_after_value,
)

from .zoom_testkit import Waits, at

NOW = at("2031-01-01T00:00:00")


def response(status: int, **headers: str) -> HTTPResponse:
    return HTTPResponse(body=b"", status=status, headers=headers, preload_content=True)


def retry(**kwargs) -> ZoomRetry:
    """A ZoomRetry following a policy with these fields (5 retries, recorded waits, a fixed clock by default)."""
    kwargs.setdefault("sleep", Waits())
    kwargs.setdefault("clock", lambda: NOW)
    return ZoomRetry(RetryPolicy(**kwargs))


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        (" 12 ", 12.0),
        ("1.5", 1.5),
        ("Wed, 01 Jan 2031 00:00:30 GMT", 30.0),
        ("2031-01-01T00:01:00Z", 60.0),
        ("2031-01-01T01:00:10+01:00", 10.0),
        ("2031-01-01T00:00:20", 20.0),  # no zone: UTC, like Zoom's other times
        ("2030-12-31T23:00:00Z", 0.0),  # already past
        ("2031-01-01T07:00:00Z", 25200.0),  # beyond urllib3's 6-hour cap: not shortened
    ],
)
def test_retry_after_formats(value, seconds):
    assert parse_retry_after_value(value, NOW) == seconds
    assert retry().parse_retry_after(value) == seconds


@pytest.mark.parametrize("value", ["soon", "", "-5", "2031-13-45T00:00:00Z"])
def test_unreadable_retry_after_falls_back_to_backoff(value):
    assert parse_retry_after_value(value, NOW) is None
    assert retry().get_retry_after(response(429, **{"Retry-After": value})) is None
    with pytest.raises(ValueError, match="unreadable Retry-After"):
        retry().parse_retry_after(value)


def test_new_keeps_the_policy():
    waits = Waits()
    original = retry(sleep=waits, max_retry_wait=42)

    copy = original.increment("GET", "/v2/users", response=response(503))

    assert type(copy) is ZoomRetry
    assert copy.policy is original.policy and (copy.policy.sleep, copy.policy.max_retry_wait) == (waits, 42)
    assert copy.total == 4 and copy.allowed_methods == original.allowed_methods


def test_waits_go_through_the_injected_sleep_never_shorter_than_retry_after():
    waits = Waits()
    current = retry(sleep=waits)
    for value in ("3", "Wed, 01 Jan 2031 00:00:07 GMT", "2031-01-01T00:00:04Z", "0"):
        current = current.increment("GET", "/v2/users", response=response(429, **{"Retry-After": value}))
        current.sleep(response(429, **{"Retry-After": value}))

    # The larger of Retry-After and the backoff (0.5, 1, 2, 4 for the 1st..4th retry).
    assert waits == [3.0, 7.0, 4.0, 4.0]


def test_backoff_is_exponential_and_capped():
    waits = Waits()
    current = retry(sleep=waits, max_retries=10, backoff_factor=0.5, backoff_max=5)
    for _ in range(6):
        current = current.increment("GET", "/v2/users", response=response(503))
        current.sleep()

    assert waits == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_gives_up_after_the_retries():
    current = retry()
    for _ in range(5):
        current = current.increment("GET", "/v2/users", response=response(503))
    with pytest.raises(MaxRetryError):
        current.increment("GET", "/v2/users", response=response(503))


def test_daily_limit_is_never_retried():
    daily = response(429, **{"X-RateLimit-Type": "Daily-limit", "Retry-After": "2031-01-02T00:00:00Z"})
    with pytest.raises(MaxRetryError):
        retry().increment("GET", "/v2/users", response=daily)


def test_a_wait_longer_than_max_retry_wait_is_not_retried():
    with pytest.raises(MaxRetryError):
        retry(max_retry_wait=60).increment("GET", "/v2/users", response=response(429, **{"Retry-After": "61"}))
    assert retry(max_retry_wait=60).increment("GET", "/v2/users", response=response(429, **{"Retry-After": "60"}))


def test_token_post_and_the_zoom_statuses_are_retried():
    policy = retry()
    assert policy.is_retry("POST", 503) and policy.is_retry("GET", 429) and policy.is_retry("GET", 500)
    assert not policy.is_retry("GET", 400) and not policy.is_retry("GET", 401) and not policy.is_retry("GET", 404)
    assert policy.raise_on_status is False


def test_an_unresolvable_host_is_not_retried():
    error = NameResolutionError("zoom.invalid", None, socket.gaierror("Name or service not known"))  # type: ignore[arg-type]
    with pytest.raises(MaxRetryError) as raised:
        retry().increment("GET", "/v2/users", error=error)
    assert describe_network_error(raised.value) == "the host name does not resolve (DNS)"


def test_daily_limit_is_recognised_by_header_or_message():
    assert is_daily_limit({"X-RateLimit-Type": "Daily-limit"})
    assert is_daily_limit({}, "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests")
    assert not is_daily_limit({"X-RateLimit-Type": "QPS"}, "maximum per-second rate limit")
