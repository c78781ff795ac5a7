"""The Zoom provider: Server-to-Server OAuth, then every user of the account in all three statuses."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import math
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from seatkeeper import DemoSnapshot, FetchContext, Provider, Rejected, SeatPlan, SeatRecord, Setting
from seatkeeper.errors import ConfigError
from seatkeeper.http import check_service_url

from .addons import addons_enabled, with_addons
from .auth import TokenSource, check_credential
from .client import ZoomClient
from .plans import fetch_plans
from .summary import SyncedCounts, reconcile
from .transport import RetryPolicy, Transport
from .users import ALL_STATUSES, fetch_users

DEFAULT_API_URL = "https://api.zoom.us/v2"
DEFAULT_OAUTH_URL = "https://zoom.us/oauth/token"
MAX_PAGE_SIZE = 2000  # Zoom's 2025 specs; the 2024 spec (and the default here) says 300
MAX_ADDON_WORKERS = 4


class ZoomProvider(Provider[ZoomClient]):
    """Zoom licence seats through a Server-to-Server OAuth app.

    The keyword arguments exist for tests and tuning; the defaults suit a real account.

    :param policy: how every request of this provider waits, retries and times out; the connection settings
        ``max_retry_wait`` and ``request_timeout`` override its fields of the same names.
    :param page_size: users per page (Zoom allows 300; newer accounts 2000).
    :param workers: how many status lists are fetched at once (1 = one after the other); the users come out in
        the same order whatever the timing (see :func:`~seatkeeper_zoom.users.stream_pages`).
    :param addon_workers: how many users' settings are read at once when ``fetch_addons`` is on (1 = one after
        the other, in the fetching thread).
    """

    name = "zoom"
    title = "Zoom"
    application = "Zoom"
    settings = (
        Setting("account_id", "Account ID of the Server-to-Server OAuth app", env="ZOOM_ACCOUNT_ID"),
        Setting("client_id", "Client ID of the Server-to-Server OAuth app", env="ZOOM_CLIENT_ID"),
        Setting(
            "client_secret", "Client secret of the Server-to-Server OAuth app", secret=True, env="ZOOM_CLIENT_SECRET"
        ),
        Setting(
            "api_url",
            "Zoom API base URL (https://api.zoomgov.com/v2 for ZoomGov)",
            required=False,
            env="ZOOM_API_URL",
            default=DEFAULT_API_URL,
        ),
        Setting(
            "oauth_url",
            "Zoom OAuth token URL (https://zoomgov.com/oauth/token for ZoomGov)",
            required=False,
            env="ZOOM_OAUTH_URL",
            default=DEFAULT_OAUTH_URL,
        ),
        Setting(
            "fetch_addons",
            'Also read each user\'s add-ons (large meeting, webinar, Zoom Phone...): "true" or "false"',
            required=False,
            env="ZOOM_FETCH_ADDONS",
            default="false",
        ),
        Setting(
            "max_retry_wait",
            f"Longest Retry-After wait, in seconds, before the sync stops instead (default {RetryPolicy.max_retry_wait:g})",
            required=False,
            env="ZOOM_MAX_RETRY_WAIT",
            number=True,
        ),
        Setting(
            "request_timeout",
            f"Most seconds one request may take, answer included (default {RetryPolicy.request_timeout:g})",
            required=False,
            env="ZOOM_REQUEST_TIMEOUT",
            number=True,
        ),
    )

    def __init__(
        self,
        *,
        policy: RetryPolicy | None = None,
        page_size: int = 300,
        workers: int = 3,
        addon_workers: int = 3,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, not {page_size}")
        if not 1 <= addon_workers <= MAX_ADDON_WORKERS:
            # Settings requests share the account's Medium rate limit with every other app: stay polite (and,
            # with the three list threads, within the transport's 8 pooled connections).
            raise ValueError(f"addon_workers must be between 1 and {MAX_ADDON_WORKERS}, not {addon_workers}")
        self.policy = policy or RetryPolicy()
        self.page_size = page_size
        self.workers = workers
        self.addon_workers = addon_workers
        self._tokens: dict[tuple[Any, ...], TokenSource] = {}
        self._tokens_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<ZoomProvider page_size={self.page_size} max_retries={self.policy.max_retries}>"

    def transport(self, policy: RetryPolicy | None = None) -> Transport:
        """A new HTTP transport following ``policy`` (by default this provider's)."""
        return Transport(policy or self.policy)

    def connection_policy(self, settings: Mapping[str, str]) -> RetryPolicy:
        """This provider's policy with the connection's ``max_retry_wait`` and ``request_timeout``, if set.

        :raises ConfigError: one of them is not a positive number of seconds.
        """
        policy = self.policy
        max_retry_wait = _seconds(settings, "max_retry_wait", "ZOOM_MAX_RETRY_WAIT")
        if max_retry_wait is not None:
            policy = dataclasses.replace(policy, max_retry_wait=max_retry_wait)
        request_timeout = _seconds(settings, "request_timeout", "ZOOM_REQUEST_TIMEOUT")
        if request_timeout is not None:
            connect, read = policy.timeout
            # A silence longer than the whole request may take would never be noticed as one.
            timeout = (min(connect, request_timeout), min(read, request_timeout))
            policy = dataclasses.replace(policy, request_timeout=request_timeout, timeout=timeout)
        return policy

    def authenticate(self, settings: Mapping[str, str]) -> ZoomClient:
        """Get an access token for the connection's account and return a :class:`ZoomClient` for :meth:`fetch`.

        The token is asked for here, so wrong credentials fail before anything is fetched. A token still
        valid from an earlier connection with the same credentials is reused (Zoom may invalidate the old
        token when a new one is issued).

        :raises ConfigError: a setting is missing or malformed.
        :raises AuthenticationError: Zoom rejects the credentials (the message says which one).
        """
        account_id = check_credential("account_id", settings.get("account_id", ""), "ZOOM_ACCOUNT_ID")
        client_id = check_credential("client_id", settings.get("client_id", ""), "ZOOM_CLIENT_ID")
        client_secret = check_credential("client_secret", settings.get("client_secret", ""), "ZOOM_CLIENT_SECRET")
        addons_enabled(settings)  # a malformed fetch_addons fails here, before any request
        api_url = _url(settings.get("api_url") or DEFAULT_API_URL, "api_url", "ZOOM_API_URL")
        oauth_url = _url(settings.get("oauth_url") or DEFAULT_OAUTH_URL, "oauth_url", "ZOOM_OAUTH_URL")
        policy = self.connection_policy(settings)

        secret_hash = hashlib.sha256(client_secret.encode()).hexdigest()
        # The connection's own time settings shape the token requests too.
        key = (
            oauth_url,
            account_id,
            client_id,
            secret_hash,
            policy.max_retry_wait,
            policy.request_timeout,
            policy.timeout,
        )
        with self._tokens_lock:
            tokens = self._tokens.get(key)
            if tokens is None:
                tokens = TokenSource(self.transport(policy), oauth_url, account_id, client_id, client_secret)
                self._tokens[key] = tokens
        tokens.token()
        return ZoomClient(self.transport(policy), tokens, api_url)

    def fetch(self, session: ZoomClient, context: FetchContext) -> Iterator[SeatRecord | Rejected | SeatPlan]:
        """Yield every user of the account (active, inactive and pending) as a :class:`SeatRecord`, then the
        account's plans as :class:`SeatPlan` items.

        Users that cannot be mapped come as :class:`Rejected`. Pages are streamed: memory stays flat whatever the
        account's size. With ``fetch_addons`` on, each user's add-ons go in ``extras["addons"]``. Plan usage and
        the user summary are optional: without their scope (or on a free account) a warning says so, and the
        sync goes on. The user summary is compared with what was yielded; a difference is a warning.
        """
        items: Iterator[Any] = fetch_users(
            session, context, page_size=self.page_size, statuses=ALL_STATUSES, workers=self.workers
        )
        if addons_enabled(context.settings):
            items = with_addons(session, items, workers=self.addon_workers)
        counts = SyncedCounts()
        yield from counts.counting(items)
        yield from fetch_plans(session, context)
        reconcile(session, context, counts)

    @contextlib.contextmanager
    def demo(self) -> Iterator[list[DemoSnapshot]]:
        """Serve a fictional company's Zoom account, in monthly snapshots, from a local fake Zoom server."""
        from .demo import demo_snapshots

        with demo_snapshots() as snapshots:
            yield snapshots


def _seconds(settings: Mapping[str, str], name: str, env: str) -> float | None:
    """A setting given in seconds (``None`` when not set). :raises ConfigError: not a positive number."""
    value = settings.get(name)
    if value is None or str(value).strip() == "":
        return None
    try:
        seconds = float(str(value).strip())
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigError(
            f"the Zoom setting {name} must be a positive number of seconds, not {str(value)[:40]!r}: check {env} "
            f"or the connection's {name}"
        )
    return seconds


def _url(value: str, name: str, env: str) -> str:
    return check_service_url(value, "Zoom", name, env)[0]
