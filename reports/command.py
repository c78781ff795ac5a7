"""``seatkeeper report``: write the monthly licence report (registered on the CLI app in ``seatkeeper.cli``).

Only typer and the standard library are imported here: ``seatkeeper --help`` loads this module, and the
report's builders (SQL, Jinja2) are imported when the command runs.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from .formats import ReportFormat


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
    application: Annotated[
        str | None,
        typer.Option(help="Only this application (the tool, e.g. Zoom or Figma).", show_default=False),
    ] = None,
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
    from seatkeeper.errors import ConfigError

    from .destination import is_stream, refuse_terminal, write_report_file
    from .figures import Scope
    from .generate import default_path, write_report
    from .period import last_full_month, parse_month
    from .settings import report_settings

    if output == "":
        raise ConfigError("--output needs a file name ('-' writes to stdout)")
    if format.binary and output == "-" and sys.stdout.isatty():
        raise refuse_terminal("stdout")
    state = ctx.obj
    if application is not None:
        from seatkeeper.cli.listing import check_filters

        check_filters(state, application=application)  # an unknown name is refused, naming the known (exit 2)
    now = datetime.now(UTC)
    settings = report_settings(state.config)
    chosen = parse_month(month) if month is not None else last_full_month(now)
    scope = Scope(provider=provider, connection=connection, application=application)

    def write(out) -> list[str]:
        return write_report(
            state.reader, format, out, chosen, settings, scope=scope, now=now, template_dir=template_dir
        )

    if output == "-":
        stream = sys.stdout.buffer if format.binary else sys.stdout
        warnings = write(stream)
        stream.flush()
    else:
        path = Path(output).expanduser() if output else default_path(chosen, format, scope)
        warnings = write_report_file(path, write, file_mode=settings.file_mode, binary=format.binary)
        if not is_stream(path):  # the report itself went to stdout: the path would end up inside it
            typer.echo(str(path))
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
