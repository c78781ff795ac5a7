"""The report's people sections: leavers still holding paid seats, external and unmatched accounts,
chargeback per department and cost center, and how many tools people use.

They are counted in the database, so a report over a million seats matches a million accounts without
bringing them into Python. :func:`matched` adds each seat's person to the seats the report holds (matched by
the exact rules of :mod:`seatkeeper.people` in SQL, against the directory's emails in a temporary table), so
they are written once, with the report's temporary seats table; then one row per person sums what they hold.
Python prices the grouped rows and builds the lists. Nothing fuzzy goes into a figure.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from seatkeeper.models import connection_t, person_t
from seatkeeper.people import MatchingRules, guessed_names
from seatkeeper.queries import held_at

from .figures import temporary_table
from .model import (
    ZERO,
    AccountSeats,
    CostCenterLine,
    DepartmentLine,
    Leaver,
    PeopleSummary,
    Person,
    PersonSeat,
)
from .settings import ReportSettings

#: Directory statuses of someone who has left (or is blocked): their paid seats are waste.
LEFT_STATUSES = ("suspended", "deleted", "terminated")
#: A leaver told without a directory: deactivated in every other tool they have an account in.
DEACTIVATED_ELSEWHERE = "deactivated elsewhere"
COSTLIEST_PEOPLE = 10
#: Names looked up in one query for the possible matches (well within every database's limit of parameters).
GUESSES_PER_QUERY = 500
#: The costliest people are ranked in the database by their monthly cost in millionths of the currency
#: (exact integers; a price may have more decimals than any database sums exactly).
MICROS = Decimal(1_000_000)
#: The columns the chargeback adds up seat counts by (and prices them by).
CHARGED_BY = ("charged_department", "cost_center", "connection_id", "license_type", "billable")
#: The columns that make one account's row: its seats of one licence type in one connection.
ACCOUNT_COLUMNS = ("connection_id", "email", "department", "license_type", "billable", "status", "person")


@dataclass
class PeopleSections:
    """Everything the people sections of a report hold."""

    departments: list[DepartmentLine]
    cost_centers: list[CostCenterLine]
    leavers: list[Leaver]
    external_accounts: list[AccountSeats]
    unmatched_accounts: list[AccountSeats]
    people: PeopleSummary
    #: (connection, email, licence type) -> unused category -> seats, for the leavers' paid seats only: a
    #: leaver's seat that is also unused is counted once in the savings.
    leaver_usage: dict[tuple[str, str, str], dict[str, int]]


class People:
    """The directory's people at the report's cut-off, as its SQL sees them: every email that matches a person
    is in a temporary table (see :func:`matched`); the people themselves stay in the database, and only those
    the lists name are read."""

    def __init__(self, engine: Engine, cutoff: datetime, rules: MatchingRules):
        self.engine = engine
        self.cutoff = cutoff
        self.rules = rules
        self.found = False  # whether the directories hold anyone at the cut-off, set by matched()

    def __bool__(self) -> bool:
        return self.found

    def held(self, *columns: Any, also: Any = None) -> sa.Select:
        """``columns`` of the directories' people held at the cut-off (``connection_t`` is joined, and ``also``)."""
        source = person_t.join(connection_t, person_t.c.connection_id == connection_t.c.id)
        if also is not None:
            source = source.join(also, sa.true())
        return self._of_directories(sa.select(*columns).select_from(source).where(held_at(self.cutoff, person_t)))

    def directory_names(self) -> list[str]:
        """The directory connections the people come from."""
        # Each connection is asked for one person held, not every person for their connection. Ordered by the
        # person key, the search walks the connection's own index and stops at the first (with EXISTS, SQLite
        # would rather range over everyone's start times).
        someone = (
            sa.select(person_t.c.id)
            .where(person_t.c.connection_id == connection_t.c.id, held_at(self.cutoff, person_t))
            .order_by(person_t.c.person_key)
            .limit(1)
            .scalar_subquery()
        )
        query = sa.select(connection_t.c.name).where(someone.is_not(None))
        with self.engine.connect() as db:
            return list(db.execute(self._of_directories(query)).scalars())

    def _of_directories(self, query: sa.Select) -> sa.Select:
        """``query`` kept to the ``[people] directories`` (every connection with people when none are named)."""
        if self.rules.directories is not None:
            query = query.where(connection_t.c.name.in_(list(self.rules.directories)))
        return query

    def possible_matches(self, accounts: Sequence[tuple[str | None, str | None]]) -> list[list[str]]:
        """For each unmatched account (name, email): the emails of the people whose name it may be (see
        :func:`~seatkeeper.people.guessed_names`), in the directory's order; for review, never counted.

        Only those people are read: the sync stores each person's folded name, indexed."""
        wanted = [guessed_names(name, email) for name, email in accounts]
        names = sorted(set().union(*wanted))
        # folded name -> (directory, email, key) of each person of that name: the directory's order
        by_name: dict[str, list[tuple[str, str, str]]] = {}
        order = (connection_t.c.name, person_t.c.email, person_t.c.person_key)
        with self.engine.connect() as db:
            for start in range(0, len(names), GUESSES_PER_QUERY):
                query = self.held(person_t.c.folded_name, *order).where(
                    person_t.c.folded_name.in_(names[start : start + GUESSES_PER_QUERY])
                )
                for folded, *place in db.execute(query):
                    by_name.setdefault(folded, []).append(tuple(place))
        return [[place[1] for place in sorted(p for text in texts for p in by_name.get(text, ()))] for texts in wanted]


