"""Contracts and exchange rates from the config file: what was bought, at what price, until when.

::

    [prices]
    currency = "USD"                    # the reporting currency: every amount in a report is in it

    [contracts."Figma"]                 # an application or a connection, as [prices.NAME] is
    license_type = "Full seat"          # the licence type the seats are bought for, as the provider names it
    seats = 40                          # seats bought
    unit_price = 144                    # price of one seat per billing period, in the contract's currency
    billing_cycle = "annual"            # monthly, annual or multi-year (the whole term is one period)
    currency = "EUR"                    # default: the reporting currency
    term_start = 2025-05-01
    term_end = 2026-04-30
    renewal_date = 2026-05-01           # default: the day after term_end
    notice_days = 30                    # notice needed before the renewal date to cancel or reduce
    auto_renew = true                   # renews for another term unless noticed in time
    note = "Design team, reseller Acme"

    [[contracts."Figma".changes]]       # from this day on, a new price and/or seat count (a mid-term true-up)
    from = 2026-02-01
    unit_price = 156

    [exchange_rates.EUR]                # 1 EUR in the reporting currency, from each date on
    2026-01-01 = 1.08
    2026-03-01 = 1.10

Several contracts of one name (one per licence type) are an array of tables: ``[[contracts."Figma"]]``.
``[reports] contracts_file = "contracts.toml"`` names a file holding more ``[contracts.*]`` and
``[exchange_rates.*]`` tables (relative to the config file).

A month's figures use what is in force at its cut-off day: the contract's price and seats after its latest
change on or before that day, converted with the latest rate on or before it. A contract is in force from
term_start to term_end, and after term_end only while it auto-renews.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from seatkeeper.errors import ConfigError

BILLING_CYCLES = ("monthly", "annual", "multi-year")
CONTRACT_KEYS = (
    "license_type",
    "seats",
    "unit_price",
    "billing_cycle",
    "currency",
    "term_start",
    "term_end",
    "renewal_date",
    "notice_days",
    "auto_renew",
    "note",
    "changes",
)
CHANGE_KEYS = ("from", "unit_price", "seats")
FILE_KEYS = ("contracts", "exchange_rates")


@dataclass(frozen=True)
class Terms:
    """A contract's price and seats from a day on."""

    since: date | None
    unit_price: Decimal
    seats: int


@dataclass(frozen=True)
class Contract:
    """One contract for the seats of one licence type of an application or connection (``name``)."""

    name: str
    license_type: str
    billing_cycle: str
    currency: str
    #: The contract's terms in date order; the first one's ``since`` is None (from the start).
    terms: tuple[Terms, ...]
    term_start: date | None = None
    term_end: date | None = None
    renewal_date: date | None = None
    notice_days: int = 0
    auto_renew: bool = False
    note: str | None = None

    @property
    def period_months(self) -> int:
        """Months one ``unit_price`` pays for: 1, 12, or the whole term for a multi-year contract."""
        if self.billing_cycle == "monthly":
            return 1
        if self.billing_cycle == "annual":
            return 12
        return months_between(self.term_start, self.term_end + timedelta(days=1))

    @property
    def term_months(self) -> int | None:
        """The term's length in months (the step of an auto-renewal), or None for an open-ended contract."""
        if self.term_start is None or self.term_end is None:
            return None
        return max(1, months_between(self.term_start, self.term_end + timedelta(days=1)))

    def terms_on(self, day: date) -> Terms:
        """The price and seats in force on ``day``."""
        current = self.terms[0]
        for terms in self.terms[1:]:
            if terms.since <= day:
                current = terms
        return current

    def in_force(self, day: date) -> bool:
        """Whether the contract binds on ``day``: inside its term, or past it while it auto-renews."""
        if self.term_start is not None and day < self.term_start:
            return False
        return self.term_end is None or day <= self.term_end or self.auto_renew

    def next_renewal(self, day: date) -> date | None:
        """The first renewal date on or after ``day`` (an auto-renewing term rolls on), or None."""
        first = self.renewal_date or (self.term_end + timedelta(days=1) if self.term_end else None)
        if first is None:
            return None
        step = self.term_months
        renewal, count = first, 0
        while renewal < day and self.auto_renew and step:
            count += 1
            renewal = add_months(first, step * count)
        return renewal if renewal >= day else None

    def monthly_unit_price(self, day: date) -> Decimal:
        """One seat's price a month on ``day``, in the contract's currency."""
        return self.terms_on(day).unit_price / self.period_months


