"""The formats ``seatkeeper report`` writes (a module of its own so the CLI can name them without loading Jinja2)."""

from __future__ import annotations

import enum


class ReportFormat(enum.StrEnum):
    """The formats ``seatkeeper report`` writes."""

    html = "html"
    md = "md"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"

    @property
    def binary(self) -> bool:
        """Whether the format is bytes (a file, or a pipe), not text."""
        return self is ReportFormat.xlsx
