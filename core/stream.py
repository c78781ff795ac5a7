"""Writing a big run's new rows (seats, and this month's activity) into SQLite while the provider is still fetching.

A first sync of a large account spends about as long writing its new seats as fetching them. SQLite can do the
writing beside the fetch, inside the run's one transaction: nothing is visible to readers, and nothing is kept,
unless the whole run succeeds. Each batch of rows goes to SQLite as one JSON text and one ``INSERT ... SELECT
FROM json_each(?)`` statement, in a thread of its own. SQLite does that work without holding Python's GIL, so it
runs alongside the fetch (row-by-row ``executemany`` would need the GIL for every row, and wait for it).

The values are those :func:`store.insert_many` would store (each through its column's bind processor), so a
streamed row reads back exactly like one written at the end of the run.

The transaction keeps SQLite's write lock from the first streamed batch until the run ends. seatkeeper's other
writers wait for it on :func:`locks.write_lock`; a run that cannot have both locks at once simply writes at the
end, as a small run always does.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from . import store
from .db import BUSY_TIMEOUT_MS
from .errors import StoreError
from .locks import write_lock

#: New rows a run collects before it starts writing them during the fetch, and rows per streamed batch.
BATCH = 2000

#: The SQLite library streaming needs: ``->>`` came in 3.38 (older ones write every row at the end of the run).
NEEDS_SQLITE = (3, 38, 0)

_encode = msgspec.json.Encoder().encode

_running: Counter[str] = Counter()  # syncs running in this process, by database URL
_running_lock = threading.Lock()


@contextlib.contextmanager
def sync_running(engine: Engine) -> Iterator[None]:
    """Count a sync of ``engine``'s database as running in this process while the block runs.

    A run streams only while it is the only one: the others (``sync --jobs``) would wait for its write lock
    instead of writing their own results as they finish, which costs them more than streaming saves it.
    """
    key = engine.url.render_as_string()
    with _running_lock:
        _running[key] += 1
    try:
        yield
    finally:
        with _running_lock:
            _running[key] -= 1


_STOP = object()


class _Prepared(NamedTuple):
    """How a table's rows are streamed: the statement, the columns taken from each row, the shared values."""

    sql: str
    columns: list[store._Column]
    parameters: tuple


