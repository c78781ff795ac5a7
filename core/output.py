"""Rows as data for pipelines and files: JSON and formula-safe CSV (terminal tables live in ``seatkeeper.cli``)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# json.dumps escapes C0 control characters but, with ensure_ascii=False, writes C1 ones (U+0080-U+009F) raw;
# some terminals run those as escape sequences.
_C1 = re.compile("[\x80-\x9f]")


def jsonable(value: Any) -> Any:
    """A value JSON can hold: datetimes as ISO 8601 UTC strings."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def to_json(rows: Sequence[dict[str, Any]] | dict[str, Any]) -> str:
    """Rows (or one object of rows) as JSON; every control character is written as a ``\\u`` escape."""
    text = json.dumps(rows, indent=2, ensure_ascii=False, default=jsonable)
    return _C1.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def safe_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (leading = + - @ get a quote)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(jsonable(value))
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV with a header line, formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(row.get(column)) for column in columns])
    return buffer.getvalue()
