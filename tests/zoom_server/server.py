""":class:`SeededZoom`: the demo's FakeZoom with generated users, fast paging, latency and :class:`ZoomFaults`.

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

from seatkeeper_zoom.fake_server import FakeRequest, FakeZoom, PageCursor, Reply

from .faults import Timer, ZoomFaults
from .users import generate_users
from .wire import encode_json

MAX_PAGE_SIZE = 2000  # Zoom's 2025 specs


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
        """Wait ``latency`` seconds, then answer as FakeZoom does."""
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
