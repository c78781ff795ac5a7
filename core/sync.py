"""The sync engine: fetch one connection's seats from its provider and apply the differences as history.

A sync is all-or-nothing per connection. Records are collected while the provider streams them; only when
the provider finishes without error are the changes applied, in one transaction. If anything fails half way,
the stored seats stay exactly as they were (users not yet seen are not marked removed) and the run is
recorded as failed with its reason.
"""

from __future__ import annotations

import contextlib
import hashlib
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Engine

from . import jsontext, store, stream
from .config import ConnectionConfig
from .errors import ProviderError, SeatkeeperError, SyncInProgress
from .gcpause import gc_paused
from .locks import sync_lock
from .provider import FetchContext, Provider
from .schema import Rejected, SeatPlan, SeatRecord

MAX_NOTES = 20  # rejected-record reasons kept per run; the count is always exact

STATE_FIELDS = ("user_id", "email", "name", "license_type", "billable", "status", "department", "role", "created_at")


@dataclass
class SyncResult:
    """The outcome of syncing one connection."""

    connection: str
    provider: str
    ok: bool
    run_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    notes: list[str] = field(default_factory=list)


# The digest's text must never change: stored digests are compared with new ones, and a different digest reads
# as a changed seat.
_encode_state = jsontext.Encoder(sort_keys=True, ensure_ascii=False)
_state_fields = operator.itemgetter(*STATE_FIELDS)  # created_at last


def state_hash(record: SeatRecord) -> str:
    """Digest of the fields that define a seat's state (activity time excluded: it changes on every login)."""
    fields = record.__dict__
    state = [*_state_fields(fields), fields["extras"]]
    if state[-2] is not None:
        state[-2] = state[-2].isoformat()  # what as_json_text would write, without the callback
    return hashlib.blake2b(_encode_state(state).encode(), digest_size=16).hexdigest()


def seat_row(record: SeatRecord, key: str, digest: str) -> dict[str, Any]:
    """The ``seat`` table values of a new interval for ``record``, but for those every row of the run shares.

    ``key`` is ``record.key``, which the caller has already worked out. (The connection, the run and
    ``seen_from`` are added by :func:`store.apply_run`.)
    """
    fields = record.__dict__  # SeatRecord's fields are named as the seat table's columns
    row = fields.copy() if type(record) is SeatRecord else {name: fields[name] for name in SeatRecord.model_fields}
    row["status"] = record.status.value  # plain text, not the enum, whatever the driver makes of enums
    row["seat_key"] = key
    row["state_hash"] = digest
    return row


