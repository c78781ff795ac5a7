"""Client-credentials tokens for Microsoft Graph through MSAL, with a client secret or a certificate.

MSAL's token cache keeps the access token until shortly before it expires and asks for a new one then. The
secret, the private key and the tokens stay inside :class:`TokenSource`: no message, log line or ``repr``
built here contains them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from pathlib import Path

import msal
import requests

from seatkeeper.errors import AuthenticationError, BadProviderData, ConfigError, ProviderUnavailable, RateLimited

from .clouds import Endpoints, host_of
from .transport import unreachable_message

_SHA1 = re.compile(r"^[0-9A-Fa-f]{40}$")
_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----")
_AADSTS = re.compile(r"AADSTS(\d+)")

#: AADSTS codes users actually hit, and what to do about each.
AADSTS_HINTS = {
    7000215: "the client secret is wrong — did you paste the secret's ID instead of its value?",
    7000222: "the client secret has expired: add a new one under Certificates & secrets",
    700016: "no application with this client_id in the tenant: check client_id and tenant_id",
    90002: "the tenant was not found: check tenant_id (a GUID or a domain such as contoso.onmicrosoft.com)",
    900023: "the tenant id is malformed: check tenant_id",
    700027: "the certificate's signature was refused: check certificate_thumbprint and that the certificate is "
    "uploaded to the app registration",
    700024: "the client assertion is not within its valid time range: check this machine's clock",
    7000112: "the application is disabled in the tenant",
    1002012: "the scope is not valid for this cloud: check the cloud setting",
}


def credential(settings: Mapping[str, str]) -> dict[str, str] | str:
    """MSAL's ``client_credential``: the client secret, or the certificate's private key with its thumbprint.

    The certificate may be given by its SHA-1 thumbprint (``certificate_thumbprint``, as the app registration
    shows it), or by putting the certificate itself in the key's PEM file: MSAL then signs with its SHA-256
    thumbprint.

    :raises ConfigError: neither or both credentials are given, the key file cannot be read or loaded, or the
        thumbprint is malformed.
    """
    secret = (settings.get("client_secret") or "").strip()
    key_path = (settings.get("certificate_path") or "").strip()
    thumbprint = (settings.get("certificate_thumbprint") or "").replace(":", "").replace(" ", "").strip()
    if secret and key_path:
        raise ConfigError("the Microsoft 365 connection sets both client_secret and certificate_path: keep one of them")
    if secret:
        if not secret.isprintable():
            raise ConfigError(
                "the Microsoft 365 client_secret contains line breaks or control characters: copy it again"
            )
        return secret
    if not key_path:
        raise ConfigError(
            "the Microsoft 365 connection needs a credential: set client_secret_env (M365_CLIENT_SECRET) or "
            "certificate_path (and certificate_thumbprint)"
        )
    if thumbprint and not _SHA1.match(thumbprint):
        raise ConfigError(
            "the Microsoft 365 certificate_thumbprint must be the certificate's SHA-1 thumbprint (40 hex digits, as "
            "the app registration's Certificates & secrets page shows it); for SHA-256, leave it out and put the "
            "certificate in the certificate_path PEM file after the key"
        )
    path = Path(key_path).expanduser()
    try:
        pem = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not a PEM text file"
        raise ConfigError(f"cannot read the Microsoft 365 certificate_path {str(path)!r}: {reason}") from None
    _check_private_key(pem, path)
    if thumbprint:
        return {"private_key": pem, "thumbprint": thumbprint.upper()}
    certificates = _CERTIFICATE.findall(pem)
    if not certificates:
        raise ConfigError(
            f"the Microsoft 365 certificate_path {str(path)!r} holds no certificate: set certificate_thumbprint, or "
            "append the certificate (-----BEGIN CERTIFICATE-----) to the file"
        )
    return {"private_key": pem, "public_certificate": certificates[0]}


def _check_private_key(pem: str, path: Path) -> None:
    """Refuse, with a clear message, a file MSAL could not sign with (no key, an encrypted or broken one)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if "PRIVATE KEY-----" not in pem:
        raise ConfigError(
            f"the Microsoft 365 certificate_path {str(path)!r} holds no PEM private key (-----BEGIN PRIVATE KEY-----)"
        )
    try:
        load_pem_private_key(pem.encode("ascii"), password=None)
    except (TypeError, ValueError):
        raise ConfigError(
            f"the Microsoft 365 certificate_path {str(path)!r} holds a private key that cannot be loaded (encrypted "
            "keys are not supported: export it without a passphrase and keep the file readable by seatkeeper only)"
        ) from None


