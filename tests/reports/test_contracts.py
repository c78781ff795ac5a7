"""Contracts on the synthetic company (company.CONTRACTS_CONFIG): two currencies, a price rise on Jan 1 and a
renewal whose notice deadline falls within the alert window, checked the same in every format.

The expected figures are worked out here from the contract terms and the seats the report counts.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest

from seatkeeper.reports.build import build_report
from seatkeeper.reports.generate import ReportFormat, write_report
from tests.reports import company
from tests.reports.test_company import MARCH, pytestmark  # noqa: F401 - the company's month and network rule
from tests.reports.test_golden import GOLDEN, REGENERATE


@pytest.fixture
def settings(tmp_path):
    return company.contracts_settings(tmp_path)


@pytest.fixture
def march(company_engine, settings):
    return build_report(company_engine, MARCH, settings, now=company.GENERATED_AT)


ZOOM_2025 = Decimal("191.88") / 12  # the annual price a month, before the rise on Jan 1
ZOOM_2026 = Decimal("215.88") / 12
EUR = {"2026-02": Decimal("1.08"), "2026-03": Decimal("1.10")}
FIGMA_FULL = {month: 14 * rate for month, rate in EUR.items()}  # 14 EUR a month, in USD at the month's rate
DEV_SEAT, SLACK_PRO = Decimal(12), Decimal("8.75")


def held(report, connection: str, license_type: str) -> int:
    lines = next(c for p in report.providers for c in p.connections if c.connection == connection).license_types
    return sum(line.seats for line in lines if line.license_type == license_type and line.billable)


def expected_march(march) -> Decimal:
    """What March costs by the contracts: bought seats (or held, were more held) at March's terms."""
    assert held(march, "zoom", "Licensed") <= 110 and held(march, "figma", "Full seat") <= 12
    return (
        110 * ZOOM_2026
        + 12 * FIGMA_FULL["2026-03"]
        + held(march, "figma", "Dev seat") * DEV_SEAT
        + held(march, "slack", "Pro") * SLACK_PRO
    )


def test_the_headline_is_bought_seats_at_the_terms_in_force(march):
    assert march.currency == "USD"
    assert march.totals.monthly_cost == expected_march(march) == Decimal("2231.45")
    assert march.annual_cost == 12 * march.totals.monthly_cost
    assert march.totals.unpriced_seats == 0
    assert march.trend[-1].monthly_cost == march.totals.monthly_cost
    assert sum(app.totals.monthly_cost for app in march.applications) == march.totals.monthly_cost
    assert sum(p.totals.monthly_cost for p in march.providers) == march.totals.monthly_cost


def test_the_trend_shows_what_each_month_really_cost(march):
    trend = {point.month: point for point in march.trend if point.has_data}
    assert list(trend) == ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    # Before Figma and Slack were tracked, only the Zoom contract: 110 seats at last year's price, then this year's.
    assert trend["2025-11"].monthly_cost == trend["2025-12"].monthly_cost == 110 * ZOOM_2025
    assert trend["2026-01"].monthly_cost == 110 * ZOOM_2026
    figma_february = next(a for a in trend["2026-02"].applications if a.application == "Figma")
    # Figma first synced in February, at February's rate: 12 Full seats bought, plus its Dev seats held.
    assert (
        figma_february.monthly_cost - figma_february.seat_cost
        == (12 - _full_held(figma_february)) * FIGMA_FULL["2026-02"]
    )
    assert trend["2026-03"].monthly_cost == expected_march(march)
    assert all(point.unpriced_seats == 0 for point in trend.values())


def _full_held(point) -> int:
    """Figma Full seats held in a trend month: its seat cost less its Dev seats', over the month's price."""
    for dev in range(point.billable + 1):
        full = point.billable - dev
        if full * FIGMA_FULL["2026-02"] + dev * DEV_SEAT == point.seat_cost:
            return full
    raise AssertionError(f"no split of {point.billable} billable Figma seats costs {point.seat_cost}")


