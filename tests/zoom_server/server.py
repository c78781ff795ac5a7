"""The test Zoom servers: :class:`FaultyZoom`, the demo's FakeZoom with faults, scopes and a request log, and
:class:`SeededZoom`, one with generated users, fast paging and latency.

FakeZoom re-filters and re-encodes the whole account for every page, which is fine for a demo of 150 users
but would make the server, not the client, the bottleneck of a 100,000-user benchmark. This subclass keeps
each status list's users JSON-encoded once, so a page costs a join of bytes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from seatkeeper_zoom.fake_server import (
    FakeRequest,
    FakeZoom,
    FakeZoomHandler,
    PageCursor,
    Reply,
    encode,
    path_matches,
    route_of,
)

from .faults import FaultReply, LoggedRequest, Timer, ZoomFaults, missing_scope_body
from .users import generate_users
from .wire import encode_json

MAX_PAGE_SIZE = 2000  # Zoom's 2025 specs

#: Scopes a correctly set-up app has (the optional ones included).
DEFAULT_SCOPES = (
    "user:read:list_users:admin",
    "user:read:user:admin",
    "user:read:summary:admin",
    "billing:read:plan_usage:admin",
    "user:read:settings:admin",
)
#: The scopes each route accepts (any one of them), first the one Zoom names when all are missing.
ROUTE_SCOPES = {
    "/v2/users": ("user:read:list_users:admin", "user:read:admin"),
    "/v2/users/summary": ("user:read:summary:admin", "user:read:admin"),
    "/v2/accounts/{accountId}/plans/usage": (
        "billing:read:plan_usage:admin",
        "billing:read:plan_usage:master",
        "billing:master",
        "account:read:admin",
    ),
    "/v2/users/{userId}/settings": ("user:read:settings:admin", "user:read:admin"),
}


class FaultyHandler(FakeZoomHandler):
    """Writes a :class:`FaultReply` as it asks: a dropped connection, a cut-off or trickled body."""

    def respond(self, reply: Reply) -> None:
        """Send ``reply``, misbehaving as a :class:`FaultReply` says."""
        if not isinstance(reply, FaultReply) or not (reply.drop or reply.truncate or reply.trickle):
            super().respond(reply)
            return
        self.close_connection = True
        if reply.drop:
            return
        payload = encode(reply.body)
        self.send_response(reply.status)
        for name, value in {"Content-Type": "application/json;charset=UTF-8", **reply.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if reply.truncate:
            self.wfile.write(payload[: len(payload) // 2])
            return
        try:
            for index in range(len(payload)):
                self.wfile.write(payload[index : index + 1])
                self.wfile.flush()
                time.sleep(reply.trickle)
        except OSError:
            pass  # the client gave up: what the trickle is for


class FaultyZoom(FakeZoom):
    """The demo's Zoom server with what tests need besides: switchable faults, the app's scopes, a log of the
    requests and tokens, and how many requests were handled at once.

    :param scopes: the scopes the app's tokens carry.
    :param faults: the rules consulted once per request (default: a new :class:`ZoomFaults`).
    Other keyword arguments go to FakeZoom.
    """

    handler_class = FaultyHandler

    def __init__(
        self,
        snapshots: Sequence[Sequence[Mapping[str, Any]]],
        *,
        scopes: Sequence[str] = DEFAULT_SCOPES,
        faults: ZoomFaults | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(snapshots, **kwargs)
        self.scopes = tuple(scopes)
        self.faults = faults or ZoomFaults()
        self.requests: list[LoggedRequest] = []
        #: Every access token issued, oldest first (tests check none of them leaks).
        self.issued_tokens: list[str] = []
        self._in_flight: dict[str, int] = {}
        self._peak: dict[str, int] = {}

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

    def requests_to(self, path: str) -> list[LoggedRequest]:
        """The logged requests for one path (without snapshot prefix); ``{placeholders}`` match any segment."""
        with self._lock:
            return [request for request in self.requests if path_matches(path, request.path)]

    def revoke_scopes(self, *scopes: str) -> None:
        """Take ``scopes`` away from the app: requests needing only them now get Zoom's missing-scope error."""
        self.scopes = tuple(scope for scope in self.scopes if scope not in scopes)

    def peak_in_flight(self, route: str) -> int:
        """The most requests to ``route`` (a path, or one of FakeZoom's ROUTES) ever handled at the same time."""
        with self._lock:
            return self._peak.get(route, 0)

    # ---- serving ---------------------------------------------------------------------------------------

    def request_of(self, method: str, target: str, headers: Mapping[str, str]) -> LoggedRequest:
        """The request, numbered and logged."""
        plain = super().request_of(method, target, headers)
        with self._lock:
            request = LoggedRequest(**vars(plain), number=len(self.requests) + 1)
            self.requests.append(request)
        return request

    def serve(self, request: FakeRequest, headers: Mapping[str, str], body: bytes) -> Reply:
        """Consult the faults, then answer as FakeZoom does (and note the tokens it issues)."""
        if request.snapshot >= len(self.snapshots):
            return super().serve(request, headers, body)
        route = route_of(request.path)
        with self._lock:
            self._in_flight[route] = self._in_flight.get(route, 0) + 1
            self._peak[route] = max(self._peak.get(route, 0), self._in_flight[route])
        try:
            reply = self.faults.consult(request, self)
            if reply is not None:
                return reply
            reply = super().serve(request, headers, body)
            if request.path == "/oauth/token" and reply.status == 200:
                with self._lock:
                    self.issued_tokens.append(reply.body["access_token"])
                reply.body["scope"] = " ".join(self.scopes)
            return reply
        finally:
            with self._lock:
                self._in_flight[route] -= 1

    def answer(self, request: FakeRequest) -> tuple[int, Any]:
        """FakeZoom's answer, or Zoom's missing-scope error when the app lacks the route's scopes."""
        accepted = ROUTE_SCOPES.get(route_of(request.path))
        if (
            accepted
            and request.method == "GET"
            and self.token_problem(request.token) is None
            and not any(scope in self.scopes for scope in accepted)
        ):
            return 400, missing_scope_body(accepted[0])
        return super().answer(request)


