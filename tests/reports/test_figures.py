"""The March 2026 figures of the synthetic history, worked out by hand, on SQLite and PostgreSQL.

Prices: alpha Pro 20; beta Enterprise 50, Team 10 (Squad unpriced); gamma none. Cut-off 2026-03-31 23:59:59.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from seatkeeper.errors import ConfigError
from seatkeeper.reports.build import build_report
from seatkeeper.reports.exports import report_data
from seatkeeper.reports.figures import Scope
from seatkeeper.reports.period import parse_month
from tests.reports import history

MARCH = parse_month("2026-03")


@pytest.fixture
def march(history_engine, settings):
    """The March report of the synthetic history, with every list complete."""
    return build_report(history_engine, MARCH, settings, now=history.GENERATED_AT)


def connection(report, name):
    """The report's figures for connection ``name``."""
    return next(c for p in report.providers for c in p.connections if c.connection == name)


def test_totals_across_providers(march):
    totals = march.totals
    assert (totals.seats, totals.billable, totals.free, totals.pending) == (23, 18, 5, 1)
    assert totals.seat_cost == Decimal(280)  # alpha 10 Pro × 20 + beta 3 Team × 10 + 1 Enterprise × 50
    assert totals.unpriced_seats == 4  # beta Squad + gamma's 3 Seats
    assert (totals.unassigned, totals.unassigned_cost) == (2, Decimal(40))  # alpha-eu bought 10 Pro, holds 8
    assert totals.monthly_cost == Decimal(320)
    assert (totals.unused, totals.unused_cost) == (7, Decimal(110))
    by_provider = {p.provider: (p.totals.seats, p.totals.billable, p.totals.monthly_cost) for p in march.providers}
    assert by_provider == {"alpha": (12, 10, Decimal(240)), "beta": (7, 5, Decimal(80)), "gamma": (4, 3, Decimal(0))}


def test_license_types_and_prices_per_connection(march):
    lines = {(line.license_type, line.billable): line for line in connection(march, "alpha-eu").license_types}
    pro = lines[("Pro", True)]
    assert (pro.seats, pro.active, pro.inactive, pro.pending) == (8, 6, 1, 1)
    assert (pro.unit_price, pro.monthly_cost) == (Decimal(20), Decimal(160))
    assert lines[("Basic", False)].monthly_cost == 0
    beta = {line.license_type: line for line in connection(march, "beta").license_types}
    assert beta["Squad"].unit_price is None and beta["Squad"].monthly_cost is None
    providers = {p.provider: p for p in march.providers}
    assert providers["beta"].missing_prices == ["Squad"]
    assert not providers["gamma"].prices_set
    assert providers["alpha"].prices_set and providers["alpha"].missing_prices == []


def test_purchased_against_assigned(march):
    (plan,) = connection(march, "alpha-eu").plans
    assert (plan.plan, plan.purchased, plan.assigned, plan.unassigned, plan.unassigned_cost) == (
        "Pro plan",
        10,
        8,
        2,
        Decimal(40),
    )
    assert connection(march, "beta").plans is None  # beta reports no plans: "not reported"


def test_unused_buckets_per_connection_and_overall(march):
    eu = {b.category: (b.seats, b.monthly_cost) for b in connection(march, "alpha-eu").unused}
    assert eu == {
        "pending": (1, 20),  # eve
        "deactivated": (1, 20),  # ivy
        "never": (1, 20),  # dan
        "idle_90_plus": (1, 20),  # cat, last active 2025-12-15: 103 days before alpha-eu's Mar 28 sync
        "idle_60_89": (0, 0),
        "idle_30_59": (1, 20),  # bob, 2026-02-20: 36 days (his April login must not count)
    }
    beta = {b.category: (b.seats, b.monthly_cost, b.unpriced_seats) for b in connection(march, "beta").unused}
    assert beta["idle_45_plus"] == (1, 10, 0)  # lee, [reports.beta] unused_days = [14, 45]
    # Idle days count up to beta's last sync (Mar 28): oli (Squad, unpriced) is 23 days idle; nia, last
    # seen Mar 15, is 13 days idle there, so active (from the month's end she would look 16 days idle).
    assert beta["idle_14_44"] == (1, 0, 1)
    gamma = connection(march, "gamma-hr")
    assert not gamma.activity_reported
    assert [b.category for b in gamma.unused] == ["pending", "deactivated"]
    overall = {b.category: b.seats for b in march.unused.buckets}
    assert sum(overall.values()) == march.unused.seats_total == 7
    assert [(s.name, s.category, s.idle_days) for s in march.unused.seats[:4]] == [
        ("Eve", "pending", None),
        ("Ivy", "deactivated", 82),
        ("Dan", "never", None),
        ("Cat", "idle_90_plus", 103),
    ]


