"""Assembling a :class:`~seatkeeper.reports.model.Report` from the SQL figures and the configured prices.

Python here only walks aggregated rows (a few per connection, licence type and category) and the list of
changed seats; counting happens in the database (:mod:`seatkeeper.reports.figures`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from seatkeeper import queries
from seatkeeper.db import scratch_connection
from seatkeeper.errors import ConfigError
from seatkeeper.runs import RunOutcome

from . import accounts, figures, finance
from .figures import EVERYTHING, Scope
from .model import (
    CHANGE_KINDS,
    ZERO,
    ApplicationPoint,
    ApplicationReport,
    ChangeSummary,
    ConnectionReport,
    Freshness,
    LicenseLine,
    NewlyTracked,
    PlanLine,
    ProviderReport,
    Report,
    SeatChange,
    Totals,
    TrendPoint,
    UnusedBucket,
    UnusedSeat,
    UnusedSummary,
)
from .period import ReportMonth, check_not_future
from .settings import ReportSettings

TREND_MONTHS = 12


def build_report(
    engine: Engine,
    month: ReportMonth,
    settings: ReportSettings,
    *,
    scope: Scope = EVERYTHING,
    now: datetime | None = None,
    list_limit: int | None = None,
) -> Report:
    """The report for ``month``: seats held at its end (or at ``now`` while it runs), priced by ``settings``.

    :param list_limit: rows kept in each seat list (unused seats, changes, people); None keeps all.
    Raises ConfigError for a month in the future, or one with no successfully synced data in scope.
    """
    source = seat_source(engine, month, settings, scope=scope, now=now)
    settings = source.settings
    now, cutoff, known, ids, runs = source.now, source.cutoff, source.connections, source.ids, source.runs
    activity_reported, unused_days = source.activity_reported, source.unused_days
    directory = accounts.People(engine, cutoff, settings.rules)
    trend_cutoffs = _trend_cutoffs(month, now)
    # The trend and the changes read the seat intervals on connections of their own, independent of the seats
    # held: the database works on them (without holding the GIL) while the seats held are counted here.
    background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seatkeeper-report")
    try:
        trend_future = background.submit(figures.trend_counts, engine, ids, trend_cutoffs)
        differences_future = background.submit(_differences, engine, ids, month, cutoff, runs)
        with (
            scratch_connection(engine) as db,
            accounts.matched(db, source.held, directory) as with_people,
            figures.materialized(db, with_people) as held,
        ):
            seats = figures.with_usage(held, source.idle_rules, activity_reported).subquery("seats_with_usage")
            seat_groups = figures.seat_counts(db, seats, also=accounts.CHARGED_BY)
            counts = figures.summed(seat_groups, figures.COUNTED_BY)
            categories = sorted(
                {row["usage"] for row in counts} - {figures.ACTIVE, figures.UNKNOWN}, key=figures.category_rank
            )
            unused_rows = figures.unused_seat_rows(db, seats, categories, list_limit)
            sections = accounts.people_sections(db, seats, known, directory, settings, seat_groups, categories)
        trend_rows, differences = trend_future.result(), differences_future.result()
    finally:
        # After an error or Ctrl-C, the query not started yet is dropped (the running one is waited for).
        background.shutdown(cancel_futures=True)
    plans = _plans_at(engine, known, cutoff)

    freshness = {row["id"]: connection_freshness(row, runs[row["id"]], cutoff, settings) for row in known}
    providers = _providers(known, counts, plans, freshness, activity_reported, unused_days, settings)
    totals = Totals()
    for provider in providers:
        totals.add(provider.totals)
    connections = [c for provider in providers for c in provider.connections if c.freshness.last_success_at]

    labels = source.labels
    # A directory that holds no seats is no connection of the report, but its leavers are only as fresh as it.
    for row in _directory_connections(engine, directory, known):
        freshness[row["id"]] = connection_freshness(
            row, figures.run_status(engine, [row["id"]], cutoff)[row["id"]], cutoff, settings
        )
    newly = _newly_tracked(known, runs, month, cutoff)

    warnings = [warning for report in freshness.values() for warning in report.warnings]  # directories' too
    warnings += _price_warnings(providers, settings, scope)
    warnings += _contract_warnings(connections, settings, scope)

    day = cutoff.date()
    unused_seats = [_unused_seat(row, labels, source.idle_rules, settings) for row in unused_rows]
    leaver_usage = sections.leaver_usage
    contract_lines = finance.contract_lines(connections, settings, day)
    renewals = finance.renewals(
        connections, settings, day, _idle_by_type(counts, known, sections.leavers, leaver_usage)
    )
    return Report(
        month=month.label,
        month_title=month.title,
        previous_month=month.shifted(-1).label,
        period_start=month.start,
        as_of=cutoff,
        in_progress=cutoff < month.last_instant,
        generated_at=now,
        currency=settings.currency,
        provider_filter=scope.provider,
        connection_filter=scope.connection,
        application_filter=scope.application,
        totals=totals,
        annual_cost=totals.monthly_cost * 12,
        applications=_applications(providers),
        providers=providers,
        contracts=contract_lines,
        renewals=renewals,
        renewal_window_days=finance.RENEWAL_WINDOW_DAYS,
        notice_alert_days=finance.NOTICE_ALERT_DAYS,
        savings=finance.savings(
            connections, sections.leavers, leaver_usage, unused_seats, contract_lines, labels, list_limit
        ),
        unused=UnusedSummary(
            buckets=_overall_buckets(providers, labels),
            seats=unused_seats,
            seats_total=totals.unused,
        ),
        changes=_changes(differences, month, runs, settings, list_limit, newly, providers),
        departments=sections.departments,
        cost_centers=sections.cost_centers,
        directory=bool(directory),
        leavers=sections.leavers,
        external_accounts=sections.external_accounts,
        unmatched_accounts=sections.unmatched_accounts,
        people=sections.people,
        trend=_trend(engine, trend_rows, trend_cutoffs, known, runs, settings),
        freshness=list(freshness.values()),
        alerts=finance.alerts(renewals, freshness.values(), sections.leavers, settings.currency),
        warnings=warnings,
        list_limit=list_limit,
    )


@dataclass
class SeatSource:
    """What every part of a report starts from: the connections in scope and the seats held at the cut-off."""

    now: datetime
    cutoff: datetime
    #: The report settings, knowing which application each connection tracks.
    settings: ReportSettings
    connections: list[dict[str, Any]]
    ids: list[int]
    runs: dict[int, dict[str, Any]]
    activity_reported: set[int]
    unused_days: dict[str, tuple[int, ...]]
    #: Per connection id: idle thresholds and the time they count back from.
    idle_rules: dict[int, figures.IdleRule]
    #: Usage category key -> label, for every category this report can show.
    labels: dict[str, str]
    #: Seats held at the cut-off with their activity (a select, for :func:`accounts.matched`).
    held: Any


def seat_source(
    engine: Engine,
    month: ReportMonth,
    settings: ReportSettings,
    *,
    scope: Scope = EVERYTHING,
    now: datetime | None = None,
) -> SeatSource:
    """The connections in scope at ``month``'s cut-off and the query for the seats they held.

    Raises ConfigError for a month in the future, or one with no successfully synced data in scope.
    """
    now = now or datetime.now(UTC)
    check_not_future(month, now)
    cutoff = month.cutoff(now)
    known = figures.connections(engine, scope, cutoff)
    if not known:
        raise ConfigError(_nothing_in_scope(engine, scope, month))
    ids = [row["id"] for row in known]
    # Prices, contracts and exchange rates as they were on the cut-off day: a past month keeps its figures.
    settings = settings.for_applications({row["name"]: row["application"] for row in known}).on(cutoff.date())
    runs = figures.run_status(engine, ids, cutoff)
    if not any(runs[i]["last_success_at"] for i in ids):
        raise ConfigError(f"no connection{_scope_words(scope)} had synced successfully by the end of {month.label}")
    activity_reported = figures.connections_with_activity(engine, ids, month.label)
    unused_days = {provider: settings.unused_days_for(provider) for provider in {row["provider"] for row in known}}
    idle_rules = {
        row["id"]: figures.IdleRule(runs[row["id"]]["last_success_at"] or cutoff, unused_days[row["provider"]])
        for row in known
    }
    labels = {figures.ACTIVE: "Active", figures.UNKNOWN: "Activity not reported"}
    for days in unused_days.values():
        labels.update(figures.category_labels(figures.idle_buckets(days)))
    held = figures.held_with_activity(ids, cutoff, month.label)
    return SeatSource(now, cutoff, settings, known, ids, runs, activity_reported, unused_days, idle_rules, labels, held)


def _tracked_by(run: dict[str, Any], cutoff: datetime) -> bool:
    """Whether a connection had synced successfully by ``cutoff``."""
    return run["first_success_at"] is not None and run["first_success_at"] <= cutoff


def _plans_at(engine: Engine, known, cutoff: datetime) -> list[dict[str, Any]]:
    """The plans (purchased seats) of the ``known`` connections as their last sync before ``cutoff`` saw them."""
    names = {row["name"] for row in known}
    return [plan for plan in queries.plans(engine, as_of=cutoff) if plan["connection"] in names]


def _idle_by_type(counts, known, leavers, leaver_usage) -> dict[tuple[str, str], int]:
    """(connection, licence type) -> billable seats not in use: in an unused category, or held by a leaver."""
    names = {row["id"]: row["name"] for row in known}
    idle: dict[tuple[str, str], int] = defaultdict(int)
    for row in counts:
        if row["billable"] and row["usage"] not in (figures.ACTIVE, figures.UNKNOWN):
            idle[(names[row["connection_id"]], row["license_type"])] += row["seats"]
    for leaver in leavers:
        unused = sum(leaver_usage.get((leaver.connection, leaver.email, leaver.license_type), {}).values())
        idle[(leaver.connection, leaver.license_type)] += max(leaver.seats - unused, 0)
    return idle


def _scope_words(scope: Scope) -> str:
    if scope.application:
        return f" of application {scope.application!r}"
    if scope.connection:
        return f" named {scope.connection!r}"
    if scope.provider:
        return f" of provider {scope.provider!r}"
    return ""


def _nothing_in_scope(engine: Engine, scope: Scope, month: ReportMonth) -> str:
    everything = figures.connections(engine, EVERYTHING, datetime.max.replace(tzinfo=UTC))
    if not everything:
        return "no seats have been synced yet: run `seatkeeper sync` first"
    if scope.provider and scope.provider not in {row["provider"] for row in everything}:
        names = ", ".join(sorted({row["provider"] for row in everything}))
        return f"no connection of provider {scope.provider!r} has been synced (synced providers: {names})"
    if scope.application and scope.application not in {row["application"] for row in everything}:
        names = ", ".join(sorted({row["application"] for row in everything}))
        return f"no application named {scope.application!r} has been synced (known applications: {names})"
    if scope.connection and scope.connection not in {row["name"] for row in everything}:
        names = ", ".join(sorted(row["name"] for row in everything))
        return f"no connection named {scope.connection!r} has been synced (synced connections: {names})"
    return f"no connection{_scope_words(scope)} had been synced by the end of {month.label}"


# ---- providers and connections -------------------------------------------------------------------------------


def _providers(known, counts, plans, freshness, activity_reported, unused_days, settings) -> list[ProviderReport]:
    by_connection: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in counts:
        by_connection[row["connection_id"]].append(row)
    plans_by_connection: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for plan in plans:
        plans_by_connection[plan["connection"]].append(plan)
    connection_names: dict[str, list[str]] = defaultdict(list)
    for row in known:
        connection_names[row["provider"]].append(row["name"])

    plain = [finance.Connection(row["name"], row["provider"], row["application"]) for row in known]
    governed = set(finance.governing(plain, settings.contracts_in_force))
    built = [
        _connection(
            row,
            by_connection[row["id"]],
            plans_by_connection.get(row["name"]),
            freshness[row["id"]],
            row["id"] in activity_reported,
            unused_days[row["provider"]],
            settings,
            governed,
        )
        for row in known
    ]
    held = {connection.connection: finance.billable_held(connection.license_types) for connection in built}
    # As in the trend: bought seats count against connections synced by the cut-off only.
    tracked = [c for c, row in zip(plain, known, strict=True) if freshness[row["id"]].last_success_at is not None]
    beyond = finance.bought_beyond_held(tracked, held, plans_by_connection, settings)
    for connection in built:
        if connection.connection in beyond:
            _add_beyond(connection.totals, beyond[connection.connection])

    reports: dict[str, ProviderReport] = {}
    for row, connection in zip(known, built, strict=True):
        provider = row["provider"]
        if provider not in reports:
            prices_set = settings.has_prices(provider, connection_names[provider])
            reports[provider] = ProviderReport(provider, prices_set, [], [], Totals())
        report = reports[provider]
        report.connections.append(connection)
        report.totals.add(connection.totals)
        for line in connection.license_types:
            if line.billable and line.unit_price is None and line.license_type not in report.missing_prices:
                report.missing_prices.append(line.license_type)
    for report in reports.values():
        report.missing_prices.sort()
    return list(reports.values())


def _add_beyond(totals: Totals, beyond: finance.Beyond) -> None:
    """Add the seats bought beyond those held (and, under a contract, unassigned) to a connection's totals."""
    totals.bought_not_held += beyond.seats
    totals.bought_not_held_cost += beyond.cost
    totals.unpriced_seats += beyond.unpriced_seats
    totals.monthly_cost = totals.seat_cost + totals.bought_not_held_cost
    totals.unassigned += beyond.contract_seats
    totals.unassigned_cost += beyond.contract_cost


