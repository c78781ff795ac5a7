"""The sync engine: fetch one connection's seats from its provider and apply the differences as history.

A sync is all-or-nothing per connection. Records are staged while the provider streams them
(:mod:`seatkeeper.staging`); only when the provider finishes without error are the changes applied, in one
transaction. If anything fails half way, or the user stops the command, the stored seats stay exactly as they
were (users not yet seen are not marked removed) and the run is recorded as failed or interrupted with its
reason. No lock is held while the provider fetches, but the connection's own: another sync of the same
connection refuses at once, and syncs of other connections and reports go on.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from . import cancel, db, jsontext, store
from .config import ConnectionConfig, application_of
from .errors import ConfigError, Interrupted, ProviderError, SeatkeeperError, first_line
from .gcpause import gc_paused
from .locks import sync_lock
from .people import stored_folded_name
from .provider import FetchContext, Provider, provider_items
from .runs import RunOutcome
from .schema import SEAT_FIELDS, Person, Rejected, SeatPlan, SeatRecord, SeatStatus
from .staging import DUPLICATE_RULE, NAMED_DUPLICATES, Outcome, Staging

MAX_NOTES = 20  # rejected-record reasons kept per run; the count is always exact

#: A run that would remove more than this share of a connection's open seats is refused unless allowed ...
SHRINK_LIMIT = 0.5
#: ... once it removes at least this many (a small team losing half its seats is no sign of a bad export).
SHRINK_MIN_SEATS = 10


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
    outcome: RunOutcome = RunOutcome.FAILED
    #: The exit code the failure calls for (the README's table): 0 when the sync succeeded.
    exit_code: int = 1


# Plain text, not the enum, whatever the driver makes of enums.
_STATUS_TEXT = {status: status.value for status in SeatStatus}


def seat_row(record: SeatRecord) -> dict[str, Any]:
    """The staged values of ``record``: its seat fields and its key."""
    fields = record.__dict__  # SeatRecord's fields are named as the seat table's columns
    # A subclass may hold more fields than the seat table has columns.
    row = dict(fields) if type(record) is SeatRecord else {name: fields[name] for name in SEAT_FIELDS}
    row["status"] = _STATUS_TEXT[record.status]
    row["seat_key"] = record.key
    return row


_encode_person = jsontext.Encoder(sort_keys=True, ensure_ascii=False)


def person_row(person: Person) -> dict[str, Any]:
    """The staged values of a directory's ``person``: its fields, its key, its folded name and its state digest."""
    row = person.model_dump()
    row["status"] = person.status.value
    row["aliases"] = list(person.aliases)
    row["person_key"] = person.person_id or f"email:{person.email}"
    state = {**row, "status_since": person.status_since.isoformat() if person.status_since else None}
    row["state_hash"] = hashlib.blake2b(_encode_person(state).encode(), digest_size=16).hexdigest()
    # Derived from the name, so not part of the state: a report looks up possible matches by it.
    row["folded_name"] = stored_folded_name(person.name)
    return row


def redact(message: str, secrets: Iterable[str]) -> str:
    """``message`` with every secret value replaced: a last line of defence for plugins that leak one."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            message = message.replace(secret, "***")
    return message


class _Collector:
    """Turns one run's fetched items into staged rows; keeps the few things that are not rows (plans, notes)."""

    def __init__(self, staging: Staging, now: datetime, directory: bool = False):
        self.staging = staging
        self.now = now
        self.directory = directory
        self.rejected = 0
        self.future_activity = 0
        self.notes: list[str] = []
        self.plans: dict[str, SeatPlan] = {}

    def add(self, item: Any) -> None:
        if isinstance(item, SeatRecord):
            self.staging.add(self._row(item))
        elif isinstance(item, Rejected):
            self.rejected += 1
            if item.key:
                self.staging.protect(item.key)  # keep the stored seat: a bad record is not a removed user
            if len(self.notes) < MAX_NOTES:
                self.notes.append(f"rejected record{f' {item.key}' if item.key else ''}: {item.reason}")
        elif isinstance(item, SeatPlan):
            self.plans[item.plan] = item
        elif isinstance(item, Person) and self.directory:
            self.staging.add_person(person_row(item))
        elif isinstance(item, Person):
            raise ProviderError("the provider yielded a Person but is no directory (directory = True): a plugin bug")
        else:
            raise ProviderError(
                f"the provider yielded a {type(item).__name__}, not a SeatRecord, Rejected or SeatPlan: a plugin bug"
            )

    def _row(self, record: SeatRecord) -> dict[str, Any]:
        row = seat_row(record)
        activity = row["last_activity_at"]
        if activity is not None and activity > self.now:
            # A clock ahead of ours: a last activity after the sync would read as negative idle days.
            self.future_activity += 1
            row["last_activity_at"] = self.now
        return row

    def notes_of(self, outcome: Outcome) -> list[str]:
        """The run's notes: what was rejected, the duplicates and how one was kept, activity times clamped."""
        notes = list(self.notes)
        if outcome.duplicates:
            named = ", ".join(outcome.duplicate_keys[:NAMED_DUPLICATES])
            more = " ..." if len(outcome.duplicate_keys) > NAMED_DUPLICATES else ""
            notes.append(
                f"{outcome.duplicates} duplicate record(s) of the same user were dropped, keeping {DUPLICATE_RULE}:"
                f" {named}{more}"
            )
        if self.future_activity:
            notes.append(
                f"{self.future_activity} user(s) had a last activity after the sync's time; it was recorded as"
                " the sync's time"
            )
        return notes


