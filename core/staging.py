"""A sync run's staging area: seats written to temporary tables as they are fetched, applied with set-based SQL.

Memory stays flat whatever the account's size: the run keeps a page of rows at a time, and the database holds
the rest in temporary tables, private to the run's own database connection. Writing them takes no lock that
another sync or a report waits for (SQLite keeps TEMP tables in a database of their own; PostgreSQL's are
private to the session), and no transaction stays open between pages. Once the provider has finished, the
run's changes are worked out by SQL against the open intervals, and applied in one short transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from . import bulk, jsontext
from .db import scratch_connection
from .models import UTCDateTime, person_t, plan_t, run_t, seat_t
from .runs import RunOutcome
from .schema import SEAT_FIELDS

#: The seat columns a run's records fill, staged as they come: the seat's fields and its key.
STAGED = ("seat_key", *SEAT_FIELDS)
#: The columns whose values make up a seat's state: all but the activity time, which moves with every login.
STATE_COLUMNS = tuple(name for name in SEAT_FIELDS if name != "last_activity_at")


class CanonicalJSON(sa.types.TypeDecorator):
    """A staged seat's extras as canonical JSON text (keys sorted), so equal extras are equal text.

    The seat table's extras hold the same text (the apply copies it), and a seat's state is compared in SQL,
    column by column: extras that only list their keys in another order are no change.
    """

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        return None if value is None else jsontext.canonical(value)


_temporary = sa.MetaData()
stage_t = sa.Table(
    "seatkeeper_stage",
    _temporary,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),  # SQLite's rowid: kept in fetch order
    *(sa.Column(name, CanonicalJSON if name == "extras" else seat_t.c[name].type) for name in STAGED),
    prefixes=["TEMPORARY"],
)
protected_t = sa.Table(
    "seatkeeper_stage_protected", _temporary, sa.Column("seat_key", sa.String(600)), prefixes=["TEMPORARY"]
)
closing_t = sa.Table(
    "seatkeeper_stage_closing",
    _temporary,
    sa.Column("seat_id", sa.Integer, primary_key=True),
    sa.Column("reason", sa.String(20), nullable=False),
    prefixes=["TEMPORARY"],
)

#: The person columns a directory's run fills, staged as they come.
PERSON_STAGED = (
    "person_key",
    "person_id",
    "email",
    "aliases",
    "name",
    "folded_name",
    "status",
    "status_since",
    "department",
    "cost_center",
    "job_title",
    "manager_email",
    "state_hash",
)
person_stage_t = sa.Table(
    "seatkeeper_stage_person",
    _temporary,
    sa.Column("seq", sa.Integer, nullable=False),
    *(sa.Column(name, person_t.c[name].type) for name in PERSON_STAGED),
    prefixes=["TEMPORARY"],
)

#: Rows a run keeps in memory before writing them to its staging tables.
PAGE = bulk.CHUNK

#: How many duplicate seat keys a run's notes name (the count is always exact).
NAMED_DUPLICATES = 10

# Which of a user's duplicate records a run keeps, whatever order they came in: a paid seat over a free one, then
# the liveliest status, then the latest activity, then (a tie-break with no meaning, but a fixed one) the
# smallest values of the other columns and the first one fetched.
_WINNER_ORDER = (
    "billable DESC,"
    " CASE status WHEN 'active' THEN 0 WHEN 'inactive' THEN 1 WHEN 'pending' THEN 2 ELSE 3 END,"
    " CASE WHEN last_activity_at IS NULL THEN 1 ELSE 0 END, last_activity_at DESC, "
    + ", ".join(f"CASE WHEN {name} IS NULL THEN 1 ELSE 0 END, {name}" for name in STATE_COLUMNS if name != "billable")
    + ", seq"
)
DUPLICATE_RULE = (
    "a paid seat over a free one, then active over inactive over pending, then the latest activity, "
    "then the first in a fixed order"
)


@dataclass
class Outcome:
    """What a run would change, worked out before anything is applied."""

    seen: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    duplicates: int = 0
    open_before: int = 0
    duplicate_keys: list[str] = field(default_factory=list)

    def counts(self, rejected: int) -> dict[str, int]:
        """The run's counts as ``sync_run`` stores them."""
        return {
            "seen": self.seen,
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "rejected": rejected,
            "duplicates": self.duplicates,
        }