def _connection(row, counts, plans, freshness, activity_reported, unused_days, settings, governed) -> ConnectionReport:
    provider, name = row["provider"], row["name"]
    lines: dict[tuple[str, bool], LicenseLine] = {}
    buckets = {
        bucket.category: UnusedBucket(bucket.category, bucket.label)
        for bucket in _connection_buckets(unused_days, activity_reported)
    }
    totals = Totals()
    for count in counts:
        key = (count["license_type"], bool(count["billable"]))
        line = lines.get(key)
        if line is None:
            price = settings.price(provider, name, key[0])
            line = lines[key] = LicenseLine(key[0], key[1], 0, 0, 0, 0, price, None)
        seats = count["seats"]
        line.seats += seats
        status = count["status"]
        if status in ("active", "inactive", "pending"):
            setattr(line, status, getattr(line, status) + seats)
        if line.billable and count["usage"] in buckets:
            bucket = buckets[count["usage"]]
            bucket.seats += seats
            _charge(bucket, line.unit_price, seats)
    for line in lines.values():
        totals.seats += line.seats
        totals.pending += line.pending
        if line.billable:
            totals.billable += line.seats
            if line.unit_price is None:
                totals.unpriced_seats += line.seats
            else:
                line.monthly_cost = line.unit_price * line.seats
                totals.seat_cost += line.monthly_cost
        else:
            totals.free += line.seats
            line.monthly_cost = ZERO
    for bucket in buckets.values():
        totals.unused += bucket.seats
        totals.unused_cost += bucket.monthly_cost
        totals.unused_unpriced_seats += bucket.unpriced_seats
    plan_lines = None if plans is None else [_plan(plan, lines, provider, name, settings) for plan in plans]
    for plan in plan_lines or []:
        # Under a contract, what was bought is the contract's: counted with the seats bought beyond those held.
        if plan.unassigned and plan.unassigned > 0 and (name, plan.license_type) not in governed:
            totals.unassigned += plan.unassigned
            totals.unassigned_cost += plan.unassigned_cost or ZERO
    totals.monthly_cost = totals.seat_cost
    return ConnectionReport(
        provider=provider,
        connection=name,
        application=row["application"],
        license_types=sorted(lines.values(), key=lambda line: (not line.billable, line.license_type)),
        plans=plan_lines,
        unused=list(buckets.values()),
        activity_reported=activity_reported,
        unused_days=list(unused_days),
        totals=totals,
        freshness=freshness,
    )


