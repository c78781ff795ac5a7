"""The formats ``seatkeeper report`` writes (a module of its own so the CLI can name them without loading Jinja2)."""

from __future__ import annotations

import enum


class ReportFormat(enum.StrEnum):
    """The formats ``seatkeeper report`` writes."""

    html = "html"
    md = "md"
    json = "json"
    csv = "csv"