class RunStream:
    """An open transaction on a SQLite file that takes a run's new rows in batches, written by a thread.

    Use :meth:`open`; then :meth:`write` batches, and :meth:`finish` (the connection, for the rest of the run)
    and :meth:`commit`, or :meth:`abort`. :meth:`abort` is safe to call at any point, any number of times.
    """

    def __init__(self, held: contextlib.ExitStack, db: sa.Connection):
        self._held = held
        self._db = db
        self._prepared: dict[str, _Prepared] = {}  # by table name
        self._batches: queue.Queue = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._ended = False
        self._writer = threading.Thread(target=self._write_batches, name="seatkeeper-seat-stream", daemon=True)
        self._writer.start()

    @classmethod
    def open(cls, engine: Engine) -> RunStream | None:
        """A stream into ``engine``, or None.

        None when streaming does not apply (not a SQLite file, or a SQLite library older than
        :data:`NEEDS_SQLITE`), when other syncs of the database run in this process (see :func:`sync_running`), or
        when the database's write lock is taken: by another seatkeeper writer, or by any other program writing to
        the file right now.
        """
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return None
        if engine.dialect.dbapi.sqlite_version_info < NEEDS_SQLITE or _running[engine.url.render_as_string()] > 1:
            return None
        held = contextlib.ExitStack()
        try:
            if not held.enter_context(write_lock(engine, wait=False)):
                held.close()
                return None
            db = held.enter_context(engine.connect())
            if not _begin_at_once(db):
                held.close()
                return None
            # Here, not when a table's statement is prepared: once the writer runs, only it may use the connection.
            db.connection.driver_connection.create_function("seatkeeper_utc_text", 1, _utc_text_of, deterministic=True)
        except BaseException:
            held.close()
            raise
        return cls(held, db)

    def write(self, table: sa.Table, rows: list[dict[str, Any]], shared: dict[str, Any]) -> None:
        """Queue ``rows`` (of one shape) to be inserted into ``table``, each with the ``shared`` values added.

        ``shared`` must be the same at every call for a table. Converting the values is done here; the writing,
        by the stream's thread. Waits while two batches are already waiting. Raises what the thread failed with.
        """
        if not rows:
            return
        self._raise_failure()
        prepared = self._prepared.get(table.name)
        if prepared is None:
            prepared = self._prepared[table.name] = self._prepare(table, rows[0], shared)
        batch = (prepared.sql, (_encode(list(store.driver_values(rows, prepared.columns))), *prepared.parameters))
        while True:
            try:
                self._batches.put(batch, timeout=0.05)
                return
            except queue.Full:
                self._raise_failure()

    def finish(self) -> sa.Connection:
        """Wait until every queued batch is written; the transaction's connection, for the rest of the run."""
        self._stop_writer()
        self._raise_failure()
        return self._db

    def commit(self) -> None:
        """Commit the run's transaction and release the locks."""
        self._stop_writer()
        self._raise_failure()
        self._db.commit()
        self._ended = True
        self._held.close()

    def abort(self) -> None:
        """Roll back whatever was written, and release the locks (nothing, once committed or aborted)."""
        if self._ended:
            return
        self._ended = True
        self._stop_writer()
        with contextlib.suppress(Exception):  # the connection is closed (and rolled back) below either way
            self._db.rollback()
        self._held.close()

    def _prepare(self, table: sa.Table, row: dict[str, Any], shared: dict[str, Any]) -> _Prepared:
        # Each row's values are read out of its JSON once (a materialized CTE): SQLite 3.40 parses the row's text
        # again for every ->>. The shared values are parameters, not repeated in every row.
        _sql, columns = store.driver_columns(self._db.dialect, sa.insert(table).values(**shared), row)
        quote = self._db.dialect.identifier_preparer.quote
        varying, extracted, selected, parameters = [], [], [], []
        for column in columns:
            if not column.varies:
                selected.append("?")
                parameters.append(column.shared if column.processor is None else column.processor(column.shared))
                continue
            value = f"v{len(varying)}"
            extracted.append(f"value ->> {len(varying)} AS {value}")
            if column.processor is store._sqlite_utc_text:
                # Times go as msgspec writes them, and SQLite turns them into the stored text, without the GIL.
                column = column._replace(processor=None)
                value = _UTC_TEXT.format(value=value)
            varying.append(column)
            selected.append(value)
        names = ", ".join(quote(column.name) for column in columns)
        sql = (
            f"WITH batch AS MATERIALIZED (SELECT {', '.join(extracted)} FROM json_each(?))"
            f" INSERT INTO {quote(table.name)} ({names}) SELECT {', '.join(selected)} FROM batch"
        )
        return _Prepared(sql, varying, tuple(parameters))

    def _write_batches(self) -> None:
        cursor = None
        while True:
            batch = self._batches.get()
            if batch is _STOP:
                return
            if self._error is not None:
                continue  # drain: the run fails anyway
            try:
                cursor = cursor or self._db.connection.driver_connection.cursor()
                cursor.execute(*batch)
            except BaseException as error:  # handed to the run's thread by _raise_failure
                self._error = error

    def _stop_writer(self) -> None:
        if self._writer.is_alive():
            self._batches.put(_STOP)
            self._writer.join()

    def _raise_failure(self) -> None:
        error = self._error
        if error is None:
            return
        if isinstance(error, Exception):
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise StoreError(f"the database refused the run's new seats: {first_line}") from error
        raise error


# What store._sqlite_utc_text makes of a UTC time, from the text msgspec writes for it: 2026-01-31T12:00:00Z, or
# with six digits of microseconds. Anything else (a time a plugin left out of UTC) goes to _utc_text_of, which
# takes the GIL: NULL is settled first, so that only odd values ever do.
_UTC_TEXT = (
    "(CASE WHEN {value} IS NULL THEN NULL"
    " WHEN {value} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'"
    " THEN substr({value}, 1, 10) || ' ' || substr({value}, 12, 8) || '.000000'"
    " WHEN {value} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z'"
    " THEN substr({value}, 1, 10) || ' ' || substr({value}, 12, 15)"
    " ELSE seatkeeper_utc_text({value}) END)"
)


def _utc_text_of(text: str | None) -> str | None:
    return None if text is None else store._sqlite_utc_text(datetime.fromisoformat(text))


def opener(engine: Engine, cleanup: contextlib.ExitStack) -> Callable[[], RunStream | None]:
    """What opens a run's stream (:meth:`RunStream.open`) when it has enough rows; ``cleanup`` aborts it.

    Aborting after the run committed does nothing, so ``cleanup`` can close on success and failure alike.
    """

    def open_stream() -> RunStream | None:
        opened = RunStream.open(engine)
        if opened is not None:
            cleanup.callback(opened.abort)
        return opened

    return open_stream


def _begin_at_once(db: sa.Connection) -> bool:
    """Begin a write transaction on ``db`` if SQLite's write lock is free now; False if it is not."""
    driver = db.connection.driver_connection
    driver.execute("PRAGMA busy_timeout=0")
    try:
        db.exec_driver_sql("BEGIN IMMEDIATE")
    except sa.exc.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        return False
    finally:
        driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return True
