"""The people sections, counted in the database on both backends: accounts matched to the stored directory
as the Python rules match them, name guesses for unmatched accounts (listed, never counted), the costliest
people and their ties, leavers told with and without a directory."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter

import sqlalchemy as sa

from seatkeeper.models import connection_t, person_t
from seatkeeper.people import Directory, MatchingRules, stored_folded_name
from seatkeeper.reports.accounts import CHARGED_BY, People, matched, people_sections
from seatkeeper.reports.figures import counted_by, materialized, temporary_table
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


SYNCED = datetime(2026, 3, 10, tzinfo=UTC)
CUTOFF = datetime(2026, 3, 31, 23, 59, tzinfo=UTC)


def sections_of(engine, rows, people, settings, known=KNOWN):
    """The people sections of ``rows`` (seats held) with ``people`` stored in an "hr" directory, through the
    same SQL path as a report."""
    with engine.begin() as db:
        db.execute(connection_t.insert(), {"id": 99, "name": "hr", "provider": "csv", "created_at": SYNCED})
        for person in people:
            db.execute(
                person_t.insert(),
                {
                    "connection_id": 99,
                    "person_key": person["email"],
                    "aliases": [],
                    "status": "active",
                    "state_hash": "",
                    "seen_from": SYNCED,
                    "folded_name": stored_folded_name(person.get("name")),  # as a sync stores it
                    **person,
                },
            )
    directory = People(engine, CUTOFF, settings.rules)
    columns = [sa.Column(name, kind) for name, kind in SEAT_COLUMNS]
    with engine.connect() as db, temporary_table(db, "tool_seats", columns) as tool_seats:
        db.execute(tool_seats.insert(), rows)
        with matched(db, sa.select(tool_seats), directory) as held, materialized(db, held) as seats:
            return people_sections(db, seats, known, directory, settings, counted_by(db, seats, CHARGED_BY))


def test_an_unmatched_account_lists_people_of_the_same_name_and_stays_unmatched(engine):
    rows = [
        account("m.holt@acme.com", "Maren Holt"),
        account("ana.muller@acme.com", None),
        account("ops@acme.com", "Ops"),
        account("ana-muller@acme.com", "Maren Holt"),
    ]
    sections = sections_of(engine, rows, PEOPLE, ReportSettings(rules=RULES))
    guesses = {item.email: item.possible_matches for item in sections.unmatched_accounts}
    assert guesses == {
        "m.holt@acme.com": ["maren.holt@acme.com"],  # by the account's name
        "ana.muller@acme.com": ["ana@acme.com"],  # by the email's local part, accents folded
        "ops@acme.com": [],
        # By both, in the directory's order (by email), not in the order the people were stored.
        "ana-muller@acme.com": ["ana@acme.com", "maren.holt@acme.com"],
    }
    # A guess is no match: the guessed people hold no seat in the figures.
    assert all(line.department is None for line in sections.departments)
    assert sections.people.people_with_seats == 4 and not sections.leavers


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
    sections = sections_of(engine, rows, [], SETTINGS, TOOLS)
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
    sections = sections_of(engine, rows, [], SETTINGS, TOOLS)
    assert [(leaver.email, leaver.application, leaver.person_status) for leaver in sections.leavers] == [
        ("gone+figma@acme.com", "Figma", "deactivated elsewhere"),
        ("gone@acme.com", "Slack", "deactivated elsewhere"),
        ("gone@acme.com", "Zoom", "deactivated elsewhere"),
    ]
    assert [leaver.monthly_cost for leaver in sections.leavers] == [MONTHLY, MONTHLY, Decimal("15.99")]


MATCHING = MatchingRules(
    domains=frozenset({"acme.com"}),
    domain_aliases={"acme.co.uk": "acme.com"},
    aliases={"costa.sam@gmail.com": "sam.costa@acme.com"},
)
STAFF = [
    # Stored first, and also claims shared@: Sam is first by email, so the address is Sam's (as the Python
    # rules say), whatever order the people were stored in.
    {"email": "zoe@acme.com", "aliases": ["shared@acme.com"], "name": "Zoe"},
    {"email": "sam.costa@acme.com", "aliases": ["s.costa@acme.com", "shared@acme.com"], "name": "Sam Costa"},
    {"email": "left@acme.com", "status": "terminated", "status_since": datetime(2026, 3, 2, tzinfo=UTC)},
    {"email": "ana@acme.com", "department": "Sales", "cost_center": "CC-7"},
]


def test_accounts_match_the_stored_directory_as_the_python_rules_match_them(engine):
    emails = [
        "sam.costa@acme.com",
        "s.costa@acme.com",  # a directory alias
        "sam.costa+zoom@acme.co.uk",  # plus-addressing and a domain alias
        "costa.sam@gmail.com",  # the [people.aliases] table
        "shared@acme.com",  # two people claim it
        "zoe+x@acme.com",
        "left@acme.com",
        "ana@acme.co.uk",
        "nobody@acme.com",
        "guest@agency.io",
    ]
    rows = [account(email, None, connection_id=n % 3 + 1) for n, email in enumerate(emails)]
    sections = sections_of(engine, rows, STAFF, ReportSettings(rules=MATCHING), TOOLS)
    # As the report reads them: by directory, then email.
    directory = Directory(sorted(({"aliases": [], **person} for person in STAFF), key=itemgetter("email")), MATCHING)
    expected = {email: (directory.person_of(email) or {}).get("email") for email in emails}
    assert expected["shared@acme.com"] == "sam.costa@acme.com"
    unmatched = {account.email for account in sections.unmatched_accounts}
    assert unmatched == {
        email for email, who in expected.items() if who is None and MATCHING.is_external(email) is False
    }
    # Outside the company's domains, matched or not.
    assert {account.email for account in sections.external_accounts} == {"costa.sam@gmail.com", "guest@agency.io"}
    people = {person.email: person for person in sections.people.people}
    assert set(people) == {who or MATCHING.canonical(email) for email, who in expected.items()}
    assert len(people["sam.costa@acme.com"].seats) == 5  # sam.costa, s.costa, +zoom, the gmail alias, shared
    assert [(leaver.email, leaver.person_status, leaver.left_at) for leaver in sections.leavers] == [
        ("left@acme.com", "terminated", datetime(2026, 3, 2, tzinfo=UTC))
    ]
    centers = {line.cost_center: line.seats for line in sections.cost_centers}
    departments = {line.department: line.seats for line in sections.departments}
    assert centers == {"CC-7": 1, None: 9} and departments == {"Sales": 1, None: 9}
