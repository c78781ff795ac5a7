"""A fixed synthetic company for the people sections: Tidewater Kites (the Zoom demo account), two CSV
tools and an HR export, synced through the real providers and the real sync engine with the clock pinned.

- Zoom: the Zoom demo account (its fake server on 127.0.0.1), five monthly snapshots ending on Mar 31, 2026.
- Figma (CSV provider, application "Figma"): first synced on Feb 2 as connection ``figma-design``, renamed
  to ``figma`` before its Mar 31 sync (a renamed connection keeps its history: not newly tracked in March).
  No department column. Holds Sam Costa as ``s.costa@`` (an alias the HR export lists), Maren Holt as
  ``maren.holt+figma@`` (plus-addressing), an external contractor (``kai@pixel-studio.example``) and the
  leaver Viktor Brennan's Full seat, still active.
- Slack (CSV provider, application "Slack"): first synced on Mar 31: newly tracked in March. No department
  column. Viktor is deactivated there (and in Zoom); a shared ``ops-bot@`` account matches nobody.
- HR export (CSV provider, ``kind = "people"``, connection ``hr``): every Zoom user, with department and
  cost center (Sam Costa's row lists s.costa@ as an alias); synced Feb 2 and Mar 31. Viktor is Terminated on 2026-03-13 in the March
  export. ``bold-and-co@`` (a shared Zoom account) is not in it.

Prices: ``[prices.zoom]`` (provider), ``[prices."Figma"]`` (application), ``[prices.slack]`` (connection).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from seatkeeper import store
from seatkeeper.config import ConnectionConfig, load_config
from seatkeeper.reports.settings import ReportSettings, report_settings
from seatkeeper.sync import sync_connection
from seatkeeper.testing import resolve
from seatkeeper_csv import CsvProvider
from seatkeeper_zoom import ZoomProvider
from seatkeeper_zoom.demo import demo_snapshots, load_demo_data
from tests.built import BuiltDatabases

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
REPORT_MONTH = "2026-03"
GENERATED_AT = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
DOMAIN = "tidewater-kites.example"
LEAVER = f"viktor.brennan@{DOMAIN}"
LEFT_AT = datetime(2026, 3, 13, tzinfo=UTC)
SHARED_ZOOM_ACCOUNT = f"bold-and-co@{DOMAIN}"

COST_CENTERS = {
    "Engineering": "CC-200",
    "Design": "CC-200",
    "Sales": "CC-100",
    "Marketing": "CC-100",
    "Customer Support": "CC-300",
    "Operations": "CC-300",
    "Finance": "CC-900",
    "Executive": "CC-900",
    "People": "CC-900",
    "Legal": "CC-900",
}

#: The HR export's alias column: Figma knows Sam Costa as s.costa@.
ALIASES = {f"sam.costa@{DOMAIN}": f"s.costa@{DOMAIN}"}

CONFIG = """
[people]
domains = ["tidewater-kites.example"]

[prices]
currency = "USD"

[prices.zoom]
Licensed = 15.99

[prices."Figma"]
"Full seat" = 15
"Dev seat" = 12

[prices.slack]
Pro = 8.75

[reports]
stale_after_days = 35
"""

FIGMA_FEBRUARY = f"""\
Email,Name,Seat type,Last active
s.costa@{DOMAIN},Sam Costa,Full seat,2026-01-30
maren.holt+figma@{DOMAIN},Maren Holt,Full seat,2026-01-28
{LEAVER},Viktor Brennan,Full seat,2026-01-20
anna.petrova@{DOMAIN},Анна Петрова,Dev seat,2026-01-29
tomasz.nowak@{DOMAIN},Tomasz Nowak,Viewer,2026-01-15
"""

FIGMA_MARCH = f"""\
Email,Name,Seat type,Last active
s.costa@{DOMAIN},Sam Costa,Full seat,2026-03-30
maren.holt+figma@{DOMAIN},Maren Holt,Full seat,2026-03-20
{LEAVER},Viktor Brennan,Full seat,2026-02-27
anna.petrova@{DOMAIN},Анна Петрова,Dev seat,2026-03-29
tomasz.nowak@{DOMAIN},Tomasz Nowak,Dev seat,2026-03-25
kai@pixel-studio.example,Kai Lund,Full seat,2026-03-28
"""

SLACK_MARCH = f"""\
Email,Name,Account type,Status,Last active
sam.costa@{DOMAIN},Sam Costa,Pro,Active,2026-03-30
{LEAVER},Viktor Brennan,Pro,Deactivated,2026-03-12
maren.holt@{DOMAIN},Maren Holt,Pro,Active,2026-03-30
anna.petrova@{DOMAIN},Анна Петрова,Pro,Active,2026-03-30
ops-bot@{DOMAIN},Ops Bot,Pro,Active,2026-03-31
greta.lind@{DOMAIN},Greta Lind,Guest,Active,2026-03-02
"""

#: Figma in March: Full seats of Sam, Maren, Viktor and Kai (4 × 15) and Dev seats of Anna and Tomasz (2 × 12).
FIGMA_MONTHLY_COST = 84
#: Slack in March: Pro seats of Sam, Viktor, Maren, Anna and ops-bot (5 × 8.75); Greta's Guest seat is free.
SLACK_SEATS, SLACK_MONTHLY_COST = 6, 43.75
#: Viktor's paid seats: Zoom Licensed (deactivated), Figma Full seat (active), Slack Pro (deactivated).
LEAVER_SEATS = {"Zoom": ("Licensed", 15.99), "Figma": ("Full seat", 15.0), "Slack": ("Pro", 8.75)}


def hr_export(terminated: bool) -> str:
    """The HR export: every Zoom demo user (department from Zoom) but the shared account; Sam has an alias."""
    lines = ["Employee ID,Work Email,Full Name,Employment Status,Termination Date,Department,Cost Centre,Aliases"]
    for number, user in enumerate(load_demo_data()["users"], start=1):
        if user["email"] == SHARED_ZOOM_ACCOUNT:
            continue
        department = next(state["dept"] for state in reversed(user["states"]) if state)
        status, since = (
            ("Terminated", f"{LEFT_AT:%Y-%m-%d}") if terminated and user["email"] == LEAVER else ("Active", "")
        )
        name = user["display_name"].replace(",", " ").replace('"', "")
        aliases = ALIASES.get(user["email"], "")
        lines.append(
            f"E{number},{user['email']},{name},{status},{since},{department},{COST_CENTERS[department]},{aliases}"
        )
    return "\n".join(lines) + "\n"


#: The same company on contracts: Zoom bought in USD with a price rise on Jan 1, Figma's Full seats bought
#: monthly in EUR (dated rates), renewing on May 1 with its notice deadline 17 days after the March cut-off.
CONTRACTS_CONFIG = (
    CONFIG
    + """
