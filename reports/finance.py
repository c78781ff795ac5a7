"""The money side of a report: seats bought against seats held, renewals, savings and alerts.

One rule makes the headline: a licence type bought in a fixed number (under a contract in force, else as the
provider reports its purchases) costs max(bought, held) × price; any other costs held × price. The month's
report and every trend month use :func:`bought_beyond_held` for the part beyond the held seats, so the card,
the trend and the tables show one number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .contracts import Contract
from .figures import category_rank
from .model import (
    ZERO,
    Alert,
    ConnectionReport,
    ContractLine,
    Freshness,
    Leaver,
    LicenseLine,
    ReclaimableItem,
    Renewal,
    Savings,
    SavingsCategory,
    SavingsLine,
    UnusedSeat,
)
from .settings import ReportSettings
from .wording import format_count, format_money

RENEWAL_WINDOW_DAYS = 90
NOTICE_ALERT_DAYS = 30
UNASSIGNED = "unassigned"
LEAVER = "leaver"
CATEGORY_LABELS = {UNASSIGNED: "Bought, nobody holds them", LEAVER: "Held by people who left"}


@dataclass(frozen=True)
class Connection:
    """What the money rules need to know of a connection."""

    name: str
    provider: str
    application: str


@dataclass
class Beyond:
    """Seats bought beyond those held in one connection, and their cost."""

    seats: int = 0
    cost: Decimal = ZERO
    unpriced_seats: int = 0
    #: The part bought under contracts (the rest is the provider's purchases).
    contract_seats: int = 0
    contract_cost: Decimal = ZERO


def governing(connections: Iterable[Connection], contracts: Sequence[Contract]) -> dict[tuple[str, str], Contract]:
    """(connection, licence type) -> the contract that sets its bought seats: the connection's own, else its
    application's, else its provider's (the order ``[prices.NAME]`` tables apply in)."""
    by_name: dict[tuple[str, str], Contract] = {(c.name, c.license_type): c for c in contracts}
    found = {}
    for connection in connections:
        for license_type in {c.license_type for c in contracts}:
            for name in (connection.name, connection.application, connection.provider):
                contract = by_name.get((name, license_type))
                if contract is not None:
                    found[(connection.name, license_type)] = contract
                    break
    return found


def contract_groups(
    connections: Sequence[Connection], contracts: Sequence[Contract]
) -> list[tuple[Contract, list[Connection]]]:
    """Each contract with the connections (in name order) whose seats it covers; contracts covering none left out."""
    rule = governing(connections, contracts)
    groups: dict[int, tuple[Contract, list[Connection]]] = {}
    for connection in sorted(connections, key=lambda c: c.name):
        for contract in contracts:
            if rule.get((connection.name, contract.license_type)) is contract:
                groups.setdefault(id(contract), (contract, []))[1].append(connection)
    return list(groups.values())


def bought_beyond_held(
    connections: Sequence[Connection],
    held: Mapping[str, Mapping[str, int]],
    plans: Mapping[str, Sequence[Mapping[str, Any]]],
    settings: ReportSettings,
) -> dict[str, Beyond]:
    """Per connection name: seats bought beyond the billable seats held, and what they cost.

    :param held: connection -> licence type -> billable seats held; :param plans: connection -> the provider's
    plans (``license_type``, ``purchased``); :param settings: the settings on the month's day (:meth:`on`).
    Under a contract, bought is the contract's seats against the seats held in all the connections it covers,
    charged to the first of them; elsewhere the provider's purchases against the connection's seats.
    """
    contracts = settings.contracts_in_force
    rule = governing(connections, contracts)
    result = {connection.name: Beyond() for connection in connections}
    for connection in connections:
        purchased: dict[str, int] = defaultdict(int)
        for plan in plans.get(connection.name, ()):
            license_type = plan["license_type"]
            if (
                license_type is not None
                and plan["purchased"] is not None
                and (connection.name, license_type) not in rule
            ):
                purchased[license_type] += plan["purchased"]
        for license_type, bought in purchased.items():
            price = settings.price(connection.provider, connection.name, license_type)
            if price is None:
                continue  # nothing priced: the seats held are counted as unpriced already
            extra = max(bought - held.get(connection.name, {}).get(license_type, 0), 0)
            _charge(result[connection.name], extra, price)
    for contract, covered in contract_groups(connections, contracts):
        seats_held = sum(held.get(c.name, {}).get(contract.license_type, 0) for c in covered)
        extra = max(contract.terms_on(settings.day).seats - seats_held, 0)
        home = covered[0]
        price = settings.price(home.provider, home.name, contract.license_type)
        _charge(result[home.name], extra, price)
        result[home.name].contract_seats += extra
        result[home.name].contract_cost += extra * price if price is not None else ZERO
    return result


def _charge(target: Beyond, seats: int, price: Decimal | None) -> None:
    target.seats += seats
    if price is None:
        target.unpriced_seats += seats
    else:
        target.cost += seats * price


# ---- contract vs actual ----------------------------------------------------------------------------------------


def contract_lines(connections: Sequence[ConnectionReport], settings: ReportSettings, day: date) -> list[ContractLine]:
    """Bought against assigned, per application and licence type: every contract in force on ``day`` and
    every provider-reported purchase of a licence type no contract covers."""
    plain = [Connection(c.connection, c.provider, c.application) for c in connections]
    by_name = {c.connection: c for c in connections}
    contracts = settings.contracts_on(day)
    rule = governing(plain, contracts)
    lines = []
    for contract, covered in contract_groups(plain, contracts):
        home = covered[0]
        assigned = sum(_held(by_name[c.name], contract.license_type) for c in covered)
        price = settings.price(home.provider, home.name, contract.license_type)
        terms = contract.terms_on(day)
        lines.append(
            _line(
                _application_of(contract, covered),
                contract.license_type,
                "contract",
                contract.name,
                terms.seats,
                assigned,
                price,
                currency=contract.currency,
                billing_cycle=contract.billing_cycle,
                term_start=contract.term_start,
                term_end=contract.term_end,
                note=contract.note,
            )
        )
    for connection in connections:
        purchased: dict[str, int] = defaultdict(int)
        for plan in connection.plans or []:
            if (
                plan.license_type
                and plan.purchased is not None
                and (connection.connection, plan.license_type) not in rule
            ):
                purchased[plan.license_type] += plan.purchased
        for license_type, bought in sorted(purchased.items()):
            price = settings.price(connection.provider, connection.connection, license_type)
            assigned = _held(connection, license_type)
            lines.append(
                _line(connection.application, license_type, "provider", connection.connection, bought, assigned, price)
            )
    return sorted(lines, key=lambda line: (line.application.lower(), line.license_type, line.name))


def billable_held(lines: Iterable[LicenseLine]) -> dict[str, int]:
    """Licence type -> billable seats held, from a connection's licence-type lines."""
    held: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.billable:
            held[line.license_type] += line.seats
    return held


