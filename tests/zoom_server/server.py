""":class:`SeededZoom`: the demo's FakeZoom with generated users, fast paging, latency and :class:`ZoomFaults`.

FakeZoom re-filters and re-encodes the whole account for every page, which is fine for a demo of 150 users
but would make the server, not the client, the bottleneck of a 100,000-user benchmark. This subclass keeps
each status list's users JSON-encoded once, so a page costs a join of bytes.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from seatkeeper_zoom.fake_server import USER_STATUSES, FakeRequest, FakeZoom, Reply

from .faults import Timer, ZoomFaults
from .users import generate_users
from .wire import encode_json

MAX_PAGE_SIZE = 2000  # Zoom's 2025 specs


@dataclass(frozen=True)
class _Cursor:
    snapshot: int
    status: str
    offset: int
    page_size: int
    created: float


def listed(user: Mapping[str, Any]) -> dict[str, Any]:
    """A user as ``GET /users`` shows it: pending users come without an ``id``, as on Zoom."""
    shown = dict(user)
    if shown.get("status") == "pending":
        shown.pop("id", None)
    return shown


class SeededZoom(FakeZoom):
    """A Zoom-compatible server on 127.0.0.1 for reliability tests and the sync benchmark.

    :param snapshots: as for FakeZoom: lists of raw users, one per snapshot.
    :param latency: seconds every request waits before it is answered (a far-away API).
    :param timer: POSIX time for the fault log and ``Retry-After`` dates (see :class:`ZoomFaults`).
    Other keyword arguments go to FakeZoom; ``max_page_size`` defaults to 2000.
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
        self._page_cursors: dict[str, _Cursor] = {}
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
            self._page_cursors.clear()

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Wait ``latency`` seconds, then answer as FakeZoom does."""
        if self.latency:
            time.sleep(self.latency)
        return super().handle(method, target, headers, body)

    def _list_users(self, request: FakeRequest) -> tuple[int, Any]:
        # FakeZoom's paging rules and envelope, served from per-status lists encoded once.
        query = request.query
        page_token = query.get("next_page_token", "")
        now = self.clock()
        if page_token:
            with self._paging:
                cursor = self._page_cursors.get(page_token)
            if cursor is None or now - cursor.created > self.page_token_ttl:
                return 400, {"code": 300, "message": "The next page token is invalid or expired."}
            snapshot, status, offset, page_size = cursor.snapshot, cursor.status, cursor.offset, cursor.page_size
        else:
            snapshot, status, offset, page_size = request.snapshot, query.get("status") or "active", 0, 30
        if query.get("page_size"):
            if not query["page_size"].isdigit():
                return 400, {"code": 300, "message": "Invalid field.", "errors": [{"field": "page_size"}]}
            page_size = int(query["page_size"]) or 30
        page_size = min(page_size, self.max_page_size)
        if status not in USER_STATUSES:
            return 400, {"code": 300, "message": "Invalid field.", "errors": [{"field": "status"}]}

        users = self._status_list(snapshot, status)
        next_token = ""
        if offset + page_size < len(users):
            next_token = secrets.token_urlsafe(24)
            with self._paging:
                self._page_cursors[next_token] = _Cursor(snapshot, status, offset + page_size, page_size, now)
        envelope = {
            "page_count": math.ceil(len(users) / page_size) if users else 0,
            "page_number": offset // page_size + 1,
            "page_size": page_size,
            "total_records": len(users),
            "next_page_token": next_token,
        }
        head = json.dumps(envelope).encode()[:-1]
        return 200, head + b', "users": [' + b", ".join(users[offset : offset + page_size]) + b"]}"

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
