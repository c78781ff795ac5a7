"""HTTP transport for Zoom: a ``requests`` session whose retries follow Zoom's rate-limit rules.

Retries happen inside urllib3 through :class:`ZoomRetry`; what is left when they run out (a response
with a retryable status, or a network error) is turned into a seatkeeper error by :class:`Transport`.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NameResolutionError, ResponseError
from urllib3.util.retry import Retry

from seatkeeper.errors import ProviderUnavailable, RateLimited

#: Statuses retried with backoff: throttling and transient server failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The token endpoint is a POST; asking again for a token is harmless, so it is retried like a GET.
RETRY_METHODS = Retry.DEFAULT_ALLOWED_METHODS | {"POST"}

_SECONDS = re.compile(r"^\s*\d+(\.\d+)?\s*$")

Sleep = Callable[[float], None]
Clock = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    """How requests wait and retry: what :class:`ZoomProvider` is tuned with and each :class:`Transport` follows.

    :param sleep: every wait (backoff, ``Retry-After``) goes through it.
    :param clock: current POSIX time, for ``Retry-After`` dates and messages.
    :param max_retries: retries after the first attempt, for each kind of failure.
    :param backoff_factor: first retry waits this long, doubling each time, up to ``backoff_max`` seconds.
    :param max_wait: a ``Retry-After`` longer than this (seconds) stops instead of waiting.
    :param timeout: ``(connect, read)`` timeouts in seconds.
    """

    sleep: Sleep = time.sleep
    clock: Clock = time.time
    max_retries: int = 5
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    max_wait: float = 300.0
    timeout: tuple[float, float] = (10.0, 60.0)


def parse_retry_after_value(value: str, now: float) -> float | None:
    """Seconds to wait for a ``Retry-After`` value: seconds, an HTTP date or an ISO 8601 time.

    ``now`` is the current POSIX time. A time in the past gives 0; an unreadable value gives ``None``.
    """
    value = value.strip()
    if _SECONDS.match(value):
        return float(value)
    when: datetime | None = None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            # Zoom documents ISO times such as 2020-05-31T00:00:00Z, which urllib3 rejects.
            when = datetime.fromisoformat(value)
        except ValueError:
            return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def is_daily_limit(response_headers: Mapping[str, str], message: str = "") -> bool:
    """Whether a 429 is Zoom's daily quota (a stop until the quota resets) rather than a per-second limit."""
    limit_type = response_headers.get("X-RateLimit-Type", "") or ""
    return limit_type.strip().lower() == "daily-limit" or "daily" in message.lower()


