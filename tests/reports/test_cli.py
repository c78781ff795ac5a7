"""``seatkeeper report`` end to end, in-process, over the synthetic history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from seatkeeper import db, paths
from seatkeeper.config import ConnectionConfig
from seatkeeper.reports.period import last_full_month
from seatkeeper.sync import sync_connection
from tests.reports import history, report_plugin
from tests.reports.history import seat


def test_default_is_last_full_month_as_html_in_the_data_dir(cli_run, database, plugins):
    month = last_full_month(datetime.now(UTC))
    engine = db.open_engine(database)
    provider = report_plugin.providers["alpha"]
    provider.records = [seat("ann", "Pro", True, month.start)]
    assert sync_connection(
        engine, ConnectionConfig("alpha", "alpha"), provider, {}, now=month.start + timedelta(days=2)
    ).ok
    engine.dispose()
    code, out, err = cli_run("report")
    assert code == 0, err
    expected = paths.data_dir() / "reports" / f"seatkeeper-{month.label}.html"
    assert out.strip() == str(expected)
    page = expected.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and f"Licence report — {month.title}" in page
    assert "alpha: stale data" in err  # synced once, 2 days into the month: more than 7 days before its end


def test_month_option_and_each_format(cli_run, with_history, tmp_path):
    for fmt in ("html", "md", "json", "csv"):
        target = tmp_path / f"out.{fmt}"
        code, out, err = cli_run("report", "--month", "2026-03", "--format", fmt, "--output", str(target))
        assert code == 0, err
        assert out.strip() == str(target)
        assert target.stat().st_size > 0
    assert "Licence report — March 2026" in (tmp_path / "out.html").read_text()
    assert "# Licence report — March 2026" in (tmp_path / "out.md").read_text()
    assert json.loads((tmp_path / "out.json").read_text())["totals"]["monthly_cost"] == 320.0
    assert len((tmp_path / "out.csv").read_text().splitlines()) == 24
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary file left behind


def test_stdout_output_and_warnings_on_stderr(cli_run, with_history):
    code, out, err = cli_run("report", "--month", "2026-03", "--format", "json", "--output", "-")
    assert code == 0
    assert json.loads(out)["month"] == "2026-03"
    assert "warning: alpha-us: the latest sync (2026-03-28) failed" in err
    assert "warning: gamma-hr: stale data, the last successful sync (2026-03-10)" in err


def test_provider_option_filters_and_names_the_file(cli_run, with_history):
    code, out, err = cli_run("report", "--month", "2026-03", "--format", "md", "--provider", "beta")
    assert code == 0, err
    path = paths.data_dir() / "reports" / "seatkeeper-2026-03-beta.md"
    assert out.strip() == str(path)
    text = path.read_text()
    assert "### beta" in text and "### alpha" not in text
    code, out, _ = cli_run("report", "--month", "2026-03", "--format", "csv", "--output", "-", "--provider", "gamma")
    assert {line.split(",")[1] for line in out.splitlines()[1:]} == {"gamma"}


def test_application_option_filters_and_refuses_unknown_names(cli_run, with_history):
    code, out, err = cli_run(
        "report", "--month", "2026-03", "--format", "json", "--output", "-", "--application", "Beta (tests)"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["application_filter"] == "Beta (tests)"
    assert [app["application"] for app in data["applications"]] == ["Beta (tests)"]
    assert [c["connection"] for p in data["providers"] for c in p["connections"]] == ["beta"]
    code, out, err = cli_run("report", "--month", "2026-03", "--format", "md", "--application", "Beta (tests)")
    assert code == 0, err
    assert out.strip() == str(paths.data_dir() / "reports" / "seatkeeper-2026-03-Beta__tests_.md")
    code, out, err = cli_run("report", "--month", "2026-03", "--application", "Figma")
    assert code == 2 and out == ""
    assert "no application named 'Figma': known applications are Alpha (tests), Beta (tests), Gamma (tests)" in err


def test_template_dir_overrides_one_partial(cli_run, with_history, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "_seats_table.html").write_text(
        "<p class='custom'>{{ connection.connection }}: {{ connection.totals.billable }} billable</p>\n"
    )
    (templates / "_seats_table.md").write_text("Custom: {{ connection.connection }}\n")
    code, out, err = cli_run("report", "--month", "2026-03", "--template-dir", str(templates), "--output", "-")
    assert code == 0, err
    assert "<p class='custom'>alpha-eu: 8 billable</p>" in out
    assert "Seats by licence type" not in out  # replaced...
    assert "Twelve-month trend" in out  # ...while everything else stays built in
    code, out, _ = cli_run(
        "report", "--month", "2026-03", "--format", "md", "--template-dir", str(templates), "--output", "-"
    )
    assert "Custom: alpha\\-eu" not in out and "Custom: alpha-eu" in out


def test_template_dir_can_extend_the_builtin_report(cli_run, with_history, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "report.html").write_text(
        '{% extends "builtin/report.html" %}{% block title %}ACME seats {{ report.month }}{% endblock %}'
    )
    code, out, err = cli_run("report", "--month", "2026-03", "--template-dir", str(templates), "--output", "-")
    assert code == 0, err
    assert "<title>ACME seats 2026-03</title>" in out and "Twelve-month trend" in out


def test_template_dir_from_the_config_file(cli_run, with_history, tmp_path):
    templates = tmp_path / "mine"
    templates.mkdir()
    (templates / "_footer.html").write_text("<footer>Internal use only</footer>\n")
    with_history.write_text(history.PRICES_TOML + '\n[reports]\ntemplate_dir = "mine"\n')
    code, out, err = cli_run("report", "--month", "2026-03", "--output", "-")
    assert code == 0, err
    assert "<footer>Internal use only</footer>" in out


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--month", "2026-13"], "--month '2026-13' is not a month: use YYYY-MM"),
        (["--month", "March"], "--month 'March' is not a month"),
        (["--month", "2031-01"], "--month 2031-01 is in the future"),
        (["--month", "2025-06"], "no connection had been synced by the end of 2025-06"),
        (["--month", "2026-03", "--provider", "zoom"], "no connection of provider 'zoom' has been synced"),
        (["--month", "2026-03", "--template-dir", "/nonexistent"], "template folder /nonexistent does not exist"),
        (["--month", "2026-03", "--output", "/"], "is a folder"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(cli_run, with_history, args, expected):
    code, out, err = cli_run("report", *args)
    assert code != 0
    assert expected in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("[prices.alpha]\nPro = 20\n", "prices are set but [prices] has no currency"),
        ('[prices]\ncurrency = "euro"\n', "currency must be a three-letter ISO 4217 code"),
        ('[prices]\ncurrency = "EUR"\n[prices.alpha]\nPro = "twenty"\n', "[prices.alpha] 'Pro' must be a number"),
        ('[prices]\ncurrency = "EUR"\n[prices.alpha]\nPro = -1\n', "must be a price of 0 or more"),
        ('[prices]\ncurrency = "EUR"\n[prices.alpha-us]\nPro = "25"\n', "[prices.alpha-us] 'Pro' must be a number"),
        ('[prices]\ncurrency = "EUR"\nalpha-us = 25\n', "[prices] alpha-us must be a table of licence type"),
        ("[reports]\nunused_days = [60, 30]\n", "unused_days must be in increasing order"),
        ("[reports]\nunused_days = 30\n", "unused_days must be a list of day counts"),
        ("[reports.alpha]\nstale_after_days = 0\n", "[reports.alpha] stale_after_days must be a whole number"),
        ("[reports]\ncolour = 'red'\n", "unknown key 'colour' in [reports]"),
        (
            '[prices]\ncurrency = "EUR"\n[contracts.alpha]\nlicense_type = "Pro"\nseats = 5\nunit_price = 9\n',
            '[contracts."alpha"]: billing_cycle is missing',
        ),
        ('[prices]\ncurrency = "EUR"\n[exchange_rates.USD]\n2026-01-01 = "0.9"\n', "2026-01-01 must be a number"),
        ("[contract.alpha]\nseats = 5\n", "unknown table [contract]: did you mean [contracts]?"),
        ('[reports]\ncontracts_file = "nowhere.toml"\n', "nowhere.toml does not exist: fix [reports] contracts_file"),
    ],
)
def test_bad_report_config_is_one_line(cli_run, with_history, config, expected):
    with_history.write_text(config)
    code, _, err = cli_run("report", "--month", "2026-03")
    assert code == 2
    assert expected in err
    assert len(err.strip().splitlines()) == 1, err


def test_no_synced_data_says_so(cli_run, tmp_path):
    code, _, err = cli_run("report")
    assert code == 3  # nothing synced: there is no database yet, and the report makes none
    assert "no seatkeeper database at" in err and "run `seatkeeper sync` first" in err
    assert not (tmp_path / "cli.db").exists()


FIGMA_EXPORT = """\
Email,Name,Seat type,Last active
ada@example.com,Ada,Full seat,{today}
grace@example.com,Grace,Full seat,{today}
alan@example.com,Alan,Dev seat,{today}
edsger@example.com,Edsger,Viewer,{today}
"""

SLACK_EXPORT = """\
Email,Name,Account type,Last active
ada@example.com,Ada,Pro,{today}
joan@example.com,Joan,Pro,{today}
tim@example.com,Tim,Guest,{today}
"""


def test_csv_connections_priced_by_connection_name(seatkeeper_cli, seatkeeper_plugins, tmp_path):
    """Two CSV exports are both provider csv: [prices.figma] prices one, [prices.csv] the other."""
    import csv
    import io

    import seatkeeper_csv

    seatkeeper_plugins.register(seatkeeper_csv, "csv")
    today = datetime.now(UTC).date().isoformat()
    (tmp_path / "figma.csv").write_text(FIGMA_EXPORT.format(today=today))
    (tmp_path / "slack.csv").write_text(SLACK_EXPORT.format(today=today))
    seatkeeper_cli.config_path.write_text(
        f"""
