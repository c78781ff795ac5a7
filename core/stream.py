"""Writing a big run's new seats into SQLite while the provider is still fetching.

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
from collections.abc import Callable
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from . import store
from .db import BUSY_TIMEOUT_MS
from .locks import write_lock

#: New rows a run collects before it starts writing them during the fetch, and rows per streamed batch.
BATCH = 2000

_encode = msgspec.json.Encoder().encode
_STOP = object()


class SeatStream:
    """An open transaction on a SQLite file that takes a run's new seat rows in batches, written by a thread.

    Use :meth:`open`; then :meth:`write` batches, and :meth:`finish` (the connection, for the rest of the run)
    and :meth:`commit`, or :meth:`abort`. :meth:`abort` is safe to call at any point, any number of times.
    """

    def __init__(self, engine: Engine, shared: dict[str, Any], held: contextlib.ExitStack, db: sa.Connection):
        self.shared = shared
        self._held = held
        self._db = db
        self._statement: str | None = None
        self._columns: list[store._Column] = []
        self._batches: queue.Queue = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._ended = False
        self._writer = threading.Thread(target=self._write_batches, name="seatkeeper-seat-stream", daemon=True)
        self._writer.start()

    @classmethod
    def open(cls, engine: Engine, shared: dict[str, Any]) -> SeatStream | None:
        """A stream into ``engine``'s ``seat`` table with ``shared`` added to every row, or None.

        None when streaming does not apply (not a SQLite file) or the database's write lock is taken: by
        another seatkeeper writer, or by any other program writing to the file right now.
        """
        database = engine.url.database
        if engine.dialect.name != "sqlite" or not database or database == ":memory:":
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
        except BaseException:
            held.close()
            raise
        return cls(engine, shared, held, db)

    def write(self, rows: list[dict[str, Any]]) -> None:
        """Queue ``rows`` (seat rows of one shape, without the shared values) to be written.

        Converting the values is done here; the writing, by the stream's thread. Waits while two batches
        are already waiting. Raises what the thread failed with, if it did.
        """
        if not rows:
            return
        self._raise_failure()
        if self._statement is None:
            self._statement, self._columns = self._prepare(rows[0])
        text = _encode(list(store.driver_values(rows, self._columns)))
        while True:
            try:
                self._batches.put(text, timeout=0.05)
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

    def _prepare(self, row: dict[str, Any]) -> tuple[str, list[store._Column]]:
        statement = sa.insert(store.seat_t).values(**self.shared)
        _sql, columns = store.driver_columns(self._db.dialect, statement, row)
        quote = self._db.dialect.identifier_preparer.quote
        names = ", ".join(quote(column.name) for column in columns)
        values = ", ".join(f"value ->> {index}" for index in range(len(columns)))
        return f"INSERT INTO {quote(store.seat_t.name)} ({names}) SELECT {values} FROM json_each(?)", columns

    def _write_batches(self) -> None:
        cursor = None
        while True:
            text = self._batches.get()
            if text is _STOP:
                return
            if self._error is not None:
                continue  # drain: the run fails anyway
            try:
                cursor = cursor or self._db.connection.driver_connection.cursor()
                cursor.execute(self._statement, (text,))
            except BaseException as error:  # handed to the run's thread by _raise_failure
                self._error = error

    def _stop_writer(self) -> None:
        if self._writer.is_alive():
            self._batches.put(_STOP)
            self._writer.join()

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise self._error


def opener(engine: Engine, shared: dict[str, Any], cleanup: contextlib.ExitStack) -> Callable[[], SeatStream | None]:
    """What opens a run's stream (:meth:`SeatStream.open`) when it has enough rows; ``cleanup`` aborts it.

    Aborting after the run committed does nothing, so ``cleanup`` can close on success and failure alike.
    """

    def open_stream() -> SeatStream | None:
        opened = SeatStream.open(engine, shared)
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
