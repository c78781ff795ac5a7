"""Reconciling a sync with Zoom's own user counts (``GET /users/summary``).

The summary is optional (scope ``user:read:summary:admin``): without it the sync says so once and goes on.
When Zoom's counts differ from the users the sync yielded, one warning gives both sets of numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from seatkeeper import FetchContext, Rejected, SeatRecord, SeatStatus
from seatkeeper.errors import PermissionDenied, ProviderError

from .client import FetchCancelled, ZoomClient

SUMMARY_PATH = "/users/summary"
SUMMARY_SCOPE = "user:read:summary:admin"

#: Summary fields counting non-pending users by Zoom user type, and the types each one counts.
TYPE_COUNTS: dict[str, tuple[int, ...]] = {
    "licensed_users_count": (2,),
    "basic_users_count": (1,),
    "on_prem_users_count": (3,),
    "join_only_users_count": (4, 99),
}
#: How the warning names each field.
LABELS = {
    "licensed_users_count": "licensed",
    "basic_users_count": "basic",
    "on_prem_users_count": "on-prem",
    "join_only_users_count": "join-only",
    "pending_users_count": "pending",
    "total_users_count": "total",
}


@dataclass
class SyncedCounts:
    """What a fetch yielded, counted the way Zoom's summary counts users."""

    types: Counter[int] = field(default_factory=Counter)
    pending: int = 0
    listed: int = 0  # every non-pending user, whatever their type
    rejected: int = 0

    def add(self, item: object) -> None:
        """Count one yielded item (plans and other items are ignored)."""
        if isinstance(item, SeatRecord):
            if item.status is SeatStatus.PENDING:
                self.pending += 1
                return
            self.listed += 1
            zoom_type = item.extras.get("zoom_type")
            if isinstance(zoom_type, int):
                self.types[zoom_type] += 1
        elif isinstance(item, Rejected):
            self.rejected += 1

    def counting(self, items: Iterable[Any]) -> Iterator[Any]:
        """Pass ``items`` through, counting each one."""
        for item in items:
            self.add(item)
            yield item

    def expected(self, summary: dict[str, Any]) -> dict[str, int]:
        """The synced figure for each summary field Zoom answered with a count."""
        synced = {name: sum(self.types[t] for t in types) for name, types in TYPE_COUNTS.items()}
        synced["pending_users_count"] = self.pending
        # Zoom Rooms count in Zoom's total but are not users the list returns: take Zoom's own room count.
        rooms = _count(summary.get("room_users_count")) or 0
        synced["total_users_count"] = self.listed + rooms
        return {name: value for name, value in synced.items() if _count(summary.get(name)) is not None}


def differences(summary: dict[str, Any], counts: SyncedCounts) -> list[tuple[str, int, int]]:
    """``(field, Zoom's count, synced count)`` for every summary field that differs from the sync."""
    return [
        (name, summary[name], synced) for name, synced in counts.expected(summary).items() if summary[name] != synced
    ]


def reconcile(client: ZoomClient, context: FetchContext, counts: SyncedCounts) -> None:
    """Compare Zoom's user summary with ``counts`` and warn once if they differ (or if it cannot be read)."""
    what = f"the user summary request (GET {SUMMARY_PATH})"
    try:
        summary = client.get(SUMMARY_PATH, what=what)
    except FetchCancelled:
        raise
    except PermissionDenied:
        context.warn(
            f"the sync was not checked against Zoom's user counts: the Zoom app lacks the scope {SUMMARY_SCOPE} "
            "(optional); add it to have each sync reconciled"
        )
        return
    except ProviderError as error:
        # A check, not data: its failure must not lose the users already fetched.
        context.warn(f"the sync was not checked against Zoom's user counts: {error}")
        return
    found = differences(summary, counts)
    if not found:
        return
    figures = "; ".join(f"{LABELS[name]} {zoom} in Zoom, {synced} synced" for name, zoom, synced in found)
    rejected = f" ({counts.rejected} users could not be read and were not synced)" if counts.rejected else ""
    context.warn(
        f"Zoom's user summary differs from the synced users: {figures}{rejected}; users may have changed during "
        "the sync (the next sync will tell), or Zoom counts some users differently"
    )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
