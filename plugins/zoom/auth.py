"""Server-to-Server OAuth for Zoom: one access token per account, reused until shortly before it expires.

The client secret and the tokens stay inside :class:`TokenSource`: no message, log line, exception or
``repr`` built here contains them.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable

import requests

from seatkeeper.errors import AuthenticationError, BadProviderData, ConfigError

from .transport import Transport, host_of, html_answer, is_html

log = logging.getLogger(__name__)

#: Stop using a token this many seconds before Zoom says it expires (clocks drift, requests take time).
REFRESH_MARGIN = 60.0
DEFAULT_EXPIRES_IN = 3600.0


def check_credential(name: str, value: str, env: str) -> str:
    """Strip a credential and refuse characters Zoom never issues, without echoing the value."""
    value = (value or "").strip()
    if not value:
        raise ConfigError(f"the Zoom connection needs {name}: set {env} or the connection's {name}")
    if not (value.isascii() and value.isprintable()) or any(char.isspace() for char in value):
        # Copy-paste accidents (a space, a quote, a line break) are the usual cause of invalid_client.
        raise ConfigError(
            f"the Zoom {name} contains spaces or characters Zoom never uses: copy it again from the Zoom app"
        )
    return value


class TokenSource:
    """Gets and caches Server-to-Server OAuth access tokens for one Zoom account.

    Thread-safe: the fetch threads share one token, and a rejected token is replaced once for all of them
    (asking Zoom for a new token may invalidate the previous one, so every thread must not ask its own).

    :param transport: where the token requests go.
    :param oauth_url: the token endpoint, e.g. ``https://zoom.us/oauth/token``.
    :param clock: monotonic seconds, for expiry.
    """

    def __init__(
        self,
        transport: Transport,
        oauth_url: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.oauth_url = oauth_url
        self.account_id = account_id
        self._client_id = client_id
        credentials = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")
        self._basic = "Basic " + credentials
        self._secrets = (client_secret, credentials)
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.tokens_issued = 0

    def __repr__(self) -> str:
        return f"<TokenSource account_id={self.account_id!r} oauth_url={self.oauth_url!r}>"

    def token(self) -> str:
        """A valid access token: the cached one, or a new one from Zoom."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                self._token, lifetime = self._request_token()
                self._expires_at = self._clock() + _usable_lifetime(lifetime)
                self.tokens_issued += 1
                log.debug("got a Zoom access token for account %r, valid for %.0f s", self.account_id, lifetime)
            return self._token

    def invalidate(self, token: str | None = None) -> bool:
        """Forget the cached token (Zoom answered 401 code 124), unless another thread already replaced it.

        :returns: whether ``token`` was the current one (False: a newer token is already there to retry with).
        """
        with self._lock:
            if token is None or token == self._token:
                self._token = None
                self._expires_at = 0.0
                return True
            return False

    def redact(self, text: str) -> str:
        """``text`` with the secret, the Basic credentials and the current token masked (for server texts)."""
        for secret in (*self._secrets, self._token):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _request_token(self) -> tuple[str, float]:
        what = "the Zoom token request"
        response = self.transport.request(
            "POST",
            self.oauth_url,
            data={"grant_type": "account_credentials", "account_id": self.account_id},
            headers={"Authorization": self._basic},
        )
        if response.status_code == 429:
            raise self.transport.throttled(response, what, self.redact(response.text[:500]))
        if response.status_code >= 500:
            raise self.transport.failing(response, self.oauth_url, what, "oauth_url")
        if is_html(response):
            raise BadProviderData(
                f"Zoom's token endpoint at {host_of(self.oauth_url)} answered HTTP {response.status_code} with "
                + html_answer("oauth_url")
            )
        body = _json_object(response)
        if response.status_code != 200:
            raise self._rejected(response.status_code, body)
        token = body.get("access_token") if body else None
        if not isinstance(token, str) or not token:
            raise BadProviderData(
                f"Zoom's token endpoint at {host_of(self.oauth_url)} answered without an access token; "
                "check oauth_url (ZOOM_OAUTH_URL)"
            )
        expires_in = body.get("expires_in", DEFAULT_EXPIRES_IN)
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float) or expires_in <= 0:
            expires_in = DEFAULT_EXPIRES_IN
        return token, float(expires_in)

    def _rejected(self, status: int, body: dict | None) -> Exception:
        error = str((body or {}).get("error", "")).strip()
        reason = self.redact(str((body or {}).get("reason", "")).strip())[:200]
        if error == "invalid_client":
            return AuthenticationError("Zoom rejected the client id/secret: check them and that the app is activated")
        if error == "invalid_request":
            return AuthenticationError(
                f"Zoom rejected the account id {self.account_id!r}: check ZOOM_ACCOUNT_ID / the connection's "
                "account_id (Zoom app > App Credentials > Account ID)"
            )
        if error == "unsupported_grant_type":
            return AuthenticationError(
                "Zoom refused the account_credentials grant: the credentials must belong to a "
                "Server-to-Server OAuth app (not an OAuth or JWT app)"
            )
        if body is None:
            return AuthenticationError(
                f"Zoom's token endpoint at {host_of(self.oauth_url)} answered HTTP {status} without an "
                "explanation; check oauth_url (ZOOM_OAUTH_URL) and the app's credentials"
            )
        detail = f"{reason} ({error})" if reason and error else reason or error or f"HTTP {status}"
        return AuthenticationError(f"Zoom refused to issue an access token: {detail}")


def _json_object(response: requests.Response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _usable_lifetime(expires_in: float) -> float:
    if expires_in > 2 * REFRESH_MARGIN:
        return expires_in - REFRESH_MARGIN
    return expires_in / 2
