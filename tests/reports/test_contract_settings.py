"""``[contracts.*]``, ``[exchange_rates.*]`` and the contracts file: terms in force, renewals, one-line errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from seatkeeper.errors import ConfigError
from seatkeeper.reports.contracts import add_months, months_between
from seatkeeper.reports.settings import report_settings
from tests.reports import history

BASE = """
[prices]
currency = "USD"

[prices.figma]
"Full seat" = 15
"""

CONTRACT = """
[contracts.figma]
license_type = "Full seat"
seats = 10
unit_price = 120
billing_cycle = "annual"
currency = "EUR"
term_start = 2026-01-01
term_end = 2026-12-31
notice_days = 30
auto_renew = true

[[contracts.figma.changes]]
from = 2026-07-01
unit_price = 144
seats = 12

[exchange_rates.EUR]
2026-01-01 = 1.10
"2026-06-15" = 1.20
"""


def settings(tmp_path, text: str):
    return report_settings(history.config(tmp_path, text))


def test_a_contract_overrides_the_price_table_with_its_terms_of_the_day(tmp_path):
    base = settings(tmp_path, BASE + CONTRACT)
    assert base.price("csv", "figma", "Full seat") == Decimal(15)  # undated: the [prices] table
    march = base.on(date(2026, 3, 31))
    assert march.price("csv", "figma", "Full seat") == Decimal(120) / 12 * Decimal("1.10")
    august = base.on(date(2026, 8, 31))
    assert august.price("csv", "figma", "Full seat") == Decimal(144) / 12 * Decimal("1.20")
    contract = base.contracts[0]
    assert contract.terms_on(date(2026, 6, 30)).seats == 10 and contract.terms_on(date(2026, 7, 1)).seats == 12
    # Before its term it does not bind: the [prices] table applies again.
    assert base.on(date(2025, 12, 31)).price("csv", "figma", "Full seat") == Decimal(15)


def test_renewals_roll_on_while_a_contract_auto_renews(tmp_path):
    contract = settings(tmp_path, BASE + CONTRACT).contracts[0]
    assert contract.next_renewal(date(2026, 11, 30)) == date(2027, 1, 1)
    assert contract.next_renewal(date(2027, 3, 1)) == date(2028, 1, 1)
    assert contract.in_force(date(2027, 3, 1))
    ending = settings(tmp_path, BASE + CONTRACT.replace("auto_renew = true", "auto_renew = false")).contracts[0]
    assert not ending.in_force(date(2027, 3, 1)) and ending.next_renewal(date(2027, 3, 1)) is None


def test_multi_year_prices_pay_for_the_whole_term(tmp_path):
    text = CONTRACT.replace('"annual"', '"multi-year"').replace("term_end = 2026-12-31", "term_end = 2028-12-31")
    contract = settings(tmp_path, BASE + text).contracts[0]
    assert contract.period_months == 36
    assert contract.monthly_unit_price(date(2026, 3, 1)) == Decimal(120) / 36


def test_calendar_helpers():
    assert months_between(date(2026, 1, 15), date(2026, 4, 15)) == 3
    assert months_between(date(2026, 1, 15), date(2026, 4, 14)) == 2
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)


def test_a_contracts_file_holds_more_contracts(tmp_path):
    (tmp_path / "contracts.toml").write_text(CONTRACT, encoding="utf-8")
    loaded = settings(tmp_path, BASE + '\n[reports]\ncontracts_file = "contracts.toml"\n')
    assert [c.name for c in loaded.contracts] == ["figma"]
    assert loaded.exchange_rates.rate("EUR", date(2026, 6, 20)) == Decimal("1.20")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("seats = 10\n", ""), "seats is missing"),
        (('"annual"', '"yearly"'), "billing_cycle must be one of monthly, annual, multi-year"),
        (('currency = "EUR"', 'currency = "euro"'), "currency must be a three-letter ISO 4217 code"),
        (("term_end = 2026-12-31", "term_end = 2025-12-31"), "term_end 2025-12-31 is before term_start 2026-01-01"),
        (("notice_days = 30", "notice_days = -1"), "notice_days must be a whole number of days"),
        (("auto_renew = true", 'auto_renew = "yes"'), "auto_renew must be true or false"),
        (("seats = 12\n", "seats = 12\nprice = 1\n"), "unknown key 'price'"),
        (("from = 2026-07-01", "from = 2025-07-01"), "is not after term_start 2026-01-01"),
        (("from = 2026-07-01", "from = 'July'"), "from must be a date such as 2026-05-01"),
        (("unit_price = 120", "unit_price = -5"), "unit_price must be 0 or more"),
        (("2026-01-01 = 1.10", "2026-01-01 = 0"), "a rate must be more than 0"),
        (("[exchange_rates.EUR]", "[exchange_rates.USD]"), "USD is the reporting currency; it needs no rate"),
        (('license_type = "Full seat"\n', ""), "license_type is missing"),
    ],
)
def test_bad_contracts_are_one_line_errors_naming_the_fix(tmp_path, change, message):
    old, new = change
    assert old in CONTRACT
    with pytest.raises(ConfigError) as error:
        settings(tmp_path, BASE + CONTRACT.replace(old, new, 1))
    assert message in str(error.value) and "\n" not in str(error.value)
    assert '[contracts."figma"]' in str(error.value) or "[exchange_rates." in str(error.value)


def test_contracts_need_a_reporting_currency(tmp_path):
    with pytest.raises(ConfigError, match=r"contracts are set but \[prices\] has no currency"):
        settings(tmp_path, CONTRACT.split("[exchange_rates.EUR]")[0])


def test_a_second_contract_for_one_licence_type_is_refused(tmp_path):
    (tmp_path / "contracts.toml").write_text(CONTRACT.split("[exchange_rates.EUR]")[0], encoding="utf-8")
    with pytest.raises(ConfigError, match="a second contract for 'Full seat' of 'figma'"):
        settings(tmp_path, BASE + CONTRACT + '\n[reports]\ncontracts_file = "contracts.toml"\n')


def test_a_missing_contracts_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="contracts.toml does not exist: fix \\[reports\\] contracts_file"):
        settings(tmp_path, BASE + '\n[reports]\ncontracts_file = "contracts.toml"\n')
