"""The demo's people: an HR export and two CSV tools (Figma, Slack) for the Zoom demo's company.

The Zoom demo account (Tidewater Kites) has no directory of its own, so its report could tell neither
leavers nor departments across tools. When the Zoom and CSV providers are both installed, the demo writes
three CSV files next to its database and syncs them through the CSV provider, as a user's exports would be:

- ``hr`` (``kind = "people"``): every Zoom user with department and cost center; Viktor Brennan left
  during the report month, Sam Costa's row lists ``s.costa@`` as an alias.
- ``figma`` (application Figma): first synced the month before the report month, so its changes count;
  it holds a contractor outside the company's domain, a plus-address and the leaver's Full seat.
- ``slack`` (application Slack): first synced in the report month, so it is newly tracked, not growth;
  the leaver is deactivated there, and a shared ``ops-bot@`` account matches nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

DOMAIN = "tidewater-kites.example"
LEAVER = f"viktor.brennan@{DOMAIN}"
SHARED_ACCOUNT = f"bold-and-co@{DOMAIN}"
ALIASES = {f"sam.costa@{DOMAIN}": f"s.costa@{DOMAIN}"}
COST_CENTERS = {
    "Engineering": "CC-200",
    "Design": "CC-200",
    "Sales": "CC-100",
    "Marketing": "CC-100",
    "Customer Support": "CC-300",
    "Operations": "CC-300",
}
OTHER_COST_CENTER = "CC-900"
#: Sample list prices (USD a month), keyed by application in the demo config: [prices."Figma"].
PRICES = {"Figma": {"Full seat": 15.0, "Dev seat": 12.0}, "Slack": {"Pro": 8.75}}
DOMAINS = (DOMAIN, "harborpine.example", "fernhill.example")


def contracts_toml(month_start: date, zoom_price: float) -> list[str]:
    """Sample contracts for the demo report month starting ``month_start``: Zoom bought yearly in USD with a
    price rise two months before, Figma's Full seats monthly in EUR, renewing soon (its notice deadline inside
    the alert window), with dated exchange rates. Config-file lines."""

    def month(offset: int) -> date:
        index = month_start.year * 12 + month_start.month - 1 + offset
        return date(index // 12, index % 12 + 1, 1)

    day = timedelta(days=1)
    return [
        "",
        "# Sample contracts: what was bought, at what price, until when (docs/reports.md).",
        "[contracts.zoom]",
        'license_type = "Licensed"',
        "seats = 110",
        f"unit_price = {round(zoom_price * 12, 2)}",
        'billing_cycle = "annual"',
        f"term_start = {month(-9)}",
        f"term_end = {month(3) - day}",
        "notice_days = 90",
        'note = "Zoom Business, annual"',
        "",
        "[[contracts.zoom.changes]]",
        f"from = {month(-2)}",
        f"unit_price = {round((zoom_price + 2) * 12, 2)}",
        "",
        '[contracts."Figma"]',
        'license_type = "Full seat"',
        "seats = 12",
        "unit_price = 14",
        'billing_cycle = "monthly"',
        'currency = "EUR"',
        f"term_start = {month(-10)}",
        f"term_end = {month(2) - day}",
        "notice_days = 14",
        "auto_renew = true",
        "",
        "[exchange_rates.EUR]",
        f"{month(-12)} = 1.08",
        f"{month(-1)} = 1.10",
    ]


@dataclass(frozen=True)
class CsvSync:
    """One CSV export to sync: connection, application, its settings, the file's text and when it was taken."""

    connection: str
    application: str | None
    settings: dict[str, str]
    text: str
    at: datetime


