"""The outcome of a sync run, as stored in ``sync_run.outcome`` and shown by ``seatkeeper runs``."""

from __future__ import annotations

import enum


class RunOutcome(enum.StrEnum):
    """Where a sync run ended (or stands)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    #: Stopped by Ctrl-C or SIGTERM, or its process was killed: nothing of it was applied.
    INTERRUPTED = "interrupted"


#: Why a run left running by a killed process ended.
KILLED = "the process stopped before the sync finished"
