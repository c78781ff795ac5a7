"""The report's people sections: leavers still holding paid seats, external and unmatched accounts,
chargeback per department and cost center, and how many tools people use.

They start from the seats held at the cut-off grouped by account (:func:`figures.account_rows`, a few rows
per person) and match each account's email to a directory person by the exact rules of
:mod:`seatkeeper.people`; nothing fuzzy goes into a figure.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from seatkeeper.people import Directory

from .model import (
    ZERO,
    AccountSeats,
    CostCenterLine,
    DepartmentLine,
    Leaver,
    PeopleSummary,
    Person,
    PersonSeat,
)
from .settings import ReportSettings

#: Directory statuses of someone who has left (or is blocked): their paid seats are waste.
LEFT_STATUSES = ("suspended", "deleted", "terminated")
#: A leaver told without a directory: deactivated in every other tool they have an account in.
DEACTIVATED_ELSEWHERE = "deactivated elsewhere"
COSTLIEST_PEOPLE = 10


@dataclass
class PeopleSections:
    """Everything the people sections of a report hold."""

    departments: list[DepartmentLine]
    cost_centers: list[CostCenterLine]
    leavers: list[Leaver]
    external_accounts: list[AccountSeats]
    unmatched_accounts: list[AccountSeats]
    people: PeopleSummary


@dataclass
class _Account:
    """One row of :func:`figures.account_rows` with its connection, price and person."""

    row: Mapping[str, Any]
    application: str
    provider: str
    connection: str
    cost: Decimal | None  # monthly money of the row's seats (0 for free seats, None when unpriced)
    person: Mapping[str, Any] | None
    key: str | None  # the person: directory primary email, else the canonical email

    @property
    def billable(self) -> bool:
        return bool(self.row["billable"])

    def seats(self) -> AccountSeats:
        return AccountSeats(
            email=self.row["email"],
            name=self.row["name"],
            application=self.application,
            provider=self.provider,
            connection=self.connection,
            license_type=self.row["license_type"],
            billable=self.billable,
            status=self.row["status"],
            seats=self.row["seats"],
            monthly_cost=self.cost,
        )


def people_sections(
    rows: Iterable[Mapping[str, Any]],
    known: Sequence[Mapping[str, Any]],
    directory: Directory,
    settings: ReportSettings,
) -> PeopleSections:
    """The people sections from the account rows of the connections ``known`` (id, name, provider, application)."""
    by_id = {row["id"]: row for row in known}
    rules = settings.rules
    accounts = []
    prices: dict[tuple[int, str], Decimal | None] = {}  # one lookup per connection and licence type, not per row
    for row in rows:
        connection = by_id[row["connection_id"]]
        price_key = (row["connection_id"], row["license_type"])
        if price_key not in prices:
            prices[price_key] = settings.price(connection["provider"], connection["name"], row["license_type"])
        price = prices[price_key]
        cost = (None if price is None else price * row["seats"]) if row["billable"] else ZERO
        person = directory.person_of(row["email"]) if directory else None
        key = _person_key(person, row["email"], rules)
        accounts.append(
            _Account(row, connection["application"], connection["provider"], connection["name"], cost, person, key)
        )
    accounts.sort(key=_order)
    return PeopleSections(
        departments=_departments(accounts),
        cost_centers=_cost_centers(accounts),
        leavers=_leavers(accounts, bool(directory)),
        external_accounts=[
            account.seats()
            for account in accounts
            if account.billable and account.row["email"] and rules.is_external(account.row["email"])
        ],
        unmatched_accounts=[
            dataclasses.replace(account.seats(), possible_matches=_guesses(directory, account))
            for account in accounts
            if directory
            and account.person is None
            and not (account.row["email"] and rules.is_external(account.row["email"]))
        ],
        people=_people(accounts),
    )


def _guesses(directory: Directory, account: _Account) -> list[str]:
    """Directory people an unmatched account may be, by name: listed for review, never counted."""
    return [person["email"] for person in directory.possible_matches(account.row["name"], account.row["email"])]


def _person_key(person, email: str | None, rules) -> str | None:
    """A person's primary email in the directory, else the account's canonical email (None without one)."""
    if person is not None:
        return person["email"]
    return rules.canonical(email) if email else None


def _order(account: _Account) -> tuple:
    row = account.row
    return (account.application, account.connection, row["email"] or "", row["license_type"], row["status"])


def _charge(line, account: _Account) -> None:
    line.seats += account.row["seats"]
    if account.billable:
        line.billable += account.row["seats"]
        if account.cost is None:
            line.unpriced_seats += account.row["seats"]
        else:
            line.monthly_cost += account.cost


def _departments(accounts: Iterable[_Account]) -> list[DepartmentLine]:
    """Per department: the tool's own department when it has one, else the directory person's."""
    lines: dict[str | None, DepartmentLine] = {}
    for account in accounts:
        department = account.row["department"] or (account.person or {}).get("department") or None
        _charge(lines.setdefault(department, DepartmentLine(department)), account)
    return sorted(
        lines.values(), key=lambda d: (d.department is None, -d.monthly_cost, -d.billable, d.department or "")
    )


def _cost_centers(accounts: Iterable[_Account]) -> list[CostCenterLine]:
    """Per cost center, which only a directory knows; an empty list when nobody has one."""
    lines: dict[str | None, CostCenterLine] = {}
    for account in accounts:
        center = (account.person or {}).get("cost_center") or None
        _charge(lines.setdefault(center, CostCenterLine(center)), account)
    if all(center is None for center in lines):
        return []
    return sorted(
        lines.values(), key=lambda c: (c.cost_center is None, -c.monthly_cost, -c.billable, c.cost_center or "")
    )


def _leavers(accounts: Sequence[_Account], with_directory: bool) -> list[Leaver]:
    """Paid seats of people who left: by the directory's status, else deactivated in every other tool."""
    leavers = []
    if with_directory:
        for account in accounts:
            person = account.person
            if account.billable and person is not None and person["status"] in LEFT_STATUSES:
                leavers.append(
                    _leaver(account, person["email"], person.get("name"), person["status"], person.get("status_since"))
                )
    else:
        by_person: dict[str, list[_Account]] = defaultdict(list)
        for account in accounts:
            if account.key:
                by_person[account.key].append(account)
        for held in by_person.values():
            still_active = {a.application for a in held if a.row["status"] != "inactive"}
            applications = {a.application for a in held}
            # Gone from every tool but (at most) one: the tools that deactivated them know they left.
            if len(applications) > 1 and len(still_active) <= 1:
                for account in held:
                    if account.billable:
                        leavers.append(_leaver(account, None, None, DEACTIVATED_ELSEWHERE, None))
    return sorted(
        leavers,
        key=lambda leaver: (leaver.left_at is None, leaver.left_at or 0, leaver.email or "", leaver.application),
    )