def hr_export(users: Sequence[dict[str, Any]], left_at: datetime | None) -> str:
    """The HR export of the Zoom demo's users (their latest Zoom department); the leaver terminated at ``left_at``."""
    lines = ["Employee ID,Work Email,Full Name,Employment Status,Termination Date,Department,Cost Centre,Aliases"]
    for number, user in enumerate(users, start=1):
        if user["email"] == SHARED_ACCOUNT:
            continue
        department = next(state["dept"] for state in reversed(user["states"]) if state)
        left = left_at is not None and user["email"] == LEAVER
        status, since = ("Terminated", f"{left_at:%Y-%m-%d}") if left else ("Active", "")
        name = user["display_name"].replace(",", " ").replace('"', "")
        center = COST_CENTERS.get(department, OTHER_COST_CENTER)
        lines.append(
            f"E{number},{user['email']},{name},{status},{since},{department},{center},{ALIASES.get(user['email'], '')}"
        )
    return "\n".join(lines) + "\n"


def _day(when: datetime, days_before: int) -> str:
    return f"{when - timedelta(days=days_before):%Y-%m-%d}"


def figma_export(at: datetime, later: bool) -> str:
    """The Figma export taken at ``at``; the later one adds a contractor and upgrades a viewer."""
    rows = [
        (f"s.costa@{DOMAIN}", "Sam Costa", "Full seat", 1),
        (f"maren.holt+figma@{DOMAIN}", "Maren Holt", "Full seat", 3),
        (LEAVER, "Viktor Brennan", "Full seat", 30),
        (f"anna.petrova@{DOMAIN}", "Анна Петрова", "Dev seat", 2),
        (f"tomasz.nowak@{DOMAIN}", "Tomasz Nowak", "Dev seat" if later else "Viewer", 6),
    ]
    if later:
        rows.append(("kai@pixel-studio.example", "Kai Lund", "Full seat", 3))
    lines = ["Email,Name,Seat type,Last active"] + [f"{e},{n},{t},{_day(at, d)}" for e, n, t, d in rows]
    return "\n".join(lines) + "\n"


def slack_export(at: datetime) -> str:
    """The Slack export taken at ``at``: no department column, the leaver deactivated."""
    rows = [
        (f"sam.costa@{DOMAIN}", "Sam Costa", "Pro", "Active", 1),
        (LEAVER, "Viktor Brennan", "Pro", "Deactivated", 19),
        (f"maren.holt@{DOMAIN}", "Maren Holt", "Pro", "Active", 1),
        (f"anna.petrova@{DOMAIN}", "Анна Петрова", "Pro", "Active", 1),
        (f"ops-bot@{DOMAIN}", "Ops Bot", "Pro", "Active", 0),
        (f"greta.lind@{DOMAIN}", "Greta Lind", "Guest", "Active", 29),
    ]
    lines = ["Email,Name,Account type,Status,Last active"] + [
        f"{e},{n},{t},{s},{_day(at, d)}" for e, n, t, s, d in rows
    ]
    return "\n".join(lines) + "\n"


def company_syncs(users: Sequence[dict[str, Any]], dates: Sequence[datetime]) -> list[CsvSync]:
    """The CSV syncs, oldest first, for the Zoom demo's snapshot ``dates`` (the report month is ``dates[-2]``'s)."""
    before, during = dates[-3], dates[-2]
    left_at = during + timedelta(days=10)
    figma = {"billable_types": "Full seat, Dev seat"}
    return [
        CsvSync("hr", None, {"kind": "people"}, hr_export(users, None), before),
        CsvSync("hr", None, {"kind": "people"}, hr_export(users, left_at), during + timedelta(days=20)),
        CsvSync("figma", "Figma", figma, figma_export(before, later=False), before),
        CsvSync(
            "figma", "Figma", figma, figma_export(during + timedelta(days=20), later=True), during + timedelta(days=20)
        ),
        CsvSync(
            "slack",
            "Slack",
            {"billable_types": "Pro"},
            slack_export(during + timedelta(days=20)),
            during + timedelta(days=20),
        ),
    ]


def sync_company(
    directory: Path, users: Sequence[dict[str, Any]], dates: Sequence[datetime], sync: Callable[[CsvSync, Path], str]
) -> list[str]:
    """Write each export into ``directory`` and ``sync`` it (which returns a line for the demo's output)."""
    lines = []
    for index, item in enumerate(company_syncs(users, dates)):
        path = directory / f"{item.connection}-{index}.csv"
        path.write_text(item.text, encoding="utf-8")
        lines.append(sync(item, path))
    return lines
