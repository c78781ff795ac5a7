"""Golden files: the March 2026 report of the synthetic history, in Markdown, JSON and CSV.

The same files must come out of SQLite and PostgreSQL. After an intended change to the report, regenerate
them with ``SEATKEEPER_REGENERATE_GOLDEN=1 python -m pytest tests/reports/test_golden.py`` and review the
diff; test_figures.py pins the key numbers independently, so a regenerated golden file cannot hide a
wrong figure.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from seatkeeper.reports.generate import ReportFormat, write_report
from seatkeeper.reports.period import parse_month
from tests.reports import history

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = bool(os.environ.get("SEATKEEPER_REGENERATE_GOLDEN"))


def render(engine, settings, fmt: ReportFormat) -> str:
    """The golden month's report in ``fmt``, as text."""
    out = io.StringIO()
    write_report(engine, fmt, out, parse_month(history.REPORT_MONTH), settings, now=history.GENERATED_AT)
    return out.getvalue()


@pytest.mark.parametrize("fmt", [ReportFormat.md, ReportFormat.json, ReportFormat.csv])
def test_report_matches_golden_file(history_engine, settings, fmt):
    text = render(history_engine, settings, fmt)
    path = GOLDEN / f"report-{history.REPORT_MONTH}.{fmt.value}"
    if REGENERATE:
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{path.name} differs: regenerate with SEATKEEPER_REGENERATE_GOLDEN=1 and review the diff"


#: The golden month's prices said per connection: alpha's default of 99 is overridden by both alpha
#: connections' own tables, and [prices.beta] names the provider and its connection beta at once.
CONNECTION_PRICES_TOML = """
[prices]
currency = "EUR"

[prices.alpha]
Pro = 99

[prices.alpha-eu]
Pro = 20

[prices.alpha-us]
Pro = 20

[prices.beta]
Enterprise = 50
Team = 10

[reports.beta]
unused_days = [14, 45]
"""


@pytest.mark.parametrize("fmt", [ReportFormat.md, ReportFormat.json, ReportFormat.csv])
def test_connection_tables_give_the_same_report(history_engine, tmp_path, fmt):
    """The same prices set per connection instead of per provider: the golden files, byte for byte."""
    from seatkeeper.reports.settings import report_settings

    if REGENERATE:
        pytest.skip("compares with the golden files, which are being regenerated")
    settings = report_settings(history.config(tmp_path, CONNECTION_PRICES_TOML))
    text = render(history_engine, settings, fmt)
    assert text == (GOLDEN / f"report-{history.REPORT_MONTH}.{fmt.value}").read_text(encoding="utf-8")


def test_golden_json_holds_the_key_figures():
    """Guards the committed file itself, so a careless regeneration shows up here too."""
    data = json.loads((GOLDEN / f"report-{history.REPORT_MONTH}.json").read_text(encoding="utf-8"))
    assert data["schema"] == "seatkeeper.report/2"
    assert data["month"] == "2026-03" and data["currency"] == "EUR"
    assert data["totals"] == {
        "seats": 23,
        "billable": 18,
        "free": 5,
        "pending": 1,
        "seat_cost": 280.0,
        "unpriced_seats": 4,
        "unassigned": 2,
        "unassigned_cost": 40.0,
        "unused": 7,
        "unused_cost": 110.0,
        "unused_unpriced_seats": 1,
        "monthly_cost": 320.0,
        "bought_not_held": 2,
        "bought_not_held_cost": 40.0,
    }
    # One headline: the card's monthly cost is the trend's last month, and the annual figure is twelve of it.
    assert data["trend"][-1]["monthly_cost"] == data["totals"]["monthly_cost"]
    assert data["annual_cost"] == 12 * data["totals"]["monthly_cost"]
    assert data["changes"]["counts"] == {"added": 4, "removed": 1, "upgraded": 1, "downgraded": 2, "changed": 1}
    assert data["people"]["people_total"] == 2 and data["people"]["tool_counts"] == {"1": 17, "2": 1, "3+": 1}
    assert [p["email"] for p in data["people"]["people"][:3]] == [
        "ann@example.com",
        "nia@example.com",
        "bob@example.com",
    ]
    assert [(t["month"], t["billable"], t["seat_cost"], t["monthly_cost"]) for t in data["trend"] if t["has_data"]] == [
        # Ten Pro seats bought each month: those nobody held are paid for too, in every month as in March.
        ("2026-01", 15, 290.0, 370.0),
        ("2026-02", 17, 330.0, 370.0),
        ("2026-03", 18, 280.0, 320.0),
    ]


def test_golden_markdown_holds_the_key_figures():
    text = (GOLDEN / f"report-{history.REPORT_MONTH}.md").read_text(encoding="utf-8")
    assert "| Monthly cost | 320.00 EUR (+ 4 billable seats not priced) |" in text
    assert "| Pro | yes | 8 | 6 | 1 | 1 | 20.00 EUR | 160.00 EUR |" in text
    assert "| Pro plan | Pro | 10 | 8 | 2 | 40.00 EUR |" in text
    assert "| Fay | fay@example.com | alpha / alpha-eu | Upgraded | Basic (free) | Pro | +20.00 EUR |" in text


def test_golden_csv_has_one_row_per_seat():
    lines = (GOLDEN / f"report-{history.REPORT_MONTH}.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("month,provider,connection,seat_key,user_id,email,name")
    assert len(lines) == 1 + 23


def keys(value):
    """Every key of a JSON document, nested ones included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys(item)


def test_json_keys_spell_license_one_way(history_engine, settings):
    data = json.loads(render(history_engine, settings, ReportFormat.json))
    assert data["schema"] == "seatkeeper.report/2"
    licensed = {key for key in keys(data) if "licen" in key}
    assert licensed == {"license_type", "license_types", "before_license_type", "after_license_type"}