def _connection_buckets(unused_days, activity_reported) -> list[UnusedBucket]:
    fixed = ["pending", "deactivated"] + (["never"] if activity_reported else [])
    buckets = [UnusedBucket(category, figures.FIXED_CATEGORIES[category]) for category in fixed]
    if activity_reported:
        buckets += [UnusedBucket(b.category, b.label) for b in figures.idle_buckets(unused_days)]
    return buckets


def _charge(target, price: Decimal | None, seats: int) -> None:
    """Add the cost of ``seats`` billable seats at ``price`` to ``target`` (or count them as unpriced)."""
    if price is None:
        target.unpriced_seats += seats
    else:
        target.monthly_cost += price * seats


def _plan(plan, lines, provider, connection, settings) -> PlanLine:
    license_type = plan["license_type"]
    assigned = plan["assigned"]
    if assigned is None and license_type is not None and plan["purchased"] is not None:
        # The provider says how many it sold but not how many are used: count the seats we hold.
        assigned = sum(line.seats for (name, billable), line in lines.items() if name == license_type)
    purchased = plan["purchased"]
    unassigned = purchased - assigned if purchased is not None and assigned is not None else None
    if unassigned is not None and license_type is not None:
        # Providers may leave pending invitations out of "used" while those already hold one of our seats
        # (Zoom does); they are counted as unused seats, so only seats nobody holds are unassigned here.
        held = sum(line.seats for (name, billable), line in lines.items() if name == license_type)
        unassigned = min(unassigned, purchased - held)
    price = settings.price(provider, connection, license_type) if license_type else None
    cost = price * max(unassigned, 0) if price is not None and unassigned is not None else None
    return PlanLine(plan["plan"], license_type, purchased, assigned, unassigned, price, cost, plan["observed_at"])


