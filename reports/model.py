"""The monthly report as data: what the templates render and what ``--format json`` writes.

Field names here are the JSON keys (see docs/reports.md), so renaming one is a breaking change.

Money: every price and cost is a monthly amount in the report's currency. A licence type with no price
has ``unit_price``/``monthly_cost`` None on its own line; sums (totals, buckets, departments) add up the
priced seats only and say how many billable seats they could not price in ``unpriced_seats``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

ZERO = Decimal(0)

CHANGE_KINDS = ("added", "removed", "upgraded", "downgraded", "changed")


@dataclass
class Totals:
    """Seat and money figures summed over licence types, connections or providers."""

    seats: int = 0
    billable: int = 0
    free: int = 0
    pending: int = 0
    #: Billable seats held × their price.
    seat_cost: Decimal = ZERO
    #: Billable seats whose licence type has no price (left out of every cost).
    unpriced_seats: int = 0
    #: Seats bought but not assigned (purchased − assigned, as the provider reports them), and their price.
    unassigned: int = 0
    unassigned_cost: Decimal = ZERO
    #: Billable seats in an unused category (pending, deactivated, never signed in, idle).
    unused: int = 0
    unused_cost: Decimal = ZERO
    #: Unused billable seats whose licence type has no price (left out of ``unused_cost``).
    unused_unpriced_seats: int = 0
    #: What the month costs: held billable seats, plus seats bought beyond those held (for licence types
    #: under a contract, or whose purchases the provider reports): max(bought, held) × price there,
    #: held × price elsewhere. The headline figure: the card, the trend and the tables all show it.
    monthly_cost: Decimal = ZERO
    #: Seats bought beyond those held (under a contract or as the provider reports), and their price.
    bought_not_held: int = 0
    bought_not_held_cost: Decimal = ZERO

    def add(self, other: Totals) -> None:
        """Add ``other``'s figures to these."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class LicenseLine:
    """Seats of one licence type in one connection."""

    license_type: str
    billable: bool
    seats: int
    active: int
    inactive: int
    pending: int
    unit_price: Decimal | None
    #: seats × price for billable seats, 0 for free ones, None when the billable type has no price.
    monthly_cost: Decimal | None


@dataclass
class PlanLine:
    """Seats purchased under one plan, as the provider reported them in its last sync before the cut-off."""

    plan: str
    license_type: str | None
    purchased: int | None
    assigned: int | None
    unassigned: int | None
    unit_price: Decimal | None
    unassigned_cost: Decimal | None
    observed_at: datetime


@dataclass
class UnusedBucket:
    """Billable seats in one unused category."""

    category: str
    label: str
    seats: int = 0
    monthly_cost: Decimal = ZERO
    unpriced_seats: int = 0


@dataclass
class Freshness:
    """How current one connection's data is at the report's cut-off."""

    provider: str
    connection: str
    last_success_at: datetime | None
    latest_run_at: datetime | None
    latest_outcome: str | None
    latest_error: str | None
    #: Whole days between the last successful sync and the cut-off.
    age_days: int | None
    stale_after_days: int
    #: ok, stale, failed (latest run failed) or never (no successful sync yet).
    status: str
    warnings: list[str] = field(default_factory=list)


@dataclass
class ConnectionReport:
    """One connection's figures."""

    provider: str
    connection: str
    #: The application (tool) the connection tracks: several connections of one application roll up.
    application: str
    license_types: list[LicenseLine]
    #: None when the provider does not report purchased seats.
    plans: list[PlanLine] | None
    unused: list[UnusedBucket]
    #: False when the provider reported no activity at all: idle and never-signed-in seats cannot be told.
    activity_reported: bool
    unused_days: list[int]
    totals: Totals
    freshness: Freshness


@dataclass
class ProviderReport:
    """One provider's connections and their totals."""

    provider: str
    #: Whether any price is configured for this provider: in its own table or one of its connections'.
    prices_set: bool
    #: Billable licence types held without a price, in any of its connections.
    missing_prices: list[str]
    connections: list[ConnectionReport]
    totals: Totals


@dataclass
class ApplicationReport:
    """One application's seats rolled up over its connections (which may be of different providers)."""

    application: str
    providers: list[str]
    connections: list[str]
    #: Licence types summed over the connections; ``unit_price`` is None when their prices differ.
    license_types: list[LicenseLine]
    totals: Totals


@dataclass
class UnusedSeat:
    """One billable seat in an unused category."""

    provider: str
    connection: str
    seat_key: str
    email: str | None
    name: str | None
    department: str | None
    license_type: str
    status: str
    category: str
    category_label: str
    last_activity_at: datetime | None
    #: Whole days without activity at the cut-off (None when never active).
    idle_days: int | None
    monthly_cost: Decimal | None


@dataclass
class UnusedSummary:
    """Unused billable seats across the report, by category, and the seats themselves."""

    buckets: list[UnusedBucket]
    seats: list[UnusedSeat]
    #: Number of unused seats in total (``seats`` may be cut to the list limit).
    seats_total: int


