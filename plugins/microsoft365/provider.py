"""The Microsoft 365 provider: an app registration's client-credentials token, then every user and SKU of the tenant."""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping

from seatkeeper import DemoSnapshot, FetchContext, Person, Provider, Rejected, SeatPlan, SeatRecord, Setting
from seatkeeper.errors import ConfigError

from .auth import TokenSource, credential
from .client import MAX_PAGES, GraphClient
from .clouds import endpoints
from .mapping import person_of, seats_of
from .skus import SkuCatalog
from .transport import RetryPolicy, new_session
from .users import PAGE_SIZE, list_users

SKUS_PERMISSION = "Organization.Read.All"
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$")
_CLIENT_ID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")


class Microsoft365Provider(Provider[GraphClient]):
    """Microsoft 365 licence seats (one per user per assigned SKU) and the tenant's people, through Microsoft Graph.

    The keyword arguments exist for tests and tuning; the defaults suit a real tenant.

    :param sleep: every wait (retry backoff, ``Retry-After``) goes through it (default: seatkeeper's stoppable sleep).
    :param clock: monotonic seconds, for the per-request deadline.
    :param max_retries: retries per request for 429, 5xx and network errors.
    :param deadline: seconds one request may take, its retries and waits included.
    :param timeout: ``(connect, read)`` timeouts of each attempt.
    :param page_size: users per page (Graph allows 1 to 999).
    :param max_pages: pages one listing may take before it is called endless.
    """

    name = "microsoft365"
    title = "Microsoft 365"
    directory = True
    settings = (
        Setting("tenant_id", "Directory (tenant) ID or domain of the Microsoft 365 tenant", env="M365_TENANT_ID"),
        Setting("client_id", "Application (client) ID of the app registration", env="M365_CLIENT_ID"),
        Setting(
            "client_secret",
            "Client secret value of the app registration (or use certificate_path)",
            secret=True,
            required=False,
            env="M365_CLIENT_SECRET",
        ),
        Setting(
            "certificate_path",
            "PEM file with the private key of the app's certificate (instead of a client secret)",
            required=False,
            env="M365_CERTIFICATE_PATH",
        ),
        Setting(
            "certificate_thumbprint",
            "Thumbprint of that certificate, as the app registration shows it",
            required=False,
            env="M365_CERTIFICATE_THUMBPRINT",
        ),
        Setting(
            "cloud",
            'National cloud: "global", "usgov" (GCC High), "usgov-dod" or "china"',
            required=False,
            env="M365_CLOUD",
            default="global",
        ),
        Setting(
            "sign_in_activity",
            'Read last sign-ins (needs AuditLog.Read.All and Entra ID P1/P2): "true" or "false"',
            required=False,
            env="M365_SIGN_IN_ACTIVITY",
            default="true",
        ),
        Setting(
            "free_skus",
            "Comma-separated SKU part numbers or ids to count as not billable",
            required=False,
            env="M365_FREE_SKUS",
        ),
        Setting(
            "paid_skus",
            "Comma-separated SKU part numbers or ids to count as billable",
            required=False,
            env="M365_PAID_SKUS",
        ),
        Setting(
            "authority_url",
            "Token host URL overriding the cloud's (tests, proxies), e.g. https://login.microsoftonline.com",
            required=False,
            env="M365_AUTHORITY_URL",
        ),
        Setting(
            "graph_url",
            "Graph base URL overriding the cloud's, e.g. https://graph.microsoft.com/v1.0",
            required=False,
            env="M365_GRAPH_URL",
        ),
        Setting(
            "ca_bundle",
            "PEM file of certificate authorities to trust (a TLS-inspecting proxy, the demo server)",
            required=False,
            env="M365_CA_BUNDLE",
        ),
    )

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] = RetryPolicy.sleep,
        clock: Callable[[], float] = RetryPolicy.clock,
        max_retries: int = RetryPolicy.max_retries,
        backoff_factor: float = RetryPolicy.backoff_factor,
        deadline: float = RetryPolicy.deadline,
        timeout: tuple[float, float] = RetryPolicy.timeout,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> None:
        if not 1 <= page_size <= PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {PAGE_SIZE}, not {page_size}")
        if max_retries < 0 or max_pages < 1:
            raise ValueError("max_retries must not be negative and max_pages must be positive")
        self.policy = RetryPolicy(
            sleep=sleep,
            clock=clock,
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            deadline=deadline,
            timeout=timeout,
        )
        self.page_size = page_size
        self.max_pages = max_pages

    def __repr__(self) -> str:
        return f"<Microsoft365Provider page_size={self.page_size} max_retries={self.policy.max_retries}>"

    def authenticate(self, settings: Mapping[str, str]) -> GraphClient:
        """Get a token for the app registration and return a :class:`GraphClient` for :meth:`fetch`.

        :raises ConfigError: a setting is missing or malformed.
        :raises AuthenticationError: Microsoft refuses the tenant, client id or credential (the message says which).
        :raises ProviderUnavailable: the token host cannot be reached.
        """
        tenant = (settings.get("tenant_id") or "").strip()
        client_id = (settings.get("client_id") or "").strip()
        if not _TENANT.match(tenant):
            raise ConfigError(
                "the Microsoft 365 tenant_id must be the Directory (tenant) ID (a GUID) or a domain such as "
                "contoso.onmicrosoft.com: check M365_TENANT_ID or the connection's tenant_id"
            )
        if not _CLIENT_ID.match(client_id):
            raise ConfigError(
                "the Microsoft 365 client_id must be the app registration's Application (client) ID, a GUID: check "
                "M365_CLIENT_ID or the connection's client_id"
            )
        _flag(settings, "sign_in_activity")
        where = endpoints(
            settings.get("cloud") or "global",
            tenant,
            settings.get("authority_url") or None,
            settings.get("graph_url") or None,
        )
        client_credential = credential(settings)
        session = new_session(self.policy, _ca_bundle(settings))
        tokens = TokenSource(session, where, client_id, client_credential)
        try:
            tokens.token()
        except BaseException:
            session.close()
            raise
        return GraphClient(session, tokens, where.graph_url, policy=self.policy, max_pages=self.max_pages)

    def fetch(self, session: GraphClient, context: FetchContext) -> Iterator[SeatRecord | Rejected | SeatPlan | Person]:
        """Yield one :class:`SeatRecord` per user per assigned SKU, one :class:`Person` per user, then one
        :class:`SeatPlan` per subscribed SKU.

        The SKUs come first (they name the seats' licence types). Warnings: sign-in activity unavailable, SKUs
        whose billing no rule decides, units suspended or in grace, SKUs held but not subscribed, and SKUs whose
        assigned count differs from the seats listed.
        """
        settings = context.settings
        subscribed = [
            row
            for page in session.pages("/subscribedSkus", {}, what="/subscribedSkus", permission=SKUS_PERMISSION)
            for row in page
        ]
        catalog = SkuCatalog(subscribed, free_skus=settings.get("free_skus"), paid_skus=settings.get("paid_skus"))
        held: Counter[str] = Counter()
        for user in list_users(session, context, sign_in=_flag(settings, "sign_in_activity"), page_size=self.page_size):
            for seat in seats_of(user, catalog):
                if isinstance(seat, SeatRecord):
                    held[seat.extras["sku_id"]] += 1
                yield seat
            person = person_of(user)
            if person is not None:
                yield person
        plans, warnings = catalog.plans()
        yield from plans
        for warning in warnings:
            context.warn(warning)
        for message in _catalog_warnings(catalog, held):
            context.warn(message)

    @contextlib.contextmanager
    def demo(self) -> Iterator[list[DemoSnapshot]]:
        """Serve a fictional company's tenant, in monthly snapshots, from a local Graph-compatible server."""
        from .demo import demo_snapshots

        with demo_snapshots() as snapshots:
            yield snapshots


