"""Helpers shared by the Zoom tests."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from seatkeeper import FetchContext, Rejected, SeatPlan, SeatRecord
from seatkeeper_zoom import ZoomProvider
from seatkeeper_zoom.transport import RetryPolicy
from tests.conftest import TEST_ACCOUNT_ID, TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.zoom_server import FaultyZoom

POLICY_FIELDS = frozenset(field.name for field in dataclasses.fields(RetryPolicy))

#: --block-network (pyproject addopts) blocks every socket; tests of the local fake server lift it for
#: 127.0.0.1 only, through pytest-recording's block_network mark.
LOCALHOST_ONLY = pytest.mark.block_network(allowed_hosts=[r"^127\.0\.0\.1$"])

ZOOM_SETTINGS = {
    "account_id": TEST_ACCOUNT_ID,
    "client_id": TEST_CLIENT_ID,
    "client_secret": TEST_CLIENT_SECRET,
    "api_url": "https://api.zoom.us/v2",
    "oauth_url": "https://zoom.us/oauth/token",
}


def at(text: str) -> float:
    """POSIX time of an ISO date, for a fixed ``clock``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


class Waits(list):
    """An injectable ``sleep`` that records the requested waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@dataclass
class Recorder:
    """A FetchContext whose progress and warnings are recorded."""

    progress_calls: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def context(self, settings: dict | None = None) -> FetchContext:
        return FetchContext(
            "zoom-test", settings or {}, progress=lambda **kw: self.progress_calls.append(kw), warnings=self.warnings
        )

    @property
    def totals(self) -> list[int]:
        return [call["total"] for call in self.progress_calls if "total" in call]

    @property
    def advanced(self) -> int:
        return sum(call.get("advance", 0) for call in self.progress_calls)


def sync(
    provider: ZoomProvider, settings: dict, recorder: Recorder | None = None
) -> tuple[list[SeatRecord | Rejected | SeatPlan], Recorder]:
    """Authenticate and fetch everything, as the engine would."""
    recorder = recorder or Recorder()
    session = provider.authenticate(settings)
    return list(provider.fetch(session, recorder.context(settings))), recorder


def records(items: Iterable[Any]) -> list[SeatRecord]:
    """The SeatRecords among fetched items."""
    return [item for item in items if isinstance(item, SeatRecord)]


def users_of(items: Iterable[Any]) -> list[SeatRecord | Rejected]:
    """The fetched items that stand for users (records and rejected ones), without the plans."""
    return [item for item in items if isinstance(item, SeatRecord | Rejected)]


def plans_of(items: Iterable[Any]) -> dict[str, SeatPlan]:
    """The SeatPlans among fetched items, by plan name."""
    return {item.plan: item for item in items if isinstance(item, SeatPlan)}


def fake_zoom(snapshots: Sequence[Sequence[dict]], **kwargs: Any) -> FaultyZoom:
    """A FaultyZoom (the demo's server with faults; not started) holding the test credentials."""
    kwargs.setdefault("account_id", TEST_ACCOUNT_ID)
    kwargs.setdefault("client_id", TEST_CLIENT_ID)
    kwargs.setdefault("client_secret", TEST_CLIENT_SECRET)
    return FaultyZoom(snapshots, **kwargs)


def zoom_user(number: int, *, status: str = "active", zoom_type: int = 2, **fields: Any) -> dict:
    """A raw Zoom user as ``GET /users`` lists it."""
    user = {
        "id": f"user{number:05d}AAAAAAAAAAAAA",
        "first_name": "User",
        "last_name": f"{number:05d}",
        "display_name": f"User {number:05d}",
        "email": f"user{number:05d}@example.com",
        "type": zoom_type,
        "pmi": 1000000000 + number,
        "timezone": "Europe/Berlin",
        "verified": 1,
        "dept": "Engineering",
        "created_at": "2023-01-15T10:00:00Z",
        "user_created_at": "2023-01-15T10:00:00Z",
        "last_login_time": "2024-06-01T08:30:00Z",
        "last_client_version": "6.0.11.39959(mac)",
        "language": "en-US",
        "status": status,
        "role_id": "2",
    }
    if status == "pending":
        del user["last_login_time"], user["last_client_version"]
    user.update(fields)
    return user


def account(active: int, inactive: int = 0, pending: int = 0) -> list[dict]:
    """Raw users of a small account with the given number of users per status."""
    users, number = [], 0
    for status, count in (("active", active), ("inactive", inactive), ("pending", pending)):
        for _ in range(count):
            number += 1
            users.append(zoom_user(number, status=status, zoom_type=(1, 2)[number % 2]))
    return users


def chain_text(error: BaseException) -> str:
    """str() and repr() of an exception and of everything chained to it (causes, contexts, arguments)."""
    parts, seen = [], set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), *(repr(arg) for arg in current.args)]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


# ---- cassettes ----------------------------------------------------------------------------------------

#: Pages and statuses differ only in their query string, so the query must be part of the match.
MATCH_ON = ["method", "scheme", "host", "port", "path", "query"]


def cassette_provider(**kwargs) -> ZoomProvider:
    """A provider fetching the status lists one after the other.

    vcrpy is not thread-safe: while one thread builds a connection, its force_reset() briefly restores the
    real connection classes for every thread, so a concurrent request can escape the cassette (or, when
    recording, go unrecorded): kevin1024/vcrpy#212, #849. The concurrent fetch is tested against the fake
    server instead (test_zoom_fake_server.py).

    Keyword arguments naming a :class:`RetryPolicy` field (``sleep``, ``clock``, ``max_retries``...) go to its
    policy (waits are recorded, not slept, by default), the others to the provider.
    """
    policy = {name: kwargs.pop(name) for name in list(kwargs) if name in POLICY_FIELDS}
    policy.setdefault("sleep", Waits())
    kwargs["policy"] = RetryPolicy(**policy)
    kwargs.setdefault("workers", 1)
    kwargs.setdefault("addon_workers", 1)
    return ZoomProvider(**kwargs)


def is_list_users(request) -> bool:
    """Whether a cassette request is a ``GET /users`` (a page of a status list)."""
    return request.method == "GET" and urlsplit(request.uri).path.endswith("/v2/users")


def list_requests(cassette) -> list[dict[str, list[str]]]:
    """Query parameters of every GET /users in the cassette."""
    return [parse_qs(urlsplit(request.uri).query) for request in cassette.requests if is_list_users(request)]


def listed_pages(cassette) -> list[dict]:
    """The successful list-users answers in the cassette."""
    pages = []
    for request, response in zip(cassette.requests, cassette.responses, strict=True):
        if is_list_users(request) and response["status"]["code"] == 200:
            pages.append(json.loads(response["body"]["string"]))
    return pages


def answer_to(cassette, path: str) -> tuple[int, Any] | None:
    """``(status, JSON body)`` of the cassette's first answer to ``GET <api>/v2<path>``, if it has one."""
    for request, response in zip(cassette.requests, cassette.responses, strict=True):
        if request.method == "GET" and urlsplit(request.uri).path.endswith("/v2" + path):
            return response["status"]["code"], json.loads(response["body"]["string"])
    return None


def listed_keys(cassette) -> list[str]:
    """Seat keys of every user the cassette lists (the id, else ``email:`` for pending users)."""
    return [
        user["id"] if user.get("id") else "email:" + user["email"].lower()
        for page in listed_pages(cassette)
        for user in page["users"]
    ]


def assert_all_played(cassette) -> None:
    """When replaying, every exchange of the cassette was requested."""
    if cassette.record_mode == "none":
        assert cassette.all_played, "an exchange of the cassette was never requested"
