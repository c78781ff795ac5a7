"""Running jobs on daemon threads while the main thread stays free to take Ctrl-C and SIGTERM.

A ``ThreadPoolExecutor`` joins its threads when the interpreter exits, so a worker stuck in a network call
would keep a stopped process alive. Daemon threads end with the process; a stop gives them a short grace
period to record their runs as interrupted, then the command exits without them.
"""

from __future__ import annotations

import threading
import time
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

    def work() -> None:
        while not cancel.stop_requested():
            with lock:
                if not pending:
                    return
                index, job = pending.pop(0)
            try:
                results[index] = job()
            except BaseException as error:  # reported to the main thread, which decides
                errors.append(error)

    threads = [
        threading.Thread(target=work, name=f"seatkeeper-sync-{n}", daemon=True)
        for n in range(max(1, min(workers, len(jobs))))
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(_POLL_SECONDS)  # a timed join lets the signal handler run in this thread
    except KeyboardInterrupt:
        deadline = time.monotonic() + GRACE_SECONDS
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        raise
    if errors:
        raise errors[0]
    if cancel.stop_requested():
        cancel.check()
    return results  # type: ignore[return-value]