def test_changes_since_february(march):
    changes = march.changes
    assert changes.compared and changes.previous_month == "2026-02"
    assert changes.counts == {"added": 4, "removed": 1, "upgraded": 1, "downgraded": 2, "changed": 1}
    assert changes.billable_change == 1
    assert changes.cost_change == Decimal(-40)
    kinds = {(c.connection, c.email): c.kind for c in changes.seats}
    assert kinds == {
        ("alpha-eu", "hal@example.com"): "added",
        ("alpha-us", "kay@example.com"): "added",
        ("beta", "nia@example.com"): "added",
        ("gamma-hr", "quinn@example.com"): "added",
        ("alpha-eu", "gus@example.com"): "removed",
        ("alpha-eu", "fay@example.com"): "upgraded",  # Basic (free) -> Pro
        ("beta", "bob@example.com"): "downgraded",  # Enterprise 50 -> Team 10
        ("beta", "zed@example.com"): "downgraded",  # Enterprise -> Viewer (free)
        ("beta", "oli@example.com"): "changed",  # Team -> Squad (no price): direction unknown
    }
    # joe's pending invitation (keyed by email) was accepted (now keyed by user id): same person, same seat.
    assert ("alpha-eu", "joe@example.com") not in kinds
    bob = next(c for c in changes.seats if c.email == "bob@example.com")
    assert (bob.before_license_type, bob.after_license_type, bob.cost_change) == ("Enterprise", "Team", Decimal(-40))


def test_departments(march):
    departments = {d.department: (d.seats, d.billable, d.monthly_cost, d.unpriced_seats) for d in march.departments}
    assert departments == {
        "Engineering": (7, 5, Decimal(120), 0),
        "Sales": (8, 7, Decimal(110), 1),
        "Finance": (3, 3, Decimal(30), 1),
        "HR": (3, 2, Decimal(0), 2),
        None: (2, 1, Decimal(20), 0),
    }
    assert sum(d.seats for d in march.departments) == march.totals.seats


def test_people_in_several_providers(march):
    assert march.people.people_total == 2
    assert march.people.tool_counts == {"1": march.people.people_with_seats - 2, "2": 1, "3+": 1}
    people = {person.email: person for person in march.people.people}
    assert len(march.people.people) <= 10
    ann, bob = people["ann@example.com"], people["bob@example.com"]
    assert (ann.email, ann.providers, ann.billable_seats, ann.monthly_cost, ann.unpriced_seats) == (
        "ann@example.com",
        ["alpha", "beta", "gamma"],
        4,
        Decimal(50),
        1,
    )
    assert [(s.connection, s.license_type) for s in ann.seats] == [
        ("alpha-eu", "Pro"),
        ("alpha-us", "Pro"),
        ("beta", "Team"),
        ("gamma-hr", "Seat"),
    ]
    assert (bob.email, bob.providers, bob.monthly_cost) == ("bob@example.com", ["alpha", "beta"], Decimal(30))


def test_twelve_month_trend(march):
    assert [p.month for p in march.trend] == [f"2025-{m:02d}" for m in range(4, 13)] + ["2026-01", "2026-02", "2026-03"]
    assert not any(p.has_data for p in march.trend[:9])
    recent = [(p.month, p.seats, p.billable, p.seat_cost, p.unpriced_seats) for p in march.trend[9:]]
    assert recent == [
        ("2026-01", 18, 15, Decimal(290), 2),
        ("2026-02", 20, 17, Decimal(330), 2),
        ("2026-03", 23, 18, Decimal(280), 4),
    ]


