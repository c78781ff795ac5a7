"""The report settings of the config file: ``[prices]`` and ``[reports]``, checked with one-line errors.

::

    [prices]
    currency = "EUR"            # ISO 4217 code; required once any price is set

    [prices.zoom]               # monthly price of one seat, per licence type as the provider names it
    Licensed = 15.99

    [prices.figma]              # a connection's own table: here a CSV-provider connection named figma
    "Full seat" = 15.0

    [reports]
    unused_days = [30, 60, 90]  # idle buckets: no activity for 30-59, 60-89, 90+ days
    stale_after_days = 7        # warn when a connection's last good sync is older than this at the cut-off
    list_limit = 200            # rows per seat list in HTML/Markdown (JSON and CSV have them all)
    template_dir = "templates"  # folder whose templates override the built-in ones (relative to the file)
    file_mode = "0600"          # mode of a new report file (an existing one keeps its own)

    [reports.zoom]              # per-provider overrides
    unused_days = [14, 30]
    stale_after_days = 2

A ``[prices.NAME]`` table is named after a provider, an application or a connection. A seat of connection C
(tracking application A) of provider P costs what C's table says for its licence type, else what A's table
says, else what P's table says, else it is unpriced: a provider's
table gives the defaults, a connection's table overrides some (or all) licence types for that connection.
This is how CSV-provider connections (all of provider ``csv``) and several accounts of one provider on
different contracts get their own prices. A name that is both a provider and one of its connections (the
default connection ``zoom`` of provider ``zoom``) means the same table either way. Names are not checked
here (the config file does not know every provider): a report warns about a table that matches no provider
or connection it holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from seatkeeper.config import Config
from seatkeeper.errors import ConfigError
from seatkeeper.people import MatchingRules, matching_rules

from .contracts import Contract, ExchangeRates, read_contracts

DEFAULT_UNUSED_DAYS = (30, 60, 90)
DEFAULT_STALE_AFTER_DAYS = 7
DEFAULT_LIST_LIMIT = 200
CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
DEFAULT_FILE_MODE = 0o600  # reports hold names and emails: readable by their owner only
FILE_MODE_PATTERN = re.compile(r"0?[0-7]{3}")
REPORT_KEYS = ("unused_days", "stale_after_days", "list_limit", "template_dir", "file_mode", "contracts_file")
PROVIDER_REPORT_KEYS = ("unused_days", "stale_after_days")


@dataclass(frozen=True)
class ReportSettings:
    """Everything the config file says about reports, validated."""

    currency: str | None = None
    #: Provider or connection name -> licence type -> monthly price (see :meth:`price` for the lookup).
    prices: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    unused_days: tuple[int, ...] = DEFAULT_UNUSED_DAYS
    provider_unused_days: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS
    provider_stale_after_days: Mapping[str, int] = field(default_factory=dict)
    list_limit: int = DEFAULT_LIST_LIMIT
    template_dir: Path | None = None
    #: Permission bits of a report file created by ``seatkeeper report`` (umask does not apply).
    file_mode: int = DEFAULT_FILE_MODE
    #: How accounts are matched to the directory's people (the config file's ``[people]`` table).
    rules: MatchingRules = field(default_factory=MatchingRules)
    #: Connection name -> the application it tracks (filled in by the report from the stored connections),
    #: so a ``[prices.APPLICATION]`` table prices every connection of that application.
    applications: Mapping[str, str] = field(default_factory=dict)
    #: The contracts of ``[contracts.*]`` (and the contracts file), and the dated exchange rates.
    contracts: tuple[Contract, ...] = ()
    exchange_rates: ExchangeRates = field(default_factory=ExchangeRates)
    #: The day prices are taken at (see :meth:`on`); None: the undated ``[prices]`` only.
    day: date | None = None
    #: Name -> licence type -> monthly price in the reporting currency of the contracts in force on ``day``
    #: (None: the contract's currency has no rate then).
    contract_prices: Mapping[str, Mapping[str, Decimal | None]] = field(default_factory=dict)

    def on(self, day: date) -> ReportSettings:
        """These settings with the prices in force on ``day``: each contract in force then overrides the
        ``[prices.NAME]`` entry for its licence type, at its price of that day and that day's exchange rate."""
        prices: dict[str, dict[str, Decimal | None]] = {}
        for contract in self.contracts_on(day):
            rate = self.exchange_rates.rate(contract.currency, day)
            price = None if rate is None else contract.monthly_unit_price(day) * rate
            prices.setdefault(contract.name, {})[contract.license_type] = price
        return replace(self, day=day, contract_prices=prices)

    def contracts_on(self, day: date) -> list[Contract]:
        """The contracts in force on ``day``."""
        return [contract for contract in self.contracts if contract.in_force(day)]

    @property
    def contracts_in_force(self) -> list[Contract]:
        """The contracts in force on :attr:`day` (none before :meth:`on` sets a day)."""
        return self.contracts_on(self.day) if self.day else []

    def for_applications(self, applications: Mapping[str, str]) -> ReportSettings:
        """These settings, knowing which application each connection tracks (connection name -> application)."""
        return replace(self, applications=dict(applications))

    def unused_days_for(self, provider: str) -> tuple[int, ...]:
        """The idle-day buckets that apply to ``provider``."""
        return self.provider_unused_days.get(provider, self.unused_days)

    def stale_after_days_for(self, provider: str) -> int:
        """Days after which a connection of ``provider`` counts as stale."""
        return self.provider_stale_after_days.get(provider, self.stale_after_days)

    def price(self, provider: str, connection: str, license_type: str) -> Decimal | None:
        """The monthly price of one seat of ``license_type`` in ``connection`` (of ``provider``), or None.

        The first table that names the licence type wins: the connection's ``[prices.CONNECTION]``, then
        its application's ``[prices.APPLICATION]`` (e.g. ``[prices."Figma"]``), then the provider's
        ``[prices.PROVIDER]``.
        """
        for name in (connection, self.applications.get(connection), provider):
            if name is None:
                continue
            for tables in (self.contract_prices, self.prices):
                table = tables.get(name)
                if table is not None and license_type in table:
                    return table[license_type]
        return None

    def has_prices(self, provider: str, connections: Iterable[str]) -> bool:
        """Whether any price is set for ``provider``: in its own table, one of its ``connections``' tables, or
        one of their applications' tables."""
        connections = list(connections)
        applications = [self.applications[name] for name in connections if name in self.applications]
        names = (provider, *connections, *applications)
        return any(self.prices.get(name) for name in names) or any(c.name in names for c in self.contracts)


