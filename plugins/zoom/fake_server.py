"""A small Zoom-compatible HTTP server on 127.0.0.1, for the demo and for tests.

It speaks the parts of Zoom the provider uses, with Zoom's shapes and error bodies:

- ``POST /oauth/token``: Server-to-Server OAuth (Basic client credentials, ``account_credentials`` grant);
- ``GET /v2/users``: ``status`` filter, ``page_size``, ``next_page_token`` and the list envelope;
- ``GET /v2/users/summary``: user counts, consistent with the snapshot;
- ``GET /v2/accounts/me/plans/usage``: purchased and used seats per plan (given per snapshot, or derived from
  the users), or a free account's 400 code 200;
- ``GET /v2/users/{userId}/settings``: the user's settings; its ``feature`` block comes from the user's
  ``"feature"`` entry (which ``GET /v2/users`` does not list).

It serves several *snapshots* of one account, each under its own prefix (``/s/0/oauth/token``,
``/s/0/v2/users``, ...); the unprefixed paths serve the last snapshot. Misbehaviour is switched on through
:class:`Faults`, consulted once per request before it is served::

    with FakeZoom([users], client_secret="s") as zoom:
        zoom.faults.rate_limit(retry_after="2")       # the next user-list request gets a 429
        zoom.faults.expire_tokens(after=1)            # tokens expire after one more list page
        zoom.faults.missing_scope("user:read:summary:admin", path="/v2/users/summary")
        settings = zoom.settings()                    # settings for ZoomProvider.authenticate
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

#: Scopes a correctly set-up app has (the optional ones included).
DEFAULT_SCOPES = (
    "user:read:list_users:admin",
    "user:read:user:admin",
    "user:read:summary:admin",
    "billing:read:plan_usage:admin",
    "user:read:settings:admin",
)
LIST_USERS_SCOPES = ("user:read:list_users:admin", "user:read:admin")
SUMMARY_SCOPES = ("user:read:summary:admin", "user:read:admin")
PLAN_USAGE_SCOPES = (
    "billing:read:plan_usage:admin",
    "billing:read:plan_usage:master",
    "billing:master",
    "account:read:admin",
)
SETTINGS_SCOPES = ("user:read:settings:admin", "user:read:admin")
USER_STATUSES = ("active", "inactive", "pending")
#: Paths with a variable part, as fault rules and :meth:`FakeZoom.peak_in_flight` name them.
ROUTES = ("/v2/users/{userId}/settings", "/v2/accounts/{accountId}/plans/usage")
FREE_ACCOUNT = {"code": 200, "message": "Only available for paid account."}


@dataclass(frozen=True)
class FakeRequest:
    """A request as the fault rules see it.

    :param path: the path without the snapshot prefix, e.g. ``"/v2/users"``.
    :param snapshot: index of the snapshot the request is for.
    :param token: the bearer token presented, if any.
    :param number: 1-based position of the request among all the server received.
    """

    method: str
    path: str
    snapshot: int
    query: Mapping[str, str]
    token: str | None
    number: int


@dataclass
class Reply:
    """What the server sends instead of the normal answer.

    :param body: a dict or list is sent as JSON; ``str``/``bytes`` as they are.
    :param drop: close the connection without answering.
    :param truncate: announce the whole body but send only half of it, then close.
    """

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    truncate: bool = False


#: A fault rule: return a :class:`Reply` to answer instead of the server, or ``None`` to let it answer
#: (possibly after changing its state, e.g. expiring tokens).
Rule = Callable[[FakeRequest, "FakeZoom"], Reply | None]


@dataclass
class _Armed:
    rule: Rule
    times: int | None
    skip: int
    when: Callable[[FakeRequest], bool]


class Faults:
    """Switchable misbehaviour of a :class:`FakeZoom`, consulted once per request, rules in order.

    A rule fires on requests matching ``when`` (and ``path``), after letting ``skip`` of them through, at
    most ``times`` times (``None``: forever). The first rule that returns a :class:`Reply` answers.
    """

    def __init__(self) -> None:
        self._rules: list[_Armed] = []
        self._lock = threading.Lock()

    def add(
        self,
        rule: Rule,
        *,
        times: int | None = 1,
        skip: int = 0,
        path: str | None = None,
        when: Callable[[FakeRequest], bool] | None = None,
    ) -> None:
        """Arm ``rule`` for requests to ``path`` (any path if ``None``) that also match ``when``.

        ``path`` may hold ``{placeholders}`` matching one path segment each, e.g. ``"/v2/users/{userId}/settings"``.
        """

        def matches(request: FakeRequest) -> bool:
            return (path is None or path_matches(path, request.path)) and (when is None or when(request))

        with self._lock:
            self._rules.append(_Armed(rule, times, skip, matches))

    def clear(self) -> None:
        """Disarm every rule."""
        with self._lock:
            self._rules.clear()

    def consult(self, request: FakeRequest, server: FakeZoom) -> Reply | None:
        """Run the armed rules for ``request``; the server calls this before answering."""
        with self._lock:
            due = []
            for armed in self._rules:
                if not armed.when(request) or armed.times == 0:
                    continue
                if armed.skip > 0:
                    armed.skip -= 1
                    continue
                if armed.times is not None:
                    armed.times -= 1
                due.append(armed.rule)
        for rule in due:
            reply = rule(request, server)
            if reply is not None:
                return reply
        return None

    # ---- ready-made faults ----------------------------------------------------------------------------

    def rate_limit(
        self,
        *,
        times: int | None = 1,
        skip: int = 0,
        retry_after: str | None = "1",
        daily: bool = False,
        path: str | None = "/v2/users",
        when: Callable[[FakeRequest], bool] | None = None,
        category: str = "Medium",
    ) -> None:
        """Answer 429 (per-second limit, or the daily quota) with the given ``Retry-After``."""
        if daily:
            message = (
                f"You have exceeded the daily rate limit (30000) of {category} API requests permitted for this account."
            )
        else:
            message = "You have reached the maximum per-second rate limit for this API. Try again later."
        headers = {
            "X-RateLimit-Category": category,
            "X-RateLimit-Type": "Daily-limit" if daily else "QPS",
            "X-RateLimit-Limit": "30000" if daily else "20",
            "X-RateLimit-Remaining": "0",
        }
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        reply = Reply(429, {"code": 429, "message": message}, headers)
        self.add(lambda _request, _server: reply, times=times, skip=skip, path=path, when=when)

    def expire_tokens(
        self, *, after: int = 1, path: str | None = "/v2/users", when: Callable[[FakeRequest], bool] | None = None
    ) -> None:
        """Let ``after`` requests to ``path`` through, then expire every token (the next one gets 401 124)."""

        def expire(_request: FakeRequest, server: FakeZoom) -> None:
            server.expire_tokens()

        self.add(expire, times=1, skip=after, path=path, when=when)

    def server_error(
        self,
        status: int = 503,
        *,
        times: int | None = 1,
        skip: int = 0,
        path: str | None = "/v2/users",
        when: Callable[[FakeRequest], bool] | None = None,
    ) -> None:
        """Answer an HTTP 5xx."""
        reply = Reply(status, {"code": status, "message": "Service temporarily unavailable."})
        self.add(lambda _request, _server: reply, times=times, skip=skip, path=path, when=when)

    def drop_connection(
        self,
        *,
        times: int | None = 1,
        skip: int = 0,
        path: str | None = "/v2/users",
        when: Callable[[FakeRequest], bool] | None = None,
    ) -> None:
        """Close the connection without answering."""
        self.add(lambda _request, _server: Reply(drop=True), times=times, skip=skip, path=path, when=when)

    def truncate_body(
        self,
        *,
        times: int | None = 1,
        skip: int = 0,
        path: str | None = "/v2/users",
        when: Callable[[FakeRequest], bool] | None = None,
    ) -> None:
        """Serve the normal answer cut in half (the connection breaks mid-body)."""

        def truncate(request: FakeRequest, server: FakeZoom) -> Reply:
            status, body = server.answer(request)
            return Reply(status, body, truncate=True)

        self.add(truncate, times=times, skip=skip, path=path, when=when)

    def missing_scope(
        self,
        scope: str = "user:read:list_users:admin",
        *,
        path: str | None = "/v2/users",
        code: int = 4711,
        times: int | None = None,
        skip: int = 0,
        when: Callable[[FakeRequest], bool] | None = None,
    ) -> None:
        """Answer requests to ``path`` with Zoom's missing-scope error naming ``scope`` (400, code 4711; the docs
        say 4700), every time unless ``times`` is given."""
        reply = Reply(400, _missing_scope(scope, code))
        self.add(lambda _request, _server: reply, times=times, skip=skip, path=path, when=when)

    def free_account(self, *, times: int | None = None, when: Callable[[FakeRequest], bool] | None = None) -> None:
        """Answer plan usage as Zoom does for a free account: 400 code 200 "Only available for paid account."."""
        reply = Reply(400, dict(FREE_ACCOUNT))
        self.add(lambda _request, _server: reply, times=times, path="/v2/accounts/{accountId}/plans/usage", when=when)

    def delay(
        self,
        seconds: float,
        *,
        times: int | None = None,
        skip: int = 0,
        path: str | None = None,
        when: Callable[[FakeRequest], bool] | None = None,
    ) -> None:
        """Hold matching requests for ``seconds`` before answering them normally (a slow server)."""

        def slow(_request: FakeRequest, _server: FakeZoom) -> None:
            time.sleep(seconds)

        self.add(slow, times=times, skip=skip, path=path, when=when)


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


class FakeZoom:
    """A Zoom-compatible server for one account, serving ``snapshots`` (lists of raw user dicts).

    Use it as a context manager (or :meth:`start`/:meth:`stop`). Like Zoom, issuing a token invalidates the
    account's previous one, pending users are listed without ``id``, and page tokens expire.

    :param scopes: the scopes the app's tokens carry.
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
        scopes: Sequence[str] = DEFAULT_SCOPES,
        token_ttl: int = 3599,
        max_page_size: int = 300,
        page_token_ttl: float = 15 * 60,
        faults: Faults | None = None,
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
        self.scopes = tuple(scopes)
        self.token_ttl = token_ttl
        self.max_page_size = max_page_size
        self.page_token_ttl = page_token_ttl
        self.faults = faults or Faults()
        self.clock = clock
        self.requests: list[FakeRequest] = []
        #: Every access token issued, oldest first (tests check none of them leaks).
        self.issued_tokens: list[str] = []
        self._tokens: dict[str, float] = {}
        self._expired: set[str] = set()
        self._cursors: dict[str, PageCursor] = {}
        self._in_flight: dict[str, int] = {}
        self._peak: dict[str, int] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"<FakeZoom {self.base_url if self._httpd else 'stopped'} snapshots={len(self.snapshots)}>"

    # ---- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> FakeZoom:
        """Listen on a free port of 127.0.0.1 and serve in a background thread."""
        handler = type("FakeZoomHandler", (_Handler,), {"zoom": self})
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

    # ---- state -----------------------------------------------------------------------------------------

    @property
    def tokens_issued(self) -> int:
        """How many access tokens the server has issued."""
        return len(self.issued_tokens)

    def expire_tokens(self) -> None:
        """Make every issued token expired (requests with them get 401 code 124 "Access token is expired.")."""
        with self._lock:
            self._expired.update(self._tokens)
            self._tokens.clear()

    def requests_to(self, path: str) -> list[FakeRequest]:
        """The logged requests for one path (without snapshot prefix); ``{placeholders}`` match any segment."""
        with self._lock:
            return [request for request in self.requests if path_matches(path, request.path)]

    def revoke_scopes(self, *scopes: str) -> None:
        """Take ``scopes`` away from the app: requests needing only them now get Zoom's missing-scope error."""
        self.scopes = tuple(scope for scope in self.scopes if scope not in scopes)

    def peak_in_flight(self, route: str) -> int:
        """The most requests to ``route`` (a path, or one of :data:`ROUTES`) ever handled at the same time."""
        with self._lock:
            return self._peak.get(route, 0)

    # ---- serving ---------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Answer one request: consult the faults, then serve it."""
        parts = urlsplit(target)
        path, snapshot = self._split_prefix(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        authorization = headers.get("Authorization", "")
        token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else None
        with self._lock:
            request = FakeRequest(method, path, snapshot, query, token, len(self.requests) + 1)
            self.requests.append(request)
        if snapshot >= len(self.snapshots):
            return Reply(404, {"code": 404, "message": "Not Found"})
        route = route_of(path)
        with self._lock:
            self._in_flight[route] = self._in_flight.get(route, 0) + 1
            self._peak[route] = max(self._peak.get(route, 0), self._in_flight[route])
        try:
            reply = self.faults.consult(request, self)
            if reply is not None:
                return reply
            if path == "/oauth/token":
                return self._token(method, query, authorization, body)
            status, payload = self.answer(request)
            return Reply(status, payload)
        finally:
            with self._lock:
                self._in_flight[route] -= 1

    def answer(self, request: FakeRequest) -> tuple[int, Any]:
        """The normal answer to an API request: ``(status, JSON body)``."""
        route = route_of(request.path)
        known = ("/v2/users", "/v2/users/summary", *ROUTES)
        if request.method != "GET" or route not in known:
            return 404, {"code": 404, "message": "Not Found"}
        problem = self._check_token(request.token)
        if problem is not None:
            return 401, {"code": 124, "message": problem}
        users = self.snapshots[request.snapshot]
        if route == "/v2/users/summary":
            if not self._has_scope(SUMMARY_SCOPES):
                return 400, _missing_scope(SUMMARY_SCOPES[0])
            return 200, self._summary(users)
        if route == "/v2/accounts/{accountId}/plans/usage":
            account = request.path.split("/")[3]
            if account not in ("me", self.account_id):
                return 404, {"code": 2001, "message": "Account does not exist: " + account + "."}
            if not self._has_scope(PLAN_USAGE_SCOPES):
                return 400, _missing_scope(PLAN_USAGE_SCOPES[0])
            plans = plan_usage_of(users) if self.plans is None else self.plans[request.snapshot]
            return (400, dict(FREE_ACCOUNT)) if plans is None else (200, plans)
        if route == "/v2/users/{userId}/settings":
            if not self._has_scope(SETTINGS_SCOPES):
                return 400, _missing_scope(SETTINGS_SCOPES[0])
            return self._user_settings(users, request.path.split("/")[3])
        if not self._has_scope(LIST_USERS_SCOPES):
            return 400, _missing_scope(LIST_USERS_SCOPES[0])
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
            self.issued_tokens.append(token)
        return Reply(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.token_ttl,
                "scope": " ".join(self.scopes),
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

    def _check_token(self, token: str | None) -> str | None:
        with self._lock:
            if token and token in self._tokens:
                if self.clock() < self._tokens[token]:
                    return None
                del self._tokens[token]
                self._expired.add(token)
            if token and token in self._expired:
                return "Access token is expired."
        return "Invalid access token."

    def _has_scope(self, accepted: Sequence[str]) -> bool:
        return any(scope in self.scopes for scope in accepted)

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


def _missing_scope(scope: str, code: int = 4711) -> dict[str, Any]:
    return {"code": code, "message": f"Invalid access token, does not contain scopes:[{scope}]."}


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP requests into :meth:`FakeZoom.handle` calls."""

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
        reply = self.zoom.handle(self.command, self.path, self.headers, body)
        if reply.drop:
            self.close_connection = True
            return
        payload = _encode(reply.body)
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2] if reply.truncate else payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the signature http.server uses
        """Stay quiet: the demo and the tests have their own output."""


def _encode(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
