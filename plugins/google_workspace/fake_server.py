"""A small Google-compatible HTTP server on 127.0.0.1 for the demo and for tests.

It speaks the parts of Google the provider uses, with Google's shapes and error bodies:

- ``POST /token``: the JWT-bearer grant of a service account. The assertion's RS256 signature is checked against
  the service account's public key, ``sub`` must be a user of the customer, and every requested scope must be
  granted to the client ID (domain-wide delegation), else ``unauthorized_client``;
- ``GET /admin/directory/v1/customers/my_customer`` and ``GET /admin/directory/v1/users`` (``maxResults`` <= 500,
  ``pageToken``/``nextPageToken``);
- ``GET /apps/licensing/v1/product/{productId}/users`` (``customerId`` required, ``maxResults`` <= 1000);
- ``GET /admin/reports/v1/usage/dates/{date}``: the ``accounts:`` counters of the latest available day; later days
  answer with Google's "data not available" warning.

Each API checks the bearer token and its scope, and a non-admin subject gets Google's 403 "Not Authorized". The
server holds several *snapshots* of one customer, each under its own prefix (``/s/0/token``, ``/s/0/admin/...``);
unprefixed paths serve the last. :attr:`FakeGoogle.intercept` lets tests answer a request differently (their
fault rules live in the test suite, not here).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.auth import exceptions as google_exceptions
from google.auth import jwt

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: The ``aud`` Google requires in the assertion (google-auth sends it whatever the token URI).
GOOGLE_AUDIENCE = "https://oauth2.googleapis.com/token"
SCOPES = {
    "directory": "https://www.googleapis.com/auth/admin.directory.user.readonly",
    "customer": "https://www.googleapis.com/auth/admin.directory.customer.readonly",
    "licensing": "https://www.googleapis.com/auth/apps.licensing",
    "reports": "https://www.googleapis.com/auth/admin.reports.usage.readonly",
}
try:
    PACIFIC: tzinfo = ZoneInfo("America/Los_Angeles")
except ZoneInfoNotFoundError:  # no time zone database (Windows without tzdata): Pacific standard time
    PACIFIC = timezone(timedelta(hours=-8))
#: Product ids the server knows (others get the 400 Google gives an invalid product).
KNOWN_PRODUCTS = frozenset({"Google-Apps", "101047", "101068", "101031", "101037", "101033", "101038"})


def api_error(code: int, message: str, reason: str, domain: str = "global", status: str | None = None) -> dict:
    """A body in Google's API error format."""
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}],
    }
    if status:
        error["status"] = status
    return {"error": error}


@dataclass(frozen=True)
class FakeRequest:
    """A request as :attr:`FakeGoogle.intercept` sees it: ``path`` without the snapshot prefix."""

    method: str
    path: str
    snapshot: int
    query: Mapping[str, str]
    token: str | None
    number: int


