"""Seats bought against seats used, per Zoom plan: ``GET /accounts/me/plans/usage`` as :class:`SeatPlan` items.

The call is optional: it needs the scope ``billing:read:plan_usage:admin`` and a paid account. Without either,
the sync says so once and goes on without plans. Zoom puts it in the Heavy rate-limit category, so it is made
once per sync.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from seatkeeper import FetchContext, SeatPlan
from seatkeeper.errors import PermissionDenied, ProviderError, RateLimited

from .client import FetchCancelled, ZoomApiError, ZoomClient

PLAN_USAGE_PATH = "/accounts/me/plans/usage"
PLAN_USAGE_SCOPE = "billing:read:plan_usage:admin"
#: Zoom's answer for a free account: HTTP 400, code 200 "Only available for paid account."
FREE_ACCOUNT_CODE = 200
#: The licence type the base plan's seats have in the user list (Zoom user type 2).
BASE_LICENSE_TYPE = "Licensed"

#: Plan keys of the answer and how seatkeeper names them. Add-ons with a capacity in their type
#: (``large500_monthly``) get it appended: "Large meeting 500".
PLAN_NAMES: dict[str, str] = {
    "plan_base": "Base plan",
    "plan_large_meeting": "Large meeting",
    "plan_webinar": "Webinar",
    "plan_zoom_events": "Zoom Events",
    "plan_zoom_rooms": "Zoom Rooms",
    "plan_room_connector": "Room Connector",
    "plan_united": "Zoom United",
    "plan_zoom_one": "Zoom Workplace",
    "plan_zoom_one_premier": "Zoom Workplace Enterprise Premier",
    "plan_zoom_one_edu_school_campus_plus": "Zoom Workplace for Education School and Campus Plus",
    "plan_zoom_one_edu_premier": "Zoom Workplace for Education Enterprise Premier",
    "plan_zoom_one_edu_student": "Zoom Workplace for Education Student",
    "plan_whiteboard": "Zoom Whiteboard",
    "plan_whiteboard_plus": "Zoom Whiteboard Plus",
    "plan_zoom_iq": "Zoom Revenue Accelerator",
    "plan_ztransl": "Zoom Translation",
    "plan_zwr": "Zoom Workspace Reservation",
    "plan_zva": "Zoom Virtual Agent",
    "plan_znode_base": "Zoom Node",
    "plan_zphybrid": "Zoom Node Phone Hybrid",
    "plan_zmhybrid": "Zoom Node Meetings Hybrid",
    "plan_mchybrid": "Zoom Node Meeting Connector",
    "plan_rchybrid": "Zoom Node Recording Connector",
    "plan_zsched": "Zoom Scheduler",
    "plan_workforce_management": "Zoom Workforce Management",
}
#: Plans whose capacity is part of the name, and how to find it in the plan type.
CAPACITY_IN_TYPE: dict[str, re.Pattern[str]] = {
    "plan_large_meeting": re.compile(r"large_?(\d+)", re.IGNORECASE),
    "plan_webinar": re.compile(r"webinar_?(\d+)", re.IGNORECASE),
    "plan_zoom_events": re.compile(r"events_?(\d+)", re.IGNORECASE),
}
#: Answer keys that are not seats (cloud recording storage).
NOT_SEATS = frozenset({"plan_recording"})


@dataclass
class _Plan:
    """One plan name's figures, summed over the answer's entries with that name (e.g. monthly and yearly)."""

    name: str
    key: str
    purchased: int | None = None
    assigned: int | None = None
    pending: int | None = None
    active_hosts: int | None = None
    types: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)

    def add(self, entry: Mapping[str, Any]) -> None:
        self.purchased = _plus(self.purchased, _count(entry.get("hosts")))
        self.assigned = _plus(self.assigned, _count(entry.get("usage")))
        self.pending = _plus(self.pending, _count(entry.get("pending")))
        self.active_hosts = _plus(self.active_hosts, _count(entry.get("active_hosts")))
        if isinstance(entry.get("type"), str) and entry["type"].strip():
            self.types.add(entry["type"].strip())
        if isinstance(entry.get("name"), str) and entry["name"].strip():
            self.titles.add(entry["name"].strip())

    def seat_plan(self) -> SeatPlan:
        extras: dict[str, Any] = {"zoom_plan": self.key}
        if self.types:
            extras["zoom_types"] = sorted(self.types)
        if self.titles:
            extras["zoom_names"] = sorted(self.titles)
        if self.pending is not None:
            extras["pending"] = self.pending
        if self.active_hosts is not None:
            extras["active_hosts"] = self.active_hosts
        return SeatPlan(
            plan=self.name,
            license_type=BASE_LICENSE_TYPE if self.key == "plan_base" else None,
            purchased=self.purchased,
            assigned=self.assigned,
            extras=extras,
        )


def plan_name(key: str, entry: Mapping[str, Any]) -> str:
    """seatkeeper's name for one entry of the answer: ``"Base plan"``, ``"Webinar 1000"``, ``"Zoom Rooms"`` ...

    Keys Zoom adds later get a name made from the key (``plan_zoom_docs`` -> ``"Zoom docs"``).
    """
    name = PLAN_NAMES.get(key) or key.removeprefix("plan_").replace("_", " ").strip().capitalize() or key
    pattern = CAPACITY_IN_TYPE.get(key)
    zoom_type = entry.get("type")
    if pattern is not None and isinstance(zoom_type, str):
        match = pattern.search(zoom_type)
        if match:
            name = f"{name} {int(match.group(1))}"
    return name


def plans_from_usage(body: Mapping[str, Any]) -> list[SeatPlan]:
    """The :class:`SeatPlan` items of a plan-usage answer, one per plan name, in the answer's order.

    Entries with the same name (``large500_monthly`` and ``large500_yearly``) are summed into one plan. Figures
    that are not counts are left unknown (``None``) rather than failing the sync.
    """
    plans: dict[str, _Plan] = {}
    for key, value in body.items():
        if not key.startswith("plan_") or key in NOT_SEATS:
            continue
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            if not isinstance(entry, Mapping) or not any(name in entry for name in ("hosts", "usage")):
                continue
            name = plan_name(key, entry)
            plans.setdefault(name, _Plan(name, key)).add(entry)
    return [plan.seat_plan() for plan in plans.values()]


def fetch_plans(client: ZoomClient, context: FetchContext) -> Iterator[SeatPlan]:
    """Yield the account's plans; without the scope, on a free account or on failure, warn once and yield none.

    Plans are an extra: no answer to this one call may lose the users already fetched.
    """
    try:
        body = client.get(PLAN_USAGE_PATH, what=f"the plan usage request (GET {PLAN_USAGE_PATH})")
    except FetchCancelled:
        raise
    except ProviderError as error:
        context.warn(f"purchased seats were not read: {_why(error)}")
        return
    plans = plans_from_usage(body)
    if not plans:
        context.warn("Zoom's plan usage lists no plan with seats: purchased seats are unknown for this sync")
    yield from plans


def _why(error: ProviderError) -> str:
    if isinstance(error, PermissionDenied):
        return (
            f"the Zoom app lacks the scope {PLAN_USAGE_SCOPE}; add it to the app to see purchased against assigned "
            "seats (the users were synced)"
        )
    if isinstance(error, ZoomApiError) and error.status == 400 and error.code == FREE_ACCOUNT_CODE:
        return "Zoom reports plan usage only for paid accounts"
    if isinstance(error, RateLimited):
        return (
            "Zoom's rate limit for plan usage (Heavy category, shared by the account's apps) was reached; the next "
            "sync will try again (the users were synced)"
        )
    return f"{error} (the users were synced)"


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _plus(total: int | None, value: int | None) -> int | None:
    if value is None:
        return total
    return value if total is None else total + value
