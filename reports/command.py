"""``seatkeeper report``: write the monthly licence report (registered on the CLI app in ``seatkeeper.cli``)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .figures import Scope
from .generate import ReportFormat, default_path, write_report, write_report_file
from .period import last_full_month, parse_month
from .settings import report_settings


def report(
    ctx: typer.Context,
    month: Annotated[
        str | None,
        typer.Option(help="Month to report, YYYY-MM (default: the last full month).", show_default=False),
    ] = None,
    format: Annotated[ReportFormat, typer.Option("--format", help="Report format.")] = ReportFormat.html,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write ('-' for stdout; default: the data dir's reports/seatkeeper-YYYY-MM.<format>).",
            show_default=False,
        ),
    ] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider.", show_default=False)] = None,
    connection: Annotated[str | None, typer.Option(help="Only this connection.", show_default=False)] = None,
    template_dir: Annotated[
        Path | None,
        typer.Option(
            "--template-dir",
            help="Folder of templates that override the built-in ones (e.g. just _seats_table.html).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the monthly licence report: seats, costs, unused seats, changes, departments, trend."""
    state = ctx.obj
    stderr = Console(stderr=True, soft_wrap=True)
    now = datetime.now(UTC)
    settings = report_settings(state.config)
    chosen = parse_month(month) if month is not None else last_full_month(now)
    scope = Scope(provider=provider, connection=connection)

    def write(out) -> list[str]:
        return write_report(
            state.engine, format, out, chosen, settings, scope=scope, now=now, template_dir=template_dir
        )

    if output == "-":
        warnings = write(sys.stdout)
        sys.stdout.flush()
    else:
        path = Path(output).expanduser() if output else default_path(chosen, format, scope)
        warnings = write_report_file(path, write)
        typer.echo(str(path))
    for warning in warnings:
        stderr.print(f"warning: {warning}", markup=False, highlight=False)
