"""plugins/csv/README.md matches the provider: every setting, header alias and status word, and the full
example runs as documented."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from seatkeeper import SeatStatus
from seatkeeper.errors import BadProviderData
from seatkeeper.testing import fetch_all
from seatkeeper_csv import CsvProvider
from seatkeeper_csv.columns import ALIASES, FIRST_NAMES, LAST_NAMES, normalize
from seatkeeper_csv.options import DEFAULT_STATUSES

README = (Path(__file__).resolve().parents[2] / "plugins" / "csv" / "README.md").read_text()


def section(heading: str) -> str:
    start = README.index(heading)
    end = README.find("\n#", start + len(heading))
    return README[start : end if end != -1 else None]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_every_setting_is_in_the_settings_table():
    table = section("## Settings")
    assert not [s.name for s in CsvProvider.settings if f"| `{s.name}` |" not in table]


def test_header_table_lists_exactly_the_recognised_headers():
    table = section("### Headers found without configuration")
    documented = {normalize(name) for name in re.findall(r"`([^`]+)`", table.split("| --- |", 1)[1])}
    known = {alias for aliases in ALIASES.values() for alias in aliases} | set(FIRST_NAMES) | set(LAST_NAMES)
    assert documented == known


def test_every_built_in_status_word_is_documented():
    text = section("### Statuses")
    assert not [word for word in DEFAULT_STATUSES if f"`{word}`" not in text]


@pytest.fixture
def figma_example(tmp_path):
    """The README's export (written with an Excel BOM) and its connection, pointed at that file."""
    [export] = blocks("csv")
    path = tmp_path / "figma-members.csv"
    path.write_bytes(b"\xef\xbb\xbf" + export.encode())
    config = tomllib.loads(blocks("toml")[1])["connections"]["figma"]
    settings = {key: value for key, value in config.items() if key != "provider"}
    return {**settings, "path": str(path)}


def test_full_example_fails_on_the_unlisted_licence_type_as_documented(figma_example):
    with pytest.raises(BadProviderData) as raised:
        fetch_all(CsvProvider(), figma_example)
    assert f"`{raised.value}`" in README


def test_full_example_maps_every_user_once_the_type_is_listed(figma_example):
    fetched = fetch_all(CsvProvider(), {**figma_example, "free_types": "Viewer, Dev Mode"})
    seats = {record.email: record for record in fetched.records}
    assert (seats["ada@example.com"].license_type, seats["ada@example.com"].billable) == ("Admin", True)
    assert seats["ada@example.com"].department == "Engineering"
    assert seats["ada@example.com"].extras == {"Cost center": "CC-100"}
    assert seats["ada@example.com"].last_activity_at.isoformat() == "2026-01-14T00:00:00+00:00"  # GMT in January
    assert seats["alan@example.com"].billable is False
    assert seats["edsger@example.com"].status == SeatStatus.INACTIVE
    assert seats["barbara@example.com"].status == SeatStatus.PENDING
    assert fetched.warnings == []


def test_common_case_is_four_lines(tmp_path):
    config = tomllib.loads(blocks("toml")[0])["connections"]["miro"]
    assert sorted(config) == ["application", "path", "provider"]
    path = tmp_path / "miro.csv"
    path.write_text("Email,Name,License\na@x.io,A,Full\n")
    [record] = fetch_all(CsvProvider(), {"path": str(path)}).records
    assert (record.email, record.license_type, record.billable) == ("a@x.io", "Full", True)
