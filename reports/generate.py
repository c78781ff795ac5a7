"""Producing a report file in one of the four formats, and the default place to put it."""

from __future__ import annotations

import enum
import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import Engine

from seatkeeper import paths
from seatkeeper.errors import ConfigError

from . import figures
from .build import build_report, connection_freshness, seat_source
from .exports import write_json, write_seats_csv
from .figures import EVERYTHING, Scope
from .period import ReportMonth, last_full_month
from .render import render_html, render_markdown
from .settings import ReportSettings


class ReportFormat(enum.StrEnum):
    """The formats ``seatkeeper report`` writes."""

    html = "html"
    md = "md"
    json = "json"
    csv = "csv"


@dataclass
class Outcome:
    """What writing a report produced: the month, where it went, and warnings worth telling the user."""

    month: ReportMonth
    destination: str
    warnings: list[str] = field(default_factory=list)


def default_path(month: ReportMonth, fmt: ReportFormat, scope: Scope = EVERYTHING) -> Path:
    """``<data dir>/reports/seatkeeper-YYYY-MM[-provider][-connection].<format>``."""
    suffix = "".join(f"-{_file_part(part)}" for part in (scope.provider, scope.connection) if part)
    return paths.data_dir() / "reports" / f"seatkeeper-{month.label}{suffix}.{fmt.value}"


def _file_part(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip(".") or "_"


def write_report(
    engine: Engine,
    fmt: ReportFormat,
    out: TextIO,
    month: ReportMonth,
    settings: ReportSettings,
    *,
    scope: Scope = EVERYTHING,
    now: datetime | None = None,
    template_dir: Path | None = None,
) -> list[str]:
    """Write ``month``'s report in ``fmt`` to ``out``; returns the report's warnings (stale data, prices)."""
    now = now or datetime.now(UTC)
    if fmt is ReportFormat.csv:
        source = seat_source(engine, month, settings, scope=scope, now=now)
        write_seats_csv(
            figures.iter_seat_rows(engine, source.seats),
            out,
            month=month.label,
            observed_at={connection_id: rule.observed_at for connection_id, rule in source.idle_rules.items()},
            labels=source.labels,
            settings=settings,
        )
        return [warning for row in source.connections for warning in _freshness_warnings(source, row, settings)]
    list_limit = None if fmt is ReportFormat.json else settings.list_limit
    report = build_report(engine, month, settings, scope=scope, now=now, list_limit=list_limit)
    if fmt is ReportFormat.json:
        write_json(report, out)
    elif fmt is ReportFormat.md:
        out.write(render_markdown(report, template_dir or settings.template_dir))
    else:
        out.write(render_html(report, template_dir or settings.template_dir))
    return report.warnings


def _freshness_warnings(source, row, settings) -> list[str]:
    return connection_freshness(row, source.runs[row["id"]], source.cutoff, settings).warnings


def write_report_file(path: Path, write: Callable[[TextIO], list[str]]) -> list[str]:
    """Run ``write`` into a temporary file next to ``path`` and move it into place only when it succeeded.

    A failed report never leaves a half-written file, nor replaces last month's good one.
    """
    if path.is_dir():
        raise ConfigError(f"{path} is a folder: name the report file to write, e.g. {path / 'report.html'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create the folder {path.parent}: {error.strerror}") from None
    with _temporary_beside(path) as (handle, temporary):
        warnings = write(handle)
        handle.close()
        try:
            os.replace(temporary, path)
        except OSError as error:
            raise ConfigError(f"cannot write {path}: {error.strerror}") from None
    return warnings


@contextmanager
def _temporary_beside(path: Path):
    try:
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise ConfigError(f"cannot write {path}: {error.strerror}") from None
    # mkstemp makes the file private; give the report the mode any new file would get (umask applies).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(descriptor, 0o666 & ~umask)
    handle = os.fdopen(descriptor, "w", encoding="utf-8", newline="")
    try:
        yield handle, name
    finally:
        handle.close()
        Path(name).unlink(missing_ok=True)


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

        write_report_file(path, write)
        written.append((label, path))
    return written
