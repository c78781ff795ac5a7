"""Rendering rows for the terminal and for pipelines: table, JSON, CSV."""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class Format(enum.StrEnum):
    """Output formats of the listing commands."""

    table = "table"
    json = "json"
    csv = "csv"


def jsonable(value: Any) -> Any:
    """A value JSON can hold: datetimes as ISO 8601 UTC strings."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def to_json(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as a JSON list of objects."""
    return json.dumps([{k: jsonable(v) for k, v in row.items()} for row in rows], indent=2, ensure_ascii=False)


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


def print_table(
    console: Console, rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str | None = None
) -> None:
    """Rows as a rich table (markup in values is shown literally)."""
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(column.replace("_", " "))
    for row in rows:
        table.add_row(*[_table_cell(row.get(column)) for column in columns])
    console.print(table)


def _table_cell(value: Any) -> str:
    from rich.markup import escape

    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return escape(str(value))
