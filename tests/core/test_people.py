"""People of directory connections: stored as intervals beside the seats, in the same all-or-nothing run."""

from __future__ import annotations

from datetime import UTC, datetime

from seatkeeper import Person, PersonStatus, SeatRecord, queries
from seatkeeper.config import ConnectionConfig
from seatkeeper.sync import preview_connection, sync_connection
from tests.throwaway_plugin import ListProvider, user

from .conftest import SETTINGS

JAN = datetime(2026, 1, 15, tzinfo=UTC)
FEB = datetime(2026, 2, 15, tzinfo=UTC)
MAR = datetime(2026, 3, 15, tzinfo=UTC)


class Directory(ListProvider):
    """A directory: its users are seats, and ``people`` are yielded after them."""

    name = "directoryprovider"
    directory = True

    def __init__(self):
        super().__init__()
        self.people: list[Person] = []

    def fetch(self, session, context):
        yield from super().fetch(session, context)
        yield from self.people


def person(n: int, **fields) -> Person:
    values = {"person_id": f"p{n}", "email": f"person{n}@acme.com", "name": f"Person {n}", "department": "Sales"}
    return Person(**{**values, **fields})


def run(engine, provider, when):
    return sync_connection(engine, ConnectionConfig("hr", provider.name), provider, SETTINGS, now=when)


def test_people_are_kept_as_intervals_and_past_months_answer_the_same(engine):
    directory = Directory()
    directory.users = [user(1)]
    directory.people = [person(1), person(2, aliases=["P2@Old.acme.com"]), person(3)]
    result = run(engine, directory, JAN)
    assert result.ok, result.error
    assert "directory: 3 people — 3 added, 0 changed, 0 removed" in result.notes
    directory.people = [
        person(1),
        person(2, aliases=["p2@old.acme.com"], status="suspended", status_since=datetime(2026, 2, 1, tzinfo=UTC)),
    ]
    result = run(engine, directory, FEB)
    assert "directory: 2 people — 0 added, 1 changed, 1 removed" in result.notes
    now = {p["email"]: p for p in queries.people(engine)}
    assert sorted(now) == ["person1@acme.com", "person2@acme.com"]
    assert now["person2@acme.com"]["status"] == PersonStatus.SUSPENDED
    assert now["person2@acme.com"]["aliases"] == ["p2@old.acme.com"]
    assert now["person2@acme.com"]["status_since"] == datetime(2026, 2, 1, tzinfo=UTC)
    in_january = {p["email"]: p["status"] for p in queries.people(engine, as_of=JAN)}
    assert in_january == {"person1@acme.com": "active", "person2@acme.com": "active", "person3@acme.com": "active"}


def test_an_unchanged_directory_adds_no_rows_and_a_run_listing_no_one_keeps_the_people(engine):
    directory = Directory()
    directory.users = [user(1)]
    directory.people = [person(1), person(2)]
    run(engine, directory, JAN)
    result = run(engine, directory, FEB)
    assert "directory: 2 people — 0 added, 0 changed, 0 removed" in result.notes
    directory.people = []  # e.g. the directory scope was withdrawn: no one listed is no one removed
    result = run(engine, directory, MAR)
    assert result.ok and not any(note.startswith("directory:") for note in result.notes)
    assert len(queries.people(engine)) == 2


def test_a_failed_run_stores_no_people(engine):
    directory = Directory()
    directory.users, directory.people = [user(1), user(2)], [person(1)]
    directory.fail_after = 1
    assert not run(engine, directory, JAN).ok
    assert queries.people(engine) == []


def test_people_from_a_provider_that_is_no_directory_are_a_plugin_bug(engine, provider, monkeypatch):
    monkeypatch.setattr(provider, "fetch", lambda session, context: iter([SeatRecord(**user(1)), person(1)]))
    result = run(engine, provider, JAN)
    assert not result.ok and "yielded a Person" in result.error


def test_a_dry_run_counts_people_too_and_stores_none(engine):
    directory = Directory()
    directory.users, directory.people = [user(1)], [person(1), person(1, name="Again")]
    result = preview_connection(engine, ConnectionConfig("hr", directory.name), directory, SETTINGS)
    assert (
        result.ok
        and "directory: 1 people — 1 added, 0 changed, 0 removed, 1 listed twice (the first kept)" in result.notes
    )
    assert queries.people(engine) == []


def test_each_person_is_stored_with_the_folded_name_a_report_looks_up(engine):
    # A report offers the people whose folded name an unmatched account may be, asking an index, not folding
    # every name of the directory: the sync stores each name folded, and a renamed person is found by the new one.
    from seatkeeper.people import MatchingRules
    from seatkeeper.reports.accounts import People

    directory = Directory()
    directory.users = [user(1)]
    directory.people = [person(1, name="  Ana   MÜLLER "), person(2, name=None), person(3, name="Bo Li")]
    assert run(engine, directory, JAN).ok
    directory.people = [person(1, name="Ana Costa"), person(2, name=None), person(3, name="Bo Li")]
    assert run(engine, directory, FEB).ok

    def guesses(when, *accounts):
        return People(engine, when, MatchingRules()).possible_matches(list(accounts))

    accounts = [("ana muller", None), (None, "ana.costa@elsewhere.io"), ("Bo  Li", None), ("Person 2", None)]
    assert guesses(JAN, *accounts) == [["person1@acme.com"], [], ["person3@acme.com"], []]
    assert guesses(FEB, *accounts) == [[], ["person1@acme.com"], ["person3@acme.com"], []]
    assert all("folded_name" not in row for row in queries.people(engine))  # derived: not a person's field
