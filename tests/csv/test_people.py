"""An HR export read by the CSV provider as a directory (kind = "people")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from seatkeeper import Person, PersonStatus, Rejected, db, queries
from seatkeeper.errors import BadProviderData, ConfigError
from seatkeeper.testing import fetch_all, sync
from seatkeeper_csv import CsvProvider

HR = (
    "Employee ID,Work Email,Full Name,Employment Status,Termination Date,Department,Cost Centre,Job Title,Manager Email,Aliases\n"
    "E1,sam.costa@acme.com,Sam Costa,Active,,Sales,CC-100,Account Executive,ana@acme.com,s.costa@acme.com\n"
    "E2,ana@acme.com,Ana Müller,Active,,Sales,CC-100,Head of Sales,,\n"
    "E3,lee@acme.com,Lee Park,Terminated,2026-10-03,Engineering,CC-200,Engineer,ana@acme.com,lee.park@acme.com; lp@acme.com\n"
    "E4,not-an-email,Broken Row,Active,,Ops,,,,\n"
)


def test_an_hr_export_yields_one_person_per_row(export):
    path = export(HR, name="hr.csv")
    fetched = fetch_all(CsvProvider(), {"path": str(path), "kind": "people"})
    people = [item for item in fetched.items if isinstance(item, Person)]
    assert [p.email for p in people] == ["sam.costa@acme.com", "ana@acme.com", "lee@acme.com"]
    lee = people[2]
    assert (lee.person_id, lee.status, lee.status_since) == (
        "E3",
        PersonStatus.TERMINATED,
        datetime(2026, 10, 3, tzinfo=UTC),
    )
    assert lee.aliases == ("lee.park@acme.com", "lp@acme.com")
    assert (lee.department, lee.cost_center, lee.job_title, lee.manager_email) == (
        "Engineering",
        "CC-200",
        "Engineer",
        "ana@acme.com",
    )
    [rejected] = [item for item in fetched.items if isinstance(item, Rejected)]
    assert rejected.reason.startswith("hr.csv line 5:") and "not an email address" in rejected.reason
    assert fetched.records == []  # an HR export holds no seats


def test_an_hr_export_syncs_as_a_directory(export, tmp_path):
    engine = db.open_engine(f"sqlite:///{tmp_path / 'seatkeeper.db'}")
    path = export(HR, name="hr.csv")
    result = sync(engine, CsvProvider(), {"path": str(path), "kind": "people"}, now=datetime(2026, 10, 31, tzinfo=UTC))
    assert result.ok, result.error
    assert "directory: 3 people — 3 added, 0 changed, 0 removed" in result.notes
    assert {p["email"]: p["status"] for p in queries.people(engine)}["lee@acme.com"] == "terminated"
    engine.dispose()


def test_an_unknown_status_word_names_the_known_ones_and_a_bad_kind_is_a_config_error(export):
    path = export(HR.replace("Terminated", "Gone fishing"), name="hr.csv")
    with pytest.raises(BadProviderData, match="hr.csv line 4: status 'Gone fishing' is none of the known words"):
        fetch_all(CsvProvider(), {"path": str(path), "kind": "people"})
    with pytest.raises(ConfigError, match='kind must be "seats" or "people"'):
        fetch_all(CsvProvider(), {"path": str(path), "kind": "staff"})
