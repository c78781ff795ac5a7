"""Ctrl-C and SIGTERM: ask running syncs to stop, then leave with the documented exit code.

The first signal calls :func:`seatkeeper.cancel.request_stop` (workers stop between records and during
waits) and raises ``KeyboardInterrupt`` in the main thread, which ends the command. A second signal exits at
once.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from seatkeeper import cancel

#: Exit code by signal: 128 + the signal's number, as shells report it.
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
REASONS = {signal.SIGINT: "interrupted by Ctrl-C", signal.SIGTERM: "stopped by SIGTERM"}

_received: list[int] = []
#: What a stop leaves undone, for the one line printed when it ends the command (the sync command sets it).
_consequence = ""


def stopping_syncs() -> None:
    """From now on, a stop's message says that the running syncs were not applied."""
    global _consequence
    _consequence = "nothing of the running syncs was applied"


def message() -> str:
    """The one line that ends a stopped command, e.g. ``Interrupted: nothing of the running syncs was applied``."""
    what = "Stopped by SIGTERM" if _received and _received[0] == signal.SIGTERM else "Interrupted"
    return f"{what}: {_consequence}" if _consequence else f"{what}."


def exit_code(default: int = 130) -> int:
    """The exit code for the first signal received (``default`` when none was, e.g. a bare KeyboardInterrupt)."""
    return EXIT_CODES.get(_received[0], default) if _received else default


def _handle(signum: int, _frame: object) -> None:
    if _received:  # the second signal: the user does not want to wait for the workers
        os.write(2, (message() + "\n").encode())
        os._exit(exit_code())
    _received.append(signum)
    cancel.request_stop(REASONS.get(signum, "interrupted"))
    raise KeyboardInterrupt


@contextmanager
def handled() -> Iterator[None]:
    """Install the handlers for the body (main thread only), then restore the previous ones."""
    global _consequence
    _received.clear()
    _consequence = ""
    cancel.reset()
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = {signum: signal.signal(signum, _handle) for signum in EXIT_CODES}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
