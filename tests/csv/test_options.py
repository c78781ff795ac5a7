"""Wrong CSV settings are ConfigErrors naming the setting, raised before the file is read."""

from __future__ import annotations

import pytest

from seatkeeper.errors import ConfigError
from seatkeeper.testing import resolve
from seatkeeper_csv import CsvProvider


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"status_map": "Gone"}, "status_map entry 'Gone' should read 'Export status=active'"),
        ({"status_map": "Gone=away"}, "'away' is not one of active, inactive, pending, unknown"),
        ({"timezone": "Mars/Olympus"}, "timezone 'Mars/Olympus' is not a time zone name"),
        ({"encoding": "klingon"}, "unknown encoding 'klingon'"),
        ({"delimiter": "::"}, "delimiter '::' must be one character"),
        ({"date_format": "DD/MM/YYYY"}, "date_format 'DD/MM/YYYY' has no % directive"),
        ({"billable_column": "Paid", "free_types": "Viewer"}, "either billable_column or billable_types/free_types"),
    ],
)
def test_bad_settings_are_config_errors(export, settings, message):
    provider = CsvProvider()
    resolved = resolve(provider, {"path": str(export("Email\na@x.io\n")), **settings})
    with pytest.raises(ConfigError, match=message):
        provider.authenticate(resolved)


def test_unknown_setting_is_refused_by_the_config_layer(export):
    with pytest.raises(ConfigError, match="unknown setting 'email_col' for provider 'csv'"):
        resolve(CsvProvider(), {"path": "x.csv", "email_col": "Mail"})


def test_every_setting_is_optional_but_the_path():
    assert [s.name for s in CsvProvider.settings if s.required] == ["path"]
    assert not any(s.secret for s in CsvProvider.settings)