def report_settings(config: Config) -> ReportSettings:
    """Read and check ``[prices]`` and ``[reports]`` from the config file; a ConfigError names the first problem."""
    where = f"config file {config.path}"
    currency, prices = _prices(config.raw.get("prices", {}), where)
    reports = config.raw.get("reports", {})
    if not isinstance(reports, dict):
        raise ConfigError(f"{where}: 'reports' must be a table: [reports]")
    provider_unused: dict[str, tuple[int, ...]] = {}
    provider_stale: dict[str, int] = {}
    for key, value in reports.items():
        if isinstance(value, dict):
            _check_keys(value, PROVIDER_REPORT_KEYS, f"{where}: [reports.{key}]")
            if "unused_days" in value:
                provider_unused[key] = _unused_days(value["unused_days"], f"{where}: [reports.{key}] unused_days")
            if "stale_after_days" in value:
                provider_stale[key] = _whole_days(
                    value["stale_after_days"], f"{where}: [reports.{key}] stale_after_days"
                )
        elif key not in REPORT_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} in [reports] (known: {', '.join(REPORT_KEYS)})")
    contracts_file = _config_path(reports.get("contracts_file"), config.path, f"{where}: [reports] contracts_file")
    contracts, rates = read_contracts(config.raw, currency, contracts_file, where)
    settings = ReportSettings(
        contracts=contracts,
        exchange_rates=rates,
        currency=currency,
        prices=prices,
        unused_days=_unused_days(
            reports.get("unused_days", list(DEFAULT_UNUSED_DAYS)), f"{where}: [reports] unused_days"
        ),
        provider_unused_days=provider_unused,
        stale_after_days=_whole_days(
            reports.get("stale_after_days", DEFAULT_STALE_AFTER_DAYS), f"{where}: [reports] stale_after_days"
        ),
        provider_stale_after_days=provider_stale,
        list_limit=_list_limit(reports.get("list_limit", DEFAULT_LIST_LIMIT), f"{where}: [reports] list_limit"),
        template_dir=_config_path(reports.get("template_dir"), config.path, f"{where}: [reports] template_dir"),
        file_mode=_file_mode(reports.get("file_mode"), f"{where}: [reports] file_mode"),
        rules=matching_rules(config),
    )
    return settings


