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
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util.retry import Retry

from seatkeeper import cancel
from seatkeeper.errors import ProviderUnavailable, RateLimited
from seatkeeper.http import network_causes, unreachable

#: Statuses retried with backoff: throttling and transient server failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The token endpoint is a POST; asking again for a token is harmless, so it is retried like a GET.
RETRY_METHODS = Retry.DEFAULT_ALLOWED_METHODS | {"POST"}

_SECONDS = re.compile(r"^\s*\d+(\.\d+)?\s*$")
#: Bytes asked for per read of an answer's body (a read returns as soon as any bytes arrive).
_CHUNK = 64 * 1024

Sleep = Callable[[float], None]
Clock = Callable[[], float]


@dataclass(frozen=True)
class RetryPolicy:
    """How requests wait, retry and time out: what :class:`ZoomProvider` is tuned with and each :class:`Transport`
    follows. The defaults suit a real account.

    :param sleep: every wait (backoff, ``Retry-After``) goes through it; the default ends at once, raising
        :class:`~seatkeeper.errors.Interrupted`, when Ctrl-C or SIGTERM asks the sync to stop.
    :param clock: current POSIX time, for ``Retry-After`` dates and messages.
    :param max_retries: retries after the first attempt, for each kind of failure.
    :param backoff_factor: first retry waits this long, doubling each time, up to ``backoff_max`` seconds.
    :param max_retry_wait: a ``Retry-After`` longer than this (seconds) stops the sync instead of waiting (the
        connection setting ``max_retry_wait`` overrides it).
    :param timeout: ``(connect, read)`` timeouts in seconds: the longest silence of the server while connecting
        and while answering.
    :param request_timeout: the most seconds one attempt of a request may take, from sending it to the last
        byte of its answer; checked as the body arrives, so a server trickling its answer is cut off (the
        status line and headers are bounded by the read timeout of each socket read only). The connection
        setting ``request_timeout`` overrides it.
    """

    sleep: Sleep = cancel.sleep
    clock: Clock = time.time
    max_retries: int = 5
    backoff_factor: float = 0.5
    backoff_max: float = 30.0
    max_retry_wait: float = 300.0
    timeout: tuple[float, float] = (10.0, 60.0)
    request_timeout: float = 120.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        if self.request_timeout <= 0 or self.max_retry_wait < 0 or min(self.timeout) <= 0:
            raise ValueError("timeouts must be positive and max_retry_wait must not be negative")

    @property
    def tries(self) -> int:
        """Attempts per request: the first one and the retries."""
        return self.max_retries + 1


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
    """urllib3 ``Retry`` for Zoom, configured by a :class:`RetryPolicy`.

    Differences from the base class:

    - ``Retry-After`` may also be an ISO time, and is never cut short: the wait is the larger of it and the
      exponential backoff;
    - every wait goes through the policy's ``sleep`` (a stop request ends it; tests record waits instead);
    - the backoff grows from the first retry (``backoff_factor * 2**(n-1)``, capped by ``backoff_max``);
    - a daily-limit 429, or a ``Retry-After`` longer than ``max_retry_wait``, is not retried at all: the
      response is handed back at once (``raise_on_status=False``) so the caller can say when to retry;
    - a host name that does not resolve is not retried: a typo in the URL will not fix itself.

    :param policy: the counts, backoff and waits; keyword arguments override urllib3's ``Retry`` parameters
        (urllib3 passes them when it copies the object).
    """

    def __init__(self, policy: RetryPolicy, **kwargs: Any) -> None:
        retries = policy.max_retries
        settings: dict[str, Any] = {
            "total": retries,
            "connect": retries,
            "read": retries,
            "status": retries,
            "redirect": 0,
            "backoff_factor": policy.backoff_factor,
            "backoff_max": policy.backoff_max,
            "allowed_methods": RETRY_METHODS,
            "status_forcelist": RETRY_STATUSES,
            "raise_on_status": False,
        }
        super().__init__(**{**settings, **kwargs})
        self.policy = policy
        #: When this attempt started (monotonic), if it follows a retry: set once its wait is over.
        self.attempt_started: float | None = None

    def new(self, **kw: Any) -> ZoomRetry:
        """Copy with updated counters, keeping the policy."""
        return super().new(policy=self.policy, **kw)

    def sleep(self, response: Any = None) -> None:
        """Wait before the next attempt (``Retry-After`` or backoff), then note when that attempt starts."""
        super().sleep(response)
        self.attempt_started = time.monotonic()

    def parse_retry_after(self, retry_after: str) -> float:
        """Seconds to wait for a ``Retry-After`` header (seconds, HTTP date or ISO time); never capped."""
        seconds = parse_retry_after_value(retry_after, self.policy.clock())
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
        self.policy.sleep(max(retry_after, self.get_backoff_time()))
        return True

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            self.policy.sleep(backoff)

    def gives_up_on(self, response: Any) -> bool:
        """Whether this response must be handed back rather than retried (daily quota, or too long a wait)."""
        if response.status == 429 and is_daily_limit(response.headers):
            return True
        if response.status in self.status_forcelist:
            retry_after = self.get_retry_after(response)
            return retry_after is not None and retry_after > self.policy.max_retry_wait
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


