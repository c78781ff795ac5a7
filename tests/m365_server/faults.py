"""Faults the reliability tests add to :class:`seatkeeper_microsoft365.server.FakeGraph` through its intercepts.

Each function arms one intercept on ``graph`` and returns it; ``times`` answers are faulty, then the server
answers normally (``times=None``: for ever). ``page`` counts the requests to the path (1 = the first).
"""

from __future__ import annotations

from collections.abc import Callable

from seatkeeper_microsoft365.server import FakeGraph, Reply, Request, graph_error

Fault = Callable[[Request, FakeGraph], Reply | None]


def arm(
    graph: FakeGraph,
    answer: Callable[[Request, FakeGraph], Reply | None],
    *,
    path: str = "/v1.0/users",
    times: int | None = 1,
    page: int | None = None,
    when: Callable[[Request], bool] | None = None,
) -> Fault:
    """Answer requests to ``path`` (from its ``page``-th request on, if given) with ``answer``, ``times`` times."""
    state = {"left": times, "seen": 0}

    def intercept(request: Request, server: FakeGraph) -> Reply | None:
        if request.path != path:
            return None
        state["seen"] += 1
        if page is not None and state["seen"] < page:
            return None
        if when is not None and not when(request):
            return None
        if state["left"] is not None:
            if state["left"] <= 0:
                return None
            state["left"] -= 1
        return answer(request, server)

    graph.intercepts.append(intercept)
    return intercept


def throttle(graph: FakeGraph, retry_after: str | None = "2.128", **kwargs) -> Fault:
    """429 TooManyRequests, with ``Retry-After`` when given."""
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return arm(graph, lambda _r, _s: graph_error(429, "TooManyRequests", "Please retry after", headers), **kwargs)


def server_error(graph: FakeGraph, status: int = 503, **kwargs) -> Fault:
    """A 5xx with Graph's error body."""
    return arm(graph, lambda _r, _s: graph_error(status, "serviceNotAvailable", "Service unavailable"), **kwargs)


def expire_tokens(graph: FakeGraph, **kwargs) -> Fault:
    """Revoke every token just before the request is answered (it then gets a 401), as an expiry would."""

    def expire(request: Request, server: FakeGraph) -> Reply | None:
        server.revoke_tokens()
        return graph_error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")

    return arm(graph, expire, **kwargs)


def body(
    graph: FakeGraph, payload: bytes, content_type: str = "application/json", status: int = 200, **kwargs
) -> Fault:
    """A raw body (malformed JSON, an HTML page)."""
    return arm(graph, lambda _r, _s: Reply(status, payload, {"Content-Type": content_type}), **kwargs)


def forbidden(graph: FakeGraph, code: str = "Authorization_RequestDenied", **kwargs) -> Fault:
    """403 with Graph's code (a missing permission by default)."""
    return arm(
        graph, lambda _r, _s: graph_error(403, code, "Insufficient privileges to complete the operation."), **kwargs
    )


def sign_in_refused(
    graph: FakeGraph, code: str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant", **kwargs
) -> Fault:
    """403 for requests selecting signInActivity only."""
    kwargs.setdefault("when", lambda request: "signInActivity" in request.query.get("$select", ""))
    return forbidden(graph, code, **kwargs)


def endless(graph: FakeGraph, **kwargs) -> Fault:
    """Pages that always carry a new @odata.nextLink."""

    def page(request: Request, server: FakeGraph) -> Reply:
        number = int(request.query.get("n", "0")) + 1
        return Reply(200, {"value": [], "@odata.nextLink": f"{server.base_url}/v1.0/users?n={number}"})

    kwargs.setdefault("times", None)
    return arm(graph, page, **kwargs)


def next_link_to(graph: FakeGraph, url: str, **kwargs) -> Fault:
    """A first page whose @odata.nextLink points at ``url``."""
    return arm(graph, lambda _r, _s: Reply(200, {"value": [], "@odata.nextLink": url}), **kwargs)