def _prices(table: Any, where: str) -> tuple[str | None, dict[str, dict[str, Decimal]]]:
    if not isinstance(table, dict):
        raise ConfigError(
            f"{where}: 'prices' must be a table: [prices] with currency = \"EUR\" "
            "and [prices.PROVIDER] or [prices.CONNECTION]"
        )
    currency = table.get("currency")
    if currency is not None and (not isinstance(currency, str) or not CURRENCY_PATTERN.fullmatch(currency)):
        raise ConfigError(
            f'{where}: [prices] currency must be a three-letter ISO 4217 code such as "EUR", not {currency!r}'
        )
    prices: dict[str, dict[str, Decimal]] = {}
    for name, name_prices in table.items():  # name: a provider or a connection
        if name == "currency":
            continue
        if not isinstance(name_prices, dict):
            raise ConfigError(
                f"{where}: [prices] {name} must be a table of licence type = monthly price for the provider "
                f"or connection {name!r}, e.g. [prices.{name}] with Licensed = 15.99"
            )
        prices[name] = {
            license_type: _price(value, f"{where}: [prices.{name}] {license_type!r}")
            for license_type, value in name_prices.items()
        }
    if currency is None and any(prices.values()):
        raise ConfigError(f'{where}: prices are set but [prices] has no currency: add currency = "USD" (or "EUR", ...)')
    return currency, prices


def _price(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{what} must be a number (monthly price of one seat), not {value!r}")
    price = Decimal(str(value))  # str() keeps 15.99 as typed instead of its binary approximation
    if not price.is_finite() or price < 0:
        raise ConfigError(f"{what} must be a price of 0 or more, not {value!r}")
    return price


def _unused_days(value: Any, what: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{what} must be a list of day counts such as [30, 60, 90], not {value!r}")
    days = tuple(_whole_days(item, what) for item in value)
    if any(later <= earlier for earlier, later in zip(days, days[1:], strict=False)):
        raise ConfigError(f"{what} must be in increasing order, such as [30, 60, 90], not {list(days)}")
    return days


def _whole_days(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650:
        raise ConfigError(f"{what} must be a whole number of days from 1 to 3650, not {value!r}")
    return value


def _list_limit(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{what} must be a whole number of rows (0 or more), not {value!r}")
    return value


def _config_path(value: Any, config_path: Path, what: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{what} must be a path in quotes, not {value!r}")
    path = Path(value).expanduser()
    return path if path.is_absolute() else config_path.parent / path


def _file_mode(value: Any, what: str) -> int:
    if value is None:
        return DEFAULT_FILE_MODE
    if not isinstance(value, str) or not FILE_MODE_PATTERN.fullmatch(value):
        raise ConfigError(f'{what} must be an octal mode in quotes such as "0600" or "0640", not {value!r}')
    return int(value, 8)


def _check_keys(table: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    for key in table:
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(known)})")