def connection_freshness(row, runs, cutoff: datetime, settings: ReportSettings) -> Freshness:
    """How current one connection's data is at ``cutoff``, with warnings for a failed, stale or missing sync.

    :param row: the connection (``name``, ``provider``); :param runs: its :func:`figures.run_status` entry.
    """
    provider, name = row["provider"], row["name"]
    limit = settings.stale_after_days_for(provider)
    last = runs["last_success_at"]
    age = (cutoff - last).days if last else None
    warnings = []
    if last is None:
        status = "never"
        _warn(warnings, f"{name}: no successful sync by {_day(cutoff)}, so its seats are missing from this report")
    elif runs["latest_outcome"] in (RunOutcome.FAILED, RunOutcome.INTERRUPTED):  # neither applied anything
        status = "failed"
        _warn(
            warnings,
            f"{name}: the latest sync ({_day(runs['latest_run_at'])}) failed"
            + (f" ({runs['latest_error']})" if runs["latest_error"] else "")
            + f"; figures are from the last successful sync on {_day(last)}",
        )
    else:
        status = "ok"
    if last is not None and age > limit:
        status = "stale" if status == "ok" else status
        _warn(
            warnings,
            f"{name}: stale data, the last successful sync ({_day(last)}) was {age} days before {_day(cutoff)} "
            f"(limit {limit}); later changes are missing from this report",
        )
    return Freshness(
        provider=provider,
        connection=name,
        last_success_at=last,
        latest_run_at=runs["latest_run_at"],
        latest_outcome=runs["latest_outcome"],
        latest_error=runs["latest_error"],
        age_days=age,
        stale_after_days=limit,
        status=status,
        warnings=warnings,
    )


