"""Matching each tool's accounts to the organisation's people: primary emails, aliases, plus-addressing, domains.

The people come from the directory connections (providers with ``directory = True``: an identity provider, an
HR export). The ``[people]`` table of the config file says which connections are directories and what the
company's domains are::

    [people]
    directories = ["hr"]                       # default: every connection whose provider is a directory
    domains = ["acme.com"]                     # the company's own; other domains are external accounts
    domain_aliases = { "acme.co.uk" = "acme.com" }

    [people.aliases]                           # accounts no rule can tell, each to a person's primary email
    "s.costa@acme.com" = "sam.costa@acme.com"

Nothing fuzzy goes into a figure: an account is a person's only by an exact rule. Name-based guesses
(:func:`guessed_names`, compared as :func:`folded_name` folds them) are offered for review only.

The report matches in SQL (:meth:`MatchingRules.matched_sql` and its twins); :class:`Directory` states the
same rules in Python, and the tests hold the SQL to it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from .config import Config
from .errors import ConfigError


@dataclass(frozen=True)
class MatchingRules:
    """How account emails are matched to people (the config file's ``[people]`` table)."""

    directories: tuple[str, ...] | None = None  # None: every connection of a directory provider
    domains: frozenset[str] = frozenset()
    domain_aliases: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)

    def canonical(self, email: str) -> str:
        """``email`` as matching compares it: lower-cased, without a ``+tag``, its domain's alias replaced."""
        local, at, domain = email.strip().lower().partition("@")
        if not at:
            return local
        local = local.split("+", 1)[0]
        domain = self.domain_aliases.get(domain, domain)
        return f"{local}@{domain}"

    def is_external(self, email: str) -> bool:
        """Whether ``email`` is outside the company's domains (never, when no domains are configured)."""
        if not self.domains:
            return False
        local, at, domain = self.canonical(email).partition("@")
        return (domain if at else local) not in self.domains

    # The same rules in SQL, so a report matches a million accounts in the database. They take emails as the
    # schema stores them (stripped and lower-cased), and tests/core/test_people_matching.py holds them to the Python.

    def canonical_sql(self, email: sa.ColumnElement) -> sa.ColumnElement:
        """:meth:`canonical` of a stored (stripped, lower-cased) email column, as an SQL expression."""
        at = _Position(email, "@")
        local = sa.func.substr(email, 1, at - 1, type_=sa.String)
        plus = _Position(local, "+")
        local = sa.case((plus > 0, sa.func.substr(local, 1, plus - 1, type_=sa.String)), else_=local)
        taken_apart = sa.case((at == 0, email), else_=local + "@" + self._aliased_domain(email, at))
        if self.domain_aliases:
            return taken_apart
        # Without domain aliases, an email with no "+" is its own canonical form: most are, and a report
        # computes this for every seat and every directory email, so they skip the string surgery.
        return sa.case((_Position(email, "+") == 0, email), else_=taken_apart)

    def is_external_sql(self, email: sa.ColumnElement) -> sa.ColumnElement:
        """:meth:`is_external` of a stored email column (false for a NULL email), as an SQL expression."""
        if not self.domains:
            return sa.false()
        at = _Position(email, "@")
        domain = sa.case((at == 0, email), else_=self._aliased_domain(email, at))
        return sa.and_(email.is_not(None), domain.not_in(sorted(self.domains)))

    def matched_sql(self, email: sa.ColumnElement) -> sa.ColumnElement:
        """The canonical email :meth:`Directory.person_of` looks up for a stored email column, aliases first."""
        canonical = self.canonical_sql(email)
        if not self.aliases:
            return canonical
        return sa.case(
            {alias: self.canonical(target) for alias, target in self.aliases.items()}, value=email, else_=canonical
        )

    def _aliased_domain(self, email: sa.ColumnElement, at: sa.ColumnElement) -> sa.ColumnElement:
        domain = sa.func.substr(email, at + 1, type_=sa.String)
        if not self.domain_aliases:
            return domain
        return sa.case(dict(self.domain_aliases), value=domain, else_=domain)


class _Position(FunctionElement):
    """Where ``text`` first holds ``part`` (1-based; 0 when it does not): instr() in SQLite, strpos() elsewhere."""

    type = sa.Integer()
    inherit_cache = True
    name = "position"


@compiles(_Position)
def _strpos(element, compiler, **kw):
    return f"strpos({compiler.process(element.clauses, **kw)})"