@dataclass
class SeatChange:
    """One person's seat that appeared, disappeared or changed licence type since the previous month."""

    kind: str
    provider: str
    connection: str
    seat_key: str
    email: str | None
    name: str | None
    department: str | None
    before_license_type: str | None
    before_billable: bool | None
    after_license_type: str | None
    after_billable: bool | None
    #: Monthly cost after minus before (None when a price involved is not set).
    cost_change: Decimal | None


@dataclass
class ChangeSummary:
    """Seats added, removed, upgraded, downgraded or otherwise changed since the previous month's end."""

    previous_month: str
    #: False when nothing had been synced by the previous month's end (so there is nothing to compare).
    compared: bool
    counts: dict[str, int]
    billable_change: int
    cost_change: Decimal
    seats: list[SeatChange]
    seats_total: int
    #: Connections whose first successful sync falls in the report month: their seats are not growth,
    #: so they are left out of the counts and the list above and summarised here.
    newly_tracked: list[NewlyTracked] = field(default_factory=list)


@dataclass
class NewlyTracked:
    """A connection tracked for the first time this month, summarised instead of one "added" row per seat."""

    application: str
    provider: str
    connection: str
    first_success_at: datetime
    seats: int
    billable: int
    monthly_cost: Decimal
    unpriced_seats: int


@dataclass
class DepartmentLine:
    """Seats and cost of one department across providers (department None: not set)."""

    department: str | None
    seats: int = 0
    billable: int = 0
    monthly_cost: Decimal = ZERO
    unpriced_seats: int = 0


@dataclass
class CostCenterLine:
    """Seats and cost of one cost center across tools (cost_center None: nobody knows it)."""

    cost_center: str | None
    seats: int = 0
    billable: int = 0
    monthly_cost: Decimal = ZERO
    unpriced_seats: int = 0


@dataclass
class AccountSeats:
    """The seats of one licence type that one account (email) holds in one connection."""

    email: str | None
    name: str | None
    application: str
    provider: str
    connection: str
    license_type: str
    billable: bool
    status: str
    seats: int
    #: None when the billable licence type has no price.
    monthly_cost: Decimal | None
    #: For an account no rule matches: directory people whose name matches its name or email, to review (and
    #: confirm in [people.aliases]); never counted as a match.
    possible_matches: list[str] = field(default_factory=list)


@dataclass
class Leaver:
    """A paid seat still held by someone who has left (see docs/reports.md for how a leaver is told)."""

    #: The account's email in the tool, and the person's primary email (None without a directory).
    email: str | None
    person_email: str | None
    name: str | None
    application: str
    provider: str
    connection: str
    license_type: str
    #: The seat's own status in the tool (active, inactive, pending).
    status: str
    #: The directory's status (suspended, deleted, terminated), or "deactivated elsewhere" without one.
    person_status: str
    #: Since when the person has that status, as the directory says (None when not known).
    left_at: datetime | None
    seats: int
    monthly_cost: Decimal | None


@dataclass
class PersonSeat:
    """One seat of a person who holds seats in several providers."""

    provider: str
    connection: str
    license_type: str
    billable: bool
    seats: int
    monthly_cost: Decimal | None


@dataclass
class Person:
    """Someone (by email) holding seats in more than one provider."""

    email: str
    name: str | None
    providers: list[str]
    applications: list[str]
    seats: list[PersonSeat]
    billable_seats: int
    monthly_cost: Decimal
    unpriced_seats: int


@dataclass
class PeopleSummary:
    """How many people hold seats in one, two, three or more applications, and the costliest of them."""

    #: The costliest people (at most ten), whatever the number of applications they use.
    people: list[Person]
    #: Number of people holding seats in more than one application.
    people_total: int
    #: People holding seats, by number of applications: {"1": n, "2": n, "3+": n}.
    tool_counts: dict[str, int] = field(default_factory=dict)
    #: Number of people (directory people, else distinct emails) holding any seat.
    people_with_seats: int = 0


@dataclass
class TrendPoint:
    """Billable seats and what they cost at one month's end, at the prices and rates in force that month."""

    month: str
    #: False before the first successful sync: no figures, not zero.
    has_data: bool
    seats: int
    billable: int
    #: Held billable seats × their price.
    seat_cost: Decimal
    unpriced_seats: int
    #: The month's cost as the headline counts it: held seats plus seats bought beyond them.
    monthly_cost: Decimal = ZERO
    #: The same figures per application.
    applications: list[ApplicationPoint] = field(default_factory=list)
    #: Applications whose connection first synced in this month: their seats are no growth.
    newly_tracked: list[str] = field(default_factory=list)


@dataclass
class ApplicationPoint:
    """One application's seats at one month's end."""

    application: str
    seats: int = 0
    billable: int = 0
    seat_cost: Decimal = ZERO
    unpriced_seats: int = 0
    monthly_cost: Decimal = ZERO