[connections.figma]
provider = "csv"
application = "Figma"
path = "{tmp_path / "figma.csv"}"
billable_types = "Full seat, Dev seat"

[connections.slack]
provider = "csv"
application = "Slack"
path = "{tmp_path / "slack.csv"}"
billable_types = "Pro"

[prices]
currency = "EUR"

[prices.figma]
"Full seat" = 15
"Dev seat" = 12.5

[prices.csv]
Pro = 8.75
"""
    )
    month = datetime.now(UTC).strftime("%Y-%m")
    result = seatkeeper_cli("sync")
    assert result.exit_code == 0, result.stderr
    code, out, err = seatkeeper_cli("report", "--month", month, "--format", "json", "--output", "-")
    assert code == 0, err
    assert "[prices." not in err and "no price" not in err  # [prices.figma] matched the connection figma
    data = json.loads(out)
    (provider,) = data["providers"]
    assert (provider["provider"], provider["prices_set"], provider["missing_prices"]) == ("csv", True, [])
    lines = {
        (c["connection"], line["license_type"]): (line["seats"], line["unit_price"], line["monthly_cost"])
        for c in provider["connections"]
        for line in c["license_types"]
    }
    assert lines == {
        ("figma", "Full seat"): (2, 15.0, 30.0),
        ("figma", "Dev seat"): (1, 12.5, 12.5),
        ("figma", "Viewer"): (1, None, 0.0),  # free: no price needed
        ("slack", "Pro"): (2, 8.75, 17.5),  # slack has no table: the provider's applies
        ("slack", "Guest"): (1, None, 0.0),
    }
    assert data["totals"]["monthly_cost"] == 60.0
    code, out, err = seatkeeper_cli("report", "--month", month, "--format", "csv", "--output", "-")
    assert code == 0, err
    prices = {(r["connection"], r["email"]): r["monthly_price"] for r in csv.DictReader(io.StringIO(out))}
    assert prices[("figma", "ada@example.com")] == "15.00" and prices[("slack", "ada@example.com")] == "8.75"
    # A table for a connection that is not configured is a warning naming what the report holds.
    seatkeeper_cli.config_path.write_text(
        seatkeeper_cli.config_path.read_text() + '\n[prices.figjam]\n"Full seat" = 3\n'
    )
    code, _, err = seatkeeper_cli("report", "--month", month, "--format", "md", "--output", "-")
    assert code == 0, err
    assert (
        "warning: [prices.figjam] matches no provider, application or connection in this report "
        "(providers: csv; applications: Figma, Slack; connections: figma, slack)"
    ) in err


def test_loading_the_command_leaves_jinja2_and_the_builders_unloaded():
    """``seatkeeper --help`` imports the command module: it must not pull in Jinja2, SQLAlchemy or the builders."""
    import subprocess
    import sys

    probe = (
        "import sys, seatkeeper.reports.command; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'sqlalchemy') "
        "or m.startswith('seatkeeper.reports.') and m not in ('seatkeeper.reports.command', 'seatkeeper.reports.formats')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == "[]"
