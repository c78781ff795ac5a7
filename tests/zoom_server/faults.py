"""Misbehaviour for the test Zoom server (:class:`~tests.zoom_server.server.FaultyZoom`): rules consulted once
per request, and ready-made ones for what Zoom (or the network in between) does wrong.

:class:`Faults` holds the rules and the basic faults (throttling, expired tokens, 5xx, dropped or cut-off
connections, missing scopes, a free account, slowness, trickled answers, HTML pages). :class:`ZoomFaults` also
stamps every request's arrival time (so a test can check, from the server's side, that no retry came before
its ``Retry-After``) and adds the rest: ``Retry-After`` as seconds, HTTP date or ISO time computed when the 429
is sent, bad credentials, malformed JSON, users missing fields, duplicates across pages, unknown user types and
page tokens that never end.
"""

from __future__ import annotations

import dataclasses
import email.utils
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from seatkeeper_zoom.fake_server import FREE_ACCOUNT, FakeRequest, FakeZoom, Reply, path_matches

from .wire import encode_json

if TYPE_CHECKING:
    from .server import FaultyZoom

RETRY_AFTER_FORMS = ("seconds", "http-date", "iso")


@dataclass(frozen=True)
class LoggedRequest(FakeRequest):
    """A request as the fault rules see it: also its 1-based position among all the server received."""

    number: int = 0


@dataclass
class FaultReply(Reply):
    """A :class:`Reply` that misbehaves on the wire.

    :param drop: close the connection without answering.
    :param truncate: announce the whole body but send only half of it, then close.
    :param trickle: send the body one byte every ``trickle`` seconds.
    """

    drop: bool = False
    truncate: bool = False
    trickle: float = 0.0


#: A fault rule: return a :class:`Reply` to answer instead of the server, or ``None`` to let it answer
#: (possibly after changing its state, e.g. expiring tokens).
Rule = Callable[[LoggedRequest, "FaultyZoom"], Reply | None]


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
        self.add(lambda _request, _server: FaultReply(drop=True), times=times, skip=skip, path=path, when=when)

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
            return FaultReply(status, body, truncate=True)

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
        reply = Reply(400, missing_scope_body(scope, code))
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

    def trickle(
        self,
        interval: float,
        *,
        times: int | None = None,
        skip: int = 0,
        path: str | None = "/v2/users",
        when: Callable[[FakeRequest], bool] | None = None,
    ) -> None:
        """Serve the normal answer one byte every ``interval`` seconds (a proxy or link that barely moves)."""

        def slowly(request: FakeRequest, server: FakeZoom) -> Reply:
            status, body = server.answer(request)
            return FaultReply(status, body, trickle=interval)

        self.add(slowly, times=times, skip=skip, path=path, when=when)

    def html_page(
        self,
        status: int = 200,
        *,
        times: int | None = None,
        path: str | None = "/v2/users",
        when: Callable[[FakeRequest], bool] | None = None,
    ) -> None:
        """Answer with an HTML page, as a proxy, a captive portal or a load balancer's error page does."""
        page = "<!DOCTYPE html>\n<html><head><title>Sign in to the network</title></head><body>Log in</body></html>"
        reply = Reply(status, page, {"Content-Type": "text/html; charset=utf-8"})
        self.add(lambda _request, _server: reply, times=times, path=path, when=when)


Timer = Callable[[], float]


def missing_scope_body(scope: str, code: int = 4711) -> dict[str, Any]:
    """Zoom's answer to a token lacking ``scope``."""
    return {"code": code, "message": f"Invalid access token, does not contain scopes:[{scope}]."}


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

    def endless_pages(self, status: str = "active") -> None:
        """Answer every page of the ``status`` list with its first page and a new ``next_page_token`` each time.

        The first page still announces the list's real ``total_records`` and ``page_count``: only the tokens never
        end (a server bug, or a proxy replaying pages).
        """

        def again(request: FakeRequest, server: FakeZoom) -> Reply | None:
            if request.query.get("status", "active") != status:
                return None
            first = dataclasses.replace(request, query={"status": status, "page_size": request.query["page_size"]})
            code, body = listed_page(first, server)
            if code == 200:
                body["next_page_token"] = secrets.token_urlsafe(16)
            return Reply(code, encode_json(body))

        self.add(again, times=None, path="/v2/users")

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
