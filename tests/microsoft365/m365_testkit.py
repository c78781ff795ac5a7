"""Helpers shared by the Microsoft 365 tests: the reference pack's sample tenant, a local Graph server, waits."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from seatkeeper import Person, Rejected, SeatPlan, SeatRecord
from seatkeeper.testing import Fetched, fetch_all
from seatkeeper_microsoft365 import Microsoft365Provider
from seatkeeper_microsoft365.server import FakeGraph, Tenant
from tests.conftest import TEST_CLIENT_SECRET

#: The reference pack: CI keeps a copy of shared/ beside the clone.
PACK = Path(__file__).resolve().parents[2] / ".." / "shared" / "microsoft-graph-api"
#: --block-network (pyproject addopts) blocks every socket; the local server's tests lift it for 127.0.0.1 only.
LOCALHOST_ONLY = pytest.mark.block_network(allowed_hosts=[r"^127\.0\.0\.1$"])

TENANT_ID = "3f9a5c1e-8d4b-4f0a-9e21-7c6d5b4a3f21"
CLIENT_ID = "4d856d1f-8648-456c-9bb2-f36273bbe4e3"
E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"
E5 = "06ebc4ee-1bb5-47dd-8120-11324bc54e06"
COPILOT = "639dec6b-bb19-468b-871c-c5c441c4b0cb"
FLOW_FREE = "f30db892-07e9-47e9-837c-80727f46fd3d"


def pack_json(name: str) -> dict[str, Any]:
    """One of the pack's example files."""
    return json.loads((PACK / "examples" / name).read_text(encoding="utf-8"))


def sample_users() -> list[dict[str, Any]]:
    """The nine users of the pack's three /users pages."""
    return [user for page in (1, 2, 3) for user in pack_json(f"users-page{page}.json")["value"]]


def sample_skus() -> list[dict[str, Any]]:
    """The pack's subscribedSkus, without consumedUnits (the server counts them from the users)."""
    return [{k: v for k, v in sku.items() if k != "consumedUnits"} for sku in pack_json("subscribedSkus.json")["value"]]


def sample_tenant(**changes: Any) -> Tenant:
    """The pack's sample tenant (a premium one: sign-in activity readable), credentials from tests/conftest.py."""
    values = {
        "tenant_id": TENANT_ID,
        "client_id": CLIENT_ID,
        "client_secret": TEST_CLIENT_SECRET,
        "users": sample_users(),
        "skus": sample_skus(),
    }
    values.update(changes)
    return Tenant(**values)


def many_users(count: int) -> list[dict[str, Any]]:
    """``count`` copies of the pack's first user, each with an id and address of its own."""
    template = sample_users()[0]
    users = []
    for index in range(count):
        user = copy.deepcopy(template)
        user["id"] = f"00000000-0000-4000-8000-{index:012d}"
        user["mail"] = user["userPrincipalName"] = f"user{index}@example.com"
        users.append(user)
    return users


class Waits(list):
    """An injectable ``sleep`` that records the requested waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def provider(**kwargs: Any) -> Microsoft365Provider:
    """A provider that records its waits instead of sleeping (``provider.waits``)."""
    waits = Waits()
    kwargs.setdefault("sleep", waits)
    made = Microsoft365Provider(**kwargs)
    made.waits = waits  # type: ignore[attr-defined]
    return made


@contextmanager
def graph(*tenants: Tenant, **kwargs: Any) -> Iterator[FakeGraph]:
    """The local Graph server with ``tenants`` (the sample tenant by default)."""
    with FakeGraph(list(tenants) or [sample_tenant()], **kwargs) as server:
        yield server


def fetch(made: Microsoft365Provider, settings: dict[str, str]) -> Fetched:
    """Authenticate and fetch everything, as the engine would."""
    return fetch_all(made, settings)


def seats(items: list[Any]) -> list[SeatRecord]:
    """The seats among fetched items."""
    return [item for item in items if isinstance(item, SeatRecord)]


def people(items: list[Any]) -> list[Person]:
    """The people among fetched items."""
    return [item for item in items if isinstance(item, Person)]


def plans(items: list[Any]) -> dict[str, SeatPlan]:
    """The plans among fetched items, by plan name."""
    return {item.plan: item for item in items if isinstance(item, SeatPlan)}


def rejected(items: list[Any]) -> list[Rejected]:
    """The rejected records among fetched items."""
    return [item for item in items if isinstance(item, Rejected)]
