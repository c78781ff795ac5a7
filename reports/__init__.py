"""The reporting layer: monthly licence reports from the stored seat history (``seatkeeper report``).

Data flows one way: :mod:`.figures` aggregates the history in SQL as of a month's end, :mod:`.build`
prices it into a :class:`~.model.Report`, and :mod:`.render` (HTML, Markdown through Jinja2) or
:mod:`.exports` (JSON, CSV) writes it. :mod:`.settings` reads ``[prices]`` and ``[reports]`` from the
config file; :mod:`.generate` ties it together for the CLI and the demo; :mod:`.destination` writes the
file. See docs/reports.md.

The names below are imported on first use, so ``seatkeeper.reports.command`` (loaded by ``seatkeeper --help``)
does not pull in SQLAlchemy queries and Jinja2.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "ReportFormat": "formats",
    "ReportMonth": "period",
    "ReportSettings": "settings",
    "Scope": "figures",
    "build_report": "build",
    "default_path": "generate",
    "last_full_month": "period",
    "parse_month": "period",
    "report_settings": "settings",
    "write_report": "generate",
    "write_report_file": "destination",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
