"""Helpers shared by the reliability tests: a virtual clock, a test-tuned Zoom provider, stored-seat snapshots."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from seatkeeper import queries
from seatkeeper.config import ConnectionConfig
from seatkeeper.models import Seat, SyncRun
from seatkeeper.sync import SyncResult, sync_connection
from seatkeeper_zoom import ZoomProvider
from seatkeeper_zoom.transport import RetryPolicy
from tests.conftest import TEST_ACCOUNT_ID, TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.zoom_server import SeededZoom

#: --block-network (pyproject addopts) blocks sockets; tests of a local server lift it for 127.0.0.1 only.
LOCALHOST_ONLY = pytest.mark.block_network(allowed_hosts=[r"^127\.0\.0\.1$"])

POLICY_FIELDS = frozenset(field.name for field in dataclasses.fields(RetryPolicy))

#: A small account: 60 users (42 active, 12 inactive, 6 pending), 9 pages of at most 8 users.
USERS = 60
PAGE_SIZE = 8
JAN = datetime(2026, 1, 15, tzinfo=UTC)
FEB = datetime(2026, 2, 15, tzinfo=UTC)

#: What a seat is, for comparing two databases (ids and run numbers differ between them).
SEAT_FIELDS = ("user_id", "email", "name", "license_type", "billable", "status", "department", "role", "extras")


class VirtualClock:
    """POSIX time that only moves when someone sleeps: the provider's ``sleep`` and ``clock``, and the
    server's ``timer``, so ``Retry-After`` waits are checked without waiting."""

    def __init__(self, start: float = 1_780_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.waits: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
            self._now += seconds


def seeded_zoom(count: int = USERS, **kwargs: Any) -> SeededZoom:
    """A SeededZoom (not started) with the test credentials."""
    kwargs.setdefault("account_id", TEST_ACCOUNT_ID)
    kwargs.setdefault("client_id", TEST_CLIENT_ID)
    kwargs.setdefault("client_secret", TEST_CLIENT_SECRET)
    return SeededZoom.generated(count, **kwargs)


def fast_provider(clock: VirtualClock | None = None, **kwargs: Any) -> ZoomProvider:
    """The real Zoom provider with small pages, and waits that cost no real time.

    Keyword arguments naming a :class:`RetryPolicy` field (``max_retries``, ``timeout``...) go to its policy,
    the others to the provider.
    """
    clock = clock or VirtualClock()
    policy = {name: kwargs.pop(name) for name in list(kwargs) if name in POLICY_FIELDS}
    policy.setdefault("max_retries", 3)
    kwargs.setdefault("page_size", PAGE_SIZE)
    return ZoomProvider(policy=RetryPolicy(sleep=clock.sleep, clock=clock.now, **policy), **kwargs)


def sync_zoom(
    engine: Engine,
    zoom: SeededZoom,
    provider: ZoomProvider,
    *,
    name: str = "zoom",
    when: datetime = JAN,
    allow_shrink: bool = False,
) -> SyncResult:
    """One sync of ``zoom``'s account through the real engine."""
    connection = ConnectionConfig(name, "zoom")
    return sync_connection(engine, connection, provider, zoom.settings(), now=when, allow_shrink=allow_shrink)


def current_seats(engine: Engine, connection: str | None = None) -> list[tuple]:
    """The current seats as comparable tuples, sorted."""
    rows = queries.seats(engine, connection=connection)
    return sorted(tuple(repr(row[name]) for name in SEAT_FIELDS) for row in rows)


def table_rows(engine: Engine, table: sa.Table) -> list[dict]:
    """Every row of ``table`` in id order."""
    with engine.connect() as db:
        return [dict(row._mapping) for row in db.execute(sa.select(table).order_by(*table.primary_key.columns))]


def seat_rows(engine: Engine) -> list[dict]:
    """Every seat row (all history) in id order."""
    return table_rows(engine, Seat.__table__)


def run_rows(engine: Engine) -> list[dict]:
    """Every sync run in id order."""
    return table_rows(engine, SyncRun.__table__)


def wait_until(condition, timeout: float = 20.0, what: str = "condition") -> None:
    """Poll ``condition`` until it holds, failing the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)
