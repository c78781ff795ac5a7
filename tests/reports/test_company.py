"""The people sections, applications and newly tracked tools on the synthetic company (see company.py).

The figures asserted here are worked out by hand from the CSV exports in company.py; the golden files
(golden/company-2026-03.*) pin the rest. Regenerate those with SEATKEEPER_REGENERATE_GOLDEN=1.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest

from seatkeeper.reports.build import build_report
from seatkeeper.reports.figures import Scope
from seatkeeper.reports.generate import ReportFormat, write_report
from seatkeeper.reports.period import parse_month
from tests.reports import company
from tests.reports.test_golden import GOLDEN, REGENERATE

MARCH = parse_month(company.REPORT_MONTH)
#: The Zoom demo account is served by its fake server on 127.0.0.1; nothing else may be reached.
pytestmark = pytest.mark.block_network(allowed_hosts=[r"^127\.0\.0\.1$"])


@pytest.fixture
def settings(tmp_path):
    return company.settings(tmp_path)


@pytest.fixture
def march(company_engine, settings):
    return build_report(company_engine, MARCH, settings, now=company.GENERATED_AT)


def test_the_leaver_is_listed_with_every_paid_seat_and_its_money(march):
    assert march.directory
    leavers = {leaver.application: leaver for leaver in march.leavers}
    assert {name: (leaver.license_type, leaver.monthly_cost) for name, leaver in leavers.items()} == {
        name: (license_type, Decimal(str(cost))) for name, (license_type, cost) in company.LEAVER_SEATS.items()
    }
    assert {leaver.email for leaver in march.leavers} == {company.LEAVER}
    assert {(leaver.person_status, leaver.left_at) for leaver in march.leavers} == {("terminated", company.LEFT_AT)}
    assert sum(leaver.monthly_cost for leaver in march.leavers) == Decimal("39.74")
    assert leavers["Figma"].status == "active" and leavers["Slack"].status == "inactive"


def test_the_json_leavers_carry_the_documented_keys(company_engine, settings):
    out = io.StringIO()
    write_report(company_engine, ReportFormat.json, out, MARCH, settings, now=company.GENERATED_AT)
    data = json.loads(out.getvalue())
    figma = next(item for item in data["leavers"] if item["application"] == "Figma")
    assert {key: figma[key] for key in ("email", "application", "connection", "license_type", "left_at")} == {
        "email": company.LEAVER,
        "application": "Figma",
        "connection": "figma",
        "license_type": "Full seat",
        "left_at": "2026-03-13T00:00:00Z",
    }
    assert figma["monthly_cost"] == 15.0
    assert [a["email"] for a in data["external_accounts"]] == ["kai@pixel-studio.example"]
    assert {a["email"] for a in data["unmatched_accounts"]} == {
        "ops-bot@tidewater-kites.example",
        company.SHARED_ZOOM_ACCOUNT,
    }


@pytest.mark.parametrize("fmt", [ReportFormat.html, ReportFormat.md])
def test_html_and_markdown_cut_the_leavers_and_unmatched_lists_to_the_list_limit(company_engine, settings, fmt):
    # A tenant's leavers run to thousands of rows: the page shows the first ones and says where the rest are.
    import dataclasses
    import re

    out = io.StringIO()
    write_report(company_engine, fmt, out, MARCH, dataclasses.replace(settings, list_limit=1), now=company.GENERATED_AT)
    text = out.getvalue()
    heading = {ReportFormat.html: '<h2 id="{}-title">', ReportFormat.md: "## {}"}[fmt]
    leavers = text[text.index(heading.format("leavers" if fmt is ReportFormat.html else "Leavers")) :]
    leavers = leavers[: leavers.index("<h2", 5) if fmt is ReportFormat.html else leavers.index("\n## ", 5)]
    rows = re.findall(
        r"<tr>\s*<th scope=\"row\"" if fmt is ReportFormat.html else r"^\| [^-|].*\| " + company.LEAVER, leavers, re.M
    )
    assert len(company.LEAVER_SEATS) == 3 and len(rows) == 1
    assert f"Showing 1 of {len(company.LEAVER_SEATS)} leavers' seats; the JSON report lists them all." in leavers
    assert "Showing 1 of 2 accounts; the JSON report lists them all." in text


def test_the_csv_names_each_seats_person_for_pivots(company_engine, settings):
    import csv

    out = io.StringIO()
    write_report(company_engine, ReportFormat.csv, out, MARCH, settings, now=company.GENERATED_AT)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    leaver = [row for row in rows if row["person_email"] == company.LEAVER]
    assert {row["application"] for row in leaver} == set(company.LEAVER_SEATS)
    assert {(row["person_status"], row["left_at"]) for row in leaver} == {("terminated", "2026-03-13T00:00:00Z")}
    assert all(row["cost_center"] for row in leaver)
    alias = [row for row in rows if row["email"].startswith("s.costa@")]
    assert alias and {row["person_email"] for row in alias} == {"sam.costa@tidewater-kites.example"}
    assert {row["email"] for row in rows if row["external"] == "true"} == {"kai@pixel-studio.example"}


def test_an_alias_and_a_plus_address_are_one_person(march):
    everyone = {person.email: person for person in march.people.people}
    sam, maren = everyone["sam.costa@tidewater-kites.example"], everyone["maren.holt@tidewater-kites.example"]
    assert sam.applications == ["Figma", "Slack", "Zoom"]  # s.costa@ in Figma is Sam, as the directory says
    assert maren.applications == ["Figma", "Slack", "Zoom"]  # maren.holt+figma@ is Maren
    assert sam.monthly_cost == maren.monthly_cost == Decimal("39.74")
    unmatched = {account.email for account in march.unmatched_accounts}
    assert unmatched == {"ops-bot@tidewater-kites.example", company.SHARED_ZOOM_ACCOUNT}


def test_people_in_several_tools_is_a_summary(march):
    people = march.people
    # Sam, Maren, Viktor and Anna use all three tools; Tomasz (Figma, Zoom) and Greta (Zoom, a free Slack
    # guest) use two; everyone else holds a Zoom seat only (ops-bot and Kai are accounts no one else shares).
    assert people.tool_counts == {"1": people.people_with_seats - 6, "2": 2, "3+": 4}
    assert people.people_total == 6 and people.people_with_seats == 163
    assert len(people.people) == 10
    assert [person.monthly_cost for person in people.people[:3]] == [Decimal("39.74")] * 3


def test_external_accounts_hold_paid_seats_outside_the_company_domains(march):
    [kai] = march.external_accounts
    assert (kai.email, kai.application, kai.license_type, kai.monthly_cost) == (
        "kai@pixel-studio.example",
        "Figma",
        "Full seat",
        Decimal(15),
    )


def test_chargeback_takes_the_directory_department_when_a_tool_has_none(company_engine, settings, march):
    """Figma and Slack exports have no department: their seats are charged to the directory's."""
    zoom = build_report(company_engine, MARCH, settings, scope=Scope(application="Zoom"), now=company.GENERATED_AT)
    everywhere = {line.department: line.monthly_cost for line in march.departments}
    zoom_only = {line.department: line.monthly_cost for line in zoom.departments}
    # Engineering's CSV seats: Viktor (Figma 15 + Slack 8.75), Anna (12 + 8.75), Tomasz (Figma Dev 12), Sam (15 + 8.75).
    assert everywhere["Engineering"] - zoom_only["Engineering"] == Decimal("80.25")
    # Maren (Executive): Figma 15 + Slack 8.75.
    assert everywhere["Executive"] - zoom_only["Executive"] == Decimal("23.75")
    # Only what nobody knows: Kai (external, Figma 15) and ops-bot (Slack 8.75).
    nobody = next(line for line in march.departments if line.department is None)
    assert (nobody.seats, nobody.billable, nobody.monthly_cost) == (2, 2, Decimal("23.75"))
    assert sum(line.monthly_cost for line in march.departments) == march.totals.seat_cost
    centers = {line.cost_center: line for line in march.cost_centers}
    assert centers[None].seats == 3  # Kai, ops-bot and the shared Zoom account (a free seat)
    assert sum(line.monthly_cost for line in march.cost_centers) == march.totals.seat_cost


