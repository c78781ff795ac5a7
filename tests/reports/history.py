"""A fixed synthetic seat history over four months, three providers and four connections.

Built through the real sync engine with the clock pinned (``sync_connection(..., now=...)``), so the
intervals, activity months and plan rows are exactly what real syncs would store. The March 2026 report
is the one the golden files hold; the figures it must show are worked out by hand in test_figures.py.

Timeline (2026): Jan 10 all connections; Feb 10 all; Feb 25 alpha-eu and beta; Mar 10 all; Mar 28
alpha-eu and beta succeed, alpha-us fails; Apr 5 alpha-eu again (changes that must not leak into March).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from seatkeeper import SeatPlan
from seatkeeper.config import Config, ConnectionConfig
from seatkeeper.sync import sync_connection
from tests.reports import report_plugin

PRICES_TOML = """
[prices]
currency = "EUR"

[prices.alpha]
Pro = 20

[prices.beta]
Enterprise = 50
Team = 10

[reports.beta]
unused_days = [14, 45]
"""

REPORT_MONTH = "2026-03"
GENERATED_AT = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)

DEPARTMENTS = {
    "ann": "Sales",
    "bob": "Engineering",
    "cat": "Engineering",
    "dan": "Sales",
    "fay": "Finance",
    "gus": "Sales",
    "hal": "Engineering",
    "ivy": "Sales",
    "joe": "Engineering",
    "jon": "Sales",
    "lee": "Finance",
    "mia": "Sales",
    "zed": "Engineering",
    "nia": "Engineering",
    "oli": "Finance",
    "mo": "HR",
    "pat": "HR",
    "quinn": "HR",
}


def day(month: int, day_of_month: int, year: int = 2026) -> datetime:
    """Midnight UTC of a day (2026 unless told)."""
    return datetime(year, month, day_of_month, tzinfo=UTC)


def seat(
    who: str,
    license_type: str,
    billable: bool,
    activity: datetime | None = None,
    *,
    status: str = "active",
    prefix: str = "",
    user_id: bool = True,
) -> dict[str, Any]:
    """A seat record for person ``who`` (email who@example.com, user id ``prefix + who``)."""
    return {
        "user_id": f"{prefix}{who}" if user_id else None,
        "email": f"{who}@example.com",
        "name": who.title(),
        "license_type": license_type,
        "billable": billable,
        "status": status,
        "department": DEPARTMENTS.get(who),
        "last_activity_at": activity,
    }


def pro_plan(purchased: int, assigned: int) -> SeatPlan:
    """Alpha's one plan."""
    return SeatPlan(plan="Pro plan", license_type="Pro", purchased=purchased, assigned=assigned)


def alpha_eu(when: datetime) -> list[dict[str, Any] | SeatPlan]:
    """alpha-eu's account at ``when``."""
    pro, basic = ("Pro", True), ("Basic", False)
    records = [
        seat("ann", *pro, min(when, day(3, 25))),
        seat("bob", *pro, day(4, 3) if when >= day(4, 5) else min(when, day(2, 20))),
        seat("dan", *(basic if when >= day(4, 5) else pro), None),
        seat("ivy", *pro, day(1, 5), status="inactive" if when >= day(2, 25) else "active"),
    ]
    if when < day(4, 5):
        records.append(seat("cat", *pro, day(12, 15, 2025)))
    records.append(
        seat("fay", *(pro if when >= day(3, 10) else basic), min(when, day(3, 20)) if when >= day(3, 10) else None)
    )
    if when < day(3, 10):
        records.append(seat("gus", *pro, day(1, 8)))
    else:
        records.append(seat("hal", *basic, None))
    if when >= day(2, 10):
        records.append(seat("eve", *pro, None, status="pending", user_id=False))
    if day(2, 25) <= when < day(3, 10):
        records.append(seat("joe", *pro, None, status="pending", user_id=False))
    elif when >= day(3, 10):
        records.append(seat("joe", *pro, min(when, day(3, 12))))
    held_pro = sum(1 for r in records if r["license_type"] == "Pro")
    return [*records, pro_plan(10, held_pro)]


def alpha_us(when: datetime) -> list[dict[str, Any] | SeatPlan]:
    """alpha-us's account at ``when`` (another account of provider alpha)."""
    records = [
        seat("ann", "Pro", True, min(when, day(3, 9)), prefix="us-"),
        seat("jon", "Pro", True, min(when, day(3, 8)), prefix="us-"),
    ]
    if when >= day(3, 10):
        records.append(seat("kay", "Basic", False, None, prefix="us-"))
    return [*records, pro_plan(2, 2)]


def beta(when: datetime) -> list[dict[str, Any]]:
    """beta's account at ``when`` (no plans reported)."""
    march = when >= day(3, 10)
    records = [
        seat("ann", "Team", True, min(when, day(3, 27)), prefix="b-"),
        seat("bob", "Team" if march else "Enterprise", True, min(when, day(3, 20)), prefix="b-"),
        seat("lee", "Team", True, day(1, 20) if when > day(1, 20) else None, prefix="b-"),
        seat("mia", "Viewer", False, None, prefix="b-"),
        seat("zed", "Viewer" if march else "Enterprise", not march, min(when, day(2, 1)), prefix="b-"),
        seat("oli", "Squad" if march else "Team", True, min(when, day(3, 5)), prefix="b-"),
    ]
    if march:
        records.append(seat("nia", "Enterprise", True, min(when, day(3, 15)), prefix="b-"))
    return records


def gamma(when: datetime) -> list[dict[str, Any]]:
    """gamma-hr's account at ``when`` (no activity, no plans, no prices)."""
    records = [
        seat("ann", "Seat", True, prefix="g-"),
        seat("mo", "Seat", True, prefix="g-"),
        seat("pat", "Guest", False, prefix="g-"),
    ]
    if when >= day(3, 10):
        records.append(seat("quinn", "Seat", True, prefix="g-"))
    return records


CONNECTIONS = {
    "alpha-eu": ("alpha", alpha_eu),
    "alpha-us": ("alpha", alpha_us),
    "beta": ("beta", beta),
    "gamma-hr": ("gamma", gamma),
}

#: (time, connections synced then, connections whose sync fails then)
SCHEDULE = [
    (day(1, 10), ("alpha-eu", "alpha-us", "beta", "gamma-hr"), ()),
    (day(2, 10), ("alpha-eu", "alpha-us", "beta", "gamma-hr"), ()),
    (day(2, 25), ("alpha-eu", "beta"), ()),
    (day(3, 10), ("alpha-eu", "alpha-us", "beta", "gamma-hr"), ()),
    (day(3, 28), ("alpha-eu", "alpha-us", "beta"), ("alpha-us",)),
    (day(4, 5), ("alpha-eu",), ()),
]


def build(engine: Engine) -> None:
    """Sync the whole schedule into ``engine``'s (empty) database."""
    for when, names, failing in SCHEDULE:
        for name in names:
            provider_name, account = CONNECTIONS[name]
            provider = report_plugin.providers[provider_name]
            provider.records = account(when)
            provider.failure = "alpha-us API unreachable" if name in failing else None
            result = sync_connection(engine, ConnectionConfig(name, provider_name), provider, {}, now=when)
            assert result.ok == (name not in failing), result.error
    report_plugin.reset()


def config(tmp_path, text: str = PRICES_TOML) -> Config:
    """A parsed config with ``text`` as its file."""
    import tomllib

    return Config(path=tmp_path / "seatkeeper.toml", raw=tomllib.loads(text))