def test_contract_vs_actual_and_savings(march):
    lines = {(line.application, line.license_type): line for line in march.contracts}
    zoom, figma = lines[("Zoom", "Licensed")], lines[("Figma", "Full seat")]
    assert (zoom.source, zoom.bought, zoom.assigned, zoom.unassigned, zoom.over_assigned) == (
        "contract",
        110,
        103,
        7,
        0,
    )
    assert zoom.unit_price == ZOOM_2026 and zoom.unassigned_cost == 7 * ZOOM_2026
    assert (figma.bought, figma.assigned, figma.unassigned, figma.currency) == (12, 4, 8, "EUR")
    assert figma.unassigned_cost == 8 * FIGMA_FULL["2026-03"]
    savings = march.savings
    categories = {line.category: line for line in savings.by_category}
    assert categories["unassigned"].seats == 15
    assert categories["unassigned"].monthly_cost == 7 * ZOOM_2026 + 8 * FIGMA_FULL["2026-03"]
    # Viktor left: his Zoom, Figma and Slack seats, once each, at this month's prices.
    assert categories["leaver"].monthly_cost == ZOOM_2026 + FIGMA_FULL["2026-03"] + SLACK_PRO
    # All three of his seats are unused too (deactivated in Zoom and Slack, idle in Figma): counted once, as his.
    unused_not_leavers = march.totals.unused - 3
    assert savings.seats == 15 + 3 + unused_not_leavers
    assert savings.monthly_cost == sum(line.monthly_cost for line in savings.by_category)
    assert savings.monthly_cost == sum(line.monthly_cost for line in savings.by_application)
    assert savings.annual_cost == 12 * savings.monthly_cost
    assert savings.items_total == len(savings.items) == 3 + 2 + unused_not_leavers


def test_renewals_and_the_notice_alert(march):
    renewals = {renewal.application: renewal for renewal in march.renewals}
    figma, zoom = renewals["Figma"], renewals["Zoom"]
    assert (str(figma.renewal_date), str(figma.notice_deadline), figma.days_to_notice) == (
        "2026-05-01",
        "2026-04-17",
        17,
    )
    assert figma.annual_value == 12 * 12 * FIGMA_FULL["2026-03"] and figma.annual_value_in_currency == 12 * 12 * 14
    assert (figma.assigned, figma.used, figma.verdict, figma.suggested_seats) == (4, 3, "reduce", 3)
    assert figma.annual_saving == 9 * 12 * FIGMA_FULL["2026-03"]
    assert (str(zoom.renewal_date), str(zoom.notice_deadline), zoom.days_to_notice) == ("2026-06-01", "2026-03-03", -28)
    assert zoom.annual_value == 110 * 12 * ZOOM_2026
    kinds = [alert.kind for alert in march.alerts]
    assert kinds == ["notice", "leaver"]  # Zoom's deadline has passed: listed, no alert
    assert "give notice by 2026-04-17 (17 days)" in march.alerts[0].text


def render(engine, settings, fmt) -> str:
    out = io.StringIO()
    write_report(engine, fmt, out, MARCH, settings, now=company.GENERATED_AT)
    return out.getvalue()


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,.2f} USD"