@dataclass
class PeopleOutcome:
    """What a directory's run changes in its people (none of it when it listed nobody: stored people stay)."""

    seen: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    duplicates: int = 0

    def note(self) -> str:
        """The run's note about its people."""
        return f"directory: {self.seen} people — {self.added} added, {self.changed} changed, {self.removed} removed" + (
            f", {self.duplicates} listed twice (the first kept)" if self.duplicates else ""
        )


class Staging:
    """The temporary tables of one run, on a database connection of its own; use it as a context manager.

    :meth:`add` rows as they are fetched (written a page at a time), :meth:`protect` keys whose stored seat must
    stay, then :meth:`outcome` and :meth:`apply`. Leaving the block ends the connection and its tables
    (:func:`~seatkeeper.db.scratch_connection`).
    """

    def __init__(self, engine: Engine, connection_id: int, page: int | None = None):
        self.engine = engine
        self.connection_id = connection_id
        self.page = page or PAGE
        self._db: sa.Connection | None = None
        self._leave = ExitStack()  # what leaving the block closes: the connection
        self._rows: list[dict[str, Any]] = []
        self._protected: list[dict[str, Any]] = []
        self._people: list[dict[str, Any]] = []
        self.people_staged = 0
        self._seq = 0
        self._opening = 0  # seats the apply opens an interval for, as :meth:`outcome` found
        self._moved = 0  # open seats whose activity time the apply updates (or some of them), likewise
        self._matched = 0  # staged seats with an open interval, likewise

    def __enter__(self) -> Staging:
        with ExitStack() as stack:
            self._db = stack.enter_context(scratch_connection(self.engine))
            _temporary.create_all(self._db)
            self._db.commit()
            self._leave = stack.pop_all()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._db = None
        self._leave.close()

    def add(self, row: dict[str, Any]) -> None:
        """Stage one seat row (the :data:`STAGED` values); written to the database a page at a time."""
        self._seq += 1
        row["seq"] = self._seq
        self._rows.append(row)
        if len(self._rows) >= self.page:
            self.flush()

    def add_person(self, row: dict[str, Any]) -> None:
        """Stage one person of a directory (the :data:`PERSON_STAGED` values)."""
        self._seq += 1
        row["seq"] = self._seq
        self._people.append(row)
        self.people_staged += 1
        if len(self._people) >= self.page:
            self.flush()

    def protect(self, key: str) -> None:
        """Keep the stored seat ``key`` as it is (its record was rejected: that is not a removed user)."""
        self._protected.append({"seat_key": key})
        if len(self._protected) >= self.page:
            self.flush()

    def flush(self) -> None:
        """Write the rows staged so far, and commit, so no transaction stays open while the provider fetches."""
        rows, self._rows = self._rows, []
        protected, self._protected = self._protected, []
        people, self._people = self._people, []
        bulk.insert_many(self._db, stage_t, rows)
        bulk.insert_many(self._db, protected_t, protected)
        bulk.insert_many(self._db, person_stage_t, people)
        self._db.commit()

    def outcome(self) -> Outcome:
        """Settle duplicates and work out what the run changes (reading the history, writing nothing to it)."""
        self.flush()
        db, c = self._db, {"c": self.connection_id}
        outcome = Outcome()
        staged = db.execute(sa.select(sa.func.count()).select_from(stage_t)).scalar_one()
        # Not unique, as duplicates are still there: built first, it makes finding them a scan of the index.
        db.execute(sa.text("CREATE INDEX seatkeeper_stage_key ON seatkeeper_stage (seat_key)"))
        outcome.duplicate_keys = list(
            db.execute(
                sa.text(
                    "SELECT seat_key FROM seatkeeper_stage GROUP BY seat_key HAVING count(*) > 1"
                    " ORDER BY seat_key LIMIT :n"
                ),
                {"n": NAMED_DUPLICATES + 1},  # one more than named tells whether there are more
            ).scalars()
        )
        if outcome.duplicate_keys:
            db.execute(
                sa.text(
                    "DELETE FROM seatkeeper_stage WHERE seq IN (SELECT seq FROM (SELECT seq, ROW_NUMBER() OVER"
                    f" (PARTITION BY seat_key ORDER BY {_WINNER_ORDER}) AS place FROM seatkeeper_stage) ranked"
                    " WHERE place > 1)"
                )
            )
        db.execute(sa.text("CREATE INDEX seatkeeper_stage_protected_key ON seatkeeper_stage_protected (seat_key)"))
        outcome.seen = db.execute(sa.select(sa.func.count()).select_from(stage_t)).scalar_one()
        outcome.duplicates = staged - outcome.seen
        outcome.open_before = db.execute(
            sa.select(sa.func.count()).where(
                seat_t.c.connection_id == self.connection_id, seat_t.c.seen_until.is_(None)
            )
        ).scalar_one()
        same, distinct = _same_state(db), _distinct(db)
        # Staged seats with an open interval: how many, how many unchanged, how many with a new activity time.
        self._matched, outcome.unchanged, self._moved = db.execute(
            sa.text(
                f"SELECT count(*), coalesce(sum(CASE WHEN {same} THEN 1 ELSE 0 END), 0),"
                f" coalesce(sum(CASE WHEN f.last_activity_at {distinct} o.last_activity_at THEN 1 ELSE 0 END), 0)"
                f" {_MATCHED}"
            ),
            c,
        ).one()
        matched = self._matched
        # Each pass below reads the whole run: it is skipped when these counts tell it would find nothing.
        if matched > outcome.unchanged:
            changed = f"INSERT INTO seatkeeper_stage_closing (seat_id, reason) SELECT o.id, 'changed' {_MATCHED}"
            db.execute(sa.text(f"{changed} WHERE NOT ({same})"), c)
        accepted = 0
        if outcome.seen > matched and outcome.open_before > matched:  # a new user, and an open seat not listed
            accepted = f"SELECT count(*) FROM seatkeeper_stage f WHERE EXISTS ({_INVITATION})"
            accepted = db.execute(sa.text(accepted), c).scalar_one()
        if accepted:
            db.execute(
                sa.text(
                    "INSERT INTO seatkeeper_stage_closing (seat_id, reason) SELECT DISTINCT p.id, 'invitation'"
                    f" FROM seatkeeper_stage f JOIN seat p ON {_PENDING_OF_F} WHERE {_INVITATION_CONDITIONS}"
                ),
                c,
            )
        if outcome.open_before > matched:
            db.execute(sa.text(_REMOVED), c)
        reasons = dict(
            db.execute(sa.text("SELECT reason, count(*) FROM seatkeeper_stage_closing GROUP BY reason")).all()
        )
        db.commit()
        changed_same_key = reasons.get("changed", 0)
        outcome.changed = changed_same_key + accepted
        outcome.removed = reasons.get("removed", 0)
        outcome.added = outcome.seen - outcome.unchanged - changed_same_key - accepted
        self._opening = outcome.seen - outcome.unchanged
        return outcome

    def people_outcome(self) -> PeopleOutcome | None:
        """Settle people listed twice (the first one listed stays) and count what the run changes in them; None
        when the run listed no one, so stored people stay as they are."""
        self.flush()
        if not self.people_staged:
            return None
        db, c = self._db, {"c": self.connection_id}
        outcome = PeopleOutcome()
        db.execute(
            sa.text(
                "DELETE FROM seatkeeper_stage_person WHERE seq NOT IN"
                " (SELECT min(seq) FROM seatkeeper_stage_person GROUP BY person_key)"
            )
        )
        db.execute(sa.text("CREATE UNIQUE INDEX seatkeeper_stage_person_key ON seatkeeper_stage_person (person_key)"))
        outcome.seen = db.execute(sa.select(sa.func.count()).select_from(person_stage_t)).scalar_one()
        outcome.duplicates = self.people_staged - outcome.seen
        matched = f"FROM seatkeeper_stage_person f JOIN person o ON {_OPEN_O} AND o.person_key = f.person_key"
        unchanged = db.execute(sa.text(f"SELECT count(*) {matched} WHERE o.state_hash = f.state_hash"), c).scalar_one()
        outcome.changed = db.execute(
            sa.text(f"SELECT count(*) {matched} WHERE o.state_hash <> f.state_hash"), c
        ).scalar_one()
        outcome.removed = db.execute(
            sa.text(
                f"SELECT count(*) FROM person o WHERE {_OPEN_O} AND NOT EXISTS"
                " (SELECT 1 FROM seatkeeper_stage_person f WHERE f.person_key = o.person_key)"
            ),
            c,
        ).scalar_one()
        outcome.added = outcome.seen - unchanged - outcome.changed
        db.commit()
        return outcome

    def apply(
        self,
        run_id: int,
        now: datetime,
        month: str,
        plans: Iterable[dict[str, Any]],
        counts: dict[str, int],
        notes: list[str],
        finished_at: datetime,
    ) -> None:
        """Apply the run in one transaction: close, update activity, insert, record plans, mark the run succeeded.

        ``now`` is the run's point in history (rows close and open at it); ``finished_at`` is when it ended.
        """
        db = self._db
        values = {"c": self.connection_id, "run": run_id, "now": now, "month": month}
        typed = [sa.bindparam("now", type_=UTCDateTime)]
        _begin_writing(db)
        try:
            close_seats(db, values, typed)
            distinct = _distinct(db)
            if self._moved:  # the seats that stay open take their new activity before new intervals are opened
                db.execute(
                    sa.text(
                        "UPDATE seat SET last_activity_at = (SELECT f.last_activity_at FROM seatkeeper_stage f"
                        " WHERE f.seat_key = seat.seat_key)"
                        " WHERE seat.connection_id = :c AND seat.seen_until IS NULL AND EXISTS (SELECT 1 FROM"
                        " seatkeeper_stage f WHERE f.seat_key = seat.seat_key"
                        f" AND f.last_activity_at {distinct} seat.last_activity_at)"
                    ),
                    values,
                )
            if self._opening:
                columns = ", ".join(STAGED)
                staged = ", ".join(_json(db, "f.extras") if name == "extras" else f"f.{name}" for name in STAGED)
                # Every staged seat is new when none had an open interval (a first sync): no lookup each.
                new = f" WHERE NOT EXISTS (SELECT 1 FROM seat o WHERE {_OPEN_O} AND o.seat_key = f.seat_key)"
                # In key order, the new intervals go into the connection's part of the seat-key indexes one after
                # another instead of all over them: the insert takes far less time than in the order fetched.
                db.execute(
                    sa.text(
                        f"INSERT INTO seat (connection_id, {columns}, seen_from, opened_by_run)"
                        f" SELECT :c, {staged}, :now, :run FROM seatkeeper_stage f{new if self._matched else ''}"
                        " ORDER BY f.seat_key"
                    ).bindparams(*typed),
                    values,
                )
            # In key order too: the rows go into the table's key (in SQLite, the table itself) one after another.
            db.execute(
                sa.text(
                    "INSERT INTO seat_activity (connection_id, seat_key, month, last_activity_at)"
                    " SELECT :c, f.seat_key, :month, f.last_activity_at FROM seatkeeper_stage f"
                    " WHERE f.last_activity_at IS NOT NULL ORDER BY f.seat_key"
                    " ON CONFLICT (connection_id, seat_key, month) DO UPDATE SET"
                    " last_activity_at = excluded.last_activity_at"
                    f" WHERE seat_activity.last_activity_at {distinct} excluded.last_activity_at"
                ),
                values,
            )
            if self.people_staged:
                _apply_people(db, values, typed)
            plans = [
                {**plan, "connection_id": self.connection_id, "run_id": run_id, "observed_at": now} for plan in plans
            ]
            if plans:
                db.execute(sa.insert(plan_t), plans)
            db.execute(
                sa.update(run_t)
                .where(run_t.c.id == run_id)
                .values(outcome=RunOutcome.SUCCEEDED.value, finished_at=finished_at, notes=notes, **counts)
            )
        except BaseException:
            db.rollback()
            raise
        db.commit()


