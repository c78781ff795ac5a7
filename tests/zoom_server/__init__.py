"""Zoom-compatible test servers built on the Zoom plugin's FakeZoom: faults, scopes and a request log
(:class:`FaultyZoom`), plus seeded users and latency (:class:`SeededZoom`).

Used by ``tests/zoom``, ``tests/reliability`` and by ``benchmarks/sync_benchmark.py`` (which runs it in a process of its own
through ``python -m tests.zoom_server``).
"""

from .faults import RETRY_AFTER_FORMS, FaultReply, Faults, LoggedRequest, Throttle, ZoomFaults, retry_after_header
from .server import DEFAULT_SCOPES, FaultyZoom, SeededZoom
from .users import STATUS_MIX, TYPE_WEIGHTS, generate_users

__all__ = [
    "DEFAULT_SCOPES",
    "RETRY_AFTER_FORMS",
    "FaultReply",
    "Faults",
    "FaultyZoom",
    "LoggedRequest",
    "STATUS_MIX",
    "TYPE_WEIGHTS",
    "SeededZoom",
    "Throttle",
    "ZoomFaults",
    "generate_users",
    "retry_after_header",
]