#: Explicit directional formatting characters (embeddings, overrides, isolates, marks).
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible_controls(text: str) -> str:
    """``text`` with bidirectional control characters written out (``<U+202E>``).

    Warnings interpolate names, licence types and errors from providers: a right-to-left override in one
    would reverse the rest of the warning, in the HTML report and on a terminal alike.
    """
    return BIDI_CONTROLS.sub(lambda match: f"<U+{ord(match.group()):04X}>", text)


def _warn(warnings: list[str], text: str) -> None:
    warnings.append(visible_controls(text))


def _day(when: datetime) -> str:
    return when.strftime("%Y-%m-%d")


def _price_warnings(providers: Iterable[ProviderReport], settings: ReportSettings, scope: Scope) -> list[str]:
    """Billable licence types left unpriced, and ``[prices.NAME]`` tables that price nothing in this report."""
    warnings = []
    #: Provider or connection name -> licence types its seats hold (a name may be both: the same table).
    held: dict[str, set[str]] = defaultdict(set)
    for provider in providers:
        missing: dict[str, list[str]] = {}
        for connection in provider.connections:
            types = {line.license_type for line in connection.license_types}
            held[provider.provider].update(types)
            held[connection.connection].update(types)
            held[connection.application].update(types)
            unpriced = {
                line.license_type for line in connection.license_types if line.billable and line.unit_price is None
            }
            if unpriced:
                missing[connection.connection] = sorted(unpriced)
        if not provider.prices_set:
            continue  # no price at all: the report says so once, rather than once per licence type
        if (
            len(missing) > 1
            and len(missing) == len(provider.connections)
            and len(set(map(tuple, missing.values()))) == 1
        ):
            missing = {provider.provider: next(iter(missing.values()))}  # the same gap everywhere: the provider's
        for name, types in missing.items():
            where = name if name == provider.provider else f"{name} ({provider.provider})"
            _warn(
                warnings,
                f"{where}: no price for billable licence type(s) {', '.join(types)}; "
                "their seats are left out of the costs",
            )
    provider_names = sorted({provider.provider for provider in providers})
    connection_names = sorted({c.connection for provider in providers for c in provider.connections})
    application_names = sorted({c.application for provider in providers for c in provider.connections})
    for name, prices in sorted(settings.prices.items()):
        # A filtered report cannot tell a misspelt name from one for seats it leaves out; with a provider
        # filter, the provider's own table and its connections' tables still hold every seat they price.
        if scope.connection or (scope.provider and name not in held):
            continue
        if name not in held:
            _warn(
                warnings,
                f"[prices.{name}] matches no provider, application or connection in this report "
                f"(providers: {', '.join(provider_names)}; applications: {', '.join(application_names)}; "
                f"connections: {', '.join(connection_names)})",
            )
            continue
        unknown = sorted(set(prices) - held[name])
        if unknown:
            _warn(
                warnings,
                f"[prices.{name}] names licence type(s) no seat holds: {', '.join(unknown)} "
                f"(held: {', '.join(sorted(held[name]))}); check the spelling",
            )
    return warnings