@compiles(_Position, "sqlite")
def _instr(element, compiler, **kw):
    return f"instr({compiler.process(element.clauses, **kw)})"


def matching_rules(config: Config) -> MatchingRules:
    """The ``[people]`` table of ``config`` as :class:`MatchingRules`; a ConfigError naming what to fix."""
    table = config.raw.get("people", {})
    where = f"config file {config.path}: [people]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(table) - {"directories", "domains", "domain_aliases", "aliases"}
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {sorted(unknown)[0]!r} (keys: directories, domains, domain_aliases, aliases)"
        )
    directories = table.get("directories")
    if directories is not None and not _texts(directories):
        raise ConfigError(f'{where}: directories must be a list of connection names, e.g. directories = ["hr"]')
    domains = table.get("domains", [])
    if not _texts(domains):
        raise ConfigError(f'{where}: domains must be a list of domains, e.g. domains = ["acme.com"]')
    domain_aliases = _email_table(table.get("domain_aliases", {}), f"{where}.domain_aliases", domains_only=True)
    aliases = _email_table(table.get("aliases", {}), f"{where}.aliases", domains_only=False)
    return MatchingRules(
        directories=tuple(directories) if directories is not None else None,
        domains=frozenset(domain.strip().lower() for domain in domains),
        domain_aliases=domain_aliases,
        aliases=aliases,
    )


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value)


def _email_table(value: Any, where: str, *, domains_only: bool) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        example = '"acme.co.uk" = "acme.com"' if domains_only else '"s.costa@acme.com" = "sam.costa@acme.com"'
        raise ConfigError(f"{where} must be a table of text, e.g. {example}")
    table = {key.strip().lower(): target.strip().lower() for key, target in value.items()}
    if not domains_only:
        bad = next((text for pair in table.items() for text in pair if "@" not in text), None)
        if bad is not None:
            raise ConfigError(f"{where}: {bad!r} is not an email address")
    return table


class Directory:
    """The people of the directories at one moment, indexed for matching accounts to them.

    ``people`` are rows as :func:`seatkeeper.queries.people` returns them (``email``, ``aliases``, ``name`` ...).
    """

    def __init__(self, people: Iterable[Mapping[str, Any]], rules: MatchingRules):
        self.rules = rules
        self.people: list[Mapping[str, Any]] = list(people)
        self._by_email: dict[str, int] = {}
        for index, person in enumerate(self.people):
            for email in (person["email"], *(person.get("aliases") or ())):
                self._by_email.setdefault(rules.canonical(email), index)
        self._by_name: dict[str, list[int]] | None = None  # built on the first possible_matches()

    def __bool__(self) -> bool:
        return bool(self.people)

    def person_of(self, email: str | None) -> Mapping[str, Any] | None:
        """The person an account's ``email`` belongs to, by an exact rule; None when no rule matches."""
        if not email:
            return None
        email = email.strip().lower()
        target = self.rules.aliases.get(email)
        index = self._by_email.get(self.rules.canonical(target if target is not None else email))
        return None if index is None else self.people[index]

    def possible_matches(self, name: str | None, email: str | None) -> list[Mapping[str, Any]]:
        """People whose name matches an unmatched account's name or email's local part: for review, never counted."""
        if self._by_name is None:
            self._by_name = {}
            for index, person in enumerate(self.people):
                if person.get("name"):
                    self._by_name.setdefault(folded_name(person["name"]), []).append(index)
        wanted = guessed_names(name, email)
        return [self.people[index] for index in sorted(i for text in wanted for i in self._by_name.get(text, ()))]


def guessed_names(name: str | None, email: str | None) -> set[str]:
    """The names an account may belong to, as :func:`folded_name` folds them: its own name, and its email's
    local part read as one (``ana.muller+x@`` is "ana muller"). A person whose folded name is one of them is a
    possible match, offered for review."""
    wanted = {folded_name(name)} if name else set()
    if email:
        local = email.partition("@")[0].split("+", 1)[0]
        wanted.add(folded_name(local.replace(".", " ").replace("_", " ").replace("-", " ")))
    wanted.discard("")
    return wanted


def stored_folded_name(name: str | None) -> str | None:
    """A person's name as stored for finding possible matches: folded (:func:`folded_name`), None for no name."""
    return (folded_name(name) or None) if name else None


def folded_name(text: str) -> str:
    """Text compared without case, accents or extra spaces."""
    if text.isascii():  # nothing to decompose; most names are, and a sync folds every person's name
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().split())
