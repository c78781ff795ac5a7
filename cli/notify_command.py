"""``seatkeeper notify`` (send the month's report) and ``seatkeeper run`` (sync, report and notify, for cron).

Only typer and the standard library are imported at the top: the reports (Jinja2) load when a command runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from seatkeeper import cancel
from seatkeeper.errors import ConfigError, Interrupted, SeatkeeperError, first_line

from . import console

MonthOption = Annotated[
    str | None,
    typer.Option(help="Month to report, YYYY-MM (default: the last full month).", show_default=False),
]


def notify(ctx: typer.Context, month: MonthOption = None) -> None:
    """Send the month's headline figures, alerts and HTML report to the [notify] destinations.

    Exits 1 if a destination did not take it, 2 if the configuration is wrong.
    """
    from seatkeeper.reports.notify_settings import notify_settings

    settings = notify_settings(ctx.obj.config)
    if settings.empty:
        raise ConfigError(
            f"config file {ctx.obj.config.path}: no [notify] destination: add [notify.email], [notify.slack] "
            "or [notify.teams] (see docs/delivery.md)"
        )
    report, html = _build(ctx.obj, _month(month))
    code = _send(settings, report, html)
    if code:
        raise typer.Exit(code)


def run(
    ctx: typer.Context,
    month: MonthOption = None,
    jobs: Annotated[int, typer.Option(help="How many connections to sync at the same time.", min=1, max=16)] = 1,
) -> None:
    """Sync every connection, write the month's report and send it: one command for cron or a systemd timer.

    Exits with the worst outcome: 1 a sync or a delivery failed, 2 a configuration error, 3 a database error.
    """
    from seatkeeper.reports.destination import write_report_file
    from seatkeeper.reports.formats import ReportFormat
    from seatkeeper.reports.generate import default_path
    from seatkeeper.reports.notify_settings import notify_settings
    from seatkeeper.reports.settings import report_settings

    from .sync_command import sync

    state = ctx.obj
    settings = notify_settings(state.config)  # a wrong [notify] or [reports] stops before any work
    file_mode = report_settings(state.config).file_mode
    chosen = _month(month)  # a wrong --month too
    codes = [_exit_code(lambda: sync(ctx, jobs=jobs))]
    cancel.check()  # a Ctrl-C or SIGTERM during the sync ends the run there: nothing is sent
    try:
        report, html = _build(state, chosen)

        def write(out) -> list[str]:
            out.write(html)
            return []

        path = default_path(chosen, ReportFormat.html)
        write_report_file(path, write, file_mode=file_mode)
        console.out(str(path))
    except Interrupted:
        raise
    except SeatkeeperError as error:  # no data for the month, a database error: nothing to send
        console.err(f"Error: report: {first_line(error)}")
        raise typer.Exit(max(*codes, error.exit_code)) from None
    for warning in report.warnings:
        console.err(f"warning: {warning}")
    if settings.empty:
        console.err("note: no [notify] destination is configured: the report was written, not sent")
    else:
        codes.append(_send(settings, report, html))
    if max(codes):
        raise typer.Exit(max(codes))


def _exit_code(step) -> int:
    """Run one step of ``run`` and return its exit code (a typer.Exit's, or 0)."""
    try:
        step()
    except typer.Exit as done:
        return done.exit_code
    return 0


def _month(month: str | None):
    """The month ``--month`` names (checked), else the last full month."""
    from seatkeeper.reports.period import last_full_month, parse_month

    return parse_month(month) if month is not None else last_full_month(datetime.now(UTC))


def _build(state, month):
    """The month's report model and its HTML (as ``seatkeeper report`` renders it)."""
    from seatkeeper.reports.build import build_report
    from seatkeeper.reports.render import render_html
    from seatkeeper.reports.settings import report_settings

    settings = report_settings(state.config)
    now = datetime.now(UTC)
    report = build_report(state.reader, month, settings, now=now, list_limit=settings.list_limit)
    return report, render_html(report, settings.template_dir)


def _send(settings, report, html: str) -> int:
    """Send to every destination, one line each; 1 if any failed, else 0."""
    from seatkeeper.reports.delivery import compose, send_all

    prefix = settings.email.subject_prefix if settings.email else ""
    results = send_all(settings, compose(report, html, prefix))
    for destination, error in results:
        if error is None:
            to = f" to {', '.join(settings.email.to)}" if destination == "email" and settings.email else ""
            console.out(f"{destination}: sent{to}")
        else:
            console.err(f"Error: {first_line(error)}")
    return 1 if any(error for _, error in results) else 0
