"""``[prices]`` tables named after a provider or a connection: the lookup and its one-line errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from seatkeeper.errors import ConfigError
from seatkeeper.reports.settings import report_settings
from tests.reports import history

PRICES = """
[prices]
currency = "EUR"

[prices.csv]            # provider-wide defaults for every CSV export
Pro = 8.75
"Full seat" = 20

[prices.figma]          # the connection figma (provider csv) has its own contract
"Full seat" = 15
"Dev seat" = 12

[prices.zoom]           # the provider zoom and its default connection zoom: one table
Licensed = 15.99
"""


@pytest.fixture
def prices(tmp_path):
    return report_settings(history.config(tmp_path, PRICES))


def test_connection_table_wins_for_the_types_it_names(prices):
    assert prices.price("csv", "figma", "Full seat") == Decimal(15)
    assert prices.price("csv", "figma", "Dev seat") == Decimal(12)


def test_other_types_and_connections_fall_back_to_the_provider_table(prices):
    assert prices.price("csv", "figma", "Pro") == Decimal("8.75")  # figma's table does not name Pro
    assert prices.price("csv", "slack", "Pro") == Decimal("8.75")  # slack has no table of its own
    assert prices.price("csv", "miro", "Full seat") == Decimal(20)
    assert prices.price("csv", "slack", "Dev seat") is None  # only figma's contract has Dev seats


def test_a_name_that_is_provider_and_connection_is_one_table(prices):
    assert prices.price("zoom", "zoom", "Licensed") == Decimal("15.99")
    assert prices.price("zoom", "zoom-eu", "Licensed") == Decimal("15.99")


def test_unknown_names_price_nothing(prices):
    assert prices.price("slack", "slack", "Pro") is None  # [prices.csv] is not a table for provider slack
    assert prices.price("other", "figma-old", "Full seat") is None


def test_has_prices_counts_the_provider_and_its_connections_tables(prices):
    assert prices.has_prices("csv", ["slack"])
    assert prices.has_prices("gamma", ["figma"])  # a connection's table alone is enough
    assert not prices.has_prices("gamma", ["gamma-hr"])
    assert not prices.has_prices("gamma", [])


def test_an_application_table_sits_between_the_connection_and_the_provider(tmp_path):
    """[prices."Figma"] prices every connection of the application Figma; a connection's own table still wins."""
    text = PRICES + '\n[prices."Figma"]\n"Full seat" = 14\n"Org seat" = 45\nPro = 1\n'
    settings = report_settings(history.config(tmp_path, text)).for_applications(
        {"figma": "Figma", "figma-eu": "Figma", "slack": "Slack"}
    )
    assert settings.price("csv", "figma", "Full seat") == Decimal(15)  # the connection's table
    assert settings.price("csv", "figma-eu", "Full seat") == Decimal(14)  # the application's
    assert settings.price("csv", "figma-eu", "Org seat") == Decimal(45)
    assert settings.price("csv", "figma-eu", "Pro") == Decimal(1)  # the application's, before the provider's
    assert settings.price("csv", "slack", "Pro") == Decimal("8.75")  # Slack has no table: the provider's
    assert settings.price("csv", "miro", "Org seat") is None  # an unknown connection has no application
    assert settings.has_prices("other", ["figma-eu"])  # through its application's table
    # Without knowing the connections' applications the application table prices nothing.
    assert report_settings(history.config(tmp_path, text)).price("csv", "figma-eu", "Org seat") is None


def test_an_empty_connection_table_is_no_prices(tmp_path):
    settings = report_settings(history.config(tmp_path, '[prices]\ncurrency = "EUR"\n[prices.figma]\n'))
    assert not settings.has_prices("csv", ["figma"])


def test_provider_only_prices_still_work(settings):
    """The synthetic history's config names providers only: every connection of alpha gets alpha's table."""
    assert settings.price("alpha", "alpha-eu", "Pro") == settings.price("alpha", "alpha-us", "Pro") == Decimal(20)
    assert settings.price("beta", "beta", "Squad") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[prices]\ncurrency = "EUR"\nfigma = 15\n',
            "[prices] figma must be a table of licence type = monthly price for the provider or connection 'figma'",
        ),
        (
            '[prices]\ncurrency = "EUR"\n[prices.figma]\n"Full seat" = "15"\n',
            "[prices.figma] 'Full seat' must be a number",
        ),
        ('[prices]\ncurrency = "EUR"\n[prices.figma]\n"Dev seat" = -2\n', "[prices.figma] 'Dev seat' must be a price"),
        ('[prices.figma]\n"Full seat" = 15\n', "prices are set but [prices] has no currency"),
        ("prices = 3\n", "'prices' must be a table: [prices] with currency = \"EUR\" and [prices.PROVIDER] or"),
    ],
)
def test_bad_connection_tables_are_one_line_errors(tmp_path, text, expected):
    with pytest.raises(ConfigError) as error:
        report_settings(history.config(tmp_path, text))
    assert expected in str(error.value)
    assert "\n" not in str(error.value)
