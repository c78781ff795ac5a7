"""Faults :class:`~seatkeeper_zoom.fake_server.FakeZoom` lacks, as rules on its own ``faults`` hook.

:class:`ZoomFaults` is a drop-in ``Faults`` that also stamps every request's arrival time (so a test can check,
from the server's side, that no retry came before its ``Retry-After``) and adds ready-made rules for Zoom's
other misbehaviour: ``Retry-After`` as seconds, HTTP date or ISO time computed when the 429 is sent, slow
answers, a missing scope, bad credentials, malformed JSON, users missing fields, duplicates across pages and
unknown user types.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from seatkeeper_zoom.fake_server import FakeRequest, FakeZoom, Faults, Reply

from .wire import encode_json

RETRY_AFTER_FORMS = ("seconds", "http-date", "iso")

Timer = Callable[[], float]


@dataclass(frozen=True)
class Throttle:
    """A 429 the server sent: to which request, and the earliest POSIX time its ``Retry-After`` allows."""

    number: int
    not_before: float


def retry_after_header(form: str, seconds: int, now: float) -> tuple[str, float]:
    """The ``Retry-After`` value asking to wait ``seconds`` from ``now`` in ``form``, and the time it names.

    Dates have whole-second resolution, so the named time is ``now + seconds`` rounded down.
    """
    if form == "seconds":
        return str(seconds), now + seconds
    moment = int(now + seconds)
    if form == "http-date":
        return email.utils.formatdate(moment, usegmt=True), float(moment)
    if form == "iso":
        return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), float(moment)
    raise ValueError(f"unknown Retry-After form {form!r}: use one of {RETRY_AFTER_FORMS}")


def listed_page(request: FakeRequest, server: FakeZoom) -> tuple[int, Any]:
    """The server's normal answer to ``request`` with its body as parsed JSON (for rules that edit pages)."""
    status, body = server.answer(request)
    if isinstance(body, bytes | str):
        body = json.loads(body)
    return status, body


