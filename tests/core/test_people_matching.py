"""Matching accounts to people: exact rules only (primary email, aliases, plus-addressing, domains, alias table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seatkeeper.config import Config
from seatkeeper.errors import ConfigError
from seatkeeper.people import Directory, MatchingRules, matching_rules

PEOPLE = [
    {"email": "sam.costa@acme.com", "aliases": ["s.costa@acme.com"], "name": "Sam Costa"},
    {"email": "ana@acme.com", "aliases": [], "name": "Ana Müller"},
]
RULES = MatchingRules(
    domains=frozenset({"acme.com"}),
    domain_aliases={"acme.co.uk": "acme.com"},
    aliases={"costa.sam@gmail.com": "sam.costa@acme.com"},
)


@pytest.mark.parametrize(
    ("email", "who"),
    [
        ("sam.costa@acme.com", "sam.costa@acme.com"),
        ("S.Costa@ACME.com", "sam.costa@acme.com"),  # a directory alias, any case
        ("sam.costa+zoom@acme.com", "sam.costa@acme.com"),  # plus-addressing
        ("sam.costa@acme.co.uk", "sam.costa@acme.com"),  # a domain alias
        ("costa.sam@gmail.com", "sam.costa@acme.com"),  # the explicit alias table
        ("ana@acme.com", "ana@acme.com"),
        ("sam@acme.com", None),  # nothing fuzzy
        (None, None),
    ],
)
def test_an_account_is_a_persons_by_exact_rules_only(email, who):
    person = Directory(PEOPLE, RULES).person_of(email)
    assert (person["email"] if person else None) == who


def test_external_accounts_are_outside_the_company_domains_after_aliases():
    assert RULES.is_external("contractor@agency.io")
    assert not RULES.is_external("someone@acme.co.uk")
    assert not MatchingRules().is_external("anyone@anywhere.io")  # no domains configured: nobody is external


def test_name_guesses_are_offered_for_review_only():
    directory = Directory(PEOPLE, RULES)
    assert directory.person_of("ana.muller@agency.io") is None
    assert [p["email"] for p in directory.possible_matches("ANA MULLER", "ana.muller@agency.io")] == ["ana@acme.com"]


def test_the_people_table_is_read_strictly():
    config = Config(
        path=Path("seatkeeper.toml"),
        raw={
            "people": {
                "directories": ["hr"],
                "domains": ["Acme.com"],
                "domain_aliases": {"ACME.co.uk": "acme.com"},
                "aliases": {"S.Costa@x.com": "sam.costa@acme.com"},
            }
        },
    )
    rules = matching_rules(config)
    assert rules.directories == ("hr",) and rules.domains == {"acme.com"}
    assert rules.domain_aliases == {"acme.co.uk": "acme.com"} and rules.aliases == {
        "s.costa@x.com": "sam.costa@acme.com"
    }
    with pytest.raises(ConfigError, match="unknown key 'domain'"):
        matching_rules(Config(path=Path("x"), raw={"people": {"domain": ["acme.com"]}}))
    with pytest.raises(ConfigError, match="'nobody' is not an email address"):
        matching_rules(Config(path=Path("x"), raw={"people": {"aliases": {"nobody": "sam@acme.com"}}}))
    assert matching_rules(Config(path=Path("x"))) == MatchingRules()


#: Emails as the schema stores them (stripped, lower-cased), the awkward ones included.
STORED_EMAILS = [
    "sam.costa@acme.com",
    "s.costa@acme.com",
    "sam.costa+zoom+eu@acme.co.uk",
    "+only-a-tag@acme.com",
    "costa.sam@gmail.com",
    "no-at-sign",
    "two@at@acme.com",
    "plus@in+the.domain",
    "müller+x@acme.co.uk",
    "i̇pek@acme.com",  # "İ" lower-cased: two characters
    "contractor@agency.io",
    None,
]


@pytest.mark.parametrize(
    "rules",
    [RULES, MatchingRules(domains=frozenset({"acme.com"}), aliases=RULES.aliases)],
    ids=["domain aliases", "no domain aliases"],  # without them, an email with no "+" takes a shortcut
)
def test_the_sql_rules_match_the_python_rules_on_both_databases(engine, rules):
    """The report matches accounts in SQL: the same email must give the same person and the same verdict."""
    import sqlalchemy as sa

    emails = sa.Table("emails", sa.MetaData(), sa.Column("email", sa.String), prefixes=["TEMPORARY"])
    column = emails.c.email
    with engine.connect() as db:
        emails.create(db)
        db.execute(emails.insert(), [{"email": email} for email in STORED_EMAILS])
        rows = db.execute(
            sa.select(column, rules.canonical_sql(column), rules.matched_sql(column), rules.is_external_sql(column))
        ).all()
    assert len(rows) == len(STORED_EMAILS)
    for email, canonical, matched, external in rows:
        assert canonical == (rules.canonical(email) if email else None), email
        # What Directory.person_of looks up: the alias table's target first, else the email itself.
        assert matched == (rules.canonical(rules.aliases.get(email, email)) if email else None), email
        assert bool(external) == bool(email and rules.is_external(email)), email
    assert MatchingRules().is_external_sql(column) is not None  # no domains: a constant false, still SQL


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("  Ana   Müller ", "ana muller"),
        ("ANA\tMULLER\n", "ana muller"),  # plain ASCII takes a shortcut: the same result
        ("Ｓａｍ Ｃｏｓｔａ", "sam costa"),  # full-width letters decompose to plain ones
        ("Zoë O'Neil", "zoe o'neil"),
        ("", ""),
    ],
)
def test_names_are_compared_without_case_accents_or_extra_spaces(text, folded):
    from seatkeeper.people import folded_name, guessed_names

    assert folded_name(text) == folded
    assert guessed_names(text or None, None) == ({folded} if folded else set())
