"""``seatkeeper demo`` ends by writing an HTML and a Markdown report for the last full month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
