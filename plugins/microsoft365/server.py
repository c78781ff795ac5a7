"""A small local server that answers like Microsoft's token endpoint and Graph, for the demo, tests and benchmarks.

It serves HTTPS on 127.0.0.1 with a certificate it makes at start (MSAL accepts only https authorities): point a
connection's ``authority_url``, ``graph_url`` and ``ca_bundle`` at it (:meth:`FakeGraph.settings`). What it
implements, in Graph's shapes:

- ``GET /<tenant>/v2.0/.well-known/openid-configuration`` (MSAL's tenant discovery);
- ``POST /<tenant>/oauth2/v2.0/token``: client credentials with a client secret or a certificate's signed
  assertion; AADSTS errors for a wrong tenant, client id or secret;
- ``GET /v1.0/users`` with ``$select`` (the listed properties only), ``$top`` (1..999) and ``$skiptoken`` paging
  through ``@odata.nextLink``; ``signInActivity`` refused with 403 for a tenant without Entra ID P1/P2;
- ``GET /v1.0/subscribedSkus``, with ``consumedUnits`` counted from the users.

Each tenant of the server is one :class:`Tenant`; a token belongs to the tenant it was issued for. Tests add
faults through :attr:`FakeGraph.intercepts` (callables that may answer a request instead of the server).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import secrets
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

MAX_TOP = 999
DEFAULT_TOP = 100


@dataclass
class Tenant:
    """One tenant: its app registration's credentials, its users (Graph user objects) and subscribed SKUs.

    ``skus`` are subscribedSku objects without ``consumedUnits`` (counted from the users when asked).
    ``certificate_pem``: the app's public certificate (PEM) for certificate credentials.
    """

    tenant_id: str
    client_id: str
    client_secret: str | None = None
    certificate_pem: bytes | None = None
    users: list[dict[str, Any]] = field(default_factory=list)
    skus: list[dict[str, Any]] = field(default_factory=list)
    premium: bool = True


@dataclass
class Request:
    """A request as the server received it (``query`` keeps the last value of each parameter)."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    tenant: Tenant | None = None


@dataclass
class Reply:
    """An answer: status, JSON-serialisable body (or raw bytes) and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """Graph's error envelope."""
    inner = {"date": "2026-12-01T00:00:00", "request-id": "00000000-0000-4000-8000-000000000000"}
    return Reply(status, {"error": {"code": code, "message": message, "innerError": inner}}, headers or {})


def token_error(status: int, error: str, code: int, description: str) -> Reply:
    """The token endpoint's OAuth error envelope with an AADSTS code."""
    return Reply(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description}\r\nTrace ID: 0\r\nCorrelation ID: 0",
            "error_codes": [code],
            "trace_id": "00000000-0000-0000-0000-000000000000",
            "correlation_id": "00000000-0000-0000-0000-000000000000",
        },
    )


