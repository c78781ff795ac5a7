"""Fault rules for :class:`FakeGoogle`, consulted once per request through its ``intercept`` hook."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from seatkeeper_google_workspace.fake_server import FakeGoogle, FakeRequest, Reply, api_error

QUOTA_MESSAGE = (
    "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service "
    "'licensing.googleapis.com' for consumer 'project_number:123456789012'."
)


@dataclass
class _Rule:
    answer: Callable[[FakeRequest, FakeGoogle], Reply | None]
    when: Callable[[FakeRequest], bool]
    times: int | None
    skip: int


class Faults:
    """Rules in order; the first that fires answers. A rule fires on matching requests after ``skip`` of them
    went through, at most ``times`` times (None: forever)."""

    def __init__(self, server: FakeGoogle) -> None:
        self.server = server
        self.rules: list[_Rule] = []
        self.fired: list[FakeRequest] = []
        self._lock = threading.Lock()
        server.intercept = self

    def __call__(self, request: FakeRequest, server: FakeGoogle) -> Reply | None:
        with self._lock:
            for rule in self.rules:
                if rule.times == 0 or not rule.when(request):
                    continue
                if rule.skip:
                    rule.skip -= 1
                    continue
                if rule.times is not None:
                    rule.times -= 1
                self.fired.append(request)
                return rule.answer(request, server)
        return None

    def add(self, answer, *, path: str = "", times: int | None = 1, skip: int = 0, when=None) -> Faults:
        """Answer requests whose path starts with ``path`` (and match ``when``) with ``answer(request, server)``."""
        condition = when or (lambda _request: True)
        self.rules.append(
            _Rule(answer, lambda request: request.path.startswith(path) and condition(request), times, skip)
        )
        return self

    def reply(self, reply: Reply, **kwargs) -> Faults:
        """Answer matching requests with ``reply``."""
        return self.add(lambda _request, _server: reply, **kwargs)

    # ready-made rules

    def quota_403(self, path: str = "/apps/licensing", **kwargs) -> Faults:
        """Google's per-minute quota answer: 403 rateLimitExceeded in the usageLimits domain."""
        body = api_error(403, QUOTA_MESSAGE, "rateLimitExceeded", domain="usageLimits", status="PERMISSION_DENIED")
        return self.reply(Reply(403, body), path=path, **kwargs)

    def too_many(self, path: str = "/", retry_after: str | None = None, **kwargs) -> Faults:
        """429 RESOURCE_EXHAUSTED, with a ``Retry-After`` when given."""
        body = api_error(
            429, "Resource has been exhausted (e.g. check quota).", "rateLimitExceeded", status="RESOURCE_EXHAUSTED"
        )
        return self.reply(Reply(429, body, {"Retry-After": retry_after} if retry_after else {}), path=path, **kwargs)

    def server_error(self, path: str = "/", status: int = 503, **kwargs) -> Faults:
        """A 5xx in Google's format."""
        return self.reply(
            Reply(status, api_error(status, "The service is currently unavailable.", "backendError")),
            path=path,
            **kwargs,
        )

    def html(self, path: str = "/", status: int = 200, **kwargs) -> Faults:
        """An HTML page (a captive portal, a proxy's error page)."""
        page = "<!DOCTYPE html><html><body><h1>Sign in to the network</h1></body></html>"
        return self.reply(Reply(status, page, {"Content-Type": "text/html"}), path=path, **kwargs)

    def malformed(self, path: str = "/", **kwargs) -> Faults:
        """JSON cut off half way."""
        return self.reply(
            Reply(200, b'{"kind": "admin#directory#users", "users": [{"id": "1", "primaryEm'), path=path, **kwargs
        )

    def drop(self, path: str = "/", **kwargs) -> Faults:
        """Close the connection without answering."""
        return self.reply(Reply(drop=True), path=path, **kwargs)

    def expire_tokens(self, path: str = "/admin/directory/v1/users", **kwargs) -> Faults:
        """Expire every issued token just before a matching request is served (then it is served normally)."""

        def expire(_request: FakeRequest, server: FakeGoogle) -> None:
            """Expire the tokens and let the server answer."""
            server.expire_tokens()
            return None

        return self.add(expire, path=path, **kwargs)
