"""Which hosts a tenant's tokens and Graph calls go to: the national clouds, and URLs overridden for tests or a demo."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from seatkeeper.errors import ConfigError
from seatkeeper.http import check_service_url

#: cloud setting -> (token host, Graph host), from Microsoft's national-cloud deployment table.
CLOUDS = {
    "global": ("login.microsoftonline.com", "graph.microsoft.com"),  # also US Gov GCC (moderate)
    "usgov": ("login.microsoftonline.us", "graph.microsoft.us"),  # GCC High (L4)
    "usgov-dod": ("login.microsoftonline.us", "dod-graph.microsoft.us"),  # DoD (L5)
    "china": ("login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn"),  # operated by 21Vianet
}


@dataclass(frozen=True)
class Endpoints:
    """Where one connection's requests go.

    :param authority: MSAL's authority, ``https://<token host>/<tenant>``.
    :param graph_url: Graph's versioned base URL, e.g. ``https://graph.microsoft.com/v1.0``.
    :param scope: the client-credentials scope, ``<Graph origin>/.default``.
    """

    authority: str
    graph_url: str
    scope: str


def endpoints(cloud: str, tenant: str, authority_url: str | None = None, graph_url: str | None = None) -> Endpoints:
    """The endpoints of ``cloud`` for ``tenant``, with ``authority_url`` / ``graph_url`` overriding its hosts.

    :raises ConfigError: an unknown cloud, or a URL that is malformed, carries credentials, or is plain http
        anywhere but this machine.
    """
    cloud = (cloud or "global").strip().lower()
    if cloud not in CLOUDS:
        raise ConfigError(f"the Microsoft 365 cloud {cloud!r} is unknown: use one of {', '.join(CLOUDS)} (M365_CLOUD)")
    login_host, graph_host = CLOUDS[cloud]
    login = check_url(authority_url or f"https://{login_host}", "authority_url", "M365_AUTHORITY_URL", https_only=True)
    graph = check_url(graph_url or f"https://{graph_host}/v1.0", "graph_url", "M365_GRAPH_URL")
    parts = urlsplit(graph)
    return Endpoints(
        authority=f"{login}/{tenant}",
        graph_url=graph,
        scope=f"{parts.scheme}://{parts.netloc}/.default",
    )


def check_url(value: str, name: str, env: str, *, https_only: bool = False) -> str:
    """``value`` without a trailing slash, if it is an https URL (or http on this machine, unless ``https_only``)."""
    # MSAL accepts https authorities only (it fetches the tenant's OpenID configuration from it).
    value, parts = check_service_url(
        value, "Microsoft 365", name, env, https_only="MSAL accepts no other" if https_only else None
    )
    if parts.query or parts.fragment:
        raise ConfigError(f"the Microsoft 365 {name} must not have a query or fragment: check {env}")
    return value


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, lower-cased, to compare where two URLs point."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"


def host_of(url: str) -> str:
    """``host[:port]`` of a URL, for messages (never the user-info part)."""
    parts = urlsplit(url)
    host = parts.hostname or url
    return f"{host}:{parts.port}" if parts.port else host
