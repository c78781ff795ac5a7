"""A small Zoom-compatible HTTP server on 127.0.0.1, serving the demo's sample snapshots.

It speaks the parts of Zoom the provider uses, with Zoom's shapes and error bodies:

- ``POST /oauth/token``: Server-to-Server OAuth (Basic client credentials, ``account_credentials`` grant);
- ``GET /v2/users``: ``status`` filter, ``page_size``, ``next_page_token`` and the list envelope;
- ``GET /v2/users/summary``: user counts, consistent with the snapshot;
- ``GET /v2/accounts/me/plans/usage``: purchased and used seats per plan (given per snapshot, or derived from
  the users), or a free account's 400 code 200;
- ``GET /v2/users/{userId}/settings``: the user's settings; its ``feature`` block comes from the user's
  ``"feature"`` entry (which ``GET /v2/users`` does not list).

It serves several *snapshots* of one account, each under its own prefix (``/s/0/oauth/token``,
``/s/0/v2/users``, ...); the unprefixed paths serve the last snapshot::

    with FakeZoom([users], client_secret="s") as zoom:
        settings = zoom.settings()                    # settings for ZoomProvider.authenticate

Misbehaviour (throttling, expired tokens, missing scopes, broken connections) is not here: the tests add it in
a subclass of their own (``tests/zoom_server``), through :meth:`FakeZoom.handle` and :meth:`_Handler.respond`.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

USER_STATUSES = ("active", "inactive", "pending")
#: Paths with a variable part, as :func:`route_of` names them.
ROUTES = ("/v2/users/{userId}/settings", "/v2/accounts/{accountId}/plans/usage")
FREE_ACCOUNT = {"code": 200, "message": "Only available for paid account."}


@dataclass(frozen=True)
class FakeRequest:
    """A request as the server sees it.

    :param path: the path without the snapshot prefix, e.g. ``"/v2/users"``.
    :param snapshot: index of the snapshot the request is for.
    :param token: the bearer token presented, if any.
    """

    method: str
    path: str
    snapshot: int
    query: Mapping[str, str]
    token: str | None


@dataclass
class Reply:
    """An answer: a dict or list ``body`` is sent as JSON; ``str``/``bytes`` as they are."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def path_matches(pattern: str, path: str) -> bool:
    """Whether ``path`` is ``pattern``, where a ``{placeholder}`` segment of the pattern matches any one segment."""
    if "{" not in pattern:
        return pattern == path
    wanted, given = pattern.strip("/").split("/"), path.strip("/").split("/")
    return len(wanted) == len(given) and all(
        (part.startswith("{") and part.endswith("}") and bool(actual)) or part == actual
        for part, actual in zip(wanted, given, strict=True)
    )


def route_of(path: str) -> str:
    """The route a path belongs to: one of :data:`ROUTES` for paths with a variable part, else the path."""
    return next((route for route in ROUTES if path_matches(route, path)), path)


@dataclass
class PageCursor:
    snapshot: int
    status: str
    offset: int
    page_size: int
    created: float


class FakeZoomHandler(BaseHTTPRequestHandler):
    """Turns HTTP requests into :meth:`FakeZoom.handle` calls and writes their :class:`Reply`."""

    zoom: FakeZoom
    protocol_version = "HTTP/1.1"
    server_version = "FakeZoom/1.0"
    # Headers and body go out in two writes; with Nagle's algorithm the body would wait for the client's
    # delayed ACK (~40 ms a request on a kept-alive connection).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.respond(self.zoom.handle(self.command, self.path, self.headers, body))

    def respond(self, reply: Reply) -> None:
        """Send ``reply``: its status, JSON content type (unless it names another), length, headers and body."""
        payload = encode(reply.body)
        self.send_response(reply.status)
        headers = {"Content-Type": "application/json;charset=UTF-8", **reply.headers}
        headers["Content-Length"] = str(len(payload))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the signature http.server uses
        """Stay quiet: the demo and the tests have their own output."""