@dataclass(frozen=True)
class ExchangeRates:
    """Dated rates into the reporting currency: currency -> [(from day, rate)] in date order."""

    currency: str | None = None
    rates: Mapping[str, tuple[tuple[date, Decimal], ...]] = field(default_factory=dict)

    def rate(self, currency: str, day: date) -> Decimal | None:
        """How much one unit of ``currency`` is in the reporting currency on ``day`` (None: no rate yet)."""
        if currency == self.currency:
            return Decimal(1)
        found = None
        for since, rate in self.rates.get(currency, ()):
            if since <= day:
                found = rate
        return found


def months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (2026-01-15 to 2026-04-15: 3)."""
    return (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on, kept within the month (Jan 31 + 1: Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (following - timedelta(days=1)).day))


# ---- reading the config ----------------------------------------------------------------------------------------


def read_contracts(
    raw: Mapping[str, Any], currency: str | None, contracts_file: Path | None, where: str
) -> tuple[tuple[Contract, ...], ExchangeRates]:
    """The contracts and exchange rates of the config file and the contracts file it names, checked.

    :param currency: the reporting currency (``[prices] currency``); contracts need one.
    """
    tables: list[tuple[str, Any, Any]] = [(where, raw.get("contracts", {}), raw.get("exchange_rates", {}))]
    if contracts_file is not None:
        file_where = f"contracts file {contracts_file}"
        extra = _load(contracts_file, file_where)
        for key in extra:
            if key not in FILE_KEYS:
                raise ConfigError(f"{file_where}: unknown key {key!r} (known: {', '.join(FILE_KEYS)})")
        tables.append((file_where, extra.get("contracts", {}), extra.get("exchange_rates", {})))
    contracts: list[Contract] = []
    rates: dict[str, tuple[tuple[date, Decimal], ...]] = {}
    seen: dict[tuple[str, str], str] = {}
    for source, contract_tables, rate_tables in tables:
        if not isinstance(contract_tables, dict):
            raise ConfigError(f"{source}: 'contracts' must hold tables: [contracts.\"APPLICATION\"]")
        for name, value in contract_tables.items():
            entries = value if isinstance(value, list) else [value]
            for index, entry in enumerate(entries):
                label = f'[contracts."{name}"]' + (f" #{index + 1}" if isinstance(value, list) else "")
                contract = _contract(name, entry, currency, f"{source}: {label}")
                key = (name, contract.license_type)
                if key in seen:
                    raise ConfigError(
                        f"{source}: {label}: a second contract for {contract.license_type!r} of {name!r} "
                        f"(the first is in {seen[key]}); merge them, or use changes for a new price"
                    )
                seen[key] = source
                contracts.append(contract)
        if not isinstance(rate_tables, dict):
            raise ConfigError(f"{source}: 'exchange_rates' must hold tables: [exchange_rates.EUR]")
        for code, table in rate_tables.items():
            if code in rates:
                raise ConfigError(f"{source}: [exchange_rates.{code}] is set twice; keep one table")
            rates[code] = _rates(code, table, currency, f"{source}: [exchange_rates.{code}]")
    if contracts and currency is None:
        raise ConfigError(
            f'{where}: contracts are set but [prices] has no currency: add currency = "USD" (or "EUR", ...)'
        )
    if rates and currency is None:
        raise ConfigError(f'{where}: exchange rates are set but [prices] has no currency: add currency = "USD"')
    return tuple(contracts), ExchangeRates(currency, rates)


def _load(path: Path, where: str) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist: fix [reports] contracts_file") from None
    except OSError as error:
        raise ConfigError(f"{where} cannot be read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where} is not valid TOML: {error}") from None


def _contract(name: str, table: Any, currency: str | None, where: str) -> Contract:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table with license_type, seats, unit_price and billing_cycle")
    for key in table:
        if key not in CONTRACT_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(CONTRACT_KEYS)})")
    for key in ("license_type", "seats", "unit_price", "billing_cycle"):
        if key not in table:
            raise ConfigError(
                f"{where}: {key} is missing (a contract needs license_type, seats, unit_price, billing_cycle)"
            )
    license_type = table["license_type"]
    if not isinstance(license_type, str) or not license_type:
        raise ConfigError(f"{where}: license_type must be the licence type as the provider names it, in quotes")
    cycle = table["billing_cycle"]
    if cycle not in BILLING_CYCLES:
        raise ConfigError(f"{where}: billing_cycle must be one of {', '.join(BILLING_CYCLES)}, not {cycle!r}")
    own_currency = table.get("currency", currency)
    if own_currency is not None and (not isinstance(own_currency, str) or not _is_currency(own_currency)):
        raise ConfigError(f'{where}: currency must be a three-letter ISO 4217 code such as "EUR", not {own_currency!r}')
    start = _day(table.get("term_start"), f"{where}: term_start")
    end = _day(table.get("term_end"), f"{where}: term_end")
    renewal = _day(table.get("renewal_date"), f"{where}: renewal_date")
    if start and end and end < start:
        raise ConfigError(f"{where}: term_end {end} is before term_start {start}")
    if cycle == "multi-year" and (start is None or end is None):
        raise ConfigError(f"{where}: a multi-year contract needs term_start and term_end (its price pays for the term)")
    if renewal and start and renewal <= start:
        raise ConfigError(f"{where}: renewal_date {renewal} is not after term_start {start}")
    notice = table.get("notice_days", 0)
    if isinstance(notice, bool) or not isinstance(notice, int) or not 0 <= notice <= 3650:
        raise ConfigError(f"{where}: notice_days must be a whole number of days from 0 to 3650, not {notice!r}")
    auto_renew = table.get("auto_renew", False)
    if not isinstance(auto_renew, bool):
        raise ConfigError(f"{where}: auto_renew must be true or false, not {auto_renew!r}")
    note = table.get("note")
    if note is not None and not isinstance(note, str):
        raise ConfigError(f"{where}: note must be text in quotes, not {note!r}")
    terms = [
        Terms(None, _amount(table["unit_price"], f"{where}: unit_price"), _seats(table["seats"], f"{where}: seats"))
    ]
    changes = table.get("changes", [])
    if not isinstance(changes, list):
        raise ConfigError(f'{where}: changes must be an array of tables: [[contracts."{name}".changes]]')
    for number, change in enumerate(changes, start=1):
        what = f"{where}: changes #{number}"
        if not isinstance(change, dict):
            raise ConfigError(f"{what} must be a table with from and unit_price and/or seats")
        for key in change:
            if key not in CHANGE_KEYS:
                raise ConfigError(f"{what}: unknown key {key!r} (known: {', '.join(CHANGE_KEYS)})")
        since = _day(change.get("from"), f"{what}: from")
        if since is None:
            raise ConfigError(f"{what}: from is missing (the day the change takes effect, e.g. from = 2026-07-01)")
        if "unit_price" not in change and "seats" not in change:
            raise ConfigError(f"{what} changes nothing: give unit_price and/or seats")
        if terms[-1].since is not None and since <= terms[-1].since:
            raise ConfigError(
                f"{what}: from {since} is not after the previous change ({terms[-1].since}); list them in date order"
            )
        if start is not None and since <= start:
            raise ConfigError(
                f"{what}: from {since} is not after term_start {start}; set the first terms on the contract"
            )
        price = _amount(change["unit_price"], f"{what}: unit_price") if "unit_price" in change else terms[-1].unit_price
        seats = _seats(change["seats"], f"{what}: seats") if "seats" in change else terms[-1].seats
        terms.append(Terms(since, price, seats))
    return Contract(
        name=name,
        license_type=license_type,
        billing_cycle=cycle,
        currency=own_currency or "",
        terms=tuple(terms),
        term_start=start,
        term_end=end,
        renewal_date=renewal,
        notice_days=notice,
        auto_renew=auto_renew,
        note=note,
    )


def _rates(code: str, table: Any, currency: str | None, where: str) -> tuple[tuple[date, Decimal], ...]:
    if not _is_currency(code):
        raise ConfigError(f"{where}: {code!r} is not a three-letter ISO 4217 code such as EUR")
    if code == currency:
        raise ConfigError(f"{where}: {code} is the reporting currency; it needs no rate")
    if not isinstance(table, dict) or not table:
        raise ConfigError(f'{where} must be a table of day = rate, e.g. "2026-01-01" = 1.08')
    rates = []
    for key, value in table.items():
        day = _day(key, f"{where}: {key!r}")
        rate = _amount(value, f"{where}: {key}")
        if rate == 0:
            raise ConfigError(f"{where}: {key}: a rate must be more than 0")
        rates.append((day, rate))
    return tuple(sorted(rates))


def _is_currency(text: str) -> bool:
    return len(text) == 3 and text.isascii() and text.isalpha() and text.isupper()


def _day(value: Any, what: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ConfigError(f"{what} must be a date such as 2026-05-01, not {value!r}")


def _amount(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{what} must be a number, not {value!r}")
    amount = Decimal(str(value))  # str() keeps 15.99 as typed instead of its binary approximation
    if not amount.is_finite() or amount < 0:
        raise ConfigError(f"{what} must be 0 or more, not {value!r}")
    return amount


def _seats(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{what} must be a whole number of seats (0 or more), not {value!r}")
    return value