def _leaver(account: _Account, person_email, person_name, status, left_at) -> Leaver:
    return Leaver(
        email=account.row["email"],
        person_email=person_email,
        name=person_name or account.row["name"],
        application=account.application,
        provider=account.provider,
        connection=account.connection,
        license_type=account.row["license_type"],
        status=account.row["status"],
        person_status=status,
        left_at=left_at,
        seats=account.row["seats"],
        monthly_cost=account.cost,
    )


def _people(accounts: Iterable[_Account]) -> PeopleSummary:
    """How many tools each person holds seats in, and the ten costliest people."""
    # Sums per person first; Person objects (with their seats) only for the ten kept.
    held: dict[str, list[_Account]] = defaultdict(list)
    totals: dict[str, list] = {}  # key -> [monthly cost, billable seats, unpriced seats]
    for account in accounts:
        if account.key is None:
            continue
        held[account.key].append(account)
        figures = totals.setdefault(account.key, [ZERO, 0, 0])
        if account.billable:
            seats = account.row["seats"]
            figures[1] += seats
            if account.cost is None:
                figures[2] += seats
            else:
                figures[0] += account.cost
    tool_counts = {"1": 0, "2": 0, "3+": 0}
    for person_accounts in held.values():
        count = len({account.application for account in person_accounts})
        tool_counts[str(count) if count < 3 else "3+"] += 1
    costliest = sorted(totals, key=lambda key: (-totals[key][0], -totals[key][1], key))[:COSTLIEST_PEOPLE]
    return PeopleSummary(
        people=[_person(key, held[key], *totals[key]) for key in costliest],
        people_total=tool_counts["2"] + tool_counts["3+"],
        tool_counts=tool_counts,
        people_with_seats=len(held),
    )


def _person(key: str, accounts: Sequence[_Account], cost: Decimal, billable: int, unpriced: int) -> Person:
    """One person of the costliest: their tools and seats."""
    name = (accounts[0].person or {}).get("name") or next((a.row["name"] for a in accounts if a.row["name"]), None)
    providers: list[str] = []
    applications: list[str] = []
    for account in accounts:
        if account.provider not in providers:
            providers.append(account.provider)
        if account.application not in applications:
            applications.append(account.application)
    seats = [
        PersonSeat(a.provider, a.connection, a.row["license_type"], a.billable, a.row["seats"], a.cost)
        for a in accounts
    ]
    return Person(key, name, providers, applications, seats, billable, cost, unpriced)