def _certificate(directory: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 and localhost (key and certificate in one PEM file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seatkeeper fake Graph")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path = directory / "fake-graph.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + certificate.public_bytes(serialization.Encoding.PEM)
    )
    return path


class FakeGraph:
    """The server: ``with FakeGraph([tenant]) as graph: graph.settings(tenant_id)``.

    :param tenants: the tenants it serves.
    :param token_lifetime: ``expires_in`` of the tokens it issues, in seconds.
    """

    def __init__(self, tenants: list[Tenant], *, token_lifetime: int = 3599) -> None:
        self.tenants = {tenant.tenant_id: tenant for tenant in tenants}
        self.token_lifetime = token_lifetime
        self.intercepts: list[Callable[[Request, FakeGraph], Reply | None]] = []
        self.requests: list[Request] = []
        self.issued_tokens: list[str] = []
        self._tokens: dict[str, tuple[Tenant, float]] = {}
        self._lock = threading.Lock()
        self._directory: tempfile.TemporaryDirectory | None = None
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.ca_bundle = ""

    def __enter__(self) -> FakeGraph:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> FakeGraph:
        """Listen on a free port of 127.0.0.1, in a thread."""
        self._directory = tempfile.TemporaryDirectory(prefix="seatkeeper-fake-graph-")
        pem = _certificate(Path(self._directory.name))
        self.ca_bundle = str(pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pem)
        graph = self

        class Handler(_Handler):
            server_graph = graph

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-graph", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and delete the certificate."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        assert self._server is not None, "start the server first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def settings(self, tenant_id: str | None = None) -> dict[str, str]:
        """Connection settings for one of the tenants (the first by default), client secret included."""
        tenant = self.tenants[tenant_id] if tenant_id else next(iter(self.tenants.values()))
        settings = {
            "tenant_id": tenant.tenant_id,
            "client_id": tenant.client_id,
            "authority_url": self.base_url,
            "graph_url": self.base_url + "/v1.0",
            "ca_bundle": self.ca_bundle,
        }
        if tenant.client_secret:
            settings["client_secret"] = tenant.client_secret
        return settings

    def revoke_tokens(self) -> None:
        """Make every issued token invalid, as if it had expired."""
        with self._lock:
            self._tokens.clear()

    def requests_to(self, path: str) -> list[Request]:
        """The requests received for ``path`` (e.g. ``"/v1.0/users"``)."""
        return [request for request in self.requests if request.path == path]

    # -- answering

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one request (the handler thread calls this)."""
        parts = urlsplit(target)
        query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        request = Request(method, parts.path, query, headers, body)
        request.tenant = self._tenant_of(headers.get("Authorization", ""))
        with self._lock:
            self.requests.append(request)
        for intercept in list(self.intercepts):
            reply = intercept(request, self)
            if reply is not None:
                return reply
        return self.answer(request)

    def answer(self, request: Request) -> Reply:
        """The server's own answer, without intercepts."""
        segments = request.path.strip("/").split("/")
        if request.method == "GET" and segments[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            return self._openid_configuration(segments[0])
        if request.method == "POST" and segments[1:] == ["oauth2", "v2.0", "token"]:
            return self._token(segments[0], request.body)
        if request.method == "GET" and request.path in ("/v1.0/users", "/v1.0/subscribedSkus"):
            if request.tenant is None:
                return graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
            if request.path == "/v1.0/users":
                return self._users(request)
            return self._subscribed_skus(request.tenant)
        return graph_error(404, "UnknownError", f"no route for {request.method} {request.path}")

    def _openid_configuration(self, tenant_id: str) -> Reply:
        if tenant_id not in self.tenants:
            return token_error(400, "invalid_tenant", 90002, f"Tenant '{tenant_id}' not found.")
        base = f"{self.base_url}/{tenant_id}"
        return Reply(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "issuer": f"{self.base_url}/{tenant_id}/v2.0",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            },
        )

    def _token(self, tenant_id: str, body: bytes) -> Reply:
        tenant = self.tenants.get(tenant_id)
        if tenant is None:
            return token_error(400, "invalid_request", 90002, f"Tenant '{tenant_id}' not found.")
        form = {name: values[-1] for name, values in parse_qs(body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "client_credentials":
            return token_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if form.get("client_id") != tenant.client_id:
            return token_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found.",
            )
        if form.get("scope") != f"{self.base_url}/.default":
            return token_error(400, "invalid_scope", 1002012, "The provided value for scope is not valid.")
        if "client_assertion" in form:
            if not self._assertion_valid(
                tenant, form["client_assertion"], f"{self.base_url}/{tenant_id}/oauth2/v2.0/token"
            ):
                return token_error(401, "invalid_client", 700027, "Client assertion failed signature validation.")
        elif not tenant.client_secret or not secrets.compare_digest(
            form.get("client_secret", ""), tenant.client_secret
        ):
            return token_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                "value, not the client secret ID, for a secret added to app '" + tenant.client_id + "'.",
            )
        token = "fake-graph-token-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (tenant, time.monotonic() + self.token_lifetime)
            self.issued_tokens.append(token)
        return Reply(
            200,
            {
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "ext_expires_in": self.token_lifetime,
                "access_token": token,
            },
        )

    @staticmethod
    def _assertion_valid(tenant: Tenant, assertion: str, audience: str) -> bool:
        if tenant.certificate_pem is None:
            return False
        import jwt
        from cryptography import x509

        public_key = x509.load_pem_x509_certificate(tenant.certificate_pem).public_key()
        try:
            jwt.decode(assertion, public_key, algorithms=["RS256", "PS256"], audience=audience)
        except jwt.PyJWTError:
            return False
        return True

    def _tenant_of(self, authorization: str) -> Tenant | None:
        if not authorization.startswith("Bearer "):
            return None
        with self._lock:
            entry = self._tokens.get(authorization[len("Bearer ") :])
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def _users(self, request: Request) -> Reply:
        tenant = request.tenant
        assert tenant is not None
        try:
            top = int(request.query.get("$top", DEFAULT_TOP))
        except ValueError:
            top = 0
        if not 1 <= top <= MAX_TOP:
            value = request.query.get("$top")
            return graph_error(
                400,
                "Request_UnsupportedQuery",
                f"Invalid page size specified: '{value}'. Must be between 1 and 999 inclusive.",
            )
        select = [name for name in request.query.get("$select", "").split(",") if name]
        if "signInActivity" in select and not tenant.premium:
            return graph_error(
                403,
                "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                "Neither tenant is B2C or tenant doesn't have premium license",
            )
        start = _offset(request.query.get("$skiptoken"))
        users = tenant.users[start : start + top]
        body: dict[str, Any] = {
            "@odata.context": f"{self.base_url}/v1.0/$metadata#users({','.join(select)})",
            "value": [_project(user, select) for user in users],
        }
        if start + top < len(tenant.users):
            query = {"$top": str(top), "$skiptoken": base64.urlsafe_b64encode(str(start + top).encode()).decode()}
            if select:
                query = {"$select": ",".join(select), **query}
            body["@odata.nextLink"] = f"{self.base_url}/v1.0/users?" + urlencode(query, safe="$,", quote_via=quote)
        return Reply(200, body)

    def _subscribed_skus(self, tenant: Tenant) -> Reply:
        consumed: dict[str, int] = {}
        for user in tenant.users:
            for license in user.get("assignedLicenses") or []:
                consumed[license["skuId"]] = consumed.get(license["skuId"], 0) + 1
        value = [{**sku, "consumedUnits": consumed.get(sku["skuId"], 0)} for sku in tenant.skus]
        return Reply(200, {"@odata.context": f"{self.base_url}/v1.0/$metadata#subscribedSkus", "value": value})


def _offset(skiptoken: str | None) -> int:
    if not skiptoken:
        return 0
    try:
        return max(0, int(base64.urlsafe_b64decode(skiptoken.encode()).decode()))
    except ValueError:
        return 0


def _project(user: dict[str, Any], select: list[str]) -> dict[str, Any]:
    """The user with only the selected properties (Graph's default set when nothing is selected)."""
    names = select or ["id", "displayName", "mail", "userPrincipalName", "jobTitle"]
    return {name: user.get(name) for name in names}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_graph: FakeGraph

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: tests and the demo do not want a line per request."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server_graph.handle(method, self.path, dict(self.headers.items()), body)
        if isinstance(reply.body, bytes):
            payload = reply.body
            kind = reply.headers.get("Content-Type", "application/json")
        else:
            payload = json.dumps(reply.body).encode() if reply.body is not None else b""
            kind = "application/json; odata.metadata=minimal; charset=utf-8"
        self.send_response(reply.status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