class FakeZoom:
    """A Zoom-compatible server for one account, serving ``snapshots`` (lists of raw user dicts).

    Use it as a context manager (or :meth:`start`/:meth:`stop`). Like Zoom, issuing a token invalidates the
    account's previous one, pending users are listed without ``id``, and page tokens expire.

    :param token_ttl: ``expires_in`` of issued tokens, in seconds (enforced).
    :param max_page_size: larger ``page_size`` values are cut to it, as Zoom does.
    :param plans: the plan-usage answer of each snapshot (``None`` in the list: a free account). Without it,
        every snapshot has a base plan whose seats are exactly its Licensed users.
    """

    def __init__(
        self,
        snapshots: Sequence[Sequence[Mapping[str, Any]]],
        *,
        account_id: str = "fake-account-id",
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret",
        token_ttl: int = 3599,
        max_page_size: int = 300,
        page_token_ttl: float = 15 * 60,
        clock: Callable[[], float] = time.monotonic,
        plans: Sequence[Mapping[str, Any] | None] | None = None,
    ) -> None:
        if not snapshots:
            raise ValueError("FakeZoom needs at least one snapshot")
        if plans is not None and len(plans) != len(snapshots):
            raise ValueError(f"FakeZoom needs one plan usage per snapshot ({len(snapshots)}), not {len(plans)}")
        self.snapshots = [list(users) for users in snapshots]
        #: Plan-usage answers per snapshot (``None`` entry: a free account); ``None``: derived from the users.
        self.plans: list[Mapping[str, Any] | None] | None = None if plans is None else list(plans)
        self.account_id = account_id
        self.client_id = client_id
        self._client_secret = client_secret
        self.token_ttl = token_ttl
        self.max_page_size = max_page_size
        self.page_token_ttl = page_token_ttl
        self.clock = clock
        self._tokens: dict[str, float] = {}
        self._expired: set[str] = set()
        self._cursors: dict[str, PageCursor] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    #: The request handler; a subclass may answer with its own (e.g. to break connections).
    handler_class: type[FakeZoomHandler] = FakeZoomHandler

    def __repr__(self) -> str:
        return f"<FakeZoom {self.base_url if self._httpd else 'stopped'} snapshots={len(self.snapshots)}>"

    # ---- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> FakeZoom:
        """Listen on a free port of 127.0.0.1 and serve in a background thread."""
        handler = type("FakeZoomHandler", (self.handler_class,), {"zoom": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-zoom", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeZoom:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # ---- addresses -------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` while running."""
        if self._httpd is None:
            raise RuntimeError("the fake Zoom server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def prefix(self, snapshot: int | None = None) -> str:
        """Base URL of one snapshot (the unprefixed URLs serve the last one)."""
        return self.base_url if snapshot is None else f"{self.base_url}/s/{snapshot}"

    def api_url(self, snapshot: int | None = None) -> str:
        """The ``api_url`` setting for a snapshot."""
        return self.prefix(snapshot) + "/v2"

    def oauth_url(self, snapshot: int | None = None) -> str:
        """The ``oauth_url`` setting for a snapshot."""
        return self.prefix(snapshot) + "/oauth/token"

    def settings(self, snapshot: int | None = None) -> dict[str, str]:
        """Connection settings for :meth:`ZoomProvider.authenticate` pointing at a snapshot."""
        return {
            "account_id": self.account_id,
            "client_id": self.client_id,
            "client_secret": self._client_secret,
            "api_url": self.api_url(snapshot),
            "oauth_url": self.oauth_url(snapshot),
        }

    # ---- serving ---------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one HTTP request (``target``: the request's path and query)."""
        return self.serve(self.request_of(method, target, headers), headers, body)

    def request_of(self, method: str, target: str, headers: Mapping[str, str]) -> FakeRequest:
        """The :class:`FakeRequest` for an HTTP request."""
        parts = urlsplit(target)
        path, snapshot = self._split_prefix(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        authorization = headers.get("Authorization", "")
        token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else None
        return FakeRequest(method, path, snapshot, query, token)

    def serve(self, request: FakeRequest, headers: Mapping[str, str], body: bytes) -> Reply:
        """The answer to ``request``: a token from the token endpoint, else :meth:`answer`."""
        if request.snapshot >= len(self.snapshots):
            return Reply(404, {"code": 404, "message": "Not Found"})
        if request.path == "/oauth/token":
            return self._token(request.method, request.query, headers.get("Authorization", ""), body)
        status, payload = self.answer(request)
        return Reply(status, payload)

    def answer(self, request: FakeRequest) -> tuple[int, Any]:
        """The normal answer to an API request: ``(status, JSON body)``."""
        route = route_of(request.path)
        known = ("/v2/users", "/v2/users/summary", *ROUTES)
        if request.method != "GET" or route not in known:
            return 404, {"code": 404, "message": "Not Found"}
        problem = self.token_problem(request.token)
        if problem is not None:
            return 401, {"code": 124, "message": problem}
        users = self.snapshots[request.snapshot]
        if route == "/v2/users/summary":
            return 200, self._summary(users)
        if route == "/v2/accounts/{accountId}/plans/usage":
            account = request.path.split("/")[3]
            if account not in ("me", self.account_id):
                return 404, {"code": 2001, "message": "Account does not exist: " + account + "."}
            plans = plan_usage_of(users) if self.plans is None else self.plans[request.snapshot]
            return (400, dict(FREE_ACCOUNT)) if plans is None else (200, plans)
        if route == "/v2/users/{userId}/settings":
            return self._user_settings(users, request.path.split("/")[3])
        return self._list_users(request)

    def _split_prefix(self, path: str) -> tuple[str, int]:
        if path.startswith("/s/"):
            index, _, rest = path[3:].partition("/")
            if index.isdigit():
                return "/" + rest, int(index)
        return path, len(self.snapshots) - 1

    def _token(self, method: str, query: Mapping[str, str], authorization: str, body: bytes) -> Reply:
        if method != "POST":
            return Reply(405, {"code": 405, "message": "Method Not Allowed"})
        form = dict(query)
        form.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if not self._client_authenticated(authorization):
            return Reply(400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
        if form.get("grant_type") != "account_credentials":
            return Reply(400, {"reason": "unsupported grant type", "error": "unsupported_grant_type"})
        if form.get("account_id") != self.account_id:
            return Reply(400, {"reason": "Bad Request", "error": "invalid_request"})
        token = secrets.token_urlsafe(32)
        with self._lock:
            # Like Zoom, a new token for the account invalidates the previous one.
            self._expired.update(self._tokens)
            self._tokens = {token: self.clock() + self.token_ttl}
        return Reply(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_ttl,
                "api_url": self.base_url,
            },
        )

    def _client_authenticated(self, authorization: str) -> bool:
        if authorization[:6].lower() != "basic ":
            return False
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        client_id, _, client_secret = decoded.partition(":")
        return secrets.compare_digest(client_id, self.client_id) and secrets.compare_digest(
            client_secret.encode(), self._client_secret.encode()
        )

    def token_problem(self, token: str | None) -> str | None:
        """Why Zoom would refuse ``token`` ("Invalid access token.", "Access token is expired."), or ``None``."""
        with self._lock:
            if token and token in self._tokens:
                if self.clock() < self._tokens[token]:
                    return None
                del self._tokens[token]
                self._expired.add(token)
            if token and token in self._expired:
                return "Access token is expired."
        return "Invalid access token."

    def _list_users(self, request: FakeRequest) -> tuple[int, Any]:
        page = self.page_of(request)
        if not isinstance(page, PageCursor):
            return page
        users = [
            _as_listed(user) for user in self.snapshots[page.snapshot] if user.get("status", "active") == page.status
        ]
        return 200, {**self.page_envelope(page, len(users)), "users": users[page.offset : page.offset + page.page_size]}

    def page_of(self, request: FakeRequest) -> PageCursor | tuple[int, Any]:
        """The page a list-users request asks for (by its query or its next_page_token), or Zoom's error answer.

        Subclasses serving users another way (e.g. pre-encoded) reuse Zoom's paging rules through this and
        :meth:`page_envelope`.
        """
        query = request.query
        page_token = query.get("next_page_token", "")
        now = self.clock()
        if page_token:
            with self._lock:
                cursor = self._cursors.get(page_token)
            if cursor is None or now - cursor.created > self.page_token_ttl:
                return 400, {"code": 300, "message": "The next page token is invalid or expired."}
            snapshot, status, offset = cursor.snapshot, cursor.status, cursor.offset
            page_size = cursor.page_size
        else:
            snapshot, status, offset = request.snapshot, query.get("status") or "active", 0
            page_size = 30
        if query.get("page_size"):
            if not query["page_size"].isdigit():
                return 400, {"code": 300, "message": "Invalid field.", "errors": [{"field": "page_size"}]}
            page_size = int(query["page_size"]) or 30
        page_size = min(page_size, self.max_page_size)
        if status not in USER_STATUSES:
            return 400, {"code": 300, "message": "Invalid field.", "errors": [{"field": "status"}]}
        return PageCursor(snapshot, status, offset, page_size, now)

    def page_envelope(self, page: PageCursor, total: int) -> dict[str, Any]:
        """Zoom's paging envelope (without ``users``) for ``page`` of a list of ``total``; issues the next token."""
        next_token = ""
        if page.offset + page.page_size < total:
            next_token = secrets.token_urlsafe(24)
            with self._lock:
                self._cursors[next_token] = PageCursor(
                    page.snapshot, page.status, page.offset + page.page_size, page.page_size, page.created
                )
        return {
            "page_count": math.ceil(total / page.page_size) if total else 0,
            "page_number": page.offset // page.page_size + 1,
            "page_size": page.page_size,
            "total_records": total,
            "next_page_token": next_token,
        }

    def forget_page_tokens(self) -> None:
        """Invalidate every next_page_token handed out (e.g. after replacing a snapshot's users)."""
        with self._lock:
            self._cursors.clear()

    @staticmethod
    def _summary(users: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        listed = [user for user in users if user.get("status", "active") != "pending"]
        counts = {
            "licensed_users_count": sum(1 for user in listed if user.get("type") == 2),
            "basic_users_count": sum(1 for user in listed if user.get("type") == 1),
            "on_prem_users_count": sum(1 for user in listed if user.get("type") == 3),
            "room_users_count": 0,
            "pending_users_count": sum(1 for user in users if user.get("status") == "pending"),
            "join_only_users_count": sum(1 for user in listed if user.get("type") in (4, 99)),
        }
        counts["total_users_count"] = sum(
            counts[name]
            for name in (
                "licensed_users_count",
                "basic_users_count",
                "on_prem_users_count",
                "join_only_users_count",
                "room_users_count",
            )
        )
        # Zoom counts every user in its total; which group it puts a type seatkeeper does not know is anyone's guess.
        counts["total_users_count"] += sum(1 for user in listed if user.get("type") not in (1, 2, 3, 4, 99))
        return counts

    @staticmethod
    def _user_settings(users: Sequence[Mapping[str, Any]], user_id: str) -> tuple[int, Any]:
        wanted = unquote(user_id)
        for user in users:
            if user.get("status") == "pending":
                continue  # no id yet: Zoom knows no settings for an invitation
            if user.get("id") == wanted or str(user.get("email", "")).lower() == wanted.lower():
                return 200, user_settings_of(user)
        return 404, {"code": 1001, "message": f"User does not exist: {wanted}."}


def plan_usage_of(users: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A plan-usage answer for ``users``: a base plan whose seats are exactly the Licensed users (none unused)."""
    used = sum(1 for user in users if user.get("type") == 2 and user.get("status", "active") != "pending")
    pending = sum(1 for user in users if user.get("type") == 2 and user.get("status") == "pending")
    return {"plan_base": {"type": "monthly", "hosts": used + pending, "usage": used, "pending": pending}}


def user_settings_of(user: Mapping[str, Any]) -> dict[str, Any]:
    """A ``GET /users/{userId}/settings`` answer: a few ordinary settings, and the user's ``feature`` block."""
    feature: dict[str, Any] = {
        "meeting_capacity": 300 if user.get("type") == 2 else 100,
        "large_meeting": False,
        "webinar": False,
        "zoom_events": False,
        "zoom_phone": False,
        "cn_meeting": False,
        "in_meeting": False,
        "concurrent_meeting": "None",
    }
    feature.update(user.get("feature") or {})
    return {
        "schedule_meeting": {"host_video": True, "participants_video": False, "join_before_host": False},
        "in_meeting": {"chat": True, "breakout_room": True, "waiting_room": True},
        "feature": feature,
    }


def _as_listed(user: Mapping[str, Any]) -> dict[str, Any]:
    listed = dict(user)
    listed.pop("feature", None)  # served by GET /users/{userId}/settings, not listed
    if listed.get("status") == "pending":
        listed.pop("id", None)  # Zoom lists pending users without an id
    return listed


def encode(body: Any) -> bytes:
    """A reply body as bytes: ``None`` is empty, text is UTF-8, anything else JSON."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