[contracts.zoom]
license_type = "Licensed"
seats = 110
unit_price = 191.88
billing_cycle = "annual"
term_start = 2025-06-01
term_end = 2026-05-31
notice_days = 90
note = "Zoom Business, annual"

[[contracts.zoom.changes]]
from = 2026-01-01
unit_price = 215.88

[contracts."Figma"]
license_type = "Full seat"
seats = 12
unit_price = 14
billing_cycle = "monthly"
currency = "EUR"
term_start = 2025-05-01
term_end = 2026-04-30
notice_days = 14
auto_renew = true

[exchange_rates.EUR]
2026-01-01 = 1.08
2026-03-01 = 1.10
"""
)


def contracts_settings(directory: Path, text: str = CONTRACTS_CONFIG) -> ReportSettings:
    """The company's report settings with its contracts (``text``: the config file to use)."""
    path = directory / "company-contracts.toml"
    path.write_text(text, encoding="utf-8")
    return report_settings(load_config(path))


def config_file(directory: Path) -> Path:
    """The company's config file (people rules and prices) in ``directory``."""
    path = directory / "company.toml"
    path.write_text(CONFIG, encoding="utf-8")
    path.chmod(0o600)
    return path


def settings(directory: Path) -> ReportSettings:
    """The company's report settings (people rules and prices)."""
    return report_settings(load_config(config_file(directory)))


def _csv(engine: Engine, directory: Path, name: str, text: str, when: datetime, **values: str) -> None:
    path = directory / f"{name}-{when:%Y-%m}.csv"
    path.write_text(text, encoding="utf-8")
    provider = CsvProvider()
    application = values.pop("application", None)
    resolved = resolve(provider, {"path": str(path), **values})
    connection = ConnectionConfig(name, provider.name, application=application)
    result = sync_connection(engine, connection, provider, resolved, now=when)
    assert result.ok, result.error


def build(engine: Engine, directory: Path, *, hr: bool = True, slack: bool = True) -> None:
    """Sync the company into ``engine`` (without the HR export or Slack when told); CSV files go in ``directory``."""
    zoom = ZoomProvider()
    with demo_snapshots(now=NOW) as snapshots:
        for snapshot in snapshots:
            result = sync_connection(engine, ConnectionConfig("zoom", "zoom"), zoom, snapshot.settings, now=snapshot.at)
            assert result.ok, result.error
    if hr:
        _csv(engine, directory, "hr", hr_export(terminated=False), FEBRUARY, kind="people")
        _csv(engine, directory, "hr", hr_export(terminated=True), NOW, kind="people")
    figma = {"application": "Figma", "billable_types": "Full seat, Dev seat"}
    _csv(engine, directory, "figma-design", FIGMA_FEBRUARY, FEBRUARY, **figma)
    store.rename_connection(engine, "figma-design", "figma")
    _csv(engine, directory, "figma", FIGMA_MARCH, NOW, **figma)
    if slack:
        _csv(engine, directory, "slack", SLACK_MARCH, NOW, application="Slack", billable_types="Pro")


def built(databases: BuiltDatabases, engine: Engine, directory: Path) -> Engine:
    """``engine``'s fresh database with the company in it, built once per test session (see tests/built.py)."""
    return databases.fill(engine, "company", lambda target: build(target, directory))
