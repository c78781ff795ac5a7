"""HTTP for Microsoft Graph and its token endpoint: a ``requests`` session whose retries follow Graph's throttling.

Retries happen inside urllib3 through :class:`GraphRetry`, below MSAL (whose own cache of throttled answers
would otherwise replay a 429 instead of asking again). What is left when they run out (a 429 or 5xx response, or
a network error) is turned into a seatkeeper error by the caller.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NameResolutionError, ResponseError
from urllib3.util.retry import Retry

from seatkeeper import cancel
from seatkeeper.http import network_causes, unreachable

from .clouds import host_of

#: Throttling (429) and transient server failures; Graph documents 429 and 503 with Retry-After.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The token endpoint is a POST; asking again for a token is harmless.
RETRY_METHODS = frozenset({"GET", "POST"})
_SECONDS = re.compile(r"^\s*\d+(\.\d+)?\s*$")

Sleep = Callable[[float], None]


def _wait(seconds: float) -> None:
    cancel.sleep(seconds)  # looked up at call time, so a stop (Ctrl-C, SIGTERM) ends the wait at once


@dataclass(frozen=True)
class RetryPolicy:
    """How every request of a provider waits and retries.

    :param sleep: every wait (backoff, ``Retry-After``) goes through it; by default seatkeeper's ``cancel.sleep``.
    :param clock: monotonic seconds, for the deadline.
    :param max_retries: retries after the first attempt (some tenants always answer ``Retry-After: 1``: capped).
    :param backoff_factor: without ``Retry-After``, the first retry waits this long, doubling up to ``backoff_max``.
    :param deadline: seconds one request may take, retries and waits included; a wait that would pass it stops.
    :param timeout: ``(connect, read)`` timeouts of each attempt, in seconds.
    """

    sleep: Sleep = _wait
    clock: Callable[[], float] = time.monotonic
    max_retries: int = 5
    backoff_factor: float = 1.0
    backoff_max: float = 60.0
    deadline: float = 600.0
    timeout: tuple[float, float] = (10.0, 60.0)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` value asks for: decimal seconds (Graph sends ``2.128``) or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if _SECONDS.match(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class GraphRetry(Retry):
    """urllib3 ``Retry`` for Graph: decimal ``Retry-After``, injected sleep, a deadline per request.

    - ``Retry-After`` may be decimal seconds (urllib3 only reads whole ones); the wait is the larger of it and
      the exponential backoff;
    - every wait goes through ``sleep`` (seatkeeper's stoppable sleep; tests record waits instead);
    - a wait that would end past ``deadline`` seconds after the first failure is not made: the response is
      handed back (``raise_on_status=False``) and the caller reports it;
    - a host name that does not resolve is not retried.
    """

    def __init__(
        self,
        total: bool | int | None = 5,
        *,
        sleep: Sleep = _wait,
        clock: Callable[[], float] | None = None,
        deadline: float = 600.0,
        started: float | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("allowed_methods", RETRY_METHODS)
        kwargs.setdefault("status_forcelist", RETRY_STATUSES)
        kwargs.setdefault("raise_on_status", False)
        kwargs.setdefault("respect_retry_after_header", True)
        super().__init__(total, **kwargs)
        self.sleep_function = sleep
        self.clock = clock or RetryPolicy.clock
        self.deadline = deadline
        self.started = started

    def new(self, **kw: Any) -> GraphRetry:
        """Copy with updated counters, keeping sleep, clock, deadline and the time of the first failure."""
        retry = super().new(**kw)
        retry.sleep_function = self.sleep_function
        retry.clock = self.clock
        retry.deadline = self.deadline
        retry.started = self.started if self.started is not None else self.clock()
        return retry

    def parse_retry_after(self, retry_after: str) -> float:
        """Seconds to wait for a ``Retry-After`` header: decimal seconds or an HTTP date."""
        seconds = retry_after_seconds(retry_after)
        if seconds is None:
            raise ValueError(f"unreadable Retry-After header {retry_after!r}")
        return seconds

    def get_retry_after(self, response: Any) -> float | None:
        """The ``Retry-After`` wait, or None when absent or unreadable (the backoff applies then)."""
        return retry_after_seconds(response.headers.get("Retry-After"))

    def get_backoff_time(self) -> float:
        """``backoff_factor * 2**(n-1)`` after ``n`` consecutive failures, from the first (urllib3 waits from the second)."""
        failures = 0
        for attempt in reversed(self.history):
            if attempt.redirect_location is not None:
                break
            failures += 1
        return float(min(self.backoff_max, self.backoff_factor * 2 ** (failures - 1))) if failures else 0.0

    def _planned_wait(self, response: Any) -> float:
        backoff = self.get_backoff_time()
        after = self.get_retry_after(response) if response is not None else None
        return backoff if after is None else max(after, backoff)

    def sleep(self, response: Any = None) -> None:
        """Wait before the next attempt: ``Retry-After`` (at least the backoff), else the backoff."""
        wait = self._planned_wait(response) if response is not None else self.get_backoff_time()
        if wait > 0:
            self.sleep_function(wait)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> GraphRetry:
        """Count one more attempt; give up at once on a name that does not resolve or a wait past the deadline."""
        if isinstance(error, NameResolutionError):
            raise MaxRetryError(_pool, url or "", error) from error
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        late = (
            retry.started is not None and retry.clock() - retry.started + retry._planned_wait(response) > retry.deadline
        )
        if response is not None and late:
            # With raise_on_status=False urllib3 hands the response itself back.
            raise MaxRetryError(_pool, url or "", ResponseError("the request's deadline would pass"))
        return retry


class GraphSession(requests.Session):
    """A ``requests`` session with a default timeout on every request (MSAL passes none)."""

    def __init__(self, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send with the default timeout unless one is given, trusting the session's ``verify`` bundle."""
        kwargs.setdefault("timeout", self.default_timeout)
        if isinstance(self.verify, str):
            # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's bundle (psf/requests#3829).
            kwargs.setdefault("verify", self.verify)
        return super().request(method, url, **kwargs)


def new_session(policy: RetryPolicy, ca_bundle: str | None = None) -> GraphSession:
    """A session retrying as ``policy`` says, trusting ``ca_bundle`` (a PEM file) when given."""
    retry = GraphRetry(
        policy.max_retries,
        connect=policy.max_retries,
        read=policy.max_retries,
        status=policy.max_retries,
        redirect=0,
        backoff_factor=policy.backoff_factor,
        backoff_max=policy.backoff_max,
        sleep=policy.sleep,
        clock=policy.clock,
        deadline=policy.deadline,
    )
    session = GraphSession(policy.timeout)
    adapter = HTTPAdapter(max_retries=retry, pool_connections=2, pool_maxsize=4)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "seatkeeper-microsoft365"
    if ca_bundle:
        session.verify = ca_bundle
    return session


def describe_network_error(error: BaseException) -> str:
    """A short, secret-free reason for a failed connection, from the innermost cause."""
    seen = network_causes(error)
    reason = unreachable(seen)
    if reason is not None:
        return reason
    for cause in seen:
        if isinstance(cause, requests.exceptions.SSLError):
            return "TLS certificate or handshake failed (behind a TLS-inspecting proxy? set ca_bundle)"
        if isinstance(cause, requests.exceptions.ConnectTimeout):
            return "timed out while connecting"
        if isinstance(cause, requests.exceptions.ReadTimeout):
            return "timed out waiting for an answer"
        if isinstance(cause, requests.exceptions.ChunkedEncodingError):
            return "the connection broke while reading the answer"
    return f"network error ({type(seen[-1]).__name__})"


def unreachable_message(url: str, error: BaseException) -> str:
    """``could not reach <host>: <reason>`` for a request that failed on the network."""
    return f"could not reach {host_of(url)}: {describe_network_error(error)}"