@contextmanager
def matched(db: sa.Connection, held: sa.Select, people: People) -> Iterator[sa.Select]:
    """``held`` (seats with an ``email`` and a ``department`` column) with each seat's person: the columns
    :func:`people_sections` reads. The people's emails are in a temporary table of ``db`` until leaving."""
    rules = people.rules
    email = held.selected_columns.email
    own_department = sa.func.nullif(held.selected_columns.department, "", type_=sa.String)
    # Looked up once per seat by its primary key: in SQLite, a table without rowid is that key's own index.
    with temporary_table(db, "report_people", _people_columns(), sqlite_with_rowid=False) as table:
        _fill_matching_emails(db, table, people)
        people.found = db.execute(sa.select(table.c.person).limit(1)).first() is not None
        if not people:
            yield held.add_columns(
                sa.cast(sa.null(), sa.Integer).label("person"),
                rules.canonical_sql(email).label("person_key"),
                own_department.label("charged_department"),
                sa.cast(sa.null(), sa.String).label("cost_center"),
                sa.false().label("departed"),
                rules.is_external_sql(email).label("external"),
            )
            return
        yield held.outerjoin(table, table.c.email == rules.matched_sql(email)).add_columns(
            table.c.person,
            sa.func.coalesce(table.c.primary_email, rules.canonical_sql(email)).label("person_key"),
            sa.func.coalesce(own_department, table.c.department).label("charged_department"),
            table.c.cost_center,
            sa.func.coalesce(table.c.departed, sa.false()).label("departed"),
            rules.is_external_sql(email).label("external"),
        )


def with_person_status(seats: sa.CTE) -> sa.Select:
    """``seats`` (with :func:`matched`'s columns) and their person's primary email, directory status and the
    date it took effect, as ``person_email``, ``person_status`` and ``person_status_since`` (NULL when none)."""
    return sa.select(
        seats,
        person_t.c.email.label("person_email"),
        person_t.c.status.label("person_status"),
        person_t.c.status_since.label("person_status_since"),
    ).outerjoin_from(seats, person_t, person_t.c.id == seats.c.person)