def sync_connection(
    engine: Engine,
    connection: ConnectionConfig,
    provider: Provider,
    settings: Mapping[str, str],
    *,
    now: datetime | None = None,
    progress: Callable[..., None] | None = None,
    allow_empty: bool = False,
    allow_shrink: bool = False,
    shrink_limit: float | None = None,
) -> SyncResult:
    """Sync one connection; never raises for a provider failure (the result and the run record it).

    :param now: the moment this sync stands for in the history (default: the current time). The demo and
        tests pin it to build several months of history.
    :param progress: forwarded to the provider as ``FetchContext.progress``.
    :param allow_empty: accept a provider answer with no users at all while seats are stored (otherwise
        that is treated as a provider fault, so a glitch never marks everyone removed).
    :param allow_shrink: accept a run that removes more than ``shrink_limit`` (default :data:`SHRINK_LIMIT`) of
        the stored seats, and at least :data:`SHRINK_MIN_SEATS` (otherwise refused, as a truncated export would be).
    :raises KeyboardInterrupt: after recording the run as interrupted, when Ctrl-C reaches this thread.
    """
    pinned = now is not None
    now = now or datetime.now(UTC)
    result = SyncResult(connection.name, provider.name, ok=False)
    secrets = [settings[s.name] for s in provider.settings if s.secret and s.name in settings]
    context = FetchContext(connection.name, settings, progress=progress or (lambda **_: None))

    def clock() -> datetime:
        return now if pinned else datetime.now(UTC)

    with contextlib.ExitStack() as held:
        try:
            application = application_of(connection, provider)
            connection_id = store.ensure_connection(engine, connection.name, provider.name, now, application)
            held.enter_context(sync_lock(engine, connection.name))
            if pinned:
                _check_forward(connection.name, store.last_sync_at(engine, connection_id), now)
            run_id = result.run_id = store.start_run(engine, connection_id, now)
        except SeatkeeperError as error:  # e.g. another process owns this connection: record no run of ours
            result.error, result.exit_code = str(error), error.exit_code
            return result
        except sa.exc.SQLAlchemyError as error:
            result.error = str(db.store_error(error, "write to", engine.url))
            return result
        try:
            with gc_paused(), Staging(engine, connection_id) as staging:
                collector = _Collector(staging, now, provider.directory)
                _fetch(collector, provider, settings, context)
                outcome = staging.outcome()
                _check_guards(provider, outcome, allow_empty, allow_shrink, shrink_limit or SHRINK_LIMIT)
                people = staging.people_outcome()
                notes = context.warnings + collector.notes_of(outcome) + ([people.note()] if people else [])
                notes = [redact(note, secrets) for note in notes]
                counts = outcome.counts(collector.rejected)
                cancel.check()  # the last moment a stop is heard: the apply is short and all-or-nothing
                plans = [plan.model_dump() for plan in collector.plans.values()]
                staging.apply(run_id, now, now.strftime("%Y-%m"), plans, counts, notes, clock())
        except Interrupted as error:
            result.error, result.outcome, result.exit_code = str(error), RunOutcome.INTERRUPTED, error.exit_code
        except KeyboardInterrupt:
            store.fail_run(engine, run_id, "interrupted", clock(), outcome=RunOutcome.INTERRUPTED)
            raise
        except SeatkeeperError as error:
            result.error, result.exit_code = redact(str(error), secrets), error.exit_code
        except sa.exc.IntegrityError as error:
            result.error = (
                f"another sync of connection {connection.name!r} applied its changes meanwhile (through another "
                f"lock folder?); nothing of this run was applied: sync again ({first_line(error.orig)})"
            )
        except sa.exc.SQLAlchemyError as error:
            result.error = str(db.store_error(error, "write to", engine.url))
        except Exception as error:  # a plugin bug must fail this connection, not the whole command
            result.error = redact(
                f"unexpected {type(error).__name__} in provider {provider.name!r}: {first_line(error)}", secrets
            )
        else:
            result.ok, result.outcome, result.counts, result.notes = True, RunOutcome.SUCCEEDED, counts, notes
            result.exit_code = 0
            return result
        result.notes = [redact(note, secrets) for note in context.warnings]
        with contextlib.suppress(SeatkeeperError, sa.exc.SQLAlchemyError):  # the run's error is the one to report
            store.fail_run(engine, run_id, result.error, clock(), result.notes, outcome=result.outcome)
        return result