def _held(connection: ConnectionReport, license_type: str) -> int:
    return billable_held(connection.license_types).get(license_type, 0)


def _application_of(contract: Contract, covered: Sequence[Connection]) -> str:
    """The application a contract's seats belong to: its connections' one application, else the contract's name."""
    return covered[0].application if len({c.application for c in covered}) == 1 else contract.name


def _line(application, license_type, source, name, bought, assigned, price, **terms) -> ContractLine:
    unassigned, over = max(bought - assigned, 0), max(assigned - bought, 0)
    return ContractLine(
        application=application,
        license_type=license_type,
        source=source,
        name=name,
        bought=bought,
        assigned=assigned,
        unassigned=unassigned,
        over_assigned=over,
        unit_price=price,
        unassigned_cost=None if price is None else unassigned * price,
        over_assigned_cost=None if price is None else over * price,
        **terms,
    )


# ---- renewals --------------------------------------------------------------------------------------------------


def renewals(
    connections: Sequence[ConnectionReport],
    settings: ReportSettings,
    day: date,
    unused_by_type: Mapping[tuple[str, str], int],
    window_days: int = RENEWAL_WINDOW_DAYS,
) -> list[Renewal]:
    """Contracts renewing within ``window_days`` of ``day``, with their annual value and seats in use.

    :param unused_by_type: (connection, licence type) -> billable seats unused or held by leavers.
    """
    plain = [Connection(c.connection, c.provider, c.application) for c in connections]
    by_name = {c.connection: c for c in connections}
    found = []
    for contract, covered in contract_groups(plain, settings.contracts_on(day)):
        renewal = contract.next_renewal(day)
        if renewal is None or (renewal - day).days > window_days:
            continue
        terms = contract.terms_on(day)
        assigned = sum(_held(by_name[c.name], contract.license_type) for c in covered)
        idle = sum(unused_by_type.get((c.name, contract.license_type), 0) for c in covered)
        used = max(assigned - idle, 0)
        rate = settings.exchange_rates.rate(contract.currency, day)
        yearly_unit = contract.monthly_unit_price(day) * 12
        annual_in_currency = yearly_unit * terms.seats
        suggested = used
        saving = None if rate is None else max(terms.seats - suggested, 0) * yearly_unit * rate
        if assigned > terms.seats:
            verdict = "true-up"
        elif used >= terms.seats:
            verdict = "justified"
        else:
            verdict = "reduce"
        deadline = renewal - timedelta(days=contract.notice_days)
        found.append(
            Renewal(
                application=_application_of(contract, covered),
                name=contract.name,
                license_type=contract.license_type,
                renewal_date=renewal,
                days_to_renewal=(renewal - day).days,
                notice_deadline=deadline,
                days_to_notice=(deadline - day).days,
                notice_days=contract.notice_days,
                auto_renew=contract.auto_renew,
                bought=terms.seats,
                assigned=assigned,
                used=used,
                annual_value=None if rate is None else annual_in_currency * rate,
                annual_value_in_currency=annual_in_currency,
                currency=contract.currency,
                suggested_seats=suggested,
                annual_saving=saving,
                verdict=verdict,
                note=contract.note,
            )
        )
    return sorted(found, key=lambda r: (r.renewal_date, r.application.lower(), r.license_type))