def redact(message: str, secrets: Iterable[str]) -> str:
    """``message`` with every secret value replaced: a last line of defence for plugins that leak one."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            message = message.replace(secret, "***")
    return message


_WRITTEN: dict[str, Any] = {}  # the row of a seat already written during the fetch (see _Collector.send)


class _Collector:
    """Accumulates one run's fetched records and works out what changes.

    With ``open_stream``, new seat and activity rows are written while the fetch goes on (:mod:`seatkeeper.stream`),
    in batches, once there are enough of them, each with its table's ``shared`` values (by table name); the rest
    wait for the end of the run, as all rows do without it.
    """

    def __init__(
        self,
        open_rows: Mapping[str, store.OpenSeat],
        month_recorded: Mapping[str, datetime | None],
        open_stream: Callable[[], stream.RunStream | None] | None = None,
        shared: Mapping[str, dict[str, Any]] | None = None,
    ):
        self.open_rows = open_rows
        self.month_recorded = month_recorded
        self.fetched: dict[str, tuple[dict[str, Any] | None, datetime | None, str | None]] = {}
        self.protected: set[str] = set()
        self.rejected = 0
        self.duplicates = 0
        self.notes: list[str] = []
        self.plans: dict[str, SeatPlan] = {}
        self.open_stream = open_stream
        self.shared = shared or {}
        self.stream: stream.RunStream | None = None
        self.unsent: list[dict[str, Any]] = []  # new seat rows not written yet, while the run may still stream them
        self.unsent_activity: list[dict[str, Any]] = []  # the same for this month's first activity rows
        self.activity_written: set[str] = set()  # seat keys whose activity row was streamed
        self.unstreamed: set[str] = set()  # seats met twice: only their last record is written, at the end

    def add(self, item: Any) -> None:
        if isinstance(item, Rejected):
            self._reject(item.reason, item.key)
            return
        if isinstance(item, SeatPlan):
            self.plans[item.plan] = item
            return
        if isinstance(item, dict):
            try:
                item = SeatRecord.model_validate(item)
            except ValidationError as error:
                self._reject(_validation_summary(error), None)
                return
        if not isinstance(item, SeatRecord):
            raise ProviderError(
                f"the provider yielded a {type(item).__name__}, not a SeatRecord or SeatPlan: a plugin bug"
            )
        key = item.key
        if key in self.fetched:
            self.duplicates += 1
            self.unstreamed.add(key)
        digest = state_hash(item)
        current = self.open_rows.get(key)
        row = None if current is not None and current.state_hash == digest else seat_row(item, key, digest)
        activity = item.last_activity_at
        self.fetched[key] = (row, activity, item.email)
        if self.open_stream is not None:
            if row is not None:
                self.unsent.append(row)
            if activity is not None and key not in self.month_recorded:
                self.unsent_activity.append({"seat_key": key, "last_activity_at": activity})
            if len(self.unsent) >= stream.BATCH or len(self.unsent_activity) >= stream.BATCH:
                self.send()

    def send(self) -> None:
        """Write the new rows collected so far during the fetch, opening the stream first if need be.

        When the stream cannot be opened (see :meth:`stream.RunStream.open`), every row waits for the end of the run.
        """
        rows, self.unsent = self.unsent, []
        activity_rows, self.unsent_activity = self.unsent_activity, []
        if self.stream is None:
            self.stream = self.open_stream() if rows or activity_rows else None
            if self.stream is None:
                self.open_stream = None
                return
        unstreamed = self.unstreamed
        rows = [row for row in rows if row["seat_key"] not in unstreamed]
        self.stream.write(store.seat_t, rows, self.shared[store.seat_t.name])
        fetched = self.fetched
        for row in rows:
            key = row["seat_key"]
            _row, activity, email = fetched[key]
            fetched[key] = (_WRITTEN, activity, email)
        activity_rows = [row for row in activity_rows if row["seat_key"] not in unstreamed]
        self.stream.write(store.activity_t, activity_rows, self.shared[store.activity_t.name])
        self.activity_written.update(row["seat_key"] for row in activity_rows)

    def _reject(self, reason: str, key: str | None) -> None:
        self.rejected += 1
        if key:
            self.protected.add(key)  # keep the stored seat: a bad record is not a removed user
        if len(self.notes) < MAX_NOTES:
            self.notes.append(f"rejected record{f' {key}' if key else ''}: {reason}")

    def changes(self) -> tuple[store.Changes, dict[str, int]]:
        changes = store.Changes()
        added = changed = unchanged = 0
        superseded: set[str] = set()
        for key, (row, activity, email) in self.fetched.items():
            current = self.open_rows.get(key)
            if row is None:
                unchanged += 1
                if activity != current.last_activity_at:
                    changes.activity_updates.append((current.id, activity))
            else:
                if row is not _WRITTEN:
                    changes.inserts.append(row)
                if current is not None:
                    changes.closes.append(current.id)
                    changed += 1
                elif (previous := self._invitation_of(key, email)) is not None:
                    # An accepted invitation: the pending seat (keyed by email) now has a user id.
                    changes.closes.append(self.open_rows[previous].id)
                    superseded.add(previous)
                    changed += 1
                else:
                    added += 1
            if activity is not None and self.month_recorded.get(key) != activity:
                if key in self.month_recorded:
                    changes.month_activity[key] = activity
                elif key not in self.activity_written or key in self.unstreamed:
                    # The sync lock keeps other syncs of this connection from adding the row meanwhile.
                    changes.first_month_activity[key] = activity
        removed = 0
        for key, current in self.open_rows.items():
            if key not in self.fetched and key not in self.protected and key not in superseded:
                changes.closes.append(current.id)
                removed += 1
        counts = {
            "seen": len(self.fetched),
            "added": added,
            "changed": changed,
            "removed": removed,
            "unchanged": unchanged,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
        }
        changes.plans = [plan.model_dump() for plan in self.plans.values()]
        if self.stream is not None:
            changes.unstreamed = self.unstreamed
            changes.unstreamed_activity = self.unstreamed & self.activity_written
        return changes, counts

    def _invitation_of(self, key: str, email: str | None) -> str | None:
        if not email:
            return None
        pending_key = f"email:{email}"
        if pending_key != key and pending_key in self.open_rows and pending_key not in self.fetched:
            return pending_key
        return None


def _validation_summary(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "record"
    return f"{where}: {first.get('msg', 'invalid')}"


def sync_connection(
    engine: Engine,
    connection: ConnectionConfig,
    provider: Provider,
    settings: Mapping[str, str],
    *,
    now: datetime | None = None,
    progress: Callable[..., None] | None = None,
    allow_empty: bool = False,
) -> SyncResult:
    """Sync one connection; never raises for a provider failure (the result and the run record it).

    :param now: the moment this sync stands for in the history (default: the current time). The demo and
        tests pin it to build several months of history.
    :param progress: forwarded to the provider as ``FetchContext.progress``.
    :param allow_empty: accept a provider answer with no users at all while seats are stored (otherwise
        that is treated as a provider fault, so a glitch never marks everyone removed).
    """
    pinned = now is not None
    now = now or datetime.now(UTC)
    result = SyncResult(connection.name, provider.name, ok=False)
    connection_id = store.ensure_connection(engine, connection.name, provider.name, now)
    secrets = [settings[s.name] for s in provider.settings if s.secret and s.name in settings]
    context = FetchContext(connection.name, settings, progress=progress or (lambda **_: None))
    warnings = context.warnings

    def clock() -> datetime:
        return now if pinned else datetime.now(UTC)

    with contextlib.ExitStack() as held:
        try:
            held.enter_context(sync_lock(engine, connection.name))
        except SyncInProgress as error:
            result.error = str(error)  # another process owns this connection: record no run of ours
            return result
        run_id = result.run_id = store.start_run(engine, connection_id, now)
        try:
            # Leaving the block rolls back rows written during the fetch, unless apply_run committed them.
            with gc_paused(), stream.sync_running(engine), contextlib.ExitStack() as streaming:
                month = now.strftime("%Y-%m")
                collector = _Collector(
                    store.open_seats(engine, connection_id),
                    store.month_activity(engine, connection_id, month),
                    stream.opener(engine, streaming),
                    {
                        store.seat_t.name: store.seat_shared(connection_id, now, run_id),
                        store.activity_t.name: store.activity_shared(connection_id, month),
                    },
                )
                _fetch(collector, provider, settings, context, allow_empty)
                changes, counts = collector.changes()
                notes = [redact(note, secrets) for note in warnings + collector.notes]
                store.apply_run(
                    engine, run_id, connection_id, now, month, changes, counts, notes, clock(), collector.stream
                )
        except SeatkeeperError as error:
            result.error = redact(str(error), secrets)
        except KeyboardInterrupt:
            store.fail_run(engine, run_id, "interrupted by the user", clock())
            raise
        except Exception as error:  # a plugin bug must fail this connection, not the whole command
            first_line = (str(error).strip().splitlines() or [""])[0]
            result.error = redact(
                f"unexpected {type(error).__name__} in provider {provider.name!r}: {first_line}", secrets
            )
        else:
            result.ok, result.counts, result.notes = True, counts, notes
            return result
        result.notes = [redact(note, secrets) for note in warnings]
        store.fail_run(engine, run_id, result.error, clock(), result.notes)
        return result


def _fetch(collector: _Collector, provider, settings, context, allow_empty) -> None:
    """Authenticate and collect every record the provider yields (new rows may be written, uncommitted)."""
    session = provider.authenticate(settings)
    for item in provider.fetch(session, context):
        collector.add(item)
    if collector.stream is not None:
        collector.send()
    if not collector.fetched and collector.open_rows and not allow_empty:
        raise ProviderError(
            f"{provider.name} returned no users while {len(collector.open_rows)} seats are stored; "
            "nothing was changed (if the account really is empty, sync with --allow-empty)"
        )