def timed_out(error: BaseException) -> str | None:
    """``"connect"`` or ``"read"`` when ``error`` is a connect or read timeout, else ``None``."""
    for cause in network_causes(error):
        if isinstance(cause, NewConnectionError):  # urllib3 makes it a ConnectTimeoutError: refused, DNS...
            return None
        if isinstance(cause, requests.exceptions.ConnectTimeout | ConnectTimeoutError):
            return "connect"
        if isinstance(cause, requests.exceptions.ReadTimeout | ReadTimeoutError):
            return "read"
    return None


def describe_network_error(error: BaseException) -> str:
    """A short, secret-free reason for a failed connection, from the innermost cause."""
    seen = network_causes(error)
    reason = unreachable(seen)
    if reason is not None:
        return reason
    kind = timed_out(error)
    if kind == "connect":
        return "timed out while connecting"
    if kind == "read":
        return "timed out waiting for an answer"
    if any("RemoteDisconnected" in type(cause).__name__ or "aborted" in str(cause) for cause in seen):
        return "the server closed the connection without answering"
    for cause in seen:
        if isinstance(cause, requests.exceptions.SSLError):
            return "TLS/SSL handshake failed"
        if isinstance(cause, requests.exceptions.ChunkedEncodingError | AnswerBrokeOff | ProtocolError):
            return "the connection broke while reading the answer"
    return f"network error ({type(seen[-1]).__name__})"


class AnswerBrokeOff(Exception):
    """The body of an answer broke off or stalled after its headers (retried like a dropped connection)."""


