"""Rows on stdout: a table on a terminal, tab-separated text in a pipe, or JSON / CSV on request."""

from __future__ import annotations

import enum
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from seatkeeper.output import to_csv, to_json

from . import console
from .console import clean

#: The widest a table gets on a terminal unless ``--wide`` is given.
TABLE_WIDTH = 120
_GAP = 3  # what rich puts between two columns of a SIMPLE_HEAD table without edge padding


class Format(enum.StrEnum):
    """Output formats of the listing commands."""

    table = "table"
    json = "json"
    csv = "csv"


def cell(value: Any) -> str:
    """A value as a table shows it (cleaned of control characters)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return clean(value)


def emit(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    format: Format,
    *,
    title: str | None = None,
    table_columns: Sequence[str] | None = None,
    wide: bool = False,
) -> None:
    """Write ``rows`` to stdout in ``format``.

    A table shows ``table_columns`` (default: ``columns``), or every column with ``wide``. On a terminal it is a
    rich table at most :data:`TABLE_WIDTH` wide (unless ``wide``); in a pipe, plain tab-separated lines with a
    header, for ``cut`` and ``awk``.
    """
    if format == Format.json:
        sys.stdout.write(to_json([{c: row.get(c) for c in columns} for row in rows]) + "\n")
    elif format == Format.csv:
        text = to_csv(rows, columns)
        sys.stdout.write(clean_lines(text) if console.stdout.is_terminal else text)
    else:
        shown = list(columns if wide or table_columns is None else table_columns)
        if console.stdout.is_terminal:
            print_table(rows, shown, title=title, wide=wide)
        else:
            sys.stdout.write(to_tsv(rows, shown))


def clean_lines(text: str) -> str:
    """Multi-line ``text`` cleaned line by line (its line ends kept)."""
    return "".join(clean(line) + "\n" for line in text.splitlines())


def to_tsv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as tab-separated lines with a header line; tabs and newlines in values are shown as escapes."""
    lines = ["\t".join(columns)]
    lines += ["\t".join(cell(row.get(column)) for column in columns) for row in rows]
    return "\n".join(lines) + "\n"


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, title: str | None, wide: bool) -> None:
    """Rows as a rich table on the terminal; without ``wide``, long values end in an ellipsis to fit the width."""
    headers = [column.replace("_", " ") for column in columns]
    cells = [[cell(row.get(column)) for column in columns] for row in rows]
    limit = None if wide else min(console.stdout.width, TABLE_WIDTH)
    widths = None if limit is None else fitted_widths(headers, cells, limit)
    table = Table(title=clean(title) if title else None, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for index, header in enumerate(headers):
        # --wide shows whole values, folded onto more lines when the terminal is too narrow for them.
        overflow = "fold" if wide else "ellipsis"
        table.add_column(header, overflow=overflow, no_wrap=not wide, width=widths[index] if widths else None)
    for values in cells:
        table.add_row(*[Text(value) for value in values])
    console.stdout.print(table, markup=False, highlight=False)


def fitted_widths(headers: Sequence[str], cells: Sequence[Sequence[str]], limit: int) -> list[int]:
    """Column widths that fit ``limit``: each as wide as its longest value, the widest cut first (never below its
    header)."""
    widths = [max([len(header), *(len(values[index]) for values in cells)]) for index, header in enumerate(headers)]
    budget = limit - _GAP * (len(widths) - 1)
    while sum(widths) > budget:
        cuttable = [index for index, width in enumerate(widths) if width > len(headers[index])]
        if not cuttable:
            break  # even the headers do not fit: rich squeezes them to the terminal
        widths[max(cuttable, key=widths.__getitem__)] -= 1
    return widths
