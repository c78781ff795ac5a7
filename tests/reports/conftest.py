"""Report test fixtures: the multi-provider test plugin, and databases holding the synthetic history."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from seatkeeper import db
from seatkeeper import plugins as plugins_module
from seatkeeper.config import ConnectionConfig
from seatkeeper.plugins import Plugins
from seatkeeper.pytest_plugin import CliRunner
from seatkeeper.reports.settings import report_settings
from seatkeeper.sync import sync_connection
from tests.reports import history, report_plugin


@pytest.fixture
def plugins():
    """A plugin manager holding only the report test plugin (installed plugins stay out of the tests)."""
    report_plugin.reset()
    manager = Plugins()
    manager.register(report_plugin, "report-test-providers")
    yield manager
    report_plugin.reset()


@pytest.fixture
def history_engine(engine, plugins, built_databases):
    """The fixed synthetic history (see history.py) synced into a fresh database."""
    return built_databases.fill(engine, "history", history.build)


@pytest.fixture
def settings(tmp_path):
    """The report settings of the history's config: EUR prices for alpha and beta, beta idle at 14/45 days."""
    return report_settings(history.config(tmp_path))


# ---- the command line ------------------------------------------------------------------------------


@pytest.fixture
def database(tmp_path, monkeypatch):
    """The SQLite URL the CLI uses (SEATKEEPER_DATABASE_URL)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SEATKEEPER_DATABASE_URL", url)
    return url


@pytest.fixture
def cli_run(plugins, monkeypatch, capsys, database, tmp_path):
    """Run ``seatkeeper ARGS`` in-process with only the report test plugin; returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(plugins_module, "_default", plugins)
    return CliRunner(tmp_path / "no-config.toml", capsys)


@pytest.fixture
def with_history(database, plugins, tmp_path, monkeypatch, built_databases):
    """The synthetic history in the CLI's database, and its price config as the config file."""
    engine = db.open_engine(database)
    built_databases.fill(engine, "history", history.build)
    engine.dispose()
    config = tmp_path / "seatkeeper.toml"
    config.write_text(history.PRICES_TOML)
    os.chmod(config, 0o600)
    monkeypatch.setenv("SEATKEEPER_CONFIG", str(config))
    return config


# ---- hostile names ---------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
PIPE = "| pipe \\ backslash\nnew | line"
FORMULA = "=cmd|' /C calc'!A0"
LINK = "[link](javascript:x)"
HOSTILE = (SCRIPT, PIPE, FORMULA, LINK)
CONNECTION = "<b>conn</b>|x"


def hostile_seat(n: int, name: str, **fields):
    """A billable, long-idle seat whose name and department are ``name``."""
    record = {
        "user_id": f"u{n}",
        "email": f"person{n}@example.com",
        "name": name,
        "license_type": "Pro",
        "billable": True,
        "department": name,
        "last_activity_at": datetime(2025, 12, 1, tzinfo=UTC),  # idle: every name lands in the unused list
    }
    record.update(fields)
    return record


@pytest.fixture
def hostile_engine(engine, plugins):
    """Two months of an account whose names, departments and licence types are all hostile."""
    provider = report_plugin.providers["alpha"]
    other = report_plugin.providers["beta"]
    for when, extra in ((datetime(2026, 2, 10, tzinfo=UTC), []), (datetime(2026, 3, 10, tzinfo=UTC), ["new"])):
        provider.records = [hostile_seat(n, name) for n, name in enumerate(HOSTILE)]
        provider.records.append(hostile_seat(9, "Plus", email="+1@example.com", license_type=LINK))
        if extra:
            provider.records.append(hostile_seat(10, "@SUM(A1)", license_type=SCRIPT, email="-2@example.com"))
        other.records = [hostile_seat(0, SCRIPT, user_id="b0", license_type="Team")]
        for name, source in ((CONNECTION, provider), ("beta", other)):
            assert sync_connection(engine, ConnectionConfig(name, source.name), source, {}, now=when).ok
    return engine


@pytest.fixture
def hostile_settings(tmp_path):
    """EUR prices, one of them for a licence type whose name is a Markdown link."""
    return report_settings(
        history.config(tmp_path, f'[prices]\ncurrency = "EUR"\n[prices.alpha]\nPro = 5\n"{LINK}" = 7\n')
    )


# ---- bidirectional and very long text --------------------------------------------------------------------

#: A name that starts a right-to-left override and never ends it (the "Trojan Source" trick).
RLO_NAME = "\u202eevil"
#: 500 characters with no place to break a line.
LONG_NAME = "W" * 500


@pytest.fixture
def layout_engine(engine, plugins):
    """Two months of two accounts with RLO names and licence types, and 500-character ones.

    Fran holds a free seat of an RLO licence type in alpha and a seat in beta: the people table shows
    "alpha / alpha: <RLO>free (free)"; alpha's RLO licence type has no price, so the provider's note reads
    "No price set for <RLO>evil, WWW…: those seats are left out of the costs."
    """
    provider = report_plugin.providers["alpha"]
    other = report_plugin.providers["beta"]
    for when in (datetime(2026, 2, 10, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC)):
        provider.records = [
            hostile_seat(0, RLO_NAME, email="rlo@example.com", license_type=RLO_NAME),
            hostile_seat(1, LONG_NAME, email="long@example.com", license_type=LONG_NAME),
            hostile_seat(2, "Fran", email="fran@example.com", license_type=RLO_NAME + "free", billable=False),
        ]
        other.records = [
            hostile_seat(0, RLO_NAME, user_id="b0", email="rlo@example.com", license_type="Team"),
            hostile_seat(1, LONG_NAME, user_id="b1", email="long@example.com", license_type="Team"),
            hostile_seat(2, "Fran", user_id="b2", email="fran@example.com", license_type="Team"),
        ]
        for name, source in (("alpha", provider), ("beta", other)):
            assert sync_connection(engine, ConnectionConfig(name, source.name), source, {}, now=when).ok
    return engine


@pytest.fixture
def company_engine(engine, tmp_path, built_databases):
    """The synthetic company (tests/reports/company.py): Zoom, Figma (renamed), Slack (new in March), the HR directory."""
    from tests.reports import company

    return company.built(built_databases, engine, tmp_path)
