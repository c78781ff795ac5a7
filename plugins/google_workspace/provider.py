"""The Google Workspace provider: licence seats from the Licensing API, people and status from the Directory."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from seatkeeper import DemoSnapshot, FetchContext, Person, Provider, Rejected, SeatPlan, SeatRecord, Setting, cancel
from seatkeeper.errors import ConfigError, PermissionDenied
from seatkeeper.http import check_service_url

from . import directory as directory_api
from . import licensing
from .auth import TokenSource, build_credentials, load_key, scopes_for
from .client import GoogleApiError, GoogleClient
from .mapping import emails_of, identity_problem, orphan_seats, person_of, seats_of
from .skus import DEFAULT_PRODUCTS, parse_id_list
from .transport import RetryPolicy, Sleeper, Transport
from .usage import fetch_plans

DEFAULT_ADMIN_URL = "https://admin.googleapis.com"
DEFAULT_LICENSING_URL = "https://licensing.googleapis.com"
_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


class GoogleWorkspaceProvider(Provider[GoogleClient]):
    """Google Workspace licence seats and people, through a service account with domain-wide delegation.

    The keyword arguments exist for tests and tuning; the defaults suit a real customer.

    :param sleep: every wait (backoff, ``Retry-After``, pacing) goes through it. By default waits go through the
        fetch's ``FetchContext.sleep`` (seatkeeper's stop-aware sleep, which also serves ``authenticate``).
    :param max_retries: retries per request for throttling, 5xx and broken connections.
    :param backoff_factor: the first retry waits this long, doubling, up to ``backoff_max`` seconds.
    :param deadline: seconds one request may take, retries included.
    :param timeout: ``(connect, read)`` seconds of each attempt.
    :param clock: monotonic seconds, for the deadline and pacing.
    :param now: the current time, for the Reports API's day.
    :param user_page_size: Directory users per page (1..500).
    :param license_page_size: licence assignments per page (1..1000).
    :param workers: products listed at once (1: one after the other).
    :param max_pages: pages one list may have before the sync stops (a page-token loop).
    """

    name = "google-workspace"
    title = "Google Workspace"
    directory = True
    settings = (
        Setting(
            "subject",
            "E-mail of the admin the service account acts as (domain-wide delegation)",
            env="GOOGLE_WORKSPACE_SUBJECT",
        ),
        Setting(
            "key_file", "Path of the service account's JSON key file", required=False, env="GOOGLE_WORKSPACE_KEY_FILE"
        ),
        Setting(
            "key_json",
            "The service account's JSON key itself (instead of key_file; give it as key_json_env)",
            secret=True,
            required=False,
            env="GOOGLE_WORKSPACE_KEY_JSON",
        ),
        Setting(
            "products",
            "Licensing product ids to list, comma-separated (default: Workspace editions, Gemini, Education)",
            required=False,
            env="GOOGLE_WORKSPACE_PRODUCTS",
            default="",
        ),
        Setting(
            "free_skus",
            "SKU ids to count as not billable besides the built-in free ones, comma-separated",
            required=False,
            default="",
        ),
        Setting(
            "usage_reports",
            'Read purchased seats from the Reports API (needs its scope): "true" or "false"',
            required=False,
            default="true",
        ),
        Setting(
            "requests_per_minute",
            "Pace requests to at most this many a minute (empty: no pacing, back off when Google says so)",
            required=False,
            default="",
        ),
        Setting(
            "token_uri",
            "OAuth token URL (default: the key file's token_uri)",
            required=False,
            env="GOOGLE_WORKSPACE_TOKEN_URI",
        ),
        Setting("admin_url", "Directory and Reports API base URL", required=False, default=DEFAULT_ADMIN_URL),
        Setting("licensing_url", "Licensing API base URL", required=False, default=DEFAULT_LICENSING_URL),
    )

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] | None = None,
        max_retries: int = RetryPolicy.max_retries,
        backoff_factor: float = RetryPolicy.backoff_factor,
        backoff_max: float = RetryPolicy.backoff_max,
        deadline: float = RetryPolicy.deadline,
        timeout: tuple[float, float] = RetryPolicy.timeout,
        clock: Callable[[], float] = RetryPolicy.clock,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        user_page_size: int = directory_api.MAX_PAGE_SIZE,
        license_page_size: int = licensing.MAX_PAGE_SIZE,
        workers: int = 2,
        max_pages: int = 10_000,
    ) -> None:
        if not 1 <= user_page_size <= directory_api.MAX_PAGE_SIZE:
            raise ValueError(f"user_page_size must be between 1 and {directory_api.MAX_PAGE_SIZE}")
        if not 1 <= license_page_size <= licensing.MAX_PAGE_SIZE:
            raise ValueError(f"license_page_size must be between 1 and {licensing.MAX_PAGE_SIZE}")
        if not 1 <= workers <= 4:
            raise ValueError("workers must be between 1 and 4: the quota is per minute, more threads do not help")
        self.policy = RetryPolicy(
            sleep=cancel.sleep if sleep is None else sleep,
            clock=clock,
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            backoff_max=backoff_max,
            deadline=deadline,
            timeout=timeout,
        )
        self.context_sleep = sleep is None
        self.now = now
        self.user_page_size = user_page_size
        self.license_page_size = license_page_size
        self.workers = workers
        self.max_pages = max_pages

    def __repr__(self) -> str:
        return f"<GoogleWorkspaceProvider workers={self.workers} max_retries={self.policy.max_retries}>"

    def authenticate(self, settings: Mapping[str, str]) -> GoogleClient:
        """Load the key, get an access token as the delegated admin, and return a :class:`GoogleClient`.

        :raises ConfigError: a setting is missing or malformed, or the key cannot be read.
        :raises AuthenticationError: Google refuses the key or the subject.
        :raises PermissionDenied: domain-wide delegation is not set up for the scopes (the message names them).
        """
        subject = (settings.get("subject") or "").strip()
        if "@" not in subject or any(char.isspace() for char in subject):
            raise ConfigError(
                "subject must be the e-mail of an admin of the domain (GOOGLE_WORKSPACE_SUBJECT), e.g. admin@example.com"
            )
        chosen = options(settings)  # malformed options fail before any request
        admin_url = _url(settings.get("admin_url") or DEFAULT_ADMIN_URL, "admin_url")
        licensing_url = _url(settings.get("licensing_url") or DEFAULT_LICENSING_URL, "licensing_url")
        token_uri = (settings.get("token_uri") or "").strip() or None
        info = load_key(settings)
        token_uri = _url(token_uri or str(info.get("token_uri") or "https://oauth2.googleapis.com/token"), "token_uri")
        credentials = build_credentials(info, subject, scopes_for(chosen["usage_reports"]), token_uri)
        # Each session waits through its own Sleeper, so fetch can hand the waits to its context.
        policy = dataclasses.replace(self.policy, sleep=Sleeper(self.policy.sleep))
        transport = Transport(policy, pool_size=max(4, 2 * self.workers))
        client_id = info.get("client_id") if isinstance(info.get("client_id"), str) else None
        tokens = TokenSource(credentials, transport, subject, client_id, token_uri)
        try:
            tokens.token()
        except BaseException:
            transport.close()
            raise
        return GoogleClient(
            transport,
            tokens,
            admin_url,
            licensing_url,
            requests_per_minute=chosen["requests_per_minute"],
        )

    def fetch(
        self, session: GoogleClient, context: FetchContext
    ) -> Iterator[SeatRecord | Rejected | SeatPlan | Person]:
        """Yield one :class:`Person` per Directory user and one :class:`SeatRecord` per SKU the user holds, then
        the purchased-seat :class:`SeatPlan` items.

        The licence assignments of every product are read first (see :mod:`.licensing` for the map this keeps);
        the Directory is then streamed page by page. An assignment whose e-mail no Directory user has is a seat of
        status unknown, and a warning says how many there are.
        """
        if not isinstance(session, GoogleClient):
            raise TypeError(f"fetch needs the GoogleClient from authenticate(), not {type(session)}")
        if self.context_sleep and isinstance(session.policy.sleep, Sleeper):
            session.policy.sleep.function = context.sleep
        settings = options(context.settings)
        customer = directory_api.customer_id(session)
        session.customer_id = customer
        assignments = licensing.fetch_assignments(
            session,
            context,
            customer,
            settings["products"] or DEFAULT_PRODUCTS,
            explicit=bool(settings["products"]),
            page_size=self.license_page_size,
            max_pages=self.max_pages,
            workers=self.workers,
            free_skus=settings["free_skus"],
        )
        context.progress(total=assignments.count)
        for reason in assignments.rejected:
            yield Rejected(reason=reason)
        if assignments.rejected_count > len(assignments.rejected):
            context.warn(
                f"{assignments.rejected_count} licence assignments could not be read (no user e-mail or SKU id); "
                f"the first {len(assignments.rejected)} are listed as rejected"
            )
        held = assignments.by_email
        for page in directory_api.iter_user_pages(session, page_size=self.user_page_size, max_pages=self.max_pages):
            seats = 0
            for user in page:
                problem = identity_problem(user)
                if problem:
                    yield Rejected(reason=problem)
                    continue
                emails = emails_of(user)
                yield person_of(user, emails)
                skus: tuple = ()
                for email in emails:
                    for sku in held.pop(email, ()):
                        if sku not in skus:
                            skus += (sku,)
                if skus:
                    seats += len(skus)
                    yield from seats_of(user, skus)
            context.progress(advance=seats)
        orphans = 0
        for email in sorted(held):
            seats = orphan_seats(email, held[email])
            orphans += len(seats)
            yield from seats
        if orphans:
            context.warn(
                f"{orphans} licence assignment(s) belong to e-mails no Directory user has (deleted users, or users "
                "outside my_customer): recorded with status unknown; check Admin console > Billing > Licence settings"
            )
        for (product_id, sku_id), count in sorted(assignments.unknown_skus.items()):
            context.warn(
                f"{count} seat(s) of SKU {sku_id} (product {product_id}) that seatkeeper does not know: counted as "
                "billable; if it is free, add it to free_skus"
            )
        if settings["usage_reports"]:
            try:
                yield from fetch_plans(session, context, customer, self.now)
            except (PermissionDenied, GoogleApiError) as error:
                # Purchased seats are optional: the seats and people of this run stand without them.
                context.warn(f"purchased seats are not known: {error}")

    @contextlib.contextmanager
    def demo(self) -> Iterator[list[DemoSnapshot]]:
        """Serve a fictional company's Workspace, in monthly snapshots, from the local compatible server."""
        from .demo import demo_snapshots

        with demo_snapshots() as snapshots:
            yield snapshots


def options(settings: Mapping[str, str]) -> dict[str, Any]:
    """The connection's options read from their text: products, free SKUs, usage reports, pacing.

    :raises ConfigError: a value that cannot be read.
    """
    flag = (settings.get("usage_reports") or "true").strip().lower()
    if flag not in _BOOLEANS:
        raise ConfigError(f'usage_reports must be "true" or "false", not {flag[:40]!r}')
    pace = (settings.get("requests_per_minute") or "").strip()
    try:
        per_minute = float(pace) if pace else None
    except ValueError:
        per_minute = -1.0
    if per_minute is not None and not 0 < per_minute <= 100_000:
        raise ConfigError(f"requests_per_minute must be a positive number, not {pace[:40]!r}")
    return {
        "products": parse_id_list(settings.get("products") or ""),
        "free_skus": frozenset(parse_id_list(settings.get("free_skus") or "")),
        "usage_reports": _BOOLEANS[flag],
        "requests_per_minute": per_minute,
    }


def _url(value: str, name: str) -> str:
    return check_service_url(value, "Google Workspace", name)[0]