def _contract_warnings(connections, settings: ReportSettings, scope: Scope) -> list[str]:
    """Contracts naming nothing in the report or a licence type no seat holds, and missing exchange rates."""
    warnings = []
    day = settings.day
    names = (
        {c.connection for c in connections} | {c.application for c in connections} | {c.provider for c in connections}
    )
    held: dict[str, set[str]] = defaultdict(set)
    for connection in connections:
        types = {line.license_type for line in connection.license_types}
        for name in (connection.connection, connection.application, connection.provider):
            held[name].update(types)
    for contract in settings.contracts:
        where = f'[contracts."{contract.name}"] ({contract.license_type})'
        if contract.name not in names:
            if not (scope.connection or scope.provider or scope.application):
                _warn(
                    warnings, f"{where} matches no application, connection or provider in this report; check the name"
                )
            continue
        if not contract.in_force(day):
            continue
        if contract.license_type not in held[contract.name]:
            _warn(
                warnings,
                f"{where}: no seat holds licence type {contract.license_type!r} (held: "
                f"{', '.join(sorted(held[contract.name]))}), so all its seats count as bought and unheld; check the spelling",
            )
        if settings.exchange_rates.rate(contract.currency, day) is None:
            _warn(
                warnings,
                f"{where}: no exchange rate from {contract.currency} to {settings.currency} on or before {day}: "
                f'add [exchange_rates.{contract.currency}] with a day such as "{day.replace(day=1)}" = RATE; '
                "its seats are left out of the costs",
            )
    return warnings


def _overall_buckets(providers: Iterable[ProviderReport], labels: dict[str, str]) -> list[UnusedBucket]:
    overall: dict[str, UnusedBucket] = {}
    for provider in providers:
        for connection in provider.connections:
            for bucket in connection.unused:
                total = overall.setdefault(bucket.category, UnusedBucket(bucket.category, labels[bucket.category]))
                total.seats += bucket.seats
                total.monthly_cost += bucket.monthly_cost
                total.unpriced_seats += bucket.unpriced_seats
    return sorted(overall.values(), key=lambda bucket: figures.category_rank(bucket.category))


def _unused_seat(row, labels, idle_rules, settings) -> UnusedSeat:
    activity = row["last_activity_at"]
    return UnusedSeat(
        provider=row["provider"],
        connection=row["connection"],
        seat_key=row["seat_key"],
        email=row["email"],
        name=row["name"],
        department=row["department"],
        license_type=row["license_type"],
        status=row["status"],
        category=row["usage"],
        category_label=labels[row["usage"]],
        last_activity_at=activity,
        idle_days=(idle_rules[row["connection_id"]].observed_at - activity).days if activity else None,
        monthly_cost=settings.price(row["provider"], row["connection"], row["license_type"]),
    )


# ---- changes -----------------------------------------------------------------------------------------------------


def _differences(
    engine: Engine, ids: list[int], month: ReportMonth, cutoff: datetime, runs
) -> tuple[list[dict], list[dict]] | None:
    """:func:`figures.seat_differences` since the end of the month before ``month``; None when no connection
    was synced by then (nothing to compare with)."""
    before = month.shifted(-1).last_instant
    if not any(run["first_success_at"] and run["first_success_at"] <= before for run in runs.values()):
        return None
    return figures.seat_differences(engine, ids, before, cutoff)


def _changes(
    differences: tuple[list[dict], list[dict]] | None,
    month: ReportMonth,
    runs,
    settings,
    list_limit,
    newly: dict[int, str],
    providers,
) -> ChangeSummary:
    """The changes since last month from :func:`_differences`' rows."""
    previous = month.shifted(-1)
    changes: list[SeatChange] = []
    if differences is not None:
        arrived, departed = differences
        # A connection tracked for the first time brings seats that were there before: no growth.
        arrived = [row for row in arrived if row["connection_id"] not in newly]
        changes = _classify(arrived, departed, settings)
    counts = dict.fromkeys(CHANGE_KINDS, 0)
    billable_change, cost_change = 0, ZERO
    for change in changes:
        counts[change.kind] += 1
        billable_change += int(bool(change.after_billable)) - int(bool(change.before_billable))
        cost_change += change.cost_change or ZERO
    changes.sort(key=lambda c: (CHANGE_KINDS.index(c.kind), c.provider, c.connection, c.email or "", c.seat_key))
    return ChangeSummary(
        previous_month=previous.label,
        compared=differences is not None,
        counts=counts,
        billable_change=billable_change,
        cost_change=cost_change,
        seats=changes if list_limit is None else changes[:list_limit],
        seats_total=len(changes),
        newly_tracked=_newly_tracked_lines(newly, runs, providers),
    )