def _fill_matching_emails(db: sa.Connection, table: sa.Table, people: People) -> None:
    """Write each canonical email of the people (primary, then aliases) with the person it matches into
    ``table``: where two people share one, the first by directory, email and key (as :class:`Directory` does).

    The emails are inserted in that order and a later one is ignored (ON CONFLICT DO NOTHING), which keeps the
    first without ranking every email by a window; in that order the emails arrive almost sorted, too.
    """
    order = (connection_t.c.name.label("directory"), person_t.c.email.label("primary_email"), person_t.c.person_key)
    shown = (
        sa.func.nullif(person_t.c.department, "").label("department"),
        sa.func.nullif(person_t.c.cost_center, "").label("cost_center"),
        person_t.c.status.in_(LEFT_STATUSES).label("departed"),
    )
    primary = people.held(
        person_t.c.id.label("person"),
        person_t.c.email.label("address"),
        sa.literal(0).label("position"),
        *order,
        *shown,
    )
    if db.dialect.name == "sqlite":
        alias = sa.func.json_each(person_t.c.aliases).table_valued("value", "key").alias("alias")
        position = alias.c.key + 1
    else:
        alias = (
            sa.func.json_array_elements_text(person_t.c.aliases)
            .table_valued("value", with_ordinality="position")
            .render_derived(name="alias")
        )
        position = alias.c.position
    aliases = people.held(
        person_t.c.id.label("person"),
        alias.c.value.label("address"),
        position.label("position"),
        *order,
        *shown,
        also=alias,
    )
    emails = sa.union_all(primary, aliases).subquery("emails")
    ordered = (
        sa.select(
            people.rules.canonical_sql(emails.c.address),
            emails.c.person,
            emails.c.primary_email,
            emails.c.department,
            emails.c.cost_center,
            emails.c.departed,
        )
        .where(emails.c.address.is_not(None))
        .order_by(emails.c.directory, emails.c.primary_email, emails.c.person_key, emails.c.position)
    )
    insert = sqlite_insert(table) if db.dialect.name == "sqlite" else postgresql_insert(table)
    db.execute(insert.from_select([column.name for column in table.c], ordered).on_conflict_do_nothing())


def people_sections(
    db: sa.Connection,
    seats: sa.Table | sa.Subquery,
    known: Sequence[Mapping[str, Any]],
    people: People,
    settings: ReportSettings,
    seat_groups: Sequence[Mapping[str, Any]],
    unused_categories: Sequence[str] = (),
) -> PeopleSections:
    """The people sections for the seats held in ``seats`` (the rows of :func:`matched`, in a temporary
    table of ``db``, or a query over it), of the connections ``known`` (id, name, provider, application).

    ``seat_groups`` are seat counts of ``seats`` by (at least) the :data:`CHARGED_BY` columns, as
    :func:`figures.seat_counts` makes them: the report counts once for its figures and the chargeback. With
    ``unused_categories``, ``seats`` has each seat's ``usage`` (:func:`figures.with_usage`).
    """
    accounts = _Accounts(db, seats, {row["id"]: row for row in known}, people, settings)
    a = seats.c
    with accounts.counted():
        departments, cost_centers = accounts.chargeback(seat_groups)
        return PeopleSections(
            departments=departments,
            cost_centers=cost_centers,
            leavers=accounts.leavers(),
            external_accounts=accounts.listed(a.billable.is_(True), a.external.is_(True)),
            unmatched_accounts=_with_guesses(accounts.listed(a.person.is_(None), a.external.is_not(True)), people)
            if people
            else [],
            people=accounts.people(),
            leaver_usage=accounts.leaver_usage(unused_categories),
        )


def _with_guesses(unmatched: list[AccountSeats], people: People) -> list[AccountSeats]:
    """``unmatched`` with the people each may be, for review."""
    guesses = people.possible_matches([(account.name, account.email) for account in unmatched])
    return [
        dataclasses.replace(account, possible_matches=emails)
        for account, emails in zip(unmatched, guesses, strict=True)
    ]


