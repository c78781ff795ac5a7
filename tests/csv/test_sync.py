"""CSV connections through the sync engine and the command line: all-or-nothing, errors, config."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

import seatkeeper_csv
from seatkeeper import db, queries
from seatkeeper.testing import stored_seats, sync
from seatkeeper_csv import CsvProvider

JAN = datetime(2026, 1, 15, tzinfo=UTC)
FEB = datetime(2026, 2, 15, tzinfo=UTC)


def team(size: int, last_active: str = "2026-01-10") -> str:
    rows = "".join(f"{n},user{n}@example.com,User {n},Editor,{last_active}\n" for n in range(1, size + 1))
    return "ID,Email,Name,Seat type,Last active\n" + rows


@pytest.fixture
def engine(database_url):
    engine = db.open_engine(database_url)
    yield engine
    engine.dispose()


def test_bad_line_fails_the_sync_and_applies_nothing(engine, export):
    path = export(team(20))
    settings = {"path": str(path)}
    first = sync(engine, CsvProvider(), settings, now=JAN)
    assert first.ok and first.counts["added"] == 20
    before = stored_seats(engine)

    # Sixteen users changed their licence and activity, then line 17 has a bad date: none of it may land.
    lines = team(20, last_active="2026-02-01").replace("Editor", "Viewer").splitlines(keepends=True)
    lines[16] = lines[16].replace("2026-02-01", "01/02/2026")
    path.write_text("".join(lines))
    result = sync(engine, CsvProvider(), settings, now=FEB)
    assert not result.ok
    assert (
        result.error
        == "figma.csv line 17: last activity '01/02/2026' does not match date format ISO 8601 (e.g. 2026-01-31); set date_format"
    )
    assert stored_seats(engine) == before
    [failed, succeeded] = queries.recent_runs(engine)
    assert (failed["outcome"], succeeded["outcome"]) == ("failed", "succeeded")
    assert "line 17" in failed["error"]


def test_changes_between_exports_become_history(engine, export):
    path = export(team(3))
    settings = {"path": str(path), "billable_types": "Editor"}
    assert sync(engine, CsvProvider(), settings, now=JAN).ok
    path.write_text(team(2).replace("2,user2@example.com,User 2,Editor", "2,user2@example.com,User 2,Viewer"))
    result = sync(engine, CsvProvider(), settings, now=FEB)
    assert result.ok, result.error
    assert {k: result.counts[k] for k in ("added", "changed", "removed", "unchanged")} == {
        "added": 0,
        "changed": 1,
        "removed": 1,
        "unchanged": 1,
    }
    assert [(s["email"], s["billable"]) for s in stored_seats(engine)] == [
        ("user1@example.com", True),
        ("user2@example.com", False),
    ]
    assert len(queries.seats(engine, as_of=JAN)) == 3


def test_cli_sync_with_three_lines_of_config(seatkeeper_cli, seatkeeper_plugins, export):
    seatkeeper_plugins.register(seatkeeper_csv, "csv")
    path = export(team(2), name="figma-members.csv")
    seatkeeper_cli.config_path.write_text(
        f'[connections.figma]\nprovider = "csv"\napplication = "Figma"\npath = "{path}"\n'
    )
    result = seatkeeper_cli("sync")
    assert result.exit_code == 0, result.stderr
    assert "figma: 2 seats — 2 added" in result.stdout
    result = seatkeeper_cli("licenses", "--format", "json")
    seats = json.loads(result.stdout)
    assert [(s["provider"], s["connection"], s["user_id"], s["license_type"]) for s in seats] == [
        ("csv", "figma", "1", "Editor"),
        ("csv", "figma", "2", "Editor"),
    ]


def test_cli_sync_of_a_missing_file_names_the_path(seatkeeper_cli, seatkeeper_plugins, tmp_path):
    seatkeeper_plugins.register(seatkeeper_csv, "csv")
    missing = tmp_path / "exports" / "slack.csv"
    seatkeeper_cli.config_path.write_text(
        f'[connections.slack]\nprovider = "csv"\napplication = "Slack"\npath = "{missing}"\n'
    )
    result = seatkeeper_cli("sync")
    assert result.exit_code == 2  # a configuration error: the path setting names no file
    assert f"slack: sync failed: csv: file {missing} does not exist; check the path setting" in result.stderr


def test_cli_providers_lists_the_csv_settings(seatkeeper_cli, seatkeeper_plugins):
    seatkeeper_plugins.register(seatkeeper_csv, "csv")
    result = seatkeeper_cli("providers")
    assert result.exit_code == 0
    assert "path*" in result.stdout and "billable_types" in result.stdout and "date_format" in result.stdout


def test_cli_an_export_is_recorded_as_of_its_date_and_history_only_moves_forward(
    seatkeeper_cli, seatkeeper_plugins, export
):
    seatkeeper_plugins.register(seatkeeper_csv, "csv")
    path = export(team(2, last_active="2026-10-20"), name="figma.csv")
    seatkeeper_cli.config_path.write_text(
        f'[connections.figma]\nprovider = "csv"\napplication = "Figma"\npath = "{path}"\n'
    )
    result = seatkeeper_cli("sync", "--as-of", "2026-10-31")
    assert result.exit_code == 0, result.stderr
    at_the_export = json.loads(seatkeeper_cli("licenses", "--as-of", "2026-10-31", "--format", "json").stdout)
    assert len(at_the_export) == 2
    before = json.loads(seatkeeper_cli("licenses", "--as-of", "2026-10-30", "--format", "json").stdout)
    assert before == []  # the export stands at its own date, not at the day it was loaded
    refused = seatkeeper_cli("sync", "--as-of", "2026-10-15")
    assert refused.exit_code == 2 and "history only moves forward" in refused.stderr


def test_cli_as_of_is_for_export_connections_only(seatkeeper_cli, seatkeeper_plugins):
    from tests import throwaway_plugin

    seatkeeper_plugins.register(throwaway_plugin, "throwaway")
    seatkeeper_cli.config_path.write_text('[connections.live]\nprovider = "listprovider"\ntoken_env = "T"\n')
    result = seatkeeper_cli("sync", "--as-of", "2026-10-31")
    assert result.exit_code == 2 and "reads a live service" in result.stderr


def test_cli_a_connection_renamed_keeps_its_history_and_a_retired_one_leaves_from_its_date(
    seatkeeper_cli, seatkeeper_plugins, export
):
    seatkeeper_plugins.register(seatkeeper_csv, "csv")
    path = export(team(3), name="miro.csv")
    seatkeeper_cli.config_path.write_text(
        f'[connections.miro]\nprovider = "csv"\napplication = "Miro"\npath = "{path}"\n'
    )
    assert seatkeeper_cli("sync", "--as-of", "2026-09-30").exit_code == 0
    assert seatkeeper_cli("rename-connection", "miro", "miro-eu").exit_code == 0
    seats = json.loads(seatkeeper_cli("licenses", "--format", "json").stdout)
    assert {s["connection"] for s in seats} == {"miro-eu"} and len(seats) == 3
    retired = seatkeeper_cli("retire-connection", "miro-eu", "--as-of", "2026-10-15")
    assert retired.exit_code == 0 and "3 seats closed" in retired.stdout
    assert json.loads(seatkeeper_cli("licenses", "--format", "json").stdout) == []
    assert len(json.loads(seatkeeper_cli("licenses", "--as-of", "2026-10-01", "--format", "json").stdout)) == 3
    seatkeeper_cli.config_path.write_text(
        f'[connections.miro-eu]\nprovider = "csv"\napplication = "Miro"\npath = "{path}"\n'
    )
    again = seatkeeper_cli("sync")
    assert again.exit_code == 2 and "was retired on 2026-10-15" in again.stderr
