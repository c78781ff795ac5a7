"""Accounts no rule matches get possible matches by name, to review: listed, never counted."""

from __future__ import annotations

from seatkeeper.people import Directory, MatchingRules
from seatkeeper.reports.accounts import people_sections
from seatkeeper.reports.settings import ReportSettings

RULES = MatchingRules(domains=frozenset({"acme.com"}))
PEOPLE = [
    {"email": "maren.holt@acme.com", "aliases": [], "name": "Maren Holt", "status": "active", "department": "Ops"},
    {"email": "ana@acme.com", "aliases": [], "name": "Ana Müller", "status": "active", "department": "Sales"},
]
KNOWN = [{"id": 1, "name": "slack", "provider": "csv", "application": "Slack"}]


def account(email: str, name: str) -> dict:
    return {
        "connection_id": 1,
        "email": email,
        "name": name,
        "license_type": "Pro",
        "billable": True,
        "status": "active",
        "seats": 1,
        "department": None,
    }


def test_an_unmatched_account_lists_people_of_the_same_name_and_stays_unmatched():
    rows = [
        account("m.holt@acme.com", "Maren Holt"),
        account("ana.muller@acme.com", None),
        account("ops@acme.com", "Ops"),
    ]
    sections = people_sections(rows, KNOWN, Directory(PEOPLE, RULES), ReportSettings(rules=RULES))
    guesses = {item.email: item.possible_matches for item in sections.unmatched_accounts}
    assert guesses == {
        "m.holt@acme.com": ["maren.holt@acme.com"],  # by the account's name
        "ana.muller@acme.com": ["ana@acme.com"],  # by the email's local part, accents folded
        "ops@acme.com": [],
    }
    # A guess is no match: the guessed people hold no seat in the figures.
    assert all(line.department is None for line in sections.departments)