# ---- savings ---------------------------------------------------------------------------------------------------


def savings(
    connections: Sequence[ConnectionReport],
    leavers: Sequence[Leaver],
    leaver_usage: Mapping[tuple[str, str, str], Mapping[str, int]],
    unused_seats: Sequence[UnusedSeat],
    contracts: Sequence[ContractLine],
    labels: Mapping[str, str],
    list_limit: int | None,
) -> Savings:
    """The reclaimable seats of the month: by category, by application, and the list behind them.

    :param leaver_usage: (connection, email, licence type) -> usage category -> leavers' seats, so a leaver's
    seat that is also unused is counted once, as a leaver's.
    """
    categories: dict[str, SavingsCategory] = {}
    applications: dict[str, SavingsLine] = {}

    def add(category: str, application: str, seats: int, cost: Decimal | None, unpriced: int) -> None:
        if not seats:
            return
        line = categories.setdefault(
            category, SavingsCategory(category, labels.get(category) or CATEGORY_LABELS[category])
        )
        line.seats += seats
        line.monthly_cost += cost or ZERO
        line.unpriced_seats += unpriced
        app = applications.setdefault(application, SavingsLine(application))
        kind = "leaver" if category == LEAVER else ("unassigned" if category == UNASSIGNED else "unused")
        setattr(app, f"{kind}_seats", getattr(app, f"{kind}_seats") + seats)
        setattr(app, f"{kind}_cost", getattr(app, f"{kind}_cost") + (cost or ZERO))
        app.seats += seats
        app.monthly_cost += cost or ZERO
        app.unpriced_seats += unpriced

    prices: dict[tuple[str, str], Decimal | None] = {}
    for connection in connections:
        for line in connection.license_types:
            prices[(connection.connection, line.license_type)] = line.unit_price
    # The leavers' part of each unused bucket, at their own licence types' prices: taken out of the bucket,
    # since those seats count as leavers'. (connection, category) -> [seats, cost, unpriced seats].
    leavers_in: dict[tuple[str, str], list] = defaultdict(lambda: [0, ZERO, 0])
    for (name, _email, license_type), usage in leaver_usage.items():
        price = prices.get((name, license_type))
        for category, seats in usage.items():
            part = leavers_in[(name, category)]
            part[0] += seats
            if price is None:
                part[2] += seats
            else:
                part[1] += seats * price
    for connection in connections:
        for bucket in connection.unused:
            if not bucket.seats:
                continue
            seats, cost, unpriced = leavers_in.get((connection.connection, bucket.category), (0, ZERO, 0))
            add(
                bucket.category,
                connection.application,
                bucket.seats - seats,
                bucket.monthly_cost - cost,
                bucket.unpriced_seats - unpriced,
            )
    for leaver in leavers:
        add(
            LEAVER,
            leaver.application,
            leaver.seats,
            leaver.monthly_cost,
            0 if leaver.monthly_cost is not None else leaver.seats,
        )
    for line in contracts:
        add(
            UNASSIGNED,
            line.application,
            line.unassigned,
            line.unassigned_cost,
            line.unassigned if line.unit_price is None else 0,
        )

    items = [
        ReclaimableItem(
            LEAVER,
            CATEGORY_LABELS[LEAVER],
            leaver.application,
            leaver.provider,
            leaver.connection,
            leaver.license_type,
            leaver.email,
            leaver.name,
            leaver.seats,
            leaver.monthly_cost,
        )
        for leaver in leavers
    ]
    items += [
        ReclaimableItem(
            UNASSIGNED,
            CATEGORY_LABELS[UNASSIGNED],
            line.application,
            "",
            line.name,
            line.license_type,
            None,
            None,
            line.unassigned,
            line.unassigned_cost,
        )
        for line in contracts
        if line.unassigned
    ]
    leaver_keys = {(leaver.connection, leaver.email, leaver.license_type) for leaver in leavers}
    application_of = {c.connection: c.application for c in connections}
    items += [
        ReclaimableItem(
            seat.category,
            seat.category_label,
            application_of.get(seat.connection, ""),
            seat.provider,
            seat.connection,
            seat.license_type,
            seat.email,
            seat.name,
            1,
            seat.monthly_cost,
        )
        for seat in unused_seats
        if (seat.connection, seat.email, seat.license_type) not in leaver_keys
    ]
    total_seats = sum(c.seats for c in categories.values())
    monthly = sum((c.monthly_cost for c in categories.values()), ZERO)
    for app in applications.values():
        app.annual_cost = app.monthly_cost * 12
    unused_total = sum(c.seats for key, c in categories.items() if key not in (LEAVER, UNASSIGNED))
    listed_unused = sum(1 for item in items if item.category not in (LEAVER, UNASSIGNED))
    items_total = len(items) - listed_unused + unused_total
    return Savings(
        seats=total_seats,
        monthly_cost=monthly,
        annual_cost=monthly * 12,
        unpriced_seats=sum(c.unpriced_seats for c in categories.values()),
        by_category=sorted(categories.values(), key=_category_order),
        by_application=sorted(applications.values(), key=lambda a: (-a.monthly_cost, a.application.lower())),
        items=items if list_limit is None else items[:list_limit],
        items_total=items_total,
    )


