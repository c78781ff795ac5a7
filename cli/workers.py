"""Running jobs on daemon threads while the main thread stays free to take Ctrl-C and SIGTERM.

A ``ThreadPoolExecutor`` joins its threads when the interpreter exits, so a worker stuck in a network call
would keep a stopped process alive. Daemon threads end with the process; a stop gives them a short grace
period to record their runs as interrupted, then the command exits without them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from seatkeeper import cancel

T = TypeVar("T")

#: How long a stopped command waits for its workers to end before it exits without them.
GRACE_SECONDS = 2.0
_POLL_SECONDS = 0.1


def run_all(jobs: Sequence[Callable[[], T]], *, workers: int) -> list[T]:
    """Run every job, ``workers`` at a time, and return their results in the order of ``jobs``.

    A job's exception is raised here once all jobs ended. On ``KeyboardInterrupt`` (the signal handlers raise
    it in the main thread) no new job starts; the running ones get :data:`GRACE_SECONDS` to end, then the
    interrupt goes on.
    """
    results: list[T | None] = [None] * len(jobs)
    errors: list[BaseException] = []
    pending = list(enumerate(jobs))
    lock = threading.Lock()
    count = max(1, min(workers, len(jobs)))
    running = [count]
    all_ended = threading.Event()

    def work() -> None:
        try:
            while not cancel.stop_requested():
                with lock:
                    if not pending:
                        return
                    index, job = pending.pop(0)
                try:
                    results[index] = job()
                except BaseException as error:  # reported to the main thread, which decides
                    errors.append(error)
        finally:
            with lock:
                running[0] -= 1
                if not running[0]:
                    all_ended.set()

    for n in range(count):
        threading.Thread(target=work, name=f"seatkeeper-sync-{n}", daemon=True).start()
    # Waiting on an event, not Thread.join: a join that a signal interrupts leaves the thread looking ended on
    # Python 3.11, so the grace period below would not wait for it.
    try:
        while not all_ended.wait(_POLL_SECONDS):  # a timed wait lets the signal handler run in this thread
            pass
    except KeyboardInterrupt:
        all_ended.wait(GRACE_SECONDS)
        raise
    if errors:
        raise errors[0]
    if cancel.stop_requested():
        cancel.check()
    return results  # type: ignore[return-value]
