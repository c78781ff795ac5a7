"""HTTP for Google: a ``requests`` session whose urllib3 ``Retry`` backs off on 429 and 5xx through one ``sleep``.

What is left when the retries run out (a response with a retryable status, or a network error) is turned into a
seatkeeper error by :class:`GoogleClient` and :class:`Transport`. Google's other throttling answer, a 403 whose
body says ``rateLimitExceeded``, can only be told from its body: the client retries that one itself.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NameResolutionError, ResponseError
from urllib3.util.retry import Retry

from seatkeeper import cancel
from seatkeeper.errors import ProviderUnavailable

#: Statuses urllib3 retries with backoff: throttling and transient server failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The token call is a POST; asking again for a token is harmless, so it is retried like a GET.
RETRY_METHODS = Retry.DEFAULT_ALLOWED_METHODS | {"POST"}
_SECONDS = re.compile(r"^\s*\d+(\.\d+)?\s*$")

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class Sleeper:
    """A wait that can be redirected: a session's waits go through ``function``, set once its fetch begins."""

    def __init__(self, function: Sleep) -> None:
        self.function = function

    def __call__(self, seconds: float) -> None:
        self.function(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """How every request of a connection waits and retries.

    :param sleep: every wait goes through it (by default seatkeeper's, which a Ctrl-C ends at once).
    :param clock: monotonic seconds, for the per-request deadline.
    :param max_retries: retries after the first attempt, for each kind of failure.
    :param backoff_factor: the first retry waits this long, doubling each time, up to ``backoff_max`` seconds.
    :param deadline: seconds one request may take with all its retries; no retry starts that would end later.
    :param timeout: ``(connect, read)`` timeouts in seconds of each attempt.
    """

    sleep: Sleep = cancel.sleep
    clock: Clock = time.monotonic
    max_retries: int = 6
    backoff_factor: float = 1.0
    backoff_max: float = 32.0
    deadline: float = 300.0
    timeout: tuple[float, float] = (10.0, 60.0)

    def backoff(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (1-based): ``factor * 2**(attempt-1)``, at most ``backoff_max``."""
        return float(min(self.backoff_max, self.backoff_factor * 2 ** (attempt - 1)))


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` asks for: seconds (decimals too) or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    if _SECONDS.match(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


class GoogleRetry(Retry):
    """urllib3 ``Retry`` whose waits go through the policy's ``sleep`` and stop at the policy's deadline.

    The wait is the larger of ``Retry-After`` (seconds, decimals allowed, or an HTTP date) and the exponential
    backoff; a host name that does not resolve is not retried (a typo will not fix itself).
    """

    def __init__(self, total: Any = 6, *, policy: RetryPolicy | None = None, started: float | None = None, **kw: Any):
        self.policy = policy or RetryPolicy()
        kw.setdefault("allowed_methods", RETRY_METHODS)
        kw.setdefault("status_forcelist", RETRY_STATUSES)
        kw.setdefault("raise_on_status", False)
        kw.setdefault("respect_retry_after_header", True)
        super().__init__(total, **kw)
        self.started = started

    def new(self, **kw: Any) -> GoogleRetry:
        """Copy with updated counters, keeping the policy and the time of the first failure."""
        kw.setdefault("policy", self.policy)
        kw.setdefault("started", self.started)
        return super().new(**kw)  # type: ignore[return-value]

    def get_retry_after(self, response: Any) -> float | None:
        """``Retry-After`` in seconds, or None (then the backoff applies)."""
        return retry_after_seconds(response.headers.get("Retry-After"))

    def get_backoff_time(self) -> float:
        """Exponential backoff over the failures so far."""
        return self.policy.backoff(len(self.history)) if self.history else 0.0

    def sleep(self, response: Any = None) -> None:
        """Wait before the next attempt, through the policy's ``sleep``."""
        wait = self.get_backoff_time()
        if response is not None:
            wait = max(wait, self.get_retry_after(response) or 0.0)
        if wait > 0:
            self.policy.sleep(wait)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        """Count one more attempt; stop at once for a host that does not resolve or when the deadline would pass."""
        if isinstance(error, NameResolutionError):
            raise MaxRetryError(_pool, url or "", error) from error
        started = self.started if self.started is not None else self.policy.clock()
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        retry.started = started
        wait = retry.get_backoff_time()
        if response is not None:
            wait = max(wait, retry.get_retry_after(response) or 0.0)
        if self.policy.clock() + wait - started > self.policy.deadline:
            # With raise_on_status=False urllib3 answers this by handing the response back.
            raise MaxRetryError(_pool, url or "", error or ResponseError("the request's deadline would pass"))
        return retry


def host_of(url: str) -> str:
    """``host[:port]`` of a URL, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or url
    return f"{host}:{parts.port}" if parts.port else host


def describe_network_error(error: BaseException) -> str:
    """A short, secret-free reason for a failed connection, from the chain of causes."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen and len(seen) < 20:
        seen.append(current)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
        elif current.args and isinstance(current.args[0], BaseException):
            current = current.args[0]
        else:
            current = current.__cause__ or current.__context__
    text = " ".join(f"{type(cause).__name__} {cause}" for cause in seen).lower()
    if any(isinstance(cause, NameResolutionError) for cause in seen) or "name or service not known" in text:
        return "the host name does not resolve (DNS)"
    if "refused" in text:
        return "connection refused"
    if any(isinstance(cause, requests.exceptions.Timeout) for cause in seen) or "timed out" in text:
        return "timed out"
    if any(isinstance(cause, requests.exceptions.SSLError) for cause in seen):
        return "TLS/SSL handshake failed"
    if "remotedisconnected" in text or "aborted" in text or "reset" in text:
        return "the server closed the connection without answering"
    return f"network error ({type(seen[-1]).__name__})"


class Transport:
    """A ``requests`` session with :class:`GoogleRetry`; network failures become :class:`ProviderUnavailable`."""

    def __init__(self, policy: RetryPolicy | None = None, *, pool_size: int = 4) -> None:
        self.policy = policy = policy or RetryPolicy()
        retries = policy.max_retries
        self.retry = GoogleRetry(retries, connect=retries, read=retries, status=retries, redirect=0, policy=policy)
        self.session = requests.Session()
        # Shared by the product threads: urllib3's pool is thread-safe and nothing else changes after this.
        adapter = HTTPAdapter(max_retries=self.retry, pool_connections=2, pool_maxsize=pool_size)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers["User-Agent"] = "seatkeeper-google-workspace"
        self.session.headers["Accept"] = "application/json"

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send a request with retries; the response may have any status (a 429/5xx is what the retries left).

        :raises ProviderUnavailable: the host cannot be reached or the connection keeps breaking.
        """
        kwargs.setdefault("timeout", self.policy.timeout)
        kwargs.setdefault("allow_redirects", False)
        attempt = 0
        while True:
            attempt += 1
            try:
                return self.session.request(method, url, **kwargs)
            except requests.exceptions.ChunkedEncodingError as error:
                # The body broke off after the headers: urllib3 has handed the response over, so ask again here.
                if attempt > self.policy.max_retries:
                    raise unavailable(url, error) from error
                self.policy.sleep(self.policy.backoff(attempt))
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as error:
                raise unavailable(url, error) from error


def unavailable(url: str, error: BaseException) -> ProviderUnavailable:
    """The error for a host that could not be reached."""
    return ProviderUnavailable(f"could not reach {host_of(url)}: {describe_network_error(error)}")
