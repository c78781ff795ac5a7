"""``seatkeeper demo``: the main job over sample data that providers bundle, with no credentials.

Each provider that offers a demo (``Provider.demo``) yields snapshots of a sample account; the real sync
engine syncs them in order, clock pinned to each snapshot's date, into a fresh SQLite file, so the demo
database holds a few months of history exactly as real syncs would have built it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from seatkeeper import db, paths
from seatkeeper.config import Config, ConnectionConfig, load_config, resolve_settings
from seatkeeper.errors import ConfigError, SeatkeeperError
from seatkeeper.plugins import Plugins
from seatkeeper.reports.generate import write_demo_reports
from seatkeeper.reports.period import last_full_month
from seatkeeper.reports.settings import report_settings
from seatkeeper.sync import sync_connection

from . import demo_company

DATABASE_NAME = "seatkeeper-demo.db"
DEMO_STALE_AFTER_DAYS = 35


@dataclass
class DemoOutcome:
    """What the demo produced: the database, one line per sync, and any files written."""

    database_path: Path
    ok: bool = True
    syncs: list[str] = field(default_factory=list)
    outputs: list[tuple[str, Path]] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        """SQLAlchemy URL of the demo database."""
        return f"sqlite:///{self.database_path}"


def demo_directory(directory: Path | None = None) -> Path:
    """The demo's folder (default: the data dir's ``demo/``), created; a ConfigError if it cannot be."""
    directory = directory or paths.data_dir() / "demo"
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"--directory {directory} is a file, not a folder: give a folder for the demo database")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a file in the way further up, no permission
        raise ConfigError(f"cannot use {directory} for the demo: {error.strerror or error}") from None
    return directory


def fresh_database(directory: Path) -> Path:
    """An empty demo database file in ``directory`` (an earlier demo's file is replaced)."""
    directory = demo_directory(directory)
    path = directory / DATABASE_NAME
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def run_demo(plugins: Plugins, directory: Path | None = None, progress_console: Console | None = None) -> DemoOutcome:
    """Sync every provider's demo snapshots into a fresh demo database, then write its config and reports."""
    directory = demo_directory(directory)
    outcome = DemoOutcome(fresh_database(directory))
    engine = db.open_engine(outcome.database_url)
    prices: dict[str, tuple[str, dict[str, float]]] = {}
    dates: dict[str, list] = {}
    try:
        for name, provider in sorted(plugins.providers.items()):
            connection = ConnectionConfig(f"{name}-demo", name)
            with provider.demo() as snapshots:
                dates[name] = [snapshot.at for snapshot in snapshots]
                for snapshot in snapshots:
                    result = sync_connection(engine, connection, provider, snapshot.settings, now=snapshot.at)
                    if snapshot.prices:
                        prices[name] = (snapshot.currency, dict(snapshot.prices))
                    when = snapshot.at.strftime("%Y-%m-%d")
                    if result.ok:
                        c = result.counts
                        outcome.syncs.append(
                            f"{connection.name} as of {when}: {c['seen']} seats "
                            f"({c['added']} added, {c['changed']} changed, {c['removed']} removed)"
                        )
                    else:
                        outcome.ok = False
                        outcome.syncs.append(f"{connection.name} as of {when}: FAILED: {result.error}")
        if not outcome.syncs:
            outcome.ok = False
            outcome.syncs.append("no installed provider offers demo data")
            return outcome
        people = "zoom" in plugins.providers and "csv" in plugins.providers and len(dates.get("zoom", [])) >= 3
        if people:
            outcome.syncs += _sync_company(engine, plugins.providers["csv"], directory, dates["zoom"], outcome)
        now = datetime.now(UTC)
        config_path = write_demo_config(directory, prices, people=people, now=now)
        outcome.outputs.append(("demo config (sample prices)", config_path))
        try:
            settings = report_settings(load_config(config_path))
            outcome.outputs.extend(write_demo_reports(engine, directory, settings, now=now))
        except SeatkeeperError as error:
            outcome.ok = False
            outcome.syncs.append(f"reports: FAILED: {error}")
    finally:
        engine.dispose()
    return outcome


def _sync_company(engine, csv_provider, directory: Path, dates, outcome: DemoOutcome) -> list[str]:
    """Sync the demo company's HR export and CSV tools (see :mod:`.demo_company`) for the Zoom demo's account."""
    from seatkeeper_zoom.demo import load_demo_data

    def sync(item: demo_company.CsvSync, path: Path) -> str:
        values = {"path": str(path), **item.settings}
        connection = ConnectionConfig(f"{item.connection}-demo", "csv", values, application=item.application)
        settings = resolve_settings(connection, csv_provider, Config(path=directory / "demo"), environ={})
        result = sync_connection(engine, connection, csv_provider, settings, now=item.at)
        when = item.at.strftime("%Y-%m-%d")
        if not result.ok:
            outcome.ok = False
            return f"{connection.name} as of {when}: FAILED: {result.error}"
        if item.settings.get("kind") == "people":
            return f"{connection.name} as of {when}: HR export ({len(item.text.splitlines()) - 1} people)"
        return f"{connection.name} as of {when}: {result.counts['seen']} seats"

    return demo_company.sync_company(directory, load_demo_data()["users"], dates, sync)


def write_demo_config(
    directory: Path,
    prices: dict[str, tuple[str, dict[str, float]]],
    *,
    people: bool = False,
    now: datetime | None = None,
) -> Path:
    """A config file for the demo database: the providers' sample prices, sample contracts for the report
    month of ``now`` (with the demo company), and demo-friendly report settings.

    Providers quoting different currencies cannot share one report currency: the first one wins and the
    others' prices are left out, so their seats show as unpriced rather than mis-priced.
    """
    currencies = sorted({currency for currency, _ in prices.values()})
    currency = currencies[0] if currencies else "USD"
    lines = [
        "# Written by `seatkeeper demo`: sample list prices, not anyone's contract.",
        f"database_url = {json.dumps(f'sqlite:///{directory / DATABASE_NAME}')}",
        "",
        "[prices]",
        f"currency = {json.dumps(currency)}",
    ]
    for provider, (provider_currency, table) in sorted(prices.items()):
        if provider_currency != currency:
            continue
        lines += ["", f"[prices.{json.dumps(provider)}]"]
        lines += [f"{json.dumps(license_type)} = {price}" for license_type, price in sorted(table.items())]
    if people and currency == "USD":
        for application, table in demo_company.PRICES.items():
            lines += ["", f"[prices.{json.dumps(application)}]"]
            lines += [f"{json.dumps(license_type)} = {price}" for license_type, price in table.items()]
    if people and currency == "USD" and "Licensed" in prices.get("zoom", ("", {}))[1]:
        report_month = last_full_month(now or datetime.now(UTC)).start.date()
        lines += demo_company.contracts_toml(report_month, prices["zoom"][1]["Licensed"])
    if people:
        lines += ["", "[people]", f"domains = {json.dumps(list(demo_company.DOMAINS))}"]
    # Demo data comes as one snapshot a month: a month-old sync is as fresh as that sample gets.
    lines += ["", "[reports]", f"stale_after_days = {DEMO_STALE_AFTER_DAYS}", ""]
    path = directory / "seatkeeper-demo.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