class TokenSource:
    """Access tokens of one app registration in one tenant, cached by MSAL.

    :param session: the HTTP session MSAL sends through (with the retry policy).
    :param endpoints: where the tenant's authority and Graph are.
    :param client_credential: from :func:`credential`.
    """

    def __init__(
        self, session: requests.Session, endpoints: Endpoints, client_id: str, client_credential: dict | str
    ) -> None:
        self.endpoints = endpoints
        self.client_id = client_id
        self._session = session
        self._credential = client_credential
        self._secrets = [client_credential] if isinstance(client_credential, str) else []
        self._lock = threading.Lock()
        self._app: msal.ConfidentialClientApplication | None = None
        self._token: str | None = None
        self.tokens_issued = 0

    def __repr__(self) -> str:
        return f"<TokenSource client_id={self.client_id!r} authority={self.endpoints.authority!r}>"

    def token(self) -> str:
        """A valid access token: MSAL's cached one, or a new one from the token endpoint.

        :raises AuthenticationError: the tenant, client id or credential is refused (the message says which).
        :raises ProviderUnavailable, RateLimited: the token endpoint could not be reached or kept refusing.
        """
        with self._lock:
            app = self._application()
            try:
                result = app.acquire_token_for_client(scopes=[self.endpoints.scope])
            except (requests.HTTPError, msal.exceptions.MsalServiceError) as error:
                raise self._failing(error) from None
            except requests.RequestException as error:
                raise ProviderUnavailable(unreachable_message(self.endpoints.authority, error)) from None
            except ValueError as error:  # MSAL's way of saying the token answer was not JSON
                raise BadProviderData(
                    f"the token endpoint at {host_of(self.endpoints.authority)} answered something that is not "
                    f"JSON ({type(error).__name__}); check authority_url / cloud"
                ) from None
            token = result.get("access_token") if isinstance(result, dict) else None
            if not token:
                raise self._refused(result if isinstance(result, dict) else {})
            if result.get("token_source") != "cache":
                self.tokens_issued += 1
            self._token = token
            return token

    def renew(self, refused: str) -> None:
        """Forget the cached token ``refused`` (Graph answered 401), so the next :meth:`token` asks for a new one."""
        with self._lock:
            if self._app is None or refused != self._token:
                return  # already replaced
            cache = self._app.token_cache
            for entry in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                cache.remove_at(entry)
            self._token = None

    def redact(self, text: str) -> str:
        """``text`` with the secret and the current token masked (for texts a server sent back)."""
        for secret in (*self._secrets, self._token):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _application(self) -> msal.ConfidentialClientApplication:
        if self._app is not None:
            return self._app
        try:
            self._app = msal.ConfidentialClientApplication(
                self.client_id,
                client_credential=self._credential,
                authority=self.endpoints.authority,
                http_client=self._session,
                # The hosts come from the cloud table (or the user's authority_url): nothing to discover.
                instance_discovery=False,
                validate_authority=False,
            )
        except (requests.HTTPError, msal.exceptions.MsalServiceError) as error:
            raise self._failing(error) from None
        except requests.RequestException as error:
            raise ProviderUnavailable(unreachable_message(self.endpoints.authority, error)) from None
        except ValueError as error:
            raise self._discovery_failed(error) from None
        return self._app

    def _failing(self, error: Exception) -> ProviderUnavailable:
        # MSAL raises for a 5xx left over after the retries ("HTTP Error: 503").
        found = re.search(r"\b(5\d\d)\b", str(error))
        status = found.group(1) if found else "5xx"
        return ProviderUnavailable(
            f"could not get a token from {host_of(self.endpoints.authority)}: the token endpoint kept failing with "
            f"HTTP {status}; try again later"
        )

    def _discovery_failed(self, error: ValueError) -> Exception:
        # MSAL replaces the discovery's own error (status and body) with a generic one: read both.
        text = f"{error} {error.__context__ or ''}"
        if "private" in text.lower() and "key" in text.lower():
            return ConfigError("the Microsoft 365 certificate_path holds a private key MSAL cannot load (encrypted?)")
        code = _AADSTS.search(text)
        if code and int(code.group(1)) in AADSTS_HINTS:
            return AuthenticationError(
                f"Microsoft refused the tenant {self._tenant()!r}: {AADSTS_HINTS[int(code.group(1))]}"
            )
        if "HTTP status: 4" in text or "OIDC Discovery failed" in text:
            return AuthenticationError(
                f"Microsoft does not know the tenant {self._tenant()!r} at {host_of(self.endpoints.authority)}: "
                "check tenant_id (the Directory (tenant) ID of the app registration) and cloud"
            )
        return BadProviderData(
            f"the authority at {host_of(self.endpoints.authority)} gave no usable OpenID configuration for the tenant "
            f"{self._tenant()!r}: check authority_url / cloud"
        )

    def _tenant(self) -> str:
        return self.endpoints.authority.rsplit("/", 1)[-1]

    def _refused(self, result: dict) -> Exception:
        error = str(result.get("error") or "").strip()
        description = self.redact(str(result.get("error_description") or ""))
        codes = [code for code in result.get("error_codes") or [] if isinstance(code, int)]
        match = _AADSTS.search(description)
        if match:
            codes.insert(0, int(match.group(1)))
        for code in codes:
            if code in AADSTS_HINTS:
                return AuthenticationError(
                    f"Microsoft refused the app's credentials (AADSTS{code}): {AADSTS_HINTS[code]}"
                )
        if error in ("temporarily_unavailable", "server_error") or not error:
            if "429" in description or "throttl" in description.lower():
                return RateLimited("the Microsoft token endpoint kept throttling the token request: try again later")
            return ProviderUnavailable(
                f"could not get a token from {host_of(self.endpoints.authority)}: the token endpoint kept failing; "
                "try again later"
            )
        first = description.splitlines()[0].strip()[:200] if description.strip() else "no explanation"
        if error == "invalid_client":
            return AuthenticationError(
                f"Microsoft refused the client credentials ({first}): check client_id and the secret/certificate"
            )
        return AuthenticationError(f"Microsoft refused to issue a token ({error}: {first})")
