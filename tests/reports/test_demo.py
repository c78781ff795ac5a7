"""``seatkeeper demo`` ends by writing an HTML and a Markdown report for the last full month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from seatkeeper import cli
from seatkeeper import plugins as plugins_module
from seatkeeper.cli.demo import run_demo
from seatkeeper.reports.period import last_full_month, month_of
from tests.reports import report_plugin
from tests.reports.history import seat


def offer_demo_data():
    """Snapshots for the month before last, last month and now (like a provider's bundled demo)."""
    now = datetime.now(UTC)
    last = last_full_month(now)
    before = last.shifted(-1)
    report_plugin.providers["alpha"].demo_snapshots = [
        (before.start + timedelta(days=3), [seat("ann", "Pro", True, before.start), seat("bob", "Basic", False)]),
        (last.start + timedelta(days=25), [seat("ann", "Pro", True, last.start), seat("bob", "Pro", True)]),
        (now - timedelta(minutes=5), [seat("ann", "Pro", True, month_of(now).start)]),
    ]
    report_plugin.providers["alpha"].demo_prices = {"Pro": 12.5}
    return last


def test_run_demo_writes_html_and_markdown_reports(plugins, tmp_path):
    month = offer_demo_data()
    outcome = run_demo(plugins, tmp_path / "demo")
    assert outcome.ok, outcome.syncs
    assert [label for label, _ in outcome.outputs] == ["demo config (sample prices)", "HTML report", "Markdown report"]
    config, html, markdown = (path for _, path in outcome.outputs)
    assert '[prices."alpha"]\n"Pro" = 12.5' in config.read_text(encoding="utf-8")
    assert html == tmp_path / "demo" / f"seatkeeper-{month.label}.html"
    assert f"Licence report — {month.title}" in html.read_text(encoding="utf-8")
    text = markdown.read_text(encoding="utf-8")
    assert "| Bob | bob@example.com | alpha / alpha-demo | Upgraded | Basic (free) | Pro |" in text
    assert "prices not set" not in text and "25.00" in text  # two Pro seats at the sample price, in EUR


def test_demo_command_prints_the_report_paths(plugins, monkeypatch, capsys, tmp_path):
    month = offer_demo_data()
    monkeypatch.setattr(plugins_module, "_default", plugins)
    try:
        cli.main(["demo", "--directory", str(tmp_path / "demo")])
    except SystemExit as exit:
        assert not exit.code
    out = capsys.readouterr().out
    assert f"HTML report: {tmp_path / 'demo' / f'seatkeeper-{month.label}.html'}" in out
    assert f"Markdown report: {tmp_path / 'demo' / f'seatkeeper-{month.label}.md'}" in out


@pytest.mark.block_network(allowed_hosts=[r"^127\.0\.0\.1$"])
def test_the_demo_company_has_a_directory_leavers_and_chargeback(tmp_path):
    """With the Zoom and CSV providers, the demo syncs an HR export, Figma and Slack for the Zoom account."""
    import seatkeeper_csv
    import seatkeeper_zoom
    from seatkeeper.plugins import Plugins

    manager = Plugins()
    manager.register(seatkeeper_zoom, "zoom")
    manager.register(seatkeeper_csv, "csv")
    outcome = run_demo(manager, tmp_path / "demo")
    assert outcome.ok, outcome.syncs
    assert any(line.startswith("hr-demo as of") and "HR export" in line for line in outcome.syncs)
    config = next(path for label, path in outcome.outputs if label.startswith("demo config"))
    assert '[prices."Figma"]' in config.read_text(encoding="utf-8")  # priced by application
    text = next(path for label, path in outcome.outputs if label == "Markdown report").read_text(encoding="utf-8")
    assert "| Figma | figma-demo |" in text and "| Slack | slack-demo |" in text and "| Zoom | zoom-demo |" in text
    leavers = text.split("## Leavers still holding paid seats")[1].split("## ")[0]
    assert leavers.count("viktor.brennan@tidewater-kites.example") == 3 and "terminated" in leavers
    assert "**Slack newly tracked** (slack-demo" in text and "6 seats, 43.75 USD a month" in text
    chargeback = text.split("## Chargeback")[1].split("## ")[0]
    assert "| CC-200 |" in chargeback
    # Only the contractor (a Figma Full seat: 14 EUR at the sample rate of 1.10) and the shared bot (Slack Pro).
    assert "| (no department) | 2 | 2 | 24.15 USD |" in chargeback
    # Sample contracts dated from the report month: a Figma renewal whose notice deadline is near, in EUR.
    assert "[contracts.zoom]" in config.read_text(encoding="utf-8")
    assert "**Notice deadline:** Figma (Full seat): give notice by" in text
    renewals = text.split("## Renewals in the next 90 days")[1].split("## ")[0]
    assert "| Figma | Full seat |" in renewals and "(2,016.00 EUR)" in renewals and "(passed)" in renewals
    assert "## Savings" in text and "## Contract vs actual" in text