def test_a_newly_tracked_tool_is_no_growth(march):
    [slack] = march.changes.newly_tracked
    assert (slack.application, slack.connection, slack.seats, slack.monthly_cost) == (
        "Slack",
        "slack",
        company.SLACK_SEATS,
        Decimal(str(company.SLACK_MONTHLY_COST)),
    )
    assert not [change for change in march.changes.seats if change.connection == "slack"]
    trend = {point.month: point for point in march.trend}
    assert trend["2026-03"].newly_tracked == ["Slack"] and trend["2026-02"].newly_tracked == ["Figma"]
    assert trend["2025-12"].newly_tracked == []
    slack_point = next(p for p in trend["2026-03"].applications if p.application == "Slack")
    assert (slack_point.seats, slack_point.billable) == (6, 5)


def test_growth_figures_are_the_same_without_the_newly_tracked_tool(march, tmp_path_factory):
    from seatkeeper import db

    directory = tmp_path_factory.mktemp("no-slack")
    other = db.open_engine(f"sqlite:///{directory / 'no-slack.db'}")
    try:
        company.build(other, directory, slack=False)
        without = build_report(other, MARCH, company.settings(directory), now=company.GENERATED_AT)
    finally:
        other.dispose()
    assert without.changes.newly_tracked == []
    assert (march.changes.counts, march.changes.billable_change, march.changes.cost_change) == (
        without.changes.counts,
        without.changes.billable_change,
        without.changes.cost_change,
    )
    assert march.totals.monthly_cost - without.totals.monthly_cost == Decimal(str(company.SLACK_MONTHLY_COST))