@dataclass
class ContractLine:
    """Seats bought against seats assigned for one licence type of one application (contract vs actual)."""

    application: str
    license_type: str
    #: "contract" (from [contracts]) or "provider" (purchases the provider reports).
    source: str
    #: The contract's name (an application, connection or provider), or the connection for a provider's figure.
    name: str
    bought: int
    #: Billable seats held of this licence type.
    assigned: int
    #: Bought but nobody holds them (waste).
    unassigned: int
    #: Held beyond what was bought (true-up risk).
    over_assigned: int
    #: One seat's monthly price in the reporting currency (None: not priced, or no exchange rate).
    unit_price: Decimal | None
    unassigned_cost: Decimal | None
    over_assigned_cost: Decimal | None
    #: The contract's own currency and terms (None for a provider's figure).
    currency: str | None = None
    billing_cycle: str | None = None
    term_start: date | None = None
    term_end: date | None = None
    note: str | None = None


@dataclass
class Renewal:
    """A contract renewing within the renewal window, and whether its seats are used."""

    application: str
    name: str
    license_type: str
    renewal_date: date
    days_to_renewal: int
    #: The last day to give notice (renewal date − notice days) and how many days remain (negative: passed).
    notice_deadline: date
    days_to_notice: int
    notice_days: int
    auto_renew: bool
    bought: int
    assigned: int
    #: Assigned seats in use (not in an unused category, not a leaver's).
    used: int
    #: What a year of the contract costs at today's terms: in the reporting currency (None without a rate)
    #: and in the contract's own currency.
    annual_value: Decimal | None
    annual_value_in_currency: Decimal
    currency: str
    #: Seats to renew to match use (``used``), and what buying only those would save a year.
    suggested_seats: int
    annual_saving: Decimal | None
    #: "justified" (use reaches what was bought), "reduce" (fewer seats would do) or "true-up" (more held than bought).
    verdict: str
    note: str | None = None


@dataclass
class SavingsCategory:
    """Reclaimable seats of one kind: an unused category, purchased but unheld, or held by leavers."""

    category: str
    label: str
    seats: int = 0
    monthly_cost: Decimal = ZERO
    unpriced_seats: int = 0


@dataclass
class SavingsLine:
    """Reclaimable seats of one application, by kind."""

    application: str
    unused_seats: int = 0
    unused_cost: Decimal = ZERO
    unassigned_seats: int = 0
    unassigned_cost: Decimal = ZERO
    leaver_seats: int = 0
    leaver_cost: Decimal = ZERO
    seats: int = 0
    monthly_cost: Decimal = ZERO
    annual_cost: Decimal = ZERO
    unpriced_seats: int = 0


@dataclass
class ReclaimableItem:
    """One line behind the savings figure: an account's seats, or seats bought that nobody holds."""

    category: str
    category_label: str
    application: str
    provider: str
    connection: str
    license_type: str
    email: str | None
    name: str | None
    seats: int
    monthly_cost: Decimal | None


@dataclass
class Savings:
    """What could be reclaimed: unused paid seats, seats bought that nobody holds, and leavers' seats.

    Every seat counts once: a leaver's seat is a leaver's even when it is also idle.
    """

    seats: int
    monthly_cost: Decimal
    annual_cost: Decimal
    #: Reclaimable seats without a price (left out of the money).
    unpriced_seats: int
    by_category: list[SavingsCategory]
    by_application: list[SavingsLine]
    items: list[ReclaimableItem]
    items_total: int


@dataclass
class Alert:
    """Something to act on, shown first: a notice deadline soon, a failed or stale sync, a leaver's seats."""

    #: "notice", "sync" or "leaver".
    kind: str
    text: str


@dataclass
class Report:
    """Everything in one monthly report."""

    month: str
    month_title: str
    previous_month: str
    period_start: datetime
    #: The instant the figures describe: the month's last instant, or the generation time for a running month.
    as_of: datetime
    in_progress: bool
    generated_at: datetime
    currency: str | None
    provider_filter: str | None
    connection_filter: str | None
    application_filter: str | None
    totals: Totals
    #: The headline monthly cost × 12.
    annual_cost: Decimal
    applications: list[ApplicationReport]
    providers: list[ProviderReport]
    contracts: list[ContractLine]
    renewals: list[Renewal]
    #: Days ahead the renewals list looks, and the notice alert's window.
    renewal_window_days: int
    notice_alert_days: int
    savings: Savings
    unused: UnusedSummary
    changes: ChangeSummary
    departments: list[DepartmentLine]
    cost_centers: list[CostCenterLine]
    #: Whether a directory (a connection listing people) was synced by the cut-off.
    directory: bool
    leavers: list[Leaver]
    #: Accounts outside the company's domains holding paid seats (none without ``[people] domains``).
    external_accounts: list[AccountSeats]
    #: Accounts no directory person matches (only with a directory).
    unmatched_accounts: list[AccountSeats]
    people: PeopleSummary
    trend: list[TrendPoint]
    freshness: list[Freshness]
    alerts: list[Alert]
    warnings: list[str]
    #: Rows kept per seat list (None: all).
    list_limit: int | None
