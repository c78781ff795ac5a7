"""Producing a report file in one of the formats, and the default place to put it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TextIO

from sqlalchemy.engine import Engine

from seatkeeper import paths
from seatkeeper.db import scratch_connection

from . import accounts, figures
from .build import SeatSource, build_report, connection_freshness, seat_source
from .destination import write_report_file
from .exports import seat_values, write_json, write_seats_csv
from .figures import EVERYTHING, Scope
from .formats import ReportFormat
from .period import ReportMonth, last_full_month
from .render import render_html, render_markdown
from .settings import ReportSettings


@dataclass
class Outcome:
    """What writing a report produced: the month, where it went, and warnings worth telling the user."""

    month: ReportMonth
    destination: str
    warnings: list[str] = field(default_factory=list)


def default_path(month: ReportMonth, fmt: ReportFormat, scope: Scope = EVERYTHING) -> Path:
    """``<data dir>/reports/seatkeeper-YYYY-MM[-provider][-connection][-application].<format>``."""
    parts = (scope.provider, scope.connection, scope.application)
    suffix = "".join(f"-{_file_part(part)}" for part in parts if part)
    return paths.data_dir() / "reports" / f"seatkeeper-{month.label}{suffix}.{fmt.value}"


def _file_part(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip(".") or "_"


def write_report(
    engine: Engine,
    fmt: ReportFormat,
    out: IO,
    month: ReportMonth,
    settings: ReportSettings,
    *,
    scope: Scope = EVERYTHING,
    now: datetime | None = None,
    template_dir: Path | None = None,
) -> list[str]:
    """Write ``month``'s report in ``fmt`` to ``out``; returns the report's warnings (stale data, prices).

    ``out`` is a text file, or a binary one for a binary format (``fmt.binary``: XLSX).
    """
    now = now or datetime.now(UTC)
    if fmt is ReportFormat.csv:
        source = seat_source(engine, month, settings, scope=scope, now=now)
        with _seat_rows(engine, source) as rows:
            write_seats_csv(rows, out, **_seat_context(month, source))
        return [warning for row in source.connections for warning in _freshness_warnings(source, row, settings)]
    list_limit = None if fmt in (ReportFormat.json, ReportFormat.xlsx) else settings.list_limit
    report = build_report(engine, month, settings, scope=scope, now=now, list_limit=list_limit)
    if fmt is ReportFormat.xlsx:
        from .xlsx import write_xlsx  # openpyxl is loaded only for this format

        source = seat_source(engine, month, settings, scope=scope, now=now)
        context = _seat_context(month, source)
        with _seat_rows(engine, source) as rows:
            write_xlsx(report, (seat_values(row, **context) for row in rows), out)
    elif fmt is ReportFormat.json:
        write_json(report, out)
    elif fmt is ReportFormat.md:
        out.write(render_markdown(report, template_dir or settings.template_dir))
    else:
        out.write(render_html(report, template_dir or settings.template_dir))
    return report.warnings


@contextmanager
def _seat_rows(engine: Engine, source: SeatSource) -> Iterator[Iterator[dict[str, Any]]]:
    """Every seat ``source`` holds with its person, matched in the database as the report matches them (the
    directory stays there), streamed in the CSV's order."""
    people = accounts.People(engine, source.cutoff, source.settings.rules)
    with scratch_connection(engine) as db, accounts.matched(db, source.held, people) as with_people:
        held = with_people.cte("held_seats").prefix_with("MATERIALIZED")
        seats = figures.with_usage(held, source.idle_rules, source.activity_reported).cte("seats_with_usage")
        rows = figures.iter_seat_rows(db, accounts.with_person_status(seats))
        try:
            yield rows
        finally:
            rows.close()  # before its temporary tables go: a half-read result still uses them


def _seat_context(month: ReportMonth, source: SeatSource) -> dict[str, Any]:
    """The keyword arguments of :func:`~seatkeeper.reports.exports.seat_values` for ``source``'s seats."""
    return {
        "month": month.label,
        "observed_at": {connection_id: rule.observed_at for connection_id, rule in source.idle_rules.items()},
        "labels": source.labels,
        "settings": source.settings,
    }


def _freshness_warnings(source, row, settings) -> list[str]:
    return connection_freshness(row, source.runs[row["id"]], source.cutoff, settings).warnings


def write_demo_reports(
    engine: Engine, directory: Path, settings: ReportSettings, now: datetime | None = None
) -> list[tuple[str, Path]]:
    """The demo's reports: HTML and Markdown for the last full month, in ``directory``; (label, path) pairs."""
    now = now or datetime.now(UTC)
    month = last_full_month(now)
    written = []
    for fmt, label in ((ReportFormat.html, "HTML report"), (ReportFormat.md, "Markdown report")):
        path = directory / f"seatkeeper-{month.label}.{fmt.value}"

        def write(out: TextIO, fmt: ReportFormat = fmt) -> list[str]:
            return write_report(engine, fmt, out, month, settings, now=now)

        write_report_file(path, write, file_mode=settings.file_mode)
        written.append((label, path))
    return written
