"""``seatkeeper notify`` (send the month's report) and ``seatkeeper run`` (sync, report and notify, for cron).

Only typer and the standard library are imported at the top: the reports (Jinja2) load when a command runs.
"""

from __future__ import annotations

from collections.abc import Sequence
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

    When the report cannot be built, the destinations are told why instead. Exits with the worst outcome:
    1 a sync or a delivery failed, 2 a configuration error, 3 a database error.
    """
    from seatkeeper.reports.destination import write_report_file
    from seatkeeper.reports.formats import ReportFormat
    from seatkeeper.reports.generate import default_path
    from seatkeeper.reports.notify_settings import notify_settings
    from seatkeeper.reports.settings import report_settings

    from .sync_command import sync

    state = ctx.obj
    settings = notify_settings(state.config)  # a wrong [notify] stops before any work: nothing could be told
    chosen = _month(month)  # a wrong --month too
    try:
        file_mode = report_settings(state.config).file_mode
    except ConfigError as error:  # a wrong [prices] or [reports] stops before the sync, and is told
        raise typer.Exit(max(error.exit_code, _report_failed(settings, chosen, error))) from None
    code, sync_error = _sync_step(lambda: sync(ctx, jobs=jobs))
    codes, notes = [code], [sync_error] if sync_error else []
    cancel.check()  # a Ctrl-C or SIGTERM during the sync ends the run there: nothing is sent
    try:
        report, html = _build(state, chosen)
    except Interrupted:
        raise
    except SeatkeeperError as error:  # no data for the month, a template or database error: no report to send
        raise typer.Exit(max(*codes, error.exit_code, _report_failed(settings, chosen, error, notes))) from None

    def write(out) -> list[str]:
        out.write(html)
        return []

    path = default_path(chosen, ReportFormat.html)
    try:
        write_report_file(path, write, file_mode=file_mode)
        console.out(str(path))
    except SeatkeeperError as error:  # the file could not be written: the report is still sent
        console.err(f"Error: report: {first_line(error)}")
        codes.append(error.exit_code)
    for warning in report.warnings:
        console.err(f"warning: {warning}")
    if settings.empty:
        console.err("note: no [notify] destination is configured: the report was not sent")
    else:
        codes.append(_send(settings, report, html, notes))
    if max(codes):
        raise typer.Exit(max(codes))


def _report_failed(settings, month, error: SeatkeeperError, notes: Sequence[str] = ()) -> int:
    """Say why the report of ``month`` could not be built, here and to every destination; the delivery's code.

    ``notes`` are earlier steps' errors (a sync that could not start), sent along.
    """
    from seatkeeper.reports.delivery import compose_failure

    reason = f"report: {first_line(error)}"
    console.err(f"Error: {reason}")
    if settings.empty:
        return 0
    prefix = settings.email.subject_prefix if settings.email else ""
    return _deliver(settings, compose_failure(month.title, [reason, *notes], datetime.now(UTC), prefix))


def _sync_step(step) -> tuple[int, str | None]:
    """Run the sync step of ``run``: its exit code, and the error line if it could not run at all.

    A sync stopped by a configuration or database error does not stop ``run``: the report of the data already
    synced (or the notice that it could not be built) is still sent, with that error among its alerts.
    """
    try:
        step()
    except typer.Exit as done:  # some connection failed: its alert is in the report
        return done.exit_code, None
    except Interrupted:
        raise
    except SeatkeeperError as error:
        reason = f"sync: {first_line(error)}"
        console.err(f"Error: {reason}")
        return error.exit_code, reason
    return 0, None


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


def _send(settings, report, html: str, notes: Sequence[str] = ()) -> int:
    """Send the report to every destination (``notes`` among its alerts), one line each; 1 if any failed, else 0."""
    from seatkeeper.reports.delivery import compose

    prefix = settings.email.subject_prefix if settings.email else ""
    return _deliver(settings, compose(report, html, prefix, notes))


def _deliver(settings, message) -> int:
    """Send ``message`` to every destination, one line each; 1 if any failed, else 0."""
    from seatkeeper.reports.delivery import send_all

    results = send_all(settings, message)
    for destination, error in results:
        if error is None:
            to = f" to {', '.join(settings.email.to)}" if destination == "email" and settings.email else ""
            console.out(f"{destination}: sent{to}")
        else:
            console.err(f"Error: {first_line(error)}")
    return 1 if any(error for _, error in results) else 0
