"""Stopping a sync on request (Ctrl-C, SIGTERM): one process-wide flag that every wait checks.

The CLI calls :func:`request_stop` from its signal handlers. The sync engine checks it between the records a
provider yields, and providers wait through :func:`sleep` (retry backoff, ``Retry-After``) so that a stop ends
the wait at once instead of after it. Both raise :class:`~seatkeeper.errors.Interrupted`; the engine then
records the run as interrupted and applies nothing.
"""

from __future__ import annotations

import threading

from .errors import Interrupted

_stop = threading.Event()
_reason = "interrupted"


def request_stop(reason: str = "interrupted") -> None:
    """Ask every running sync of this process to stop (safe to call from a signal handler)."""
    global _reason
    _reason = reason
    _stop.set()


def stop_requested() -> bool:
    """Whether :func:`request_stop` was called (and not :func:`reset` since)."""
    return _stop.is_set()


def check() -> None:
    """Raise :class:`Interrupted` if a stop was requested."""
    if _stop.is_set():
        raise Interrupted(_reason)


def sleep(seconds: float) -> None:
    """Wait ``seconds``, or raise :class:`Interrupted` as soon as a stop is requested."""
    if _stop.wait(max(0.0, seconds)):
        raise Interrupted(_reason)


def reset() -> None:
    """Clear a stop request (for a long-lived host process or a test, before the next sync)."""
    _stop.clear()