def close_seats(db: sa.Connection, values: dict[str, Any], typed: list) -> None:
    """Close the intervals the run ends (the first statement of the apply: the kill tests pause after it)."""
    db.execute(
        sa.text(
            "UPDATE seat SET seen_until = :now, closed_by_run = :run"
            " WHERE id IN (SELECT seat_id FROM seatkeeper_stage_closing)"
        ).bindparams(*typed),
        values,
    )


def _apply_people(db: sa.Connection, values: dict[str, Any], typed: list) -> None:
    """Close the intervals of people who changed or are no longer listed, and open the new ones."""
    db.execute(
        sa.text(
            "UPDATE person SET seen_until = :now, closed_by_run = :run WHERE connection_id = :c AND seen_until IS NULL"
            " AND NOT EXISTS (SELECT 1 FROM seatkeeper_stage_person f WHERE f.person_key = person.person_key"
            " AND f.state_hash = person.state_hash)"
        ).bindparams(*typed),
        values,
    )
    columns = ", ".join(PERSON_STAGED)
    db.execute(
        sa.text(
            f"INSERT INTO person (connection_id, {columns}, seen_from, opened_by_run)"
            f" SELECT :c, {', '.join(f'f.{name}' for name in PERSON_STAGED)}, :now, :run FROM seatkeeper_stage_person f"
            f" WHERE NOT EXISTS (SELECT 1 FROM person o WHERE {_OPEN_O} AND o.person_key = f.person_key)"
            " ORDER BY f.person_key"  # in key order, as the seats (see Staging.apply)
        ).bindparams(*typed),
        values,
    )