class ZoomFaults(Faults):
    """``FakeZoom.faults`` with arrival stamps and more ready-made faults.

    :param timer: POSIX time used for arrival stamps and ``Retry-After`` dates; tests pass a virtual clock that
        the client's injected ``sleep`` advances, so waits cost no real time.
    """

    def __init__(self, timer: Timer = time.time) -> None:
        super().__init__()
        self.timer = timer
        self.arrivals: dict[int, float] = {}
        self.throttles: list[Throttle] = []
        self._record = threading.Lock()

    def consult(self, request: FakeRequest, server: FakeZoom) -> Reply | None:
        """Stamp the request's arrival, then run the armed rules."""
        with self._record:
            self.arrivals[request.number] = self.timer()
        return super().consult(request, server)

    # ---- throttling ------------------------------------------------------------------------------------

    def retry_after(
        self,
        form: str = "seconds",
        seconds: int = 2,
        *,
        times: int | None = 1,
        skip: int = 0,
        path: str | None = "/v2/users",
        when: Callable[[FakeRequest], bool] | None = None,
    ) -> None:
        """Answer Zoom's per-second 429 with ``Retry-After`` ``seconds`` ahead, written in ``form``."""
        if form not in RETRY_AFTER_FORMS:
            raise ValueError(f"unknown Retry-After form {form!r}: use one of {RETRY_AFTER_FORMS}")

        def throttle(request: FakeRequest, _server: FakeZoom) -> Reply:
            value, not_before = retry_after_header(form, seconds, self.timer())
            with self._record:
                self.throttles.append(Throttle(request.number, not_before))
            body = {"code": 429, "message": "You have reached the maximum per-second rate limit for this API."}
            headers = {"X-RateLimit-Category": "Medium", "X-RateLimit-Type": "QPS", "Retry-After": value}
            return Reply(429, body, headers)

        self.add(throttle, times=times, skip=skip, path=path, when=when)

    # ---- slowness --------------------------------------------------------------------------------------

    def slow(
        self,
        seconds: float,
        *,
        times: int | None = None,
        skip: int = 0,
        path: str | None = "/v2/users",
        when: Callable[[FakeRequest], bool] | None = None,
    ) -> None:
        """Wait ``seconds`` (real time) before answering normally: FakeZoom's ``delay``, for the users list."""
        self.delay(seconds, times=times, skip=skip, path=path, when=when)

    # ---- fatal answers ---------------------------------------------------------------------------------

    def bad_credentials(self) -> None:
        """Refuse every token request as Zoom refuses a wrong client id or secret."""
        body = {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
        self.add(lambda _request, _server: Reply(400, body), times=None, path="/oauth/token")

    def malformed_json(
        self,
        *,
        times: int | None = 1,
        skip: int = 0,
        path: str | None = "/v2/users",
        when: Callable[[FakeRequest], bool] | None = None,
    ) -> None:
        """Answer 200 with a body that is cut-off JSON (complete as HTTP, so no retry helps)."""
        broken = b'{"page_count": 1, "page_number": 1, "users": [{"id": "'
        self.add(lambda _request, _server: Reply(200, broken), times=times, skip=skip, path=path, when=when)

    # ---- odd data --------------------------------------------------------------------------------------

    def users_missing_fields(
        self, fields: Iterable[str], *, index: int = 0, times: int | None = 1, skip: int = 0
    ) -> None:
        """Serve list pages with ``fields`` removed from the user at ``index`` of the page."""
        names = tuple(fields)

        def strip(request: FakeRequest, server: FakeZoom) -> Reply | None:
            status, body = listed_page(request, server)
            if status != 200 or len(body.get("users", [])) <= index:
                return Reply(status, encode_json(body))
            for name in names:
                body["users"][index].pop(name, None)
            return Reply(status, encode_json(body))

        self.add(strip, times=times, skip=skip, path="/v2/users")

    def unknown_user_types(self, zoom_type: int = 7, *, every: int = 3, times: int | None = None) -> None:
        """Serve every ``every``-th user of each list page with a user ``type`` Zoom may add one day."""

        def retype(request: FakeRequest, server: FakeZoom) -> Reply:
            status, body = listed_page(request, server)
            for user in body.get("users", [])[::every] if status == 200 else ():
                user["type"] = zoom_type
            return Reply(status, encode_json(body))

        self.add(retype, times=times, path="/v2/users")

    def duplicates_across_pages(self, *, times: int | None = None) -> None:
        """Repeat the last user of each page at the top of the next page of the same list.

        That is what Zoom's offset paging does when users are added while a client pages through a list.
        """
        last_of: dict[str, dict] = {}

        def repeat(request: FakeRequest, server: FakeZoom) -> Reply:
            status, body = listed_page(request, server)
            users = body.get("users", []) if status == 200 else []
            listed = request.query.get("status", "active")
            previous = last_of.get(listed) if request.query.get("next_page_token") else None
            if users:
                last_of[listed] = dict(users[-1])
            if previous is not None:
                body["users"] = [previous, *users]
            return Reply(status, encode_json(body))

        self.add(repeat, times=times, path="/v2/users")

    def replace_users(self, entries_by_status: dict[str, list[Any]]) -> None:
        """Serve ``entries_by_status[status]`` (any JSON values) in place of the users each list page holds.

        The server pages as usual over a snapshot with as many users per status as there are entries, and
        each page's users are swapped for the entries at the same positions: property tests use it to send
        arbitrary data through Zoom's real paging.
        """

        def swap(request: FakeRequest, server: FakeZoom) -> Reply:
            status, body = listed_page(request, server)
            if status == 200 and body.get("users"):
                listed = request.query.get("status", "active")
                offset = (body["page_number"] - 1) * body["page_size"]
                entries = entries_by_status.get(listed, [])
                body["users"] = entries[offset : offset + len(body["users"])]
            return Reply(status, encode_json(body))

        self.add(swap, times=None, path="/v2/users")