def test_freshness_and_warnings(march):
    states = {f.connection: (f.status, f.age_days) for f in march.freshness}
    assert states == {"alpha-eu": ("ok", 3), "alpha-us": ("failed", 21), "beta": ("ok", 3), "gamma-hr": ("stale", 21)}
    alpha_us = next(f for f in march.freshness if f.connection == "alpha-us")
    assert alpha_us.latest_error == "alpha-us API unreachable"
    text = "\n".join(march.warnings)
    assert "alpha-us: the latest sync (2026-03-28) failed" in text
    assert "gamma-hr: stale data, the last successful sync (2026-03-10) was 21 days before 2026-03-31" in text
    assert "no price for billable licence type(s) Squad" in text


def test_past_month_is_reproducible_after_later_syncs(engine, plugins, settings):
    """January's report built in March equals the one built at the end of January, whatever came after."""
    schedule = history.SCHEDULE
    history.SCHEDULE = [step for step in schedule if step[0] < datetime(2026, 2, 1, tzinfo=UTC)]
    try:
        history.build(engine)
    finally:
        history.SCHEDULE = schedule
    january = parse_month("2026-01")
    at_the_time = report_data(build_report(engine, january, settings, now=datetime(2026, 2, 1, 8, tzinfo=UTC)))
    history.SCHEDULE = [step for step in schedule if step[0] >= datetime(2026, 2, 1, tzinfo=UTC)]
    try:
        history.build(engine)
    finally:
        history.SCHEDULE = schedule
    later = report_data(build_report(engine, january, settings, now=datetime(2026, 2, 1, 8, tzinfo=UTC)))
    assert later == at_the_time
    assert at_the_time["totals"]["billable"] == 15


def test_february_report(history_engine, settings):
    february = build_report(history_engine, parse_month("2026-02"), settings, now=history.GENERATED_AT)
    assert (february.totals.seats, february.totals.billable) == (20, 17)
    assert february.changes.counts == {"added": 2, "removed": 0, "upgraded": 0, "downgraded": 0, "changed": 0}
    eu = {b.category: b.seats for b in connection(february, "alpha-eu").unused}
    assert eu["pending"] == 2 and eu["deactivated"] == 1  # eve and joe invited; ivy deactivated on Feb 25
    assert {f.connection: f.status for f in february.freshness}["gamma-hr"] == "stale"  # Feb 10 + 18 days


def test_month_in_progress_uses_generation_time(history_engine, settings):
    now = datetime(2026, 3, 15, 12, tzinfo=UTC)
    report = build_report(history_engine, MARCH, settings, now=now)
    assert report.in_progress and report.as_of == now
    assert report.totals.billable == 18  # the Mar 10 sync
    assert {f.connection: f.status for f in report.freshness}["alpha-us"] == "ok"  # its failure is later


def test_first_month_has_nothing_to_compare(history_engine, settings):
    january = build_report(history_engine, parse_month("2026-01"), settings, now=history.GENERATED_AT)
    assert not january.changes.compared and january.changes.seats == []


def test_provider_and_connection_filters(history_engine, settings):
    beta = build_report(history_engine, MARCH, settings, scope=Scope(provider="beta"), now=history.GENERATED_AT)
    assert [p.provider for p in beta.providers] == ["beta"]
    assert beta.totals.billable == 5 and beta.people.people_total == 0
    assert all(c.provider == "beta" for c in beta.changes.seats)
    eu = build_report(history_engine, MARCH, settings, scope=Scope(connection="alpha-eu"), now=history.GENERATED_AT)
    assert eu.totals.seats == 9 and [f.connection for f in eu.freshness] == ["alpha-eu"]


def test_list_limit_keeps_totals(history_engine, settings):
    report = build_report(history_engine, MARCH, settings, now=history.GENERATED_AT, list_limit=2)
    assert len(report.unused.seats) == 2 and report.unused.seats_total == 7
    assert len(report.changes.seats) == 2 and report.changes.seats_total == 9
    assert report.changes.counts["added"] == 4


def test_report_without_prices_counts_seats(history_engine, tmp_path):
    from seatkeeper.reports.settings import report_settings

    bare = report_settings(history.config(tmp_path, ""))
    report = build_report(history_engine, MARCH, bare, now=history.GENERATED_AT)
    assert report.currency is None
    assert report.totals.billable == 18 and report.totals.seat_cost == 0 and report.totals.unpriced_seats == 18
    assert not any(p.prices_set for p in report.providers)
    assert report.changes.counts["upgraded"] == 1  # free -> billable still reads as an upgrade