def _begin_writing(db: sa.Connection) -> None:
    """Start the apply's transaction, taking SQLite's write lock at once (waiting up to the busy timeout)."""
    db.commit()
    if db.dialect.name == "sqlite":
        db.exec_driver_sql("BEGIN IMMEDIATE")


def _distinct(db: sa.Connection) -> str:
    """The null-safe "differs from" of the dialect."""
    return "IS NOT" if db.dialect.name == "sqlite" else "IS DISTINCT FROM"


def _same_state(db: sa.Connection) -> str:
    """Whether the open interval o holds the state of the staged seat f: every state column null-safe equal.

    Extras are compared as text: the staged text is canonical, and so is the stored (it was staged).
    """
    same = "IS" if db.dialect.name == "sqlite" else "IS NOT DISTINCT FROM"
    stored = {"extras": "CAST(o.extras AS TEXT)"} if db.dialect.name != "sqlite" else {}
    return " AND ".join(f"{stored.get(name, f'o.{name}')} {same} f.{name}" for name in STATE_COLUMNS)


def _json(db: sa.Connection, text: str) -> str:
    """The staged JSON ``text`` as the seat table's JSON column takes it."""
    return text if db.dialect.name == "sqlite" else f"CAST({text} AS JSON)"


_OPEN_O = "o.connection_id = :c AND o.seen_until IS NULL"
# A staged seat f and the open interval o of the same seat.
_MATCHED = f"FROM seatkeeper_stage f JOIN seat o ON {_OPEN_O} AND o.seat_key = f.seat_key"
# An accepted invitation: a user new to the connection whose email is that of an open pending seat (keyed by
# email), which this run did not list again.
_PENDING_OF_F = "p.connection_id = :c AND p.seen_until IS NULL AND p.seat_key = 'email:' || f.email"
_INVITATION_CONDITIONS = (
    "f.email IS NOT NULL AND f.seat_key <> p.seat_key"
    f" AND NOT EXISTS (SELECT 1 FROM seat o WHERE {_OPEN_O} AND o.seat_key = f.seat_key)"
    " AND NOT EXISTS (SELECT 1 FROM seatkeeper_stage g WHERE g.seat_key = p.seat_key)"
)
_INVITATION = f"SELECT 1 FROM seat p WHERE {_PENDING_OF_F} AND {_INVITATION_CONDITIONS}"
# Open seats the run did not list: removed, unless their record was rejected or an invitation was accepted.
_REMOVED = (
    "INSERT INTO seatkeeper_stage_closing (seat_id, reason) SELECT o.id, 'removed' FROM seat o WHERE "
    f"{_OPEN_O} AND NOT EXISTS (SELECT 1 FROM seatkeeper_stage f WHERE f.seat_key = o.seat_key)"
    " AND NOT EXISTS (SELECT 1 FROM seatkeeper_stage_protected r WHERE r.seat_key = o.seat_key)"
    " AND NOT EXISTS (SELECT 1 FROM seatkeeper_stage_closing x WHERE x.seat_id = o.id)"
)