def test_every_format_shows_the_same_figures(company_engine, settings, march):
    headline, annual = money(march.totals.monthly_cost), money(march.annual_cost)
    reclaimable = money(march.savings.monthly_cost)
    trend = [money(point.monthly_cost) for point in march.trend if point.has_data]
    html = render(company_engine, settings, ReportFormat.html)
    markdown = render(company_engine, settings, ReportFormat.md)
    data = json.loads(render(company_engine, settings, ReportFormat.json))
    summary_card = html[html.index('id="summary"') : html.index("By application")]
    assert headline in summary_card and annual in summary_card and reclaimable in summary_card
    assert f"| Monthly cost | {headline} |" in markdown and f"| Annual cost | {annual} |" in markdown
    trend_html = html[html.index('id="trend"') :]
    trend_html = trend_html[: trend_html.index("</section>")]
    trend_md = markdown[markdown.index("## Twelve-month trend") : markdown.index("## Providers")]
    for figure in trend:
        assert figure in trend_html and figure in trend_md
    for text in (html, markdown):
        assert "2026-04-17" in text and "2026-03-03" in text  # both notice deadlines
        assert money(12 * 12 * FIGMA_FULL["2026-03"]) in text  # Figma's annual value
        assert "Figma (Full seat): give notice by 2026-04-17" in text
        assert reclaimable in text
    assert data["totals"]["monthly_cost"] == float(march.totals.monthly_cost)
    assert data["annual_cost"] == float(march.annual_cost)
    assert [t["monthly_cost"] for t in data["trend"] if t["has_data"]] == [
        float(p.monthly_cost) for p in march.trend if p.has_data
    ]
    assert data["savings"]["monthly_cost"] == float(march.savings.monthly_cost)
    assert [(r["application"], r["notice_deadline"]) for r in data["renewals"]] == [
        ("Figma", "2026-04-17"),
        ("Zoom", "2026-03-03"),
    ]
    assert data["alerts"][0]["kind"] == "notice"


def test_the_seat_csv_prices_each_seat_at_the_month_s_terms(company_engine, settings, march):
    import csv

    rows = list(csv.DictReader(io.StringIO(render(company_engine, settings, ReportFormat.csv))))
    prices = {
        (row["application"], row["license_type"]): row["monthly_price"] for row in rows if row["billable"] == "true"
    }
    assert prices[("Zoom", "Licensed")] == "17.99"
    assert prices[("Figma", "Full seat")] == "15.40"  # 14 EUR at March's 1.10
    assert {row["currency"] for row in rows} == {"USD"}
    held_cost = sum(Decimal(row["monthly_price"]) for row in rows if row["billable"] == "true")
    assert held_cost == march.totals.seat_cost == march.totals.monthly_cost - march.totals.bought_not_held_cost


def test_a_later_price_rise_leaves_march_as_it_was(company_engine, settings, tmp_path):
    risen = company.CONTRACTS_CONFIG + '\n[[contracts."Figma".changes]]\nfrom = 2026-04-01\nunit_price = 20\n'
    before = render(company_engine, settings, ReportFormat.json)
    after = render(company_engine, company.contracts_settings(tmp_path, risen), ReportFormat.json)
    assert after == before


def test_a_missing_exchange_rate_leaves_the_seats_out_and_says_which(company_engine, tmp_path):
    # The only EUR rate starts after March: none is in force at March's cut-off.
    text = company.CONTRACTS_CONFIG.replace("2026-03-01 = 1.10\n", "").replace("2026-01-01 = 1.08", "2026-04-30 = 1.0")
    settings = company.contracts_settings(tmp_path, text)
    march = build_report(company_engine, MARCH, settings, now=company.GENERATED_AT)
    figma = next(a for a in march.applications if a.application == "Figma")
    # Never summed without a rate: the 4 held and 8 bought Full seats are unpriced, the Dev seats still count.
    assert figma.totals.unpriced_seats == 12
    assert figma.totals.monthly_cost == held(march, "figma", "Dev seat") * DEV_SEAT
    assert any(
        "no exchange rate from EUR to USD on or before 2026-03-31" in warning and "[exchange_rates.EUR]" in warning
        for warning in march.warnings
    )
    renewal = next(r for r in march.renewals if r.application == "Figma")
    assert renewal.annual_value is None and renewal.annual_value_in_currency == 12 * 12 * 14


@pytest.mark.parametrize("fmt", [ReportFormat.md, ReportFormat.json])
def test_the_contracts_report_matches_its_golden_file(company_engine, settings, fmt):
    text = render(company_engine, settings, fmt)
    path = GOLDEN / f"company-contracts-{company.REPORT_MONTH}.{fmt.value}"
    if REGENERATE:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs: regenerate and review"