def _newly_tracked(known, runs, month: ReportMonth, cutoff: datetime) -> dict[int, str]:
    """Connections (id -> name) whose first successful sync falls in ``month`` (up to ``cutoff``)."""
    start = month.shifted(-1).last_instant
    return {
        row["id"]: row["name"]
        for row in known
        if runs[row["id"]]["first_success_at"] is not None and start < runs[row["id"]]["first_success_at"] <= cutoff
    }


def _newly_tracked_lines(newly: dict[int, str], runs, providers: Iterable[ProviderReport]) -> list[NewlyTracked]:
    """One summary line per newly tracked connection: its seats and money, instead of one row per seat."""
    ids = {name: connection_id for connection_id, name in newly.items()}
    lines = []
    for provider in providers:
        for connection in provider.connections:
            connection_id = ids.get(connection.connection)
            if connection_id is None:
                continue
            totals = connection.totals
            lines.append(
                NewlyTracked(
                    application=connection.application,
                    provider=connection.provider,
                    connection=connection.connection,
                    first_success_at=runs[connection_id]["first_success_at"],
                    seats=totals.seats,
                    billable=totals.billable,
                    monthly_cost=totals.monthly_cost,
                    unpriced_seats=totals.unpriced_seats,
                )
            )
    return sorted(lines, key=lambda line: (line.application, line.connection))


def _classify(arrived: list[dict], departed: list[dict], settings: ReportSettings) -> list[SeatChange]:
    # A seat whose key changed (an accepted invitation gets a user id) is the same person: pair by email.
    departed_by_email: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for row in departed:
        if row["email"]:
            departed_by_email[(row["connection_id"], row["email"])].append(row)
    paired: set[int] = set()
    changes = []
    for row in arrived:
        before = None
        if row["before_license_type"] is not None:
            before = {"license_type": row["before_license_type"], "billable": row["before_billable"]}
        elif departed_by_email.get((row["connection_id"], row["email"])):
            before = departed_by_email[(row["connection_id"], row["email"])].pop()
            paired.add(id(before))
        if before is not None and (before["license_type"], bool(before["billable"])) == (
            row["license_type"],
            bool(row["billable"]),
        ):
            continue
        changes.append(_change(row, before, settings))
    changes += [_change(row, row, settings, removed=True) for row in departed if id(row) not in paired]
    return changes


def _change(row, before, settings, removed: bool = False) -> SeatChange:
    provider, connection = row["provider"], row["connection"]
    if removed:
        after_type, after_billable = None, None
    else:
        after_type, after_billable = row["license_type"], bool(row["billable"])
    before_type = before["license_type"] if before else None
    before_billable = bool(before["billable"]) if before else None
    cost_before = _seat_cost(settings, provider, connection, before_type, before_billable)
    cost_after = _seat_cost(settings, provider, connection, after_type, after_billable)
    if before is None:
        kind = "added"
    elif removed:
        kind = "removed"
    else:
        kind = _direction(before_billable, after_billable, cost_before, cost_after)
    return SeatChange(
        kind=kind,
        provider=provider,
        connection=connection,
        seat_key=row["seat_key"],
        email=row["email"],
        name=row["name"],
        department=row["department"],
        before_license_type=before_type,
        before_billable=before_billable,
        after_license_type=after_type,
        after_billable=after_billable,
        cost_change=None if cost_before is None or cost_after is None else cost_after - cost_before,
    )


def _seat_cost(settings, provider, connection, license_type, billable) -> Decimal | None:
    """Monthly cost of one seat: 0 for no seat or a free one, None when a billable type has no price."""
    if license_type is None or not billable:
        return ZERO
    return settings.price(provider, connection, license_type)


def _direction(before_billable, after_billable, cost_before, cost_after) -> str:
    """upgraded: free to billable, or to a pricier type; downgraded: the reverse; changed: neither can be told."""
    if before_billable != after_billable:
        return "upgraded" if after_billable else "downgraded"
    if cost_before is not None and cost_after is not None and cost_before != cost_after:
        return "upgraded" if cost_after > cost_before else "downgraded"
    return "changed"


# ---- applications, directory, trend ---------------------------------------------------------------------------


