"""Purchased against used seats from the Reports API's customer usage report (``accounts:`` parameters).

The report is per Pacific-time day and lags by days: the sync asks for yesterday (Pacific) and walks back a day
at a time, up to :data:`MAX_DAYS_BACK` days, while Google answers that the day's data is not available yet. The
day used goes in each plan's ``extras["report_date"]``. Google documents the counters below only under their
legacy names (G Suite Basic / Business / Enterprise); whether it fills them for current Workspace editions is not
known, so a counter that is absent is simply not reported and a value that is not a number is a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from seatkeeper import FetchContext, SeatPlan

from .client import GoogleClient

try:
    PACIFIC: tzinfo = ZoneInfo("America/Los_Angeles")
except ZoneInfoNotFoundError:  # no time zone database (Windows without tzdata): Pacific standard time
    PACIFIC = timezone(timedelta(hours=-8))
MAX_DAYS_BACK = 7
#: counter prefix -> (plan name, licence type its seats appear as: the SKU name the Licensing API gives).
COUNTERS = {
    "gsuite_basic": ("G Suite Basic", "G Suite Basic"),
    "gsuite_unlimited": ("G Suite Business", "G Suite Business"),
    "gsuite_enterprise": ("G Suite Enterprise", "G Suite Enterprise"),
    "apps": ("Google Workspace (all editions)", None),
}
PARAMETERS = ",".join(f"accounts:{prefix}_{kind}_licenses" for prefix in COUNTERS for kind in ("total", "used"))
NOT_AVAILABLE = ("not available", "not yet available", "try again")


def usage_url(client: GoogleClient, day: date) -> str:
    """``customerUsageReports.get``'s URL for ``day``."""
    return f"{client.admin_url}/admin/reports/v1/usage/dates/{day.isoformat()}"


def _not_available(body: dict) -> bool:
    warnings = body.get("warnings")
    if not isinstance(warnings, list):
        return False
    for warning in warnings:
        if isinstance(warning, dict):
            text = str(warning.get("message", "")).lower()
            if warning.get("code") in ("DATA_NOT_AVAILABLE", "PARTIAL_DATA_AVAILABLE") or any(
                phrase in text for phrase in NOT_AVAILABLE
            ):
                return True
    return False


def latest_report(client: GoogleClient, customer_id: str, now: Callable[[], datetime]) -> tuple[date, list] | None:
    """``(day, parameters)`` of the latest day with data, or None when none of the last days has any."""
    day = now().astimezone(PACIFIC).date() - timedelta(days=1)
    for _ in range(MAX_DAYS_BACK):
        body = client.get(
            usage_url(client, day),
            {"customerId": customer_id, "parameters": PARAMETERS},
            what=f"the customer usage report of {day.isoformat()}",
        )
        reports = body.get("usageReports")
        if isinstance(reports, list) and reports and isinstance(reports[0], dict):
            parameters = reports[0].get("parameters")
            return day, parameters if isinstance(parameters, list) else []
        if not _not_available(body) and reports is not None:
            return day, []
        day -= timedelta(days=1)
    return None


def _count(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def fetch_plans(
    client: GoogleClient, context: FetchContext, customer_id: str, now: Callable[[], datetime]
) -> Iterator[SeatPlan]:
    """Yield one :class:`SeatPlan` per licence counter pair the report fills."""
    found = latest_report(client, customer_id, now)
    if found is None:
        context.warn(
            f"Google's Reports API had no customer usage data for the last {MAX_DAYS_BACK} days: purchased seats "
            "are not known this time"
        )
        return
    day, parameters = found
    values: dict[str, int] = {}
    for parameter in parameters:
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            continue
        name = parameter["name"].removeprefix("accounts:")
        raw = parameter.get("intValue")
        count = _count(raw)
        if count is None:
            context.warn(f"Google's usage report gives {name} as {str(raw)[:40]!r}, not a count: it was left out")
            continue
        values[name] = count
    for prefix, (plan, license_type) in COUNTERS.items():
        total, used = values.get(f"{prefix}_total_licenses"), values.get(f"{prefix}_used_licenses")
        if total is None and used is None:
            continue
        yield SeatPlan(
            plan=plan,
            license_type=license_type,
            purchased=total,
            assigned=used,
            extras={"source": "reports:accounts", "report_date": day.isoformat(), "counter": prefix},
        )