def listed(user: Mapping[str, Any]) -> dict[str, Any]:
    """A user as ``GET /users`` shows it: pending users come without an ``id``, as on Zoom."""
    shown = dict(user)
    if shown.get("status") == "pending":
        shown.pop("id", None)
    return shown


class SeededZoom(FaultyZoom):
    """A Zoom-compatible server on 127.0.0.1 for reliability tests and the sync benchmark.

    :param snapshots: as for FakeZoom: lists of raw users, one per snapshot.
    :param latency: seconds every request waits before it is answered (a far-away API).
    :param timer: POSIX time for the fault log and ``Retry-After`` dates (see :class:`ZoomFaults`).
    Other keyword arguments go to FaultyZoom; ``max_page_size`` defaults to 2000.
    """

    def __init__(
        self,
        snapshots: Sequence[Sequence[Mapping[str, Any]]],
        *,
        latency: float = 0.0,
        timer: Timer = time.time,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("max_page_size", MAX_PAGE_SIZE)
        kwargs.setdefault("faults", ZoomFaults(timer))
        super().__init__(snapshots, **kwargs)
        self.latency = latency
        self._encoded: dict[tuple[int, str], list[bytes]] = {}
        self._paging = threading.Lock()

    @classmethod
    def generated(cls, count: int, *, seed: int = 1, **kwargs: Any) -> SeededZoom:
        """A server holding one snapshot of ``count`` users from :func:`generate_users`."""
        return cls([generate_users(count, seed=seed)], **kwargs)

    @property
    def users(self) -> list[dict[str, Any]]:
        """The users of the last snapshot (the one unprefixed URLs serve)."""
        return self.snapshots[-1]

    def set_users(self, users: Sequence[Mapping[str, Any]], snapshot: int = -1) -> None:
        """Replace one snapshot's users (the last by default) between syncs."""
        with self._paging:
            self.snapshots[snapshot] = list(users)
            self._encoded.clear()
        self.forget_page_tokens()

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Wait ``latency`` seconds, then answer as FaultyZoom does."""
        if self.latency:
            time.sleep(self.latency)
        return super().handle(method, target, headers, body)

    def _list_users(self, request: FakeRequest) -> tuple[int, Any]:
        # FakeZoom's paging rules and envelope, served from per-status lists encoded once.
        page = self.page_of(request)
        if not isinstance(page, PageCursor):
            return page
        users = self._status_list(page.snapshot, page.status)
        head = json.dumps(self.page_envelope(page, len(users))).encode()[:-1]
        return 200, head + b', "users": [' + b", ".join(users[page.offset : page.offset + page.page_size]) + b"]}"

    def _status_list(self, snapshot: int, status: str) -> list[bytes]:
        with self._paging:
            encoded = self._encoded.get((snapshot, status))
            if encoded is None:
                encoded = [
                    encode_json(listed(user))
                    for user in self.snapshots[snapshot]
                    if user.get("status", "active") == status
                ]
                self._encoded[(snapshot, status)] = encoded
            return encoded