@dataclass
class Reply:
    """An answer: a dict or list body is sent as JSON, ``str``/``bytes`` as they are; ``drop`` closes the line."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


@dataclass
class Snapshot:
    """One state of the customer: its users (Directory shape), licence assignments and usage counters.

    :param assignments: ``(user e-mail, product id, SKU id, SKU name)`` rows.
    :param usage: ``accounts:`` counter name -> value, reported for ``usage_date`` and earlier days, or, with
        ``usage_lag_days``, for the days at least that many days before today (Pacific time), as Google does.
    """

    users: list[dict[str, Any]]
    assignments: list[tuple[str, str, str, str]]
    usage: dict[str, int] = field(default_factory=dict)
    usage_date: date | None = None
    usage_lag_days: int | None = None
    customer_id: str = "C01abc234"
    domain: str = "example.com"


class FakeGoogle:
    """A Google-compatible server on 127.0.0.1 (use as a context manager).

    :param snapshots: the customer's states, oldest first.
    :param client_email: the service account's e-mail; :param public_key: its PEM public key (for signatures).
    :param client_id: the service account's client ID; :param granted_scopes: what delegation grants it.
    :param expires_in: lifetime of issued tokens in seconds.
    """

    def __init__(
        self,
        snapshots: Sequence[Snapshot],
        *,
        client_email: str,
        public_key: str,
        client_id: str = "100000000000000000001",
        granted_scopes: Sequence[str] = tuple(SCOPES.values()),
        expires_in: int = 3599,
    ) -> None:
        self.snapshots = list(snapshots)
        self.client_email = client_email
        self.public_key = public_key
        self.client_id = client_id
        self.granted_scopes = set(granted_scopes)
        self.expires_in = expires_in
        self.tokens: dict[str, tuple[float, frozenset[str], str, int]] = {}
        self.issued_tokens: list[str] = []
        self.requests: list[FakeRequest] = []
        self.intercept: Callable[[FakeRequest, FakeGoogle], Reply | None] | None = None
        self._lock = threading.Lock()
        self._encoded: dict[int, list[bytes]] = {}
        self._by_product: dict[tuple[int, str], list[tuple[str, str, str, str]]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> FakeGoogle:
        """Listen on a free port of 127.0.0.1, serving from a daemon thread."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-google", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None, "start the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def base(self, snapshot: int | None = None) -> str:
        """The URL prefix of one snapshot (the last one without a prefix when None)."""
        return self.url if snapshot is None else f"{self.url}/s/{snapshot}"

    def settings(self, snapshot: int | None = None) -> dict[str, str]:
        """Provider settings pointing every URL at ``snapshot`` (add ``key_file`` or ``key_json`` and ``subject``)."""
        base = self.base(snapshot)
        return {"admin_url": base, "licensing_url": base, "token_uri": f"{base}/token"}

    def expire_tokens(self) -> None:
        """Make every token issued so far expired (the next API call with one gets 401)."""
        with self._lock:
            for token, (_expiry, scopes, subject, snapshot) in list(self.tokens.items()):
                self.tokens[token] = (0.0, scopes, subject, snapshot)

    def set_users(self, users: list[dict[str, Any]], snapshot: int = -1) -> None:
        """Replace one snapshot's users."""
        with self._lock:
            self.snapshots[snapshot].users = users
            self._encoded.clear()
            self._by_product.clear()

    def prepare(self) -> None:
        """Encode every snapshot's users and index its assignments now rather than on the first page asked for."""
        with self._lock:
            for index, snapshot in enumerate(self.snapshots):
                self._encoded[index] = [json.dumps(user, ensure_ascii=False).encode() for user in snapshot.users]
                for product in {row[1] for row in snapshot.assignments}:
                    self._by_product[(index, product)] = [row for row in snapshot.assignments if row[1] == product]

    # ---- serving

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one request."""
        parts = urlsplit(target)
        path = unquote(parts.path)
        snapshot = len(self.snapshots) - 1
        if path.startswith("/s/"):
            head, _, rest = path[3:].partition("/")
            if not head.isdigit() or int(head) >= len(self.snapshots):
                return Reply(404, "<html><body>Not Found</body></html>", {"Content-Type": "text/html"})
            snapshot, path = int(head), "/" + rest
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        auth = headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        with self._lock:
            request = FakeRequest(method, path, snapshot, query, token, len(self.requests) + 1)
            self.requests.append(request)
        if self.intercept is not None:
            reply = self.intercept(request, self)
            if reply is not None:
                return reply
        if method == "POST" and path == "/token":
            return self._token(request, body)
        if method != "GET":
            return Reply(405, api_error(405, "Method not allowed", "methodNotAllowed"))
        return self._api(request)

    def _token(self, request: FakeRequest, body: bytes) -> Reply:
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        if form.get("grant_type") != JWT_GRANT:
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "})
        try:
            claims = jwt.decode(form.get("assertion", ""), certs=self.public_key, clock_skew_in_seconds=60)
        except (google_exceptions.GoogleAuthError, ValueError):
            return Reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        if claims.get("aud") != GOOGLE_AUDIENCE:
            return Reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT: Failed audience check."})
        if claims.get("iss") != self.client_email:
            return Reply(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
        subject = str(claims.get("sub") or "")
        users = {str(user.get("primaryEmail", "")).lower(): user for user in self.snapshots[request.snapshot].users}
        if subject.lower() not in users:
            return Reply(400, {"error": "invalid_grant", "error_description": "Invalid email or User ID"})
        scopes = frozenset(str(claims.get("scope", "")).split())
        if not scopes or not scopes <= self.granted_scopes:
            return Reply(
                401,
                {
                    "error": "unauthorized_client",
                    "error_description": "Client is unauthorized to retrieve access tokens using this method, or "
                    "client not authorized for any of the scopes requested.",
                },
            )
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = (time.time() + self.expires_in, scopes, subject.lower(), request.snapshot)
            self.issued_tokens.append(token)
        return Reply(200, {"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"})

    def _api(self, request: FakeRequest) -> Reply:
        path = request.path
        if path == "/admin/directory/v1/customers/my_customer":
            kind, handler = "customer", self._customer
        elif path == "/admin/directory/v1/users":
            kind, handler = "directory", self._users
        elif path.startswith("/apps/licensing/v1/product/") and path.endswith("/users") and path.count("/") == 6:
            kind, handler = "licensing", self._licenses
        elif path.startswith("/admin/reports/v1/usage/dates/"):
            kind, handler = "reports", self._usage
        else:
            return Reply(
                404, "<html><body><h1>Not Found</h1></body></html>", {"Content-Type": "text/html; charset=UTF-8"}
            )
        denied = self._check_token(request, SCOPES[kind])
        if denied is not None:
            return denied
        return handler(request, self.snapshots[request.snapshot])

    def _check_token(self, request: FakeRequest, scope: str) -> Reply | None:
        with self._lock:
            held = self.tokens.get(request.token or "")
        if held is None or held[0] < time.time():
            message = (
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                "other valid authentication credential."
            )
            body = api_error(401, message, "authError", status="UNAUTHENTICATED")
            body["error"]["errors"][0]["message"] = "Invalid Credentials"
            return Reply(401, body, {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
        _expiry, scopes, subject, _snapshot = held
        if scope not in scopes:
            body = api_error(
                403,
                "Request had insufficient authentication scopes.",
                "insufficientPermissions",
                status="PERMISSION_DENIED",
            )
            body["error"]["errors"][0]["message"] = "Insufficient Permission"
            return Reply(403, body)
        admins = {
            str(user.get("primaryEmail", "")).lower()
            for user in self.snapshots[request.snapshot].users
            if user.get("isAdmin")
        }
        if subject not in admins:
            return Reply(403, api_error(403, "Not Authorized to access this resource/api", "forbidden"))
        return None

    def _customer(self, request: FakeRequest, snapshot: Snapshot) -> Reply:
        return Reply(
            200, {"kind": "admin#directory#customer", "id": snapshot.customer_id, "customerDomain": snapshot.domain}
        )

    @staticmethod
    def _page_size(query: Mapping[str, str], default: int, maximum: int) -> int | Reply:
        text = query.get("maxResults", str(default))
        if not text.isdigit() or not 1 <= int(text) <= maximum:
            return Reply(
                400,
                api_error(
                    400,
                    f"Invalid value '{text}'. Values must be within the range: [1, {maximum}]",
                    "invalid",
                    status="INVALID_ARGUMENT",
                ),
            )
        return int(text)

    @staticmethod
    def _offset(query: Mapping[str, str], scope: str) -> int | Reply:
        token = query.get("pageToken")
        if not token:
            return 0
        try:
            kind, offset = base64.urlsafe_b64decode(token.encode() + b"==").decode().split(":")
            if kind != scope:
                raise ValueError(kind)
            return int(offset)
        except (ValueError, UnicodeDecodeError):
            return Reply(400, api_error(400, "Invalid page token", "invalid", status="INVALID_ARGUMENT"))

    @staticmethod
    def _token_for(scope: str, offset: int) -> str:
        return base64.urlsafe_b64encode(f"{scope}:{offset}".encode()).decode().rstrip("=")

    def _users(self, request: FakeRequest, snapshot: Snapshot) -> Reply:
        query = request.query
        if query.get("customer") != "my_customer" and not query.get("domain"):
            return Reply(400, api_error(400, "Bad Request", "badRequest"))
        size = self._page_size(query, 100, 500)
        offset = self._offset(query, "users")
        if isinstance(size, Reply):
            return size
        if isinstance(offset, Reply):
            return offset
        with self._lock:
            encoded = self._encoded.get(request.snapshot)
            if encoded is None:
                encoded = [json.dumps(user, ensure_ascii=False).encode() for user in snapshot.users]
                self._encoded[request.snapshot] = encoded
        chunk = encoded[offset : offset + size]
        head: dict[str, Any] = {"kind": "admin#directory#users", "etag": '"etag-users"'}
        if offset + size < len(encoded):
            head["nextPageToken"] = self._token_for("users", offset + size)
        if not chunk:
            return Reply(200, head)
        text = json.dumps(head).encode()[:-1] + b', "users": [' + b", ".join(chunk) + b"]}"
        return Reply(200, text, {"Content-Type": "application/json; charset=UTF-8"})

    def _licenses(self, request: FakeRequest, snapshot: Snapshot) -> Reply:
        product = request.path.split("/")[5]
        query = request.query
        if not query.get("customerId"):
            return Reply(400, api_error(400, "Required parameter: customerId", "required", status="INVALID_ARGUMENT"))
        if query["customerId"] != snapshot.customer_id:
            return Reply(403, api_error(403, "Not Authorized to access this resource/api", "forbidden"))
        if product not in KNOWN_PRODUCTS:
            return Reply(400, api_error(400, "Invalid productId", "invalid", status="INVALID_ARGUMENT"))
        size = self._page_size(query, 100, 1000)
        offset = self._offset(query, f"licenses-{product}")
        if isinstance(size, Reply):
            return size
        if isinstance(offset, Reply):
            return offset
        with self._lock:
            rows = self._by_product.get((request.snapshot, product))
            if rows is None:
                rows = [row for row in snapshot.assignments if row[1] == product]
                self._by_product[(request.snapshot, product)] = rows
        body: dict[str, Any] = {"kind": "licensing#licenseAssignmentList", "etag": '"etag-lal"'}
        items = [
            {
                "kind": "licensing#licenseAssignment",
                "etags": '"etag-la"',
                "productId": product_id,
                "productName": "Google Workspace" if product_id == "Google-Apps" else f"Product {product_id}",
                "skuId": sku_id,
                "skuName": sku_name,
                "userId": email,
                "selfLink": f"https://licensing.googleapis.com/apps/licensing/v1/product/{product_id}/sku/{sku_id}/user/{email}",
            }
            for email, product_id, sku_id, sku_name in rows[offset : offset + size]
        ]
        if items:  # Google omits empty lists
            body["items"] = items
        if offset + size < len(rows):
            body["nextPageToken"] = self._token_for(f"licenses-{product}", offset + size)
        return Reply(200, body)

    def _usage(self, request: FakeRequest, snapshot: Snapshot) -> Reply:
        day_text = request.path.rsplit("/", 1)[-1]
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            return Reply(400, api_error(400, f"Invalid value '{day_text}'", "invalid", status="INVALID_ARGUMENT"))
        if request.query.get("customerId") not in (None, snapshot.customer_id):
            return Reply(403, api_error(403, "Not Authorized to access this resource/api", "forbidden"))
        latest = snapshot.usage_date
        if snapshot.usage_lag_days is not None:
            latest = datetime.now(PACIFIC).date() - timedelta(days=snapshot.usage_lag_days)
        if latest is None or day > latest:
            return Reply(
                200,
                {
                    "kind": "admin#reports#usageReports",
                    "warnings": [
                        {
                            "code": "PARTIAL_DATA_AVAILABLE",
                            "message": f'Data for dates {day_text} for application "accounts" is not available right now, please try again after a few hours.',
                            "data": [{"key": "application", "value": "accounts"}, {"key": "date", "value": day_text}],
                        }
                    ],
                },
            )
        wanted = [name for name in request.query.get("parameters", "").split(",") if name]
        parameters = [
            {"name": name, "intValue": str(snapshot.usage[name.removeprefix("accounts:")])}
            for name in wanted
            if name.removeprefix("accounts:") in snapshot.usage
        ]
        report = {
            "kind": "admin#reports#usageReport",
            "date": day_text,
            "entity": {"customerId": snapshot.customer_id, "type": "CUSTOMER"},
            "parameters": parameters,
        }
        return Reply(200, {"kind": "admin#reports#usageReports", "usageReports": [report]})


class _Handler(BaseHTTPRequestHandler):
    fake: FakeGoogle
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write (flushed after each request): sent apart, Nagle's algorithm and
    # delayed ACKs would add 40 ms to every answer.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, *_args: object) -> None:
        """Stay quiet: tests and the demo print their own output."""

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            reply = self.fake.handle(method, self.path, self.headers, body)
        except Exception as error:  # a bug of the fake shows as a 500, not a hung client
            reply = Reply(500, api_error(500, f"fake server error: {type(error).__name__}", "backendError"))
        if reply.drop:
            self.close_connection = True
            return
        payload = reply.body
        content_type = "application/json; charset=UTF-8"
        if isinstance(payload, dict | list):
            data = json.dumps(payload).encode()
        elif isinstance(payload, str):
            data = payload.encode()
        elif payload is None:
            data = b""
        else:
            data = payload
        self.send_response(reply.status)
        headers = {"Content-Type": content_type, **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        """Serve a GET."""
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        """Serve a POST (the token endpoint)."""
        self._serve("POST")