class Transport:
    """A ``requests`` session with :class:`ZoomRetry`, turning network failures into seatkeeper errors.

    Every attempt of a request is bounded in time: ``timeout`` bounds each silence of the server, and
    ``request_timeout`` the whole attempt, answer included (the body is read as it arrives, against a
    monotonic deadline, so a server trickling its answer cannot hold a sync forever).

    :param policy: how to wait, retry and time out (the defaults suit a real account).
    """

    def __init__(self, policy: RetryPolicy | None = None, *, user_agent: str = "seatkeeper-zoom") -> None:
        self.policy = policy = policy or RetryPolicy()
        self.retry = ZoomRetry(policy)
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

        The returned response's body has been read in full.

        :raises ProviderUnavailable: the host cannot be reached, stays silent, takes longer than
            ``request_timeout`` or keeps breaking the connection.
        :raises Interrupted: a stop was requested during a wait.
        """
        kwargs.setdefault("timeout", self.policy.timeout)
        kwargs.setdefault("allow_redirects", False)
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                response = self.session.request(method, url, stream=True, **kwargs)
                self._read_body(response, started, url)
                return response
            except (requests.exceptions.ChunkedEncodingError, AnswerBrokeOff) as error:
                # The answer broke off after its headers: urllib3 has already handed the response over, so its
                # Retry cannot help; ask again here, with the same backoff.
                if attempt > self.policy.max_retries:
                    raise self.unavailable(url, error) from error
                self.policy.sleep(backoff_delay(attempt, self.policy.backoff_factor, self.policy.backoff_max))
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
                raise self.unavailable(url, error) from error

    def _read_body(self, response: requests.Response, started: float, url: str) -> None:
        """Read the body of a streamed response into ``response.content``, by the attempt's deadline."""
        retried = getattr(response.raw, "retries", None)
        if isinstance(retried, ZoomRetry) and retried.attempt_started is not None:
            started = retried.attempt_started  # the attempt that answered began after the last retry's wait
        deadline = started + self.policy.request_timeout
        chunks = []
        # Decoded as requests decodes it (gzip...); set, not passed, because vcrpy's stand-in takes no arguments.
        response.raw.decode_content = True
        try:
            while True:
                if time.monotonic() > deadline:
                    raise ProviderUnavailable(
                        f"{host_of(url)} took more than {self.policy.request_timeout:g} s to answer (it was still "
                        "sending): the network or a proxy in between is very slow; try again later, or raise "
                        "request_timeout (ZOOM_REQUEST_TIMEOUT)"
                    )
                chunk = response.raw.read1(_CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
        except (ProtocolError, ReadTimeoutError) as error:
            response.close()
            raise AnswerBrokeOff(str(error)) from error
        except BaseException:
            response.close()
            raise
        # What requests itself does when it reads the body (Response.content).
        response._content = b"".join(chunks)
        response._content_consumed = True

    def unavailable(self, url: str, error: BaseException) -> ProviderUnavailable:
        """The error for a host that could not be reached, stayed silent or kept breaking the connection."""
        host, tries = host_of(url), self.policy.tries
        connect, read = self.policy.timeout
        attempts = "1 try" if tries == 1 else f"{tries} tries"
        kind = timed_out(error)
        if kind == "read":
            return ProviderUnavailable(
                f"{host} did not answer within {read:g} s ({attempts}): Zoom or the network in between is down or "
                "overloaded; try again later"
            )
        if kind == "connect":
            return ProviderUnavailable(
                f"could not connect to {host} within {connect:g} s ({attempts}): check the network (a firewall or "
                "proxy?) and the URL"
            )
        return ProviderUnavailable(f"could not reach {host}: {describe_network_error(error)}")

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
        if seconds is not None and seconds > self.policy.max_retry_wait:
            return RateLimited(
                f"Zoom's rate limit asks to wait until {after} ({seconds:.0f} s) before {what}, longer than "
                f"max_retry_wait ({self.policy.max_retry_wait:g} s): the sync stopped; try again then, or raise "
                "max_retry_wait (ZOOM_MAX_RETRY_WAIT)"
            )
        return RateLimited(
            f"Zoom kept answering 'too many requests' to {what} after {self.policy.tries} tries; the limit "
            "is shared by every app of the Zoom account: try again later"
        )

    def failing(
        self, response: requests.Response, url: str, what: str, setting: str = "api_url"
    ) -> ProviderUnavailable:
        """The error for a 5xx left over after retries (``setting``: the URL setting an HTML answer puts in doubt)."""
        page = f" (answered with {html_answer(setting)})" if is_html(response) else ""
        return ProviderUnavailable(
            f"could not reach {host_of(url)}: {what} kept failing with HTTP {response.status_code} "
            f"after {self.policy.tries} tries{page}; try again later"
        )


def html_answer(setting: str) -> str:
    """How an HTML answer is described: Zoom's API never sends one; a proxy, a captive portal or a wrong URL does."""
    return f"an HTML page, not JSON: is {setting} right? (a proxy or captive portal?)"


def is_html(response: requests.Response) -> bool:
    """Whether an answer is an HTML page: by its Content-Type, or a body starting with ``<`` (JSON never does)."""
    if "html" in response.headers.get("Content-Type", "").lower():
        return True
    return response.content[:512].lstrip().startswith(b"<")