def _catalog_warnings(catalog: SkuCatalog, held: Counter[str]) -> list[str]:
    messages = []
    undecided = catalog.undecided()
    if undecided:
        names = ", ".join(sku.part_number for sku in undecided)
        messages.append(
            f"could not tell whether these SKUs are billable, counted them as billable: {names}; list them in "
            "free_skus or paid_skus to decide"
        )
    if catalog.unsubscribed:
        names = ", ".join(sorted(catalog.get(sku_id).part_number for sku_id in catalog.unsubscribed))
        messages.append(f"users hold SKUs that /subscribedSkus does not list: {names}")
    for sku in catalog.skus.values():
        consumed = sku.subscribed.get("consumedUnits") if sku.subscribed else None
        if isinstance(consumed, int) and not isinstance(consumed, bool) and consumed != held[sku.sku_id]:
            messages.append(
                f"{sku.name} ({sku.part_number}): Graph counts {consumed} assigned but {held[sku.sku_id]} users "
                "hold it in this listing"
            )
    return messages


def _flag(settings: Mapping[str, str], name: str) -> bool:
    value = (settings.get(name) or "true").strip().lower()
    if value not in ("true", "false"):
        raise ConfigError(f'the Microsoft 365 setting {name} must be "true" or "false", not {value!r}')
    return value == "true"


def _ca_bundle(settings: Mapping[str, str]) -> str | None:
    path = (settings.get("ca_bundle") or "").strip()
    if not path:
        return None
    if not os.path.isfile(path):
        raise ConfigError(f"the Microsoft 365 ca_bundle {path!r} is not a file: check M365_CA_BUNDLE")
    return path