class ZoomRetry(Retry):
    """urllib3 ``Retry`` for Zoom.

    Differences from the base class:

    - ``Retry-After`` may also be an ISO time, and is never cut short: the wait is the larger of it and the
      exponential backoff;
    - every wait goes through the injected ``sleep`` (tests record waits instead of sleeping);
    - the backoff grows from the first retry (``backoff_factor * 2**(n-1)``, capped by ``backoff_max``);
    - a daily-limit 429, or a ``Retry-After`` longer than ``max_wait``, is not retried at all: the
      response is handed back at once (``raise_on_status=False``) so the caller can say when to retry;
    - a host name that does not resolve is not retried: a typo in the URL will not fix itself.
    """

    def __init__(
        self,
        total: bool | int | None = 5,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.time,
        max_wait: float = 300.0,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("allowed_methods", RETRY_METHODS)
        kwargs.setdefault("status_forcelist", RETRY_STATUSES)
        kwargs.setdefault("raise_on_status", False)
        kwargs.setdefault("backoff_factor", 0.5)
        kwargs.setdefault("backoff_max", 30.0)
        super().__init__(total, **kwargs)
        self.sleep_function = sleep
        self.clock = clock
        self.max_wait = max_wait

    def new(self, **kw: Any) -> ZoomRetry:
        """Copy with updated counters, keeping the injected sleep, clock and ``max_wait``."""
        retry = super().new(**kw)
        retry.sleep_function = self.sleep_function
        retry.clock = self.clock
        retry.max_wait = self.max_wait
        return retry

    def parse_retry_after(self, retry_after: str) -> float:
        """Seconds to wait for a ``Retry-After`` header (seconds, HTTP date or ISO time); never capped."""
        seconds = parse_retry_after_value(retry_after, self.clock())
        if seconds is None:
            raise ValueError(f"unreadable Retry-After header {retry_after!r}")
        return seconds

    def get_retry_after(self, response: Any) -> float | None:
        """The ``Retry-After`` wait in seconds, or ``None`` when absent or unreadable (then backoff applies)."""
        value = response.headers.get("Retry-After")
        if value is None:
            return None
        try:
            return self.parse_retry_after(value)
        except ValueError:
            return None

    def get_backoff_time(self) -> float:
        """Exponential backoff over the consecutive failures so far, capped by ``backoff_max``."""
        failures = 0
        for attempt in reversed(self.history):
            if attempt.redirect_location is not None:
                break
            failures += 1
        return backoff_delay(failures, self.backoff_factor, self.backoff_max) if failures else 0.0

    def sleep_for_retry(self, response: Any) -> bool:
        """Wait as long as ``Retry-After`` asks (at least the backoff); ``False`` if there is no such header."""
        retry_after = self.get_retry_after(response)
        if retry_after is None:
            return False
        self.sleep_function(max(retry_after, self.get_backoff_time()))
        return True

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            self.sleep_function(backoff)

    def gives_up_on(self, response: Any) -> bool:
        """Whether this response must be handed back rather than retried (daily quota, or too long a wait)."""
        if response.status == 429 and is_daily_limit(response.headers):
            return True
        if response.status in self.status_forcelist:
            retry_after = self.get_retry_after(response)
            return retry_after is not None and retry_after > self.max_wait
        return False

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> ZoomRetry:
        """Count one more attempt, or raise ``MaxRetryError`` at once for what must not be retried."""
        if response is not None and self.gives_up_on(response):
            # With raise_on_status=False urllib3 answers this by returning the response itself.
            raise MaxRetryError(_pool, url or "", ResponseError(f"HTTP {response.status} is not retried"))
        if isinstance(error, NameResolutionError):
            raise MaxRetryError(_pool, url or "", error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)


def backoff_delay(attempt: int, factor: float, maximum: float) -> float:
    """The wait before retry number ``attempt`` (1-based): ``factor * 2**(attempt-1)``, at most ``maximum``."""
    return float(min(maximum, factor * 2 ** (attempt - 1)))


def host_of(url: str) -> str:
    """``host[:port]`` of a URL, for messages (never the user-info part)."""
    parts = urlsplit(url)
    host = parts.hostname or url
    return f"{host}:{parts.port}" if parts.port else host


def describe_network_error(error: BaseException) -> str:
    """A short, secret-free reason for a failed connection, from the innermost cause."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
        elif current.args and isinstance(current.args[0], BaseException):
            current = current.args[0]
        else:
            current = current.__cause__ or current.__context__
    for cause in reversed(seen):
        if isinstance(cause, NameResolutionError):
            return "the host name does not resolve (DNS)"
        if isinstance(cause, ConnectionRefusedError) or "refused" in str(cause).lower():
            return "connection refused"
    for cause in seen:
        if isinstance(cause, requests.exceptions.ConnectTimeout):
            return "timed out while connecting"
        if isinstance(cause, requests.exceptions.ReadTimeout):
            return "timed out waiting for an answer"
        if isinstance(cause, requests.exceptions.SSLError):
            return "TLS/SSL handshake failed"
        if isinstance(cause, requests.exceptions.ChunkedEncodingError):
            return "the connection broke while reading the answer"
    if any("RemoteDisconnected" in type(cause).__name__ or "aborted" in str(cause) for cause in seen):
        return "the server closed the connection without answering"
    return f"network error ({type(seen[-1]).__name__})"


class Transport:
    """A ``requests`` session with :class:`ZoomRetry`, turning network failures into seatkeeper errors.

    :param policy: how to wait and retry (the defaults suit a real account).
    """

    def __init__(self, policy: RetryPolicy | None = None, *, user_agent: str = "seatkeeper-zoom") -> None:
        self.policy = policy = policy or RetryPolicy()
        self.retry = ZoomRetry(
            policy.max_retries,
            connect=policy.max_retries,
            read=policy.max_retries,
            status=policy.max_retries,
            redirect=0,
            backoff_factor=policy.backoff_factor,
            backoff_max=policy.backoff_max,
            sleep=policy.sleep,
            clock=policy.clock,
            max_wait=policy.max_wait,
        )
        self.session = requests.Session()
        # The session is shared by the fetch threads: urllib3's pool is thread-safe, and nothing else in the
        # session changes after this point.
        adapter = HTTPAdapter(max_retries=self.retry, pool_connections=4, pool_maxsize=8)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept"] = "application/json"

    def __repr__(self) -> str:
        return f"<Transport max_retries={self.policy.max_retries}>"

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send a request with retries; the response may still have any status (4xx, or a 429/5xx left over).

        Raises :class:`ProviderUnavailable` when the host cannot be reached or the connection keeps breaking.
        """
        kwargs.setdefault("timeout", self.policy.timeout)
        kwargs.setdefault("allow_redirects", False)
        attempt = 0
        while True:
            attempt += 1
            try:
                return self.session.request(method, url, **kwargs)
            except requests.exceptions.ChunkedEncodingError as error:
                # The answer broke off after its headers: urllib3 has already handed the response over, so its
                # Retry cannot help; ask again here, with the same backoff.
                if attempt > self.policy.max_retries:
                    raise self.unavailable(url, error) from error
                self.policy.sleep(backoff_delay(attempt, self.policy.backoff_factor, self.policy.backoff_max))
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
                raise self.unavailable(url, error) from error

    def unavailable(self, url: str, error: BaseException) -> ProviderUnavailable:
        """The error for a host that could not be reached."""
        return ProviderUnavailable(f"could not reach {host_of(url)}: {describe_network_error(error)}")

    def retry_after_text(self, response: requests.Response) -> str | None:
        """When ``Retry-After`` allows the next attempt, as ``YYYY-MM-DD HH:MM:SS UTC``; ``None`` if absent."""
        value = response.headers.get("Retry-After")
        if not value:
            return None
        seconds = parse_retry_after_value(value, self.policy.clock())
        if seconds is None:
            return None
        when = datetime.fromtimestamp(self.policy.clock() + seconds, UTC)
        return when.strftime("%Y-%m-%d %H:%M:%S UTC")

    def throttled(self, response: requests.Response, what: str, message: str = "") -> RateLimited:
        """The error for a 429 left over after retries (or not retried: daily quota, long wait)."""
        after = self.retry_after_text(response)
        if is_daily_limit(response.headers, message):
            return RateLimited(
                "Zoom's daily API limit is used up for this account; the sync stopped, try again after "
                + (after or "00:00 UTC, when Zoom resets daily limits")
            )
        seconds = parse_retry_after_value(response.headers.get("Retry-After", ""), self.policy.clock())
        if seconds is not None and seconds > self.policy.max_wait:
            return RateLimited(
                f"Zoom's rate limit asks to wait until {after} before {what}; the sync stopped, try again then"
            )
        return RateLimited(
            f"Zoom kept answering 'too many requests' to {what} after {self.policy.max_retries + 1} tries; the limit "
            "is shared by every app of the Zoom account: try again later"
        )

    def failing(self, response: requests.Response, url: str, what: str) -> ProviderUnavailable:
        """The error for a 5xx left over after retries."""
        return ProviderUnavailable(
            f"could not reach {host_of(url)}: {what} kept failing with HTTP {response.status_code} "
            f"after {self.policy.max_retries + 1} tries; try again later"
        )
