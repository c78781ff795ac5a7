"""The people sections, counted in the database on both backends: name guesses for unmatched accounts
(listed, never counted), the costliest people and their ties, leavers told without a directory."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from seatkeeper.people import Directory, MatchingRules
from seatkeeper.reports.accounts import matched, people_sections
from seatkeeper.reports.figures import materialized, temporary_table
from seatkeeper.reports.settings import ReportSettings

RULES = MatchingRules(domains=frozenset({"acme.com"}))
PEOPLE = [
    {"email": "maren.holt@acme.com", "aliases": [], "name": "Maren Holt", "status": "active", "department": "Ops"},
    {"email": "ana@acme.com", "aliases": [], "name": "Ana Müller", "status": "active", "department": "Sales"},
]
KNOWN = [{"id": 1, "name": "slack", "provider": "csv", "application": "Slack"}]
#: The columns of the report's seats table that the people sections read.
SEAT_COLUMNS = (
    ("connection_id", sa.Integer),
    ("email", sa.String),
    ("name", sa.String),
    ("department", sa.String),
    ("license_type", sa.String),
    ("billable", sa.Boolean),
    ("status", sa.String),
)


def account(email: str | None, name: str | None, connection_id: int = 1, license_type="Pro", status="active") -> dict:
    return {
        "connection_id": connection_id,
        "email": email,
        "name": name,
        "license_type": license_type,
        "billable": True,
        "status": status,
        "department": None,
    }


def sections_of(engine, rows, directory, settings, known=KNOWN):
    """The people sections of ``rows`` (seats held), through the same SQL path as a report."""
    columns = [sa.Column(name, kind) for name, kind in SEAT_COLUMNS]
    with engine.connect() as db, temporary_table(db, "tool_seats", columns) as tool_seats:
        db.execute(tool_seats.insert(), rows)
        with matched(db, sa.select(tool_seats), directory, settings.rules) as held, materialized(db, held) as seats:
            return people_sections(db, seats, known, directory, settings)


def test_an_unmatched_account_lists_people_of_the_same_name_and_stays_unmatched(engine):
    rows = [
        account("m.holt@acme.com", "Maren Holt"),
        account("ana.muller@acme.com", None),
        account("ops@acme.com", "Ops"),
    ]
    sections = sections_of(engine, rows, Directory(PEOPLE, RULES), ReportSettings(rules=RULES))
    guesses = {item.email: item.possible_matches for item in sections.unmatched_accounts}
    assert guesses == {
        "m.holt@acme.com": ["maren.holt@acme.com"],  # by the account's name
        "ana.muller@acme.com": ["ana@acme.com"],  # by the email's local part, accents folded
        "ops@acme.com": [],
    }
    # A guess is no match: the guessed people hold no seat in the figures.
    assert all(line.department is None for line in sections.departments)
    assert sections.people.people_with_seats == 3 and not sections.leavers


TOOLS = [
    {"id": 1, "name": "slack", "provider": "csv", "application": "Slack"},
    {"id": 2, "name": "zoom", "provider": "zoom", "application": "Zoom"},
    {"id": 3, "name": "figma", "provider": "csv", "application": "Figma"},
]
#: A price of more decimals than any database sums exactly (an annual 100 a year, monthly).
MONTHLY = Decimal(100) / 12
SETTINGS = ReportSettings(prices={"csv": {"Pro": MONTHLY}, "zoom": {"Licensed": Decimal("15.99")}})


def test_the_ten_costliest_are_ranked_by_cost_then_seats_then_email_with_ties_past_the_tenth(engine):
    # Fourteen people with one Slack seat each (all tied), one with Slack and Zoom, one with a seat nobody priced.
    rows = [account(f"p{n:02d}@acme.com", None) for n in range(14, 0, -1)]
    rows += [account("zed@acme.com", "Zed", 1), account("zed+zoom@acme.com", "Zed", 2, "Licensed")]
    rows += [account("free@acme.com", None, 2, "Unpriced type")]
    sections = sections_of(engine, rows, Directory([], MatchingRules()), SETTINGS, TOOLS)
    people = sections.people.people
    assert [person.email for person in people] == ["zed@acme.com"] + [f"p{n:02d}@acme.com" for n in range(1, 10)]
    assert people[0].monthly_cost == MONTHLY + Decimal("15.99") and people[0].applications == ["Slack", "Zoom"]
    assert [seat.monthly_cost for seat in people[0].seats] == [MONTHLY, Decimal("15.99")]
    assert all(person.monthly_cost == MONTHLY for person in people[1:])
    assert sections.people.people_with_seats == 16 and sections.people.tool_counts == {"1": 15, "2": 1, "3+": 0}
    departments = {line.department: line for line in sections.departments}
    assert departments[None].billable == 17 and departments[None].unpriced_seats == 1
    assert departments[None].monthly_cost == MONTHLY * 15 + Decimal("15.99")


def test_without_a_directory_a_leaver_is_deactivated_in_every_tool_but_one(engine):
    rows = [
        account("gone@acme.com", "Gone", 1, status="inactive"),
        account("gone@acme.com", "Gone", 2, "Licensed", status="inactive"),
        account("gone+figma@acme.com", "Gone", 3),  # the one tool that has not noticed yet: a paid seat
        account("stays@acme.com", "Stays", 1),
        account("stays@acme.com", "Stays", 2, "Licensed", status="inactive"),
        account("stays@acme.com", "Stays", 3),
        account("one-tool@acme.com", None, 1, status="inactive"),
    ]
    sections = sections_of(engine, rows, Directory([], MatchingRules()), SETTINGS, TOOLS)
    assert [(leaver.email, leaver.application, leaver.person_status) for leaver in sections.leavers] == [
        ("gone+figma@acme.com", "Figma", "deactivated elsewhere"),
        ("gone@acme.com", "Slack", "deactivated elsewhere"),
        ("gone@acme.com", "Zoom", "deactivated elsewhere"),
    ]
    assert [leaver.monthly_cost for leaver in sections.leavers] == [MONTHLY, MONTHLY, Decimal("15.99")]
