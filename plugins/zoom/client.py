"""Authenticated GET requests to Zoom's REST API, with Zoom's error bodies turned into seatkeeper errors."""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import msgspec
import requests

from seatkeeper.errors import AuthenticationError, BadProviderData, PermissionDenied, ProviderError

from .auth import TokenSource
from .transport import Transport, host_of, html_answer, is_html

#: Zoom's codes for a token that lacks a scope (the docs say 4700, real answers say 4711).
MISSING_SCOPE_CODES = frozenset({4700, 4711})
INVALID_TOKEN_CODE = 124
#: Tries of one request while other threads keep replacing the token under it (each try uses a newer one).
MAX_TOKEN_ATTEMPTS = 5
USER_NOT_FOUND_CODE = 1001
_SCOPES = re.compile(r"scopes?\s*:?\s*\[([^\]]*)\]", re.IGNORECASE)


class FetchCancelled(ProviderError):
    """The client was closed while a fetch was still using it."""


class ZoomApiError(ProviderError):
    """Zoom refused a request for a reason other than the token, a scope, throttling or a server failure.

    :param status: the HTTP status; :param code: Zoom's error ``code`` from the body, if any; :param detail:
        Zoom's explanation (its ``message``, with the code). Callers use them to tell apart answers they can live
        with (a free account's 400 code 200, a user gone with 404 code 1001).
    """

    def __init__(self, message: str, *, status: int, code: int | None, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.detail = detail


class ZoomClient:
    """What :meth:`ZoomProvider.authenticate` returns: an authenticated session on one Zoom account.

    :param transport: the HTTP session with retries.
    :param tokens: the account's access tokens.
    :param api_url: base URL of the API, e.g. ``https://api.zoom.us/v2``.
    """

    def __init__(self, transport: Transport, tokens: TokenSource, api_url: str) -> None:
        self.transport = transport
        self.tokens = tokens
        self.api_url = api_url.rstrip("/")
        self.cancelled = threading.Event()

    def __repr__(self) -> str:
        return f"<ZoomClient api_url={self.api_url!r} account_id={self.tokens.account_id!r}>"

    def close(self) -> None:
        """Stop any fetch still running on this client and close its connections."""
        self.cancelled.set()
        self.transport.close()

    def __enter__(self) -> ZoomClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None, *, what: str | None = None) -> dict:
        """GET ``api_url + path`` and return the JSON object Zoom answered.

        A token Zoom calls invalid or expired (401 code 124) is replaced and the request sent once more (a
        token another thread had already replaced is simply swapped for the new one, at no cost).

        :param what: how to name this request in error messages, e.g. ``"page 3 of the active users"``.
        :raises AuthenticationError: the token is still refused after a fresh one.
        :raises PermissionDenied: the app lacks a scope (named in the message).
        :raises RateLimited, ProviderUnavailable: throttling or failures outlasting the retries.
        :raises BadProviderData: the answer is not a JSON object.
        :raises ZoomApiError: any other refusal, with Zoom's message, status and code.
        """
        url = self.api_url + "/" + path.lstrip("/")
        what = what or f"GET {urlsplit(url).path}"
        renewed = False
        for _attempt in range(MAX_TOKEN_ATTEMPTS):
            if self.cancelled.is_set():
                raise FetchCancelled(f"the Zoom session was closed before {what}")
            token = self.tokens.token()
            response = self.transport.request("GET", url, params=params, headers={"Authorization": f"Bearer {token}"})
            if response.status_code == 401 and _code(response) == INVALID_TOKEN_CODE:
                # Renew once per request; but if another thread already replaced the refused token, this
                # request only raced that renewal: retry with the new token without using up its own.
                if not self.tokens.invalidate(token):
                    continue
                if not renewed:
                    renewed = True
                    continue
            return self._read(response, url, what, renewed=renewed)
        return self._read(response, url, what, renewed=renewed)

    def _read(self, response: requests.Response, url: str, what: str, *, renewed: bool) -> dict:
        status = response.status_code
        if status != 429 and status < 500 and is_html(response):
            with_status = "" if status == 200 else f"HTTP {status} and "
            raise BadProviderData(f"{host_of(url)} answered {what} with {with_status}{html_answer('api_url')}")
        if status == 200:
            try:
                body = json_body(response)
            except ValueError:
                raise BadProviderData(f"Zoom answered {what} with malformed JSON") from None
            if not isinstance(body, dict):
                raise BadProviderData(f"Zoom answered {what} with JSON that is not an object")
            return body
        code, message = _error(response)
        message = self.tokens.redact(message)
        if status == 429:
            raise self.transport.throttled(response, what, message)
        if status >= 500:
            raise self.transport.failing(response, url, what)
        if status == 401:
            again = " even after a new one was issued" if renewed else ""
            reason = message.rstrip(".") or "HTTP 401"
            raise AuthenticationError(
                f"Zoom refused the access token for {what}{again}: {reason}; "
                "check that the Zoom app is activated and its credentials are current"
            )
        if code in MISSING_SCOPE_CODES or (status in (400, 403) and "does not contain scope" in message):
            raise PermissionDenied(_missing_scope_message(message))
        detail = f"{message} (code {code})" if message and code is not None else message or "no explanation"
        if status == 404 and code != USER_NOT_FOUND_CODE:
            # Not a missing user but a missing endpoint: the base URL is wrong.
            detail += f"; check api_url (ZOOM_API_URL): {self.api_url} should end in /v2"
        raise ZoomApiError(f"Zoom refused {what} with HTTP {status}: {detail}", status=status, code=code, detail=detail)


def json_body(response: requests.Response) -> Any:
    """The response's JSON, as ``response.json()`` reads it; :raises ValueError: it is not JSON.

    A page of 2,000 users is about a megabyte: msgspec parses it in two thirds of the standard library's time. JSON
    that msgspec refuses but the standard library takes (NaN, numbers beyond a float's range, escaped lone
    surrogates) and text that is not UTF-8 are left to ``response.json()``, so the result never depends on which
    one parsed it. (orjson was faster still, but it turns integers beyond 64 bits into floats.)
    """
    if response.encoding is None or _is_utf8(response.encoding):
        try:
            return _decode_json(response.content)
        except (msgspec.DecodeError, UnicodeDecodeError):
            pass
    return response.json()


_decode_json = msgspec.json.Decoder().decode


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _error(response: requests.Response) -> tuple[int | None, str]:
    try:
        body = response.json()
    except ValueError:
        return None, ""
    if not isinstance(body, dict):
        return None, ""
    code = body.get("code")
    message = body.get("message")
    return (code if isinstance(code, int) and not isinstance(code, bool) else None), (
        " ".join(message.split())[:300] if isinstance(message, str) else ""
    )


def _code(response: requests.Response) -> int | None:
    return _error(response)[0]


def _missing_scope_message(message: str) -> str:
    match = _SCOPES.search(message)
    scopes = [scope.strip() for scope in match.group(1).split(",") if scope.strip()] if match else []
    if not scopes:
        return f"the Zoom app lacks a scope the sync needs ({message}): add it to the Zoom app and activate it"
    noun = "scope" if len(scopes) == 1 else "scopes"
    return (
        f"the Zoom app lacks the {noun} {', '.join(scopes)}: add the {noun} {', '.join(scopes)} to the Zoom app "
        "(Zoom App Marketplace > Manage > your app > Scopes), then sync again"
    )