def _category_order(category: SavingsCategory) -> tuple:
    if category.category == LEAVER:
        return (0, (0, 0))
    if category.category == UNASSIGNED:
        return (1, (0, 0))
    return (2, category_rank(category.category))


# ---- alerts ----------------------------------------------------------------------------------------------------


def alerts(
    renewals_soon: Sequence[Renewal],
    freshness: Iterable[Freshness],
    leavers: Sequence[Leaver],
    currency: str | None,
    notice_days: int = NOTICE_ALERT_DAYS,
) -> list[Alert]:
    """What to act on first: notice deadlines within ``notice_days``, failed or stale syncs, leavers' seats."""
    found = []
    for renewal in renewals_soon:
        if 0 <= renewal.days_to_notice <= notice_days:
            value = format_money(renewal.annual_value, currency) if renewal.annual_value is not None else "not priced"
            found.append(
                Alert(
                    "notice",
                    f"{renewal.application} ({renewal.license_type}): give notice by {renewal.notice_deadline} "
                    f"({renewal.days_to_notice} days) or it {'renews' if renewal.auto_renew else 'ends'} on "
                    f"{renewal.renewal_date}; {format_count(renewal.bought)} seats bought, "
                    f"{format_count(renewal.used)} in use, {value} a year",
                )
            )
    for report in freshness:
        found += [Alert("sync", warning) for warning in report.warnings]
    if leavers:
        people = {leaver.person_email or leaver.email for leaver in leavers}
        seats = sum(leaver.seats for leaver in leavers)
        cost = sum((leaver.monthly_cost or ZERO for leaver in leavers), ZERO)
        money = f", {format_money(cost, currency)} a month" if currency else ""
        who = (
            "1 person who left still holds"
            if len(people) == 1
            else f"{format_count(len(people))} people who left still hold"
        )
        found.append(Alert("leaver", f"{who} {format_count(seats)} paid seat{'' if seats == 1 else 's'}{money}"))
    return found