@pytest.mark.parametrize(
    ("month", "message"),
    [("2026-12", "is in the future"), ("2025-06", "no connection had been synced by the end of 2025-06")],
)
def test_months_without_data_are_refused(history_engine, settings, month, message):
    with pytest.raises(ConfigError, match=message):
        build_report(history_engine, parse_month(month), settings, now=history.GENERATED_AT)


def test_unknown_provider_names_the_synced_ones(history_engine, settings):
    with pytest.raises(
        ConfigError, match=r"no connection of provider 'zoom' has been synced \(synced providers: alpha"
    ):
        build_report(history_engine, MARCH, settings, scope=Scope(provider="zoom"), now=history.GENERATED_AT)


def test_empty_database_says_to_sync_first(engine, settings):
    with pytest.raises(ConfigError, match="run `seatkeeper sync` first"):
        build_report(engine, MARCH, settings, now=history.GENERATED_AT)


def test_report_is_plain_data(march):
    data = asdict(march)
    assert data["month"] == "2026-03" and data["currency"] == "EUR"


def test_pending_seats_left_out_of_assigned_are_not_paid_twice(engine, plugins, settings):
    """Zoom-like plans: "assigned" leaves the pending invitation out, while it holds a seat here."""
    from seatkeeper import SeatPlan
    from seatkeeper.config import ConnectionConfig
    from seatkeeper.sync import sync_connection
    from tests.reports import report_plugin
    from tests.reports.history import day, seat

    provider = report_plugin.providers["alpha"]
    provider.records = [seat(f"p{n}", "Pro", True, day(3, 20)) for n in range(7)]
    provider.records += [seat("new", "Pro", True, status="pending", user_id=False)]
    provider.records += [SeatPlan(plan="Pro plan", license_type="Pro", purchased=10, assigned=7)]
    assert sync_connection(engine, ConnectionConfig("alpha", "alpha"), provider, {}, now=day(3, 25)).ok
    report = build_report(engine, MARCH, settings, now=history.GENERATED_AT)
    (plan,) = report.providers[0].connections[0].plans
    assert plan.assigned == 7  # as the provider counts
    assert (plan.unassigned, plan.unassigned_cost) == (2, Decimal(40))  # 10 bought, 8 held: 2 held by nobody
    assert report.totals.seat_cost == Decimal(160)  # 8 seats held, the invitation included
    assert report.totals.monthly_cost == Decimal(200)  # 10 bought, not 8 held + 3 unassigned
    assert report.totals.unassigned + report.totals.unused <= 10 - 7 + 1  # the invitation is counted once


# ---- prices per connection ------------------------------------------------------------------------------------

#: alpha-us is on another contract: its own table prices Pro at 25; alpha-eu has none, so alpha's 20 applies.
CONNECTION_PRICES = history.PRICES_TOML + "\n[prices.alpha-us]\nPro = 25\n"


def priced(tmp_path, text: str):
    from seatkeeper.reports.settings import report_settings

    return report_settings(history.config(tmp_path, text))


def test_two_connections_of_one_provider_priced_differently(history_engine, tmp_path):
    report = build_report(history_engine, MARCH, priced(tmp_path, CONNECTION_PRICES), now=history.GENERATED_AT)
    eu = {line.license_type: line for line in connection(report, "alpha-eu").license_types}
    us = {line.license_type: line for line in connection(report, "alpha-us").license_types}
    assert (eu["Pro"].unit_price, eu["Pro"].monthly_cost) == (Decimal(20), Decimal(160))  # the provider's table
    assert (us["Pro"].unit_price, us["Pro"].monthly_cost) == (Decimal(25), Decimal(50))  # the connection's table
    ((eu_plan,), (us_plan,)) = connection(report, "alpha-eu").plans, connection(report, "alpha-us").plans
    assert (eu_plan.unit_price, eu_plan.unassigned_cost) == (Decimal(20), Decimal(40))
    assert us_plan.unit_price == Decimal(25)
    # Every figure that prices a seat follows its connection: +5 for each of alpha-us's two Pro seats.
    assert report.totals.seat_cost == Decimal(290) and report.totals.monthly_cost == Decimal(330)
    assert {p.provider: p.totals.monthly_cost for p in report.providers}["alpha"] == Decimal(250)
    ann = next(person for person in report.people.people if person.email == "ann@example.com")
    assert [(s.connection, s.monthly_cost) for s in ann.seats[:2]] == [("alpha-eu", Decimal(20)), ("alpha-us", 25)]
    assert ann.monthly_cost == Decimal(55)
    assert {d.department: d.monthly_cost for d in report.departments}["Sales"] == Decimal(120)  # ann and jon
    assert [(p.month, p.seat_cost) for p in report.trend[9:]] == [
        ("2026-01", Decimal(300)),
        ("2026-02", Decimal(340)),
        ("2026-03", Decimal(290)),
    ]
    assert [w for w in report.warnings if "price" in w] == [  # as without alpha-us's table: nothing new
        "beta: no price for billable licence type(s) Squad; their seats are left out of the costs"
    ]


