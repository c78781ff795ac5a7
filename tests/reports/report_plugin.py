"""A test plugin offering several providers at once, each serving whatever records the test sets.

Each provider serves ``records`` (SeatRecord field dicts and SeatPlan objects), or fails with ``failure``.
For ``seatkeeper demo`` a provider can also hold ``demo_snapshots``: (time, records) pairs, served in turn.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from seatkeeper import DemoSnapshot, FetchContext, Provider, ProviderUnavailable, SeatPlan, SeatRecord, hookimpl


class SnapshotProvider(Provider):
    """A provider whose account is whatever list of records the test sets."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.title = f"{name.title()} (tests)"
        self.records: list[dict[str, Any] | SeatPlan] = []
        self.failure: str | None = None
        self.demo_snapshots: list[tuple[datetime, list[dict[str, Any] | SeatPlan]]] = []
        self.demo_prices: dict[str, float] = {}

    def fetch(self, session, context: FetchContext) -> Iterator[SeatRecord | SeatPlan]:
        """Yield the records of the current state (or of the demo snapshot named in the settings)."""
        if self.failure:
            raise ProviderUnavailable(self.failure)
        records = self.records
        if "snapshot" in context.settings:
            records = self.demo_snapshots[int(context.settings["snapshot"])][1]
        for record in records:
            yield SeatRecord(**record) if isinstance(record, dict) else record

    @contextlib.contextmanager
    def demo(self) -> Iterator[list[DemoSnapshot]]:
        """The demo snapshots, oldest first."""
        yield [
            DemoSnapshot(at, {"snapshot": str(index)}, prices=self.demo_prices, currency="EUR")
            for index, (at, _) in enumerate(self.demo_snapshots)
        ]


PROVIDER_NAMES = ("alpha", "beta", "gamma")
providers = {name: SnapshotProvider(name) for name in PROVIDER_NAMES}


def reset() -> None:
    """Empty every provider."""
    for provider in providers.values():
        provider.records, provider.failure, provider.demo_snapshots, provider.demo_prices = [], None, [], {}


@hookimpl
def register_providers(register):
    """Register the three test providers."""
    for provider in providers.values():
        register(provider)