def _applications(providers: Iterable[ProviderReport]) -> list[ApplicationReport]:
    """Each application's seats, licence types and totals, rolled up over its connections."""
    reports: dict[str, ApplicationReport] = {}
    lines: dict[str, dict[tuple[str, bool], LicenseLine]] = defaultdict(dict)
    for provider in providers:
        for connection in provider.connections:
            name = connection.application
            report = reports.setdefault(name, ApplicationReport(name, [], [], [], Totals()))
            if connection.provider not in report.providers:
                report.providers.append(connection.provider)
            report.connections.append(connection.connection)
            report.totals.add(connection.totals)
            for line in connection.license_types:
                key = (line.license_type, line.billable)
                total = lines[name].get(key)
                if total is None:
                    lines[name][key] = LicenseLine(**{**line.__dict__})
                    continue
                for figure in ("seats", "active", "inactive", "pending"):
                    setattr(total, figure, getattr(total, figure) + getattr(line, figure))
                if total.unit_price != line.unit_price:
                    total.unit_price = None  # the connections are on different prices: no one unit price
                if total.monthly_cost is None or line.monthly_cost is None:
                    total.monthly_cost = None
                else:
                    total.monthly_cost += line.monthly_cost
    for name, report in reports.items():
        report.license_types = sorted(lines[name].values(), key=lambda line: (not line.billable, line.license_type))
    return sorted(reports.values(), key=lambda report: report.application.lower())


def _directory_connections(engine: Engine, directory: accounts.People, known) -> list[dict[str, Any]]:
    """The directory connections the people came from that are not among the report's connections."""
    names = set(directory.directory_names()) - {row["name"] for row in known} if directory else set()
    return figures.named_connections(engine, sorted(names)) if names else []


def _trend_cutoffs(month: ReportMonth, now: datetime) -> dict[str, datetime]:
    """The cut-offs of the twelve months the trend shows, ``month`` last."""
    months = [month.shifted(-back) for back in range(TREND_MONTHS - 1, -1, -1)]
    return {m.label: m.cutoff(now) for m in months}


def _trend(engine, trend_rows, cutoffs: dict[str, datetime], known, runs, settings) -> list[TrendPoint]:
    """Seats and cost at each of the trend's month ends (``trend_rows`` from :func:`figures.trend_counts`),
    each at the prices and rates of its own month."""
    application_of = {row["name"]: row["application"] for row in known}
    plain = [finance.Connection(row["name"], row["provider"], row["application"]) for row in known]
    first_success = min((run["first_success_at"] for run in runs.values() if run["first_success_at"]), default=None)
    points = {
        label: TrendPoint(label, first_success is not None and first_success <= cutoff, 0, 0, ZERO, 0)
        for label, cutoff in cutoffs.items()
    }
    for row in known:
        first = runs[row["id"]]["first_success_at"]
        label = first.strftime("%Y-%m") if first else None
        # The month a connection is first tracked: its seats arrive at once, and that is no growth.
        if label in points and first != first_success and row["application"] not in points[label].newly_tracked:
            points[label].newly_tracked.append(row["application"])
    month_settings = {label: settings.on(cutoff.date()) for label, cutoff in cutoffs.items()}
    by_application: dict[tuple[str, str], ApplicationPoint] = {}
    held: dict[str, dict[str, dict[str, int]]] = {label: defaultdict(lambda: defaultdict(int)) for label in cutoffs}

    def line_of(label: str, application: str) -> ApplicationPoint:
        line = by_application.get((label, application))
        if line is None:
            line = by_application[(label, application)] = ApplicationPoint(application)
            points[label].applications.append(line)
        return line

    for row in trend_rows:
        label = row["month"]
        point, line = points[label], line_of(label, application_of[row["connection"]])
        for target in (point, line):
            target.seats += row["seats"]
            if row["billable"]:
                target.billable += row["seats"]
                price = month_settings[label].price(row["provider"], row["connection"], row["license_type"])
                if price is None:
                    target.unpriced_seats += row["seats"]
                else:
                    target.seat_cost += price * row["seats"]
        if row["billable"]:
            held[label][row["connection"]][row["license_type"]] += row["seats"]
    for label, cutoff in cutoffs.items():
        point = points[label]
        if not point.has_data:
            continue
        plans: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for plan in _plans_at(engine, known, cutoff):
            plans[plan["connection"]].append(plan)
        # Only connections tracked by then: bought seats of a tool not yet synced are not known to be unheld.
        tracked = [c for c, row in zip(plain, known, strict=True) if _tracked_by(runs[row["id"]], cutoff)]
        beyond = finance.bought_beyond_held(tracked, held[label], plans, month_settings[label])
        for connection, extra in beyond.items():
            if not extra.seats:
                continue
            line = line_of(label, application_of[connection])
            for target in (point, line):
                target.monthly_cost += extra.cost
                target.unpriced_seats += extra.unpriced_seats
        for target in (point, *point.applications):
            target.monthly_cost += target.seat_cost
    for point in points.values():
        point.applications.sort(key=lambda line: line.application.lower())
        point.newly_tracked.sort(key=str.lower)
    return list(points.values())