def preview_connection(
    engine: Engine,
    connection: ConnectionConfig,
    provider: Provider,
    settings: Mapping[str, str],
    *,
    progress: Callable[..., None] | None = None,
    allow_empty: bool = False,
    allow_shrink: bool = False,
    shrink_limit: float | None = None,
) -> SyncResult:
    """What syncing ``connection`` now would change (``sync --dry-run``): the same fetch and the same counts and
    guards, and nothing written: no connection, no run, no seat (the run's staging tables are temporary).

    ``engine`` may be read-only. A connection never synced has no seats: everything it lists would be added.
    """
    now = datetime.now(UTC)
    result = SyncResult(connection.name, provider.name, ok=False)
    secrets = [settings[s.name] for s in provider.settings if s.secret and s.name in settings]
    context = FetchContext(connection.name, settings, progress=progress or (lambda **_: None))
    try:
        connection_id = store.connection_id(engine, connection.name)
        with Staging(engine, -1 if connection_id is None else connection_id) as staging:
            collector = _Collector(staging, now, provider.directory)
            _fetch(collector, provider, settings, context)
            outcome = staging.outcome()
            _check_guards(provider, outcome, allow_empty, allow_shrink, shrink_limit or SHRINK_LIMIT)
            people = staging.people_outcome()
    except SeatkeeperError as error:
        result.error, result.exit_code = redact(str(error), secrets), error.exit_code
    except sa.exc.SQLAlchemyError as error:
        result.error = str(db.store_error(error, "read", engine.url))
    except Exception as error:  # a plugin bug
        result.error = redact(
            f"unexpected {type(error).__name__} in provider {provider.name!r}: {first_line(error)}", secrets
        )
    else:
        result.ok, result.outcome, result.exit_code = True, RunOutcome.SUCCEEDED, 0
        result.counts = outcome.counts(collector.rejected)
        notes = context.warnings + collector.notes_of(outcome) + ([people.note()] if people else [])
        result.notes = [redact(note, secrets) for note in notes]
        return result
    result.notes = [redact(note, secrets) for note in context.warnings]
    return result


def _fetch(collector: _Collector, provider: Provider, settings: Mapping[str, str], context: FetchContext) -> None:
    """Authenticate and stage every item the provider yields; the generator and the session are closed after."""
    cancel.check()
    with provider_items(provider, settings, context) as items:
        for item in items:
            cancel.check()
            collector.add(item)


def _check_forward(name: str, last: datetime | None, when: datetime) -> None:
    """Refuse a sync dated before the connection's last one: history only moves forward."""
    if last is not None and when < last:
        raise ConfigError(
            f"connection {name!r} was last synced as of {last:%Y-%m-%d %H:%M}: a sync as of {when:%Y-%m-%d} would "
            "rewrite its history (history only moves forward)"
        )


def _check_guards(provider: Provider, outcome: Outcome, allow_empty: bool, allow_shrink: bool, limit: float) -> None:
    """Refuse an answer that looks like a provider fault or a truncated export rather than real departures."""
    if outcome.seen == 0 and outcome.open_before and not allow_empty:
        raise ProviderError(
            f"{provider.name} returned no users while {outcome.open_before} seats are stored; "
            "nothing was changed (if the account really is empty, sync with --allow-empty)"
        )
    if (
        not allow_shrink
        and outcome.seen
        and outcome.removed >= SHRINK_MIN_SEATS
        and outcome.removed > limit * outcome.open_before
    ):
        raise ProviderError(
            f"this run would remove {outcome.removed} of the {outcome.open_before} stored seats "
            f"({outcome.removed / outcome.open_before:.0%}), more than the {limit:.0%} a sync may remove; "
            "nothing was changed (a truncated export? if so many users really left, sync with --allow-shrink)"
        )