def test_a_renamed_connection_keeps_its_history(march):
    """figma-design was renamed figma after its February sync: March compares with February, not newly tracked."""
    assert "figma" not in {line.connection for line in march.changes.newly_tracked}
    tomasz = next(c for c in march.changes.seats if c.email == "tomasz.nowak@tidewater-kites.example")
    assert (tomasz.kind, tomasz.connection, tomasz.before_license_type, tomasz.after_license_type) == (
        "upgraded",
        "figma",
        "Viewer",
        "Dev seat",
    )
    february = next(p for p in march.trend if p.month == "2026-02")
    assert next(p for p in february.applications if p.application == "Figma").seats == 5


def test_applications_roll_up_and_are_priced_by_their_own_table(march):
    applications = {app.application: app for app in march.applications}
    assert list(applications) == ["Figma", "Slack", "Zoom"]
    figma = applications["Figma"]
    assert (figma.providers, figma.connections, figma.totals.monthly_cost) == (
        ["csv"],
        ["figma"],
        Decimal(company.FIGMA_MONTHLY_COST),
    )
    assert {line.license_type: line.unit_price for line in figma.license_types} == {
        "Full seat": Decimal(15),
        "Dev seat": Decimal(12),
    }
    assert not [w for w in march.warnings if "[prices." in w]  # [prices."Figma"] matched the application


def test_without_a_directory_a_leaver_is_told_by_the_other_tools(tmp_path_factory):
    """No HR export: Viktor is deactivated in Zoom and Slack and still active in Figma."""
    from seatkeeper import db

    directory = tmp_path_factory.mktemp("no-hr")
    other = db.open_engine(f"sqlite:///{directory / 'no-hr.db'}")
    try:
        company.build(other, directory, hr=False)
        report = build_report(other, MARCH, company.settings(directory), now=company.GENERATED_AT)
    finally:
        other.dispose()
    assert not report.directory and report.unmatched_accounts == []
    assert {(leaver.email, leaver.application, leaver.person_status) for leaver in report.leavers} == {
        (company.LEAVER, application, "deactivated elsewhere") for application in company.LEAVER_SEATS
    }
    assert sum(leaver.monthly_cost for leaver in report.leavers) == Decimal("39.74")
    # Without the directory's alias, s.costa@ and sam.costa@ are two people.
    # Without the directory's alias, s.costa@ (Figma) and sam.costa@ (Slack, Zoom) are two people: one more
    # person than with the directory, in two tools instead of three.
    assert report.people.people_with_seats == 164
    assert report.people.tool_counts == {"1": report.people.people_with_seats - 6, "2": 3, "3+": 3}
    # Slack and Figma have no department and nobody to ask: more "(no department)".
    nobody = next(line for line in report.departments if line.department is None)
    assert nobody.billable > 2


@pytest.mark.parametrize("fmt", [ReportFormat.md, ReportFormat.json])
def test_company_report_matches_golden_file(company_engine, settings, fmt):
    out = io.StringIO()
    write_report(company_engine, fmt, out, MARCH, settings, now=company.GENERATED_AT)
    path = GOLDEN / f"company-{company.REPORT_MONTH}.{fmt.value}"
    if REGENERATE:
        path.write_text(out.getvalue(), encoding="utf-8")
    assert out.getvalue() == path.read_text(encoding="utf-8"), f"{path.name} differs: regenerate and review"


def test_the_html_report_shows_the_people_sections(company_engine, settings):
    out = io.StringIO()
    write_report(company_engine, ReportFormat.html, out, MARCH, settings, now=company.GENERATED_AT)
    html = out.getvalue()
    for section in ("leavers", "external-accounts", "unmatched-accounts", "departments", "people"):
        assert f'<section id="{section}"' in html
    leavers = html.split('<section id="leavers"')[1].split("</section>")[0]
    assert leavers.count("viktor.brennan@tidewater-kites.example") == 3 and "2026-03-13" in leavers
    assert "<bdi>Slack</bdi> newly tracked</strong>" in html
    assert "(newly tracked: <bdi>Slack</bdi>)" in html
    assert "<caption>Seats and cost by cost center, all tools</caption>" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html  # the shared Zoom account's name, escaped


def test_a_stale_directory_is_in_the_freshness_and_warned_about(tmp_path_factory):
    """Only February's HR export: nobody has left as far as the report knows, and it says the directory is old."""
    from seatkeeper import db

    directory = tmp_path_factory.mktemp("old-hr")
    other = db.open_engine(f"sqlite:///{directory / 'old-hr.db'}")
    try:
        company.build(other, directory, hr=False)
        company._csv(other, directory, "hr", company.hr_export(terminated=False), company.FEBRUARY, kind="people")
        report = build_report(other, MARCH, company.settings(directory), now=company.GENERATED_AT)
    finally:
        other.dispose()
    assert report.directory and report.leavers == []
    hr = next(fresh for fresh in report.freshness if fresh.connection == "hr")
    assert (hr.status, hr.age_days) == ("stale", 57)
    assert any(w.startswith("hr: stale data, the last successful sync (2026-02-02)") for w in report.warnings)
    assert "hr" not in {app.application for app in report.applications} | {
        c for app in report.applications for c in app.connections
    }