def test_connection_prices_reach_the_json_and_csv(history_engine, tmp_path):
    import csv
    import io

    from seatkeeper.reports.generate import ReportFormat, write_report

    settings = priced(tmp_path, CONNECTION_PRICES)
    data = report_data(build_report(history_engine, MARCH, settings, now=history.GENERATED_AT))
    prices = {
        (c["connection"], line["license_type"]): line["unit_price"]
        for p in data["providers"]
        for c in p["connections"]
        for line in c["license_types"]
    }
    assert (prices[("alpha-eu", "Pro")], prices[("alpha-us", "Pro")]) == (20.0, 25.0)
    out = io.StringIO()
    write_report(history_engine, ReportFormat.csv, out, MARCH, settings, now=history.GENERATED_AT)
    rows = {(r["connection"], r["email"]): r["monthly_price"] for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert (rows[("alpha-eu", "ann@example.com")], rows[("alpha-us", "ann@example.com")]) == ("20.00", "25.00")


@pytest.fixture
def beta_eu(history_engine, plugins):
    """A second beta account, beta-eu, synced on Mar 28: Team, Enterprise and Squad seats."""
    from seatkeeper.config import ConnectionConfig
    from seatkeeper.sync import sync_connection
    from tests.reports import report_plugin
    from tests.reports.history import day, seat

    provider = report_plugin.providers["beta"]
    provider.records = [
        seat("rae", "Team", True, day(3, 27), prefix="eu-"),
        seat("sam", "Enterprise", True, day(3, 27), prefix="eu-"),
        seat("tom", "Enterprise", True, day(3, 26), prefix="eu-"),
        seat("uma", "Squad", True, day(3, 26), prefix="eu-"),
    ]
    assert sync_connection(history_engine, ConnectionConfig("beta-eu", "beta"), provider, {}, now=day(3, 28)).ok
    report_plugin.reset()
    return history_engine


def test_connection_table_overrides_one_license_type(beta_eu, tmp_path):
    """[prices.beta-eu] sets Enterprise only: its Team seats keep beta's price, and beta's own seats are untouched."""
    settings = priced(tmp_path, history.PRICES_TOML + "\n[prices.beta-eu]\nEnterprise = 40\n")
    report = build_report(beta_eu, MARCH, settings, now=history.GENERATED_AT)
    eu = {
        line.license_type: (line.seats, line.unit_price, line.monthly_cost)
        for line in connection(report, "beta-eu").license_types
    }
    assert eu == {
        "Enterprise": (2, Decimal(40), Decimal(80)),  # the connection's table
        "Team": (1, Decimal(10), Decimal(10)),  # not in it: beta's table
        "Squad": (1, None, None),  # in neither
    }
    home = {line.license_type: line.unit_price for line in connection(report, "beta").license_types}
    assert home["Enterprise"] == Decimal(50) and home["Team"] == Decimal(10)
    beta = next(p for p in report.providers if p.provider == "beta")
    assert beta.totals.seat_cost == Decimal(80) + Decimal(90)  # beta: 3 Team + 1 Enterprise; beta-eu: above
    assert beta.missing_prices == ["Squad"]
    # Squad is unpriced in both beta connections: one warning for the provider, as before.
    assert [w for w in report.warnings if "no price" in w] == [
        "beta: no price for billable licence type(s) Squad; their seats are left out of the costs"
    ]
    # beta-eu's first sync is in March: newly tracked, summarised at its prices, not four "added" seats.
    assert [c for c in report.changes.seats if c.connection == "beta-eu"] == []
    (newly,) = report.changes.newly_tracked
    assert (newly.connection, newly.seats, newly.billable, newly.monthly_cost, newly.unpriced_seats) == (
        "beta-eu",
        4,
        4,
        Decimal(90),
        1,
    )


def test_missing_prices_are_told_per_connection(beta_eu, tmp_path):
    """A connection whose own table leaves a type out, while the other connection has it priced."""
    text = '[prices]\ncurrency = "EUR"\n[prices.alpha-eu]\nPro = 20\n[prices.beta-eu]\nSquad = 5\n'
    report = build_report(beta_eu, MARCH, priced(tmp_path, text), now=history.GENERATED_AT)
    providers = {p.provider: p for p in report.providers}
    assert providers["alpha"].prices_set and providers["beta"].prices_set and not providers["gamma"].prices_set
    assert providers["beta"].missing_prices == ["Enterprise", "Squad", "Team"]  # the union, as in the JSON
    assert [w for w in report.warnings if "no price" in w] == [
        "alpha-us (alpha): no price for billable licence type(s) Pro; their seats are left out of the costs",
        "beta: no price for billable licence type(s) Enterprise, Squad, Team; their seats are left out of the costs",
        "beta-eu (beta): no price for billable licence type(s) Enterprise, Team; their seats are left out of the costs",
    ]


def test_price_table_matching_nothing_names_providers_and_connections(history_engine, tmp_path):
    text = history.PRICES_TOML + '\n[prices.figma]\n"Full seat" = 15\n[prices.alpha-us]\nEnterprise = 45\n'
    settings = priced(tmp_path, text)
    report = build_report(history_engine, MARCH, settings, now=history.GENERATED_AT)
    assert [w for w in report.warnings if w.startswith("[prices.")] == [
        "[prices.alpha-us] names licence type(s) no seat holds: Enterprise (held: Basic, Pro); check the spelling",
        "[prices.figma] matches no provider, application or connection in this report "
        "(providers: alpha, beta, gamma; applications: Alpha (tests), Beta (tests), Gamma (tests); "
        "connections: alpha-eu, alpha-us, beta, gamma-hr)",
    ]
    # A provider filter still checks the provider's and its connections' tables; figma may be left out.
    alpha = build_report(history_engine, MARCH, settings, scope=Scope(provider="alpha"), now=history.GENERATED_AT)
    assert [w for w in alpha.warnings if w.startswith("[prices.")] == [
        "[prices.alpha-us] names licence type(s) no seat holds: Enterprise (held: Basic, Pro); check the spelling"
    ]
    us = build_report(history_engine, MARCH, settings, scope=Scope(connection="alpha-us"), now=history.GENERATED_AT)
    assert not [w for w in us.warnings if w.startswith("[prices.")]


def test_a_report_stopped_midway_drops_the_background_query_not_started_and_raises(
    history_engine, settings, monkeypatch
):
    """The trend and the changes are read in a second thread: Ctrl-C in the main one must reach the caller, with
    the read not yet started dropped and the one running finished (no thread left working on the database)."""
    import threading

    from seatkeeper.reports import accounts, build, figures

    running, release, started = threading.Event(), threading.Event(), []
    trend_counts = figures.trend_counts

    def slow_trend(*args):
        started.append("trend")
        running.set()
        release.wait(10)
        return trend_counts(*args)

    def differences(*args):
        started.append("changes")
        return None

    def stopped(*_args, **_kwargs):
        assert running.wait(10)  # the trend is being read when Ctrl-C comes
        threading.Timer(0.2, release.set).start()
        raise KeyboardInterrupt

    monkeypatch.setattr(figures, "trend_counts", slow_trend)
    monkeypatch.setattr(build, "_differences", differences)
    monkeypatch.setattr(accounts, "people_sections", stopped)
    with pytest.raises(KeyboardInterrupt):
        build_report(history_engine, MARCH, settings, now=history.GENERATED_AT)
    assert started == ["trend"]
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("seatkeeper-report")]