class _Accounts:
    """The queries over one report's seats with their people, and the temporary table of its people's sums."""

    def __init__(
        self,
        db: sa.Connection,
        seats: sa.Table | sa.Subquery,
        connections: Mapping[int, Mapping[str, Any]],
        people: People,
        settings,
    ):
        self.db = db
        self.table = seats
        self.connections = connections
        self.directory = people
        self.settings = settings
        self.prices: dict[tuple[int, str], Decimal | None] = {}
        self.persons: sa.Table

    @contextmanager
    def counted(self) -> Iterator[None]:
        """Sum what each person holds, in temporary tables that end on leaving (see :func:`temporary_table`)."""
        with ExitStack() as stack:
            kinds = stack.enter_context(temporary_table(self.db, "report_license_types", _license_type_columns()))
            self._fill_license_types(kinds)
            self.persons = stack.enter_context(temporary_table(self.db, "report_persons", _person_columns()))
            self._fill_persons(kinds)
            yield

    def _fill_license_types(self, kinds: sa.Table) -> None:
        """One row per connection and licence type held: the application, and the price in millionths."""
        rows = []
        pairs = sa.select(self.table.c.connection_id, self.table.c.license_type).distinct()
        for connection_id, license_type in self.db.execute(pairs):
            connection = self.connections[connection_id]
            price = self.settings.price(connection["provider"], connection["name"], license_type)
            self.prices[(connection_id, license_type)] = price
            micros = None if price is None else int((price * MICROS).to_integral_value())
            rows.append(
                {
                    "connection_id": connection_id,
                    "license_type": license_type,
                    "application": connection["application"],
                    "price_micros": micros,
                }
            )
        if rows:
            self.db.execute(kinds.insert(), rows)

    def _fill_persons(self, kinds: sa.Table) -> None:
        """One row per person (directory person, else canonical email): their applications, seats and cost."""
        a, k = self.table.c, kinds.c
        billable = a.billable.is_(True)
        columns = {
            "person_key": a.person_key,
            "applications": sa.func.count(sa.distinct(k.application)),
            "active_applications": sa.func.count(
                sa.distinct(sa.case((sa.func.coalesce(a.status, "") != "inactive", k.application)))
            ),
            "billable": sa.func.sum(sa.case((billable, 1), else_=0)),
            "unpriced": sa.func.sum(sa.case((sa.and_(billable, k.price_micros.is_(None)), 1), else_=0)),
            "cost_micros": sa.func.sum(sa.case((billable, sa.func.coalesce(k.price_micros, 0)), else_=0)),
        }
        source = self.table.join(kinds, sa.and_(k.connection_id == a.connection_id, k.license_type == a.license_type))
        query = (
            sa.select(*(value.label(name) for name, value in columns.items()))
            .select_from(source)
            .where(a.person_key.is_not(None))
            .group_by(a.person_key)
        )
        self.db.execute(self.persons.insert().from_select(list(columns), query))

    def _cost(self, row: Mapping[str, Any], seats: int) -> Decimal | None:
        """Monthly money of ``seats`` seats of a row's licence type: 0 for free seats, None when unpriced."""
        if not row["billable"]:
            return ZERO
        price = self.prices[(row["connection_id"], row["license_type"])]
        return None if price is None else price * seats

    def chargeback(self, seat_groups: Sequence[Mapping[str, Any]]) -> tuple[list[DepartmentLine], list[CostCenterLine]]:
        """Seats and money per department (the tool's own, else the directory person's) and per cost center
        (which only a directory knows; none when nobody has one), from ``seat_groups``: seat counts by (at
        least) the :data:`CHARGED_BY` columns."""
        departments: dict[str | None, DepartmentLine] = {}
        centers: dict[str | None, CostCenterLine] = {}
        for row in seat_groups:
            seats = row["seats"]
            cost = self._cost(row, seats)
            department = _line(departments, row["charged_department"], DepartmentLine)
            center = _line(centers, row["cost_center"], CostCenterLine)
            _charge(department, row["billable"], seats, cost)
            _charge(center, row["billable"], seats, cost)
        if all(center is None for center in centers):
            centers = {}
        return (
            sorted(
                departments.values(),
                key=lambda d: (d.department is None, -d.monthly_cost, -d.billable, d.department or ""),
            ),
            sorted(
                centers.values(),
                key=lambda c: (c.cost_center is None, -c.monthly_cost, -c.billable, c.cost_center or ""),
            ),
        )

    def _rows(self, *where: sa.ColumnElement) -> list[sa.Row]:
        """Account rows (a licence type's seats of one email in one connection) matching ``where``."""
        a = self.table.c
        keys = [a[name] for name in ACCOUNT_COLUMNS]
        person = (
            person_t.c.email.label("person_email"),
            person_t.c.name.label("person_name"),
            person_t.c.status.label("person_status"),
            person_t.c.status_since.label("person_since"),
        )
        query = (
            sa.select(*keys, a.person_key, *person, sa.func.max(a.name).label("name"), sa.func.count().label("seats"))
            .select_from(self.table.outerjoin(person_t, person_t.c.id == a.person))
            .where(*where)
            .group_by(*keys, a.person_key, *person)
        )
        return sorted(self.db.execute(query), key=self._order)

    def _order(self, row) -> tuple:
        connection = self.connections[row.connection_id]
        return (connection["application"], connection["name"], row.email or "", row.license_type, row.status)

    def _seats(self, row) -> AccountSeats:
        connection = self.connections[row.connection_id]
        return AccountSeats(
            email=row.email,
            name=row.name,
            application=connection["application"],
            provider=connection["provider"],
            connection=connection["name"],
            license_type=row.license_type,
            billable=bool(row.billable),
            status=row.status,
            seats=row.seats,
            monthly_cost=self._cost(row._mapping, row.seats),
        )

    def listed(self, *where: sa.ColumnElement) -> list[AccountSeats]:
        """The accounts matching ``where``, in the report's order."""
        return [self._seats(row) for row in self._rows(*where)]

    def _left(self) -> sa.ColumnElement:
        """Whether a seat is a leaver's: by the directory's status, else deactivated in every other tool."""
        a, p = self.table.c, self.persons.c
        if self.directory:
            return a.departed.is_(True)
        # Gone from every tool but (at most) one: the tools that deactivated them know they left.
        return a.person_key.in_(sa.select(p.person_key).where(p.applications > 1, p.active_applications <= 1))

    def leavers(self) -> list[Leaver]:
        """Paid seats of people who left."""
        leavers = [self._leaver(row) for row in self._rows(self.table.c.billable.is_(True), self._left())]
        return sorted(
            leavers,
            key=lambda leaver: (leaver.left_at is None, leaver.left_at or 0, leaver.email or "", leaver.application),
        )

    def leaver_usage(self, categories: Sequence[str]) -> dict[tuple[str, str, str], dict[str, int]]:
        """(connection, email, licence type) -> unused category -> seats, of the leavers' paid seats."""
        if not categories:
            return {}
        a = self.table.c
        keys = (a.connection_id, a.email, a.license_type, a.usage)
        query = (
            sa.select(*keys, sa.func.count())
            .where(a.billable.is_(True), a.usage.in_(list(categories)), self._left())
            .group_by(*keys)
        )
        usage: dict[tuple[str, str, str], dict[str, int]] = {}
        for connection_id, email, license_type, category, seats in self.db.execute(query):
            usage.setdefault((self.connections[connection_id]["name"], email, license_type), {})[category] = seats
        return usage

    def _leaver(self, row) -> Leaver:
        account = self._seats(row)
        return Leaver(
            email=account.email,
            person_email=row.person_email,
            name=row.person_name or account.name,
            application=account.application,
            provider=account.provider,
            connection=account.connection,
            license_type=account.license_type,
            status=account.status,
            person_status=row.person_status or DEACTIVATED_ELSEWHERE,
            left_at=row.person_since,
            seats=account.seats,
            monthly_cost=account.monthly_cost,
        )

    def people(self) -> PeopleSummary:
        """How many tools each person holds seats in, and the ten costliest people."""
        p = self.persons.c
        tool_counts = {"1": 0, "2": 0, "3+": 0}
        for applications, people in self.db.execute(
            sa.select(p.applications, sa.func.count()).group_by(p.applications)
        ):
            tool_counts[str(applications) if applications < 3 else "3+"] += people
        return PeopleSummary(
            people=self._costliest(),
            people_total=tool_counts["2"] + tool_counts["3+"],
            tool_counts=tool_counts,
            people_with_seats=sum(tool_counts.values()),
        )

    def _costliest(self) -> list[Person]:
        """The ten people costing most a month (then holding most billable seats, then by email)."""
        p = self.persons.c
        rank = (p.cost_micros.desc(), p.billable.desc())
        last = self.db.execute(
            sa.select(p.cost_micros, p.billable).order_by(*rank).offset(COSTLIEST_PEOPLE - 1).limit(1)
        ).first()
        # Everyone tied with the tenth comes back, so the email breaks ties in Python (databases collate text
        # differently).
        query = sa.select(p.person_key, p.cost_micros, p.billable, p.unpriced)
        if last is not None:
            query = query.where(
                sa.or_(
                    p.cost_micros > last.cost_micros,
                    sa.and_(p.cost_micros == last.cost_micros, p.billable >= last.billable),
                )
            )
        ranked = sorted(self.db.execute(query), key=lambda r: (-r.cost_micros, -r.billable, r.person_key))
        ranked = ranked[:COSTLIEST_PEOPLE]
        held: dict[str, list] = defaultdict(list)
        for row in self._rows(self.table.c.person_key.in_([r.person_key for r in ranked])):
            held[row.person_key].append(row)
        return [self._person(r.person_key, held[r.person_key], r.billable, r.unpriced) for r in ranked]

    def _person(self, key: str, rows: Sequence, billable: int, unpriced: int) -> Person:
        """One person of the costliest: their tools and seats."""
        name = rows[0].person_name or next((row.name for row in rows if row.name), None)
        providers: list[str] = []
        applications: list[str] = []
        seats = []
        cost = ZERO
        for row in rows:
            account = self._seats(row)
            if account.provider not in providers:
                providers.append(account.provider)
            if account.application not in applications:
                applications.append(account.application)
            seats.append(
                PersonSeat(
                    account.provider,
                    account.connection,
                    account.license_type,
                    account.billable,
                    row.seats,
                    account.monthly_cost,
                )
            )
            if account.billable and account.monthly_cost is not None:
                cost += account.monthly_cost
        return Person(key, name, providers, applications, seats, billable, cost, unpriced)


