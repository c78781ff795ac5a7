"""A Zoom-compatible test server built on the Zoom plugin's FakeZoom: seeded users, latency, more faults.

Used by ``tests/reliability`` and by ``benchmarks/sync_benchmark.py`` (which runs it in a process of its own
through ``python -m tests.zoom_server``).
"""

from .faults import RETRY_AFTER_FORMS, Throttle, ZoomFaults, retry_after_header
from .server import SeededZoom
from .users import STATUS_MIX, TYPE_WEIGHTS, generate_users

__all__ = [
    "RETRY_AFTER_FORMS",
    "STATUS_MIX",
    "TYPE_WEIGHTS",
    "SeededZoom",
    "Throttle",
    "ZoomFaults",
    "generate_users",
    "retry_after_header",
]
