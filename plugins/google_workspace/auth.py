"""Service-account credentials with domain-wide delegation, through google-auth, refreshed over our transport.

The key comes from a file (``key_file``) or from the key JSON itself in an environment variable (``key_json``, a
secret setting). google-auth signs the JWT (``sub`` = the delegated admin) and asks the token URI for an access
token; its HTTP goes through :class:`~seatkeeper_google_workspace.transport.Transport`, so retries and waits follow
the connection's policy. Messages name the key's service account and the fix, never the key or a token.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
from google.oauth2 import service_account

from seatkeeper.errors import (
    AuthenticationError,
    BadProviderData,
    ConfigError,
    PermissionDenied,
    ProviderUnavailable,
    RateLimited,
)

from .transport import Transport, host_of, unavailable

DIRECTORY_USERS_SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"
DIRECTORY_CUSTOMER_SCOPE = "https://www.googleapis.com/auth/admin.directory.customer.readonly"
#: The Licensing API's only scope: Google offers no read-only one (seatkeeper only reads).
LICENSING_SCOPE = "https://www.googleapis.com/auth/apps.licensing"
REPORTS_USAGE_SCOPE = "https://www.googleapis.com/auth/admin.reports.usage.readonly"
BASE_SCOPES = (DIRECTORY_USERS_SCOPE, DIRECTORY_CUSTOMER_SCOPE, LICENSING_SCOPE)
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
DELEGATION_PAGE = "Admin console > Security > Access and data control > API controls > Manage Domain Wide Delegation"
MAX_KEY_BYTES = 64_000  # a service-account key is about 2.3 kB


def scopes_for(usage_reports: bool) -> tuple[str, ...]:
    """The scopes a connection asks for: the Reports one only when purchased seats are read."""
    return BASE_SCOPES + ((REPORTS_USAGE_SCOPE,) if usage_reports else ())


def load_key(settings: Mapping[str, str]) -> dict[str, Any]:
    """The service-account key from ``key_json`` (the JSON text) or ``key_file`` (its path).

    :raises ConfigError: neither is given, the file cannot be read, or it is not a service-account key.
    """
    text = (settings.get("key_json") or "").strip()
    path_text = (settings.get("key_file") or "").strip()
    if text:
        where = "the key JSON in key_json (GOOGLE_WORKSPACE_KEY_JSON)"
    elif path_text:
        path = Path(path_text).expanduser()
        where = f"the key file {path}"
        try:
            if path.stat().st_size > MAX_KEY_BYTES:
                raise ConfigError(f"{where} is too large to be a service-account key: check key_file")
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{where} does not exist: check key_file (GOOGLE_WORKSPACE_KEY_FILE)") from None
        except IsADirectoryError:
            raise ConfigError(f"{where} is a folder, not a key file: check key_file") from None
        except PermissionError:
            raise ConfigError(f"{where} cannot be read (permission denied): check its permissions") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"{where} cannot be read ({type(error).__name__}): check key_file") from None
    else:
        raise ConfigError(
            "no service-account key: set key_file (or GOOGLE_WORKSPACE_KEY_FILE) to the JSON key's path, "
            'or key_json_env = "VAR" naming a variable that holds the key JSON'
        )
    try:
        info = json.loads(text)
    except ValueError:
        # Never echo the text: it may be a key with one character wrong.
        raise ConfigError(
            f"{where} is not valid JSON: download the key again (Cloud console > IAM > Service accounts > Keys)"
        ) from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        kind = info.get("type") if isinstance(info, dict) and isinstance(info.get("type"), str) else None
        found = f" (its type is {kind[:40]!r})" if kind else ""
        raise ConfigError(
            f"{where} is not a service-account key{found}: create a JSON key for a service account "
            "(Cloud console > IAM > Service accounts > Keys > Add key)"
        )
    for field in ("client_email", "private_key"):
        if not isinstance(info.get(field), str) or not info[field].strip():
            raise ConfigError(f"{where} has no {field}: download the service account's JSON key again")
    return info


def build_credentials(info: Mapping[str, Any], subject: str, scopes: tuple[str, ...], token_uri: str | None):
    """google-auth credentials for ``info`` acting as ``subject``, asking ``token_uri`` (or the key's) for tokens.

    :raises ConfigError: the private key in the key cannot be read.
    """
    info = dict(info)
    info["token_uri"] = token_uri or info.get("token_uri") or DEFAULT_TOKEN_URI
    try:
        credentials = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
    except (ValueError, TypeError, IndexError):
        raise ConfigError(
            f"the private key of service account {info['client_email'][:200]} cannot be read: download the JSON "
            "key again"
        ) from None
    return credentials.with_subject(subject)


class _Request(google.auth.transport.requests.Request):
    """google-auth's requests transport over our retrying session; what the retries leave is our error.

    google-auth would retry a 429/5xx token answer itself with ``time.sleep``; raising here keeps every wait in the
    connection's policy (and a Ctrl-C able to end it).
    """

    def __call__(self, url, method="GET", body=None, headers=None, timeout=None, **kwargs):
        response = super().__call__(
            url, method=method, body=body, headers=headers, timeout=timeout or (10, 60), **kwargs
        )
        if response.status == 429:
            raise RateLimited(
                f"the Google token endpoint {host_of(url)} kept answering 'too many requests': try again later"
            )
        if response.status >= 500:
            raise ProviderUnavailable(
                f"could not reach {host_of(url)}: the token endpoint kept failing with HTTP {response.status}; try again later"
            )
        return response


class TokenSource:
    """Access tokens of one delegated service account, shared by the threads of a fetch.

    :param credentials: from :func:`build_credentials`.
    :param transport: the HTTP session the token requests use.
    :param subject: the admin the service account acts as (for messages).
    :param client_id: the service account's numeric client ID (the key's ``client_id``), for messages.
    :param token_uri: where the credentials ask for tokens (for messages).
    """

    def __init__(
        self,
        credentials: Any,
        transport: Transport,
        subject: str,
        client_id: str | None = None,
        token_uri: str = DEFAULT_TOKEN_URI,
    ) -> None:
        self.credentials = credentials
        self.token_uri = token_uri
        self.transport = transport
        self.subject = subject
        self.client_id = client_id
        self._request = _Request(transport.session)
        self._lock = threading.Lock()
        self.refreshes = 0

    @property
    def account(self) -> str:
        """The service account's e-mail (not a secret)."""
        return self.credentials.service_account_email

    def __repr__(self) -> str:
        return f"<TokenSource account={self.account!r} subject={self.subject!r}>"

    def token(self) -> str:
        """A valid access token, asking for a new one when none is held or it is about to expire."""
        with self._lock:
            if not self.credentials.valid:
                self._refresh()
            return self.credentials.token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (the API refused it) so the next :meth:`token` asks for a new one."""
        with self._lock:
            if self.credentials.token == token:
                self.credentials.token = None

    def _refresh(self) -> None:
        uri = self.token_uri
        try:
            self.credentials.refresh(self._request)
        except google.auth.exceptions.RefreshError as error:
            raise self._refused(error) from None
        except google.auth.exceptions.TransportError as error:
            raise unavailable(uri, error) from None
        except (ValueError, TypeError) as error:  # google-auth reading an odd 200 answer (HTML: TypeError)
            raise BadProviderData(
                f"the Google token endpoint {host_of(uri)} answered with something unreadable ({type(error).__name__})"
            ) from None
        self.refreshes += 1

    def _refused(self, error: google.auth.exceptions.RefreshError) -> Exception:
        # google-auth gives (message, answer) for a JSON answer and (body,) for an answer that is not JSON.
        data = error.args[1] if len(error.args) > 1 else None
        uri = host_of(self.token_uri)
        body = error.args[0] if len(error.args) == 1 and isinstance(error.args[0], str) else data
        if isinstance(body, str) and body.lstrip().startswith("<"):
            return BadProviderData(f"the Google token endpoint {uri} answered with HTML, not JSON: check token_uri")
        if not isinstance(data, dict):
            return AuthenticationError(
                f"Google refused a token for service account {self.account}: {_one_line(body or error)[:200]}"
            )
        code = str(data.get("error") or "")
        description = _one_line(data.get("error_description") or "")
        who = f"service account {self.account} acting as {self.subject}"
        if code == "unauthorized_client":
            client = f"client ID {self.client_id}" if self.client_id else "the service account's client ID"
            return PermissionDenied(
                f"domain-wide delegation is not set up for {who}: in the {DELEGATION_PAGE}, add {client} with "
                f"exactly these scopes: {','.join(self.credentials.scopes or ())} (changes can take hours to apply)"
            )
        if code == "invalid_grant" and "email" in description.lower():
            return AuthenticationError(
                f"Google does not know the subject {self.subject}: set subject to the primary e-mail of an existing "
                "admin of the domain (not the service account, not an alias)"
            )
        if code == "invalid_grant" and "signature" in description.lower():
            return AuthenticationError(
                f"Google refused the key of service account {self.account} (Invalid JWT Signature): the key was "
                "deleted or replaced; create a new JSON key and point key_file or key_json at it"
            )
        if code == "invalid_client":
            return AuthenticationError(
                f"Google does not accept service account {self.account} ({description or code}): check that it "
                "exists, is enabled and that the key belongs to it"
            )
        detail = f"{code}: {description}" if description else code or "no explanation"
        return AuthenticationError(f"Google refused a token for {who} ({detail[:300]}): check the key and subject")


def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:300]