def _line(lines: dict, key: str | None, line_of):
    """The line of ``key`` in ``lines``, made by ``line_of`` the first time."""
    line = lines.get(key)
    if line is None:
        line = lines[key] = line_of(key)
    return line


def _charge(line, billable: bool, seats: int, cost: Decimal | None) -> None:
    line.seats += seats
    if billable:
        line.billable += seats
        if cost is None:
            line.unpriced_seats += seats
        else:
            line.monthly_cost += cost


def _license_type_columns() -> list[sa.Column]:
    return [
        sa.Column("connection_id", sa.Integer, primary_key=True),
        sa.Column("license_type", sa.String, primary_key=True),
        sa.Column("application", sa.String),
        sa.Column("price_micros", sa.BigInteger),
    ]


def _people_columns() -> list[sa.Column]:
    return [
        sa.Column("email", sa.String, primary_key=True),
        sa.Column("person", sa.Integer),
        sa.Column("primary_email", sa.String),
        sa.Column("department", sa.String),
        sa.Column("cost_center", sa.String),
        sa.Column("departed", sa.Boolean),
    ]


def _person_columns() -> list[sa.Column]:
    return [
        sa.Column("person_key", sa.String),
        sa.Column("applications", sa.Integer),
        sa.Column("active_applications", sa.Integer),
        sa.Column("billable", sa.Integer),
        sa.Column("unpriced", sa.Integer),
        sa.Column("cost_micros", sa.BigInteger),
    ]
