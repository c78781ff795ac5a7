"""Authenticated GET requests to Microsoft Graph, its collections page by page, its error bodies as seatkeeper errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import msgspec
import requests

from seatkeeper.errors import (
    AuthenticationError,
    BadProviderData,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)

from .auth import TokenSource
from .clouds import host_of, origin
from .transport import RetryPolicy, retry_after_seconds, unreachable_message

#: Pages one collection may take before the listing is called endless (999 users a page: ten million users).
MAX_PAGES = 10_000
_decode = msgspec.json.Decoder().decode


class GraphRefused(ProviderError):
    """Graph refused a request for a reason the caller may live with; ``status`` and ``code`` say which."""

    def __init__(self, message: str, *, status: int, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class Forbidden(PermissionDenied):
    """Graph answered 403: the message names the permission; ``code`` is Graph's (e.g. ``Authorization_RequestDenied``)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class GraphClient:
    """What :meth:`Microsoft365Provider.authenticate` returns: Graph for one tenant, through one HTTP session.

    :param session: the HTTP session with the retry policy (shared with MSAL).
    :param tokens: the app's access tokens.
    :param graph_url: Graph's versioned base URL.
    :param max_pages: bound on the pages of one collection.
    """

    def __init__(
        self,
        session: requests.Session,
        tokens: TokenSource,
        graph_url: str,
        *,
        policy: RetryPolicy | None = None,
        max_pages: int = MAX_PAGES,
    ) -> None:
        self.session = session
        self.tokens = tokens
        self.graph_url = graph_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.max_pages = max_pages
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"<GraphClient graph_url={self.graph_url!r} client_id={self.tokens.client_id!r}>"

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def get(self, url: str, params: Mapping[str, str] | None = None, *, what: str, permission: str) -> dict:
        """GET ``url`` and return the JSON object Graph answered.

        A 401 ``InvalidAuthenticationToken`` (an expired token) gets a new token and the request once more.

        :param what: how messages name the request, e.g. ``"page 3 of /users"``.
        :param permission: the application permission the request needs, named when Graph refuses it.
        :raises Forbidden: a 403, naming ``permission``.
        :raises GraphRefused: another 4xx, with Graph's code.
        """
        renewed = False
        while True:
            token = self.tokens.token()
            try:
                self.requests_sent += 1
                response = self.session.get(
                    url,
                    params=params,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    allow_redirects=False,
                )
            except requests.RequestException as error:
                raise ProviderUnavailable(unreachable_message(url, error)) from None
            if response.status_code == 401 and not renewed:
                renewed = True
                self.tokens.renew(token)
                continue
            return self._read(response, what, permission, renewed=renewed)

    def pages(self, path: str, params: Mapping[str, str], *, what: str, permission: str) -> Iterator[list[Any]]:
        """Each page's ``value`` of the collection at ``graph_url + path``, following ``@odata.nextLink`` verbatim.

        :raises BadProviderData: a page without a ``value`` list, a next link to another host, the same link
            twice, or more than ``max_pages`` pages.
        """
        url: str | None = self.graph_url + path
        query: Mapping[str, str] | None = params
        seen: set[str] = set()
        number = 0
        while url is not None:
            number += 1
            if number > self.max_pages:
                raise BadProviderData(
                    f"Graph kept sending @odata.nextLink for {what} after {self.max_pages} pages: the listing does "
                    "not end; try again later"
                )
            body = self.get(url, query, what=f"page {number} of {what}", permission=permission)
            value = body.get("value")
            if not isinstance(value, list):
                raise BadProviderData(f"Graph answered page {number} of {what} without a 'value' list")
            yield value
            url, query = self._next_link(body, what, number, seen), None

    def _next_link(self, body: dict, what: str, number: int, seen: set[str]) -> str | None:
        link = body.get("@odata.nextLink")
        if link is None:
            return None
        if not isinstance(link, str) or not link:
            raise BadProviderData(f"Graph answered page {number} of {what} with an @odata.nextLink that is not a URL")
        if origin(link) != origin(self.graph_url) or not urlsplit(link).path.startswith(urlsplit(self.graph_url).path):
            # The token must go nowhere but Graph.
            raise BadProviderData(
                f"Graph's @odata.nextLink after page {number} of {what} points to {host_of(link)}, not "
                f"{host_of(self.graph_url)}: refused"
            )
        if link in seen:
            raise BadProviderData(f"Graph sent the same @odata.nextLink twice for {what}: the listing would not end")
        seen.add(link)
        return link

    def _read(self, response: requests.Response, what: str, permission: str, *, renewed: bool) -> dict:
        status = response.status_code
        if status == 200:
            return self._json_object(response, what)
        code, message = _error(response)
        message = self.tokens.redact(message)
        if status == 429:
            after = retry_after_seconds(response.headers.get("Retry-After"))
            wait = f" (it asked to wait {after:g} s more)" if after is not None else ""
            raise RateLimited(
                f"Graph kept throttling {what} after {self.policy.max_retries + 1} tries{wait}: the app's limit is "
                "shared by every sync of this tenant; try again later"
            )
        if status >= 500:
            raise ProviderUnavailable(
                f"could not reach {host_of(self.graph_url)}: {what} kept failing with HTTP {status} after "
                f"{self.policy.max_retries + 1} tries; try again later"
            )
        if status == 401:
            again = " even after a new one was issued" if renewed else ""
            raise AuthenticationError(
                f"Graph refused the access token for {what}{again} ({code or 'HTTP 401'}): check that the app's "
                "tenant_id and cloud match the tenant"
            )
        if status == 403:
            raise Forbidden(
                f"Graph refused {what} ({code or 'HTTP 403'}): the app needs the application permission {permission} "
                "with admin consent (Entra admin center > App registrations > API permissions)",
                code=code,
            )
        if status == 404:
            raise BadProviderData(
                f"Graph answered {what} with HTTP 404 ({code or 'not found'}): check graph_url, which should end "
                "in /v1.0"
            )
        detail = f"{code}: {message}" if code and message else code or message or "no explanation"
        raise GraphRefused(f"Graph refused {what} with HTTP {status} ({detail})", status=status, code=code)

    def _json_object(self, response: requests.Response, what: str) -> dict:
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind == "text/html" or response.content.lstrip()[:1] == b"<":
            raise BadProviderData(
                f"Graph answered {what} with an HTML page instead of JSON (a proxy or captive portal in the "
                "way?); check graph_url"
            )
        try:
            body = _decode(response.content)
        except (msgspec.DecodeError, UnicodeDecodeError):
            raise BadProviderData(f"Graph answered {what} with malformed JSON") from None
        if not isinstance(body, dict):
            raise BadProviderData(f"Graph answered {what} with JSON that is not an object")
        return body


def _error(response: requests.Response) -> tuple[str, str]:
    """Graph's ``error.code`` and ``error.message`` (empty when the body is not Graph's error JSON)."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    code, message = error.get("code"), error.get("message")
    return (
        code.strip()[:100] if isinstance(code, str) else "",
        " ".join(message.split())[:300] if isinstance(message, str) else "",
    )
