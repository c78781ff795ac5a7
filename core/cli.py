"""The ``seatkeeper`` command line. Progress and messages go to stderr, data to stdout."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import demo as demo_module
from . import queries
from .app import App
from .config import resolve_settings
from .errors import ConfigError, SeatkeeperError
from .output import Format, print_table, to_csv, to_json
from .reports.command import report
from .schema import SeatStatus
from .sync import SyncResult, sync_connection

app = typer.Typer(
    help="Track paid SaaS licence seats across providers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Piped output (cron mail, grep) should not be squeezed to 80 columns.
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 250)
stderr = Console(stderr=True, soft_wrap=True)

LICENSE_COLUMNS = [
    "provider",
    "connection",
    "user_id",
    "email",
    "name",
    "license_type",
    "billable",
    "status",
    "department",
    "role",
    "last_activity_at",
]
RUN_COLUMNS = [
    "id",
    "connection",
    "provider",
    "started_at",
    "finished_at",
    "outcome",
    "seen",
    "added",
    "changed",
    "removed",
    "rejected",
    "error",
]


def _state(ctx: typer.Context) -> App:
    return ctx.obj


@app.callback()
def main_options(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL of the database (env SEATKEEPER_DATABASE_URL; default: a SQLite file in the user data dir).",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Config file (env SEATKEEPER_CONFIG).", show_default=False),
    ] = None,
) -> None:
    """Track paid SaaS licence seats across providers."""
    ctx.obj = App(database_url_option=database_url, config_path=config)
    ctx.call_on_close(ctx.obj.close)


@app.command()
def providers(ctx: typer.Context) -> None:
    """List installed provider plugins with their package, version and settings."""
    state = _state(ctx)
    rows = []
    for name, provider in sorted(state.plugins.providers.items()):
        info = state.plugins.plugin_of(name)
        settings = ", ".join(
            f"{s.name}{'*' if s.required else ''}{' (secret)' if s.secret else ''}{f' [{s.env}]' if s.env else ''}"
            for s in provider.settings
        )
        rows.append(
            {
                "provider": name,
                "title": provider.title or name,
                "package": info.package if info else None,
                "version": info.version if info else None,
                "settings": settings,
            }
        )
    print_table(stdout, rows, ["provider", "title", "package", "version", "settings"])
    stdout.print("* required; [VAR] is the environment variable for the provider's default connection")
    for broken in state.plugins.broken:
        stderr.print(
            f"warning: plugin {broken.name!r} ({broken.package or 'unknown package'}) failed to load and was skipped: {broken.error}",
            markup=False,
        )


@app.command()
def sync(
    ctx: typer.Context,
    connections: Annotated[
        list[str] | None, typer.Argument(help="Connections to sync (default: all).", show_default=False)
    ] = None,
    allow_empty: Annotated[bool, typer.Option(help="Accept a provider answer with no users at all.")] = False,
    jobs: Annotated[int, typer.Option(help="How many connections to sync at the same time.", min=1, max=16)] = 1,
) -> None:
    """Fetch every configured connection's users and store their seats (exit 1 if any connection failed)."""
    state = _state(ctx)
    selected = state.select_connections(connections or [])
    results = run_syncs(state, selected, allow_empty=allow_empty, jobs=jobs)
    for warning in state.config.warnings:
        stderr.print(warning, markup=False, highlight=False)
    print_sync_summary(results)
    if not all(result.ok for result in results):
        raise typer.Exit(1)


def run_syncs(state: App, selected, *, allow_empty: bool = False, jobs: int = 1) -> list[SyncResult]:
    """Sync the connections, ``jobs`` at a time, with a progress bar each on stderr; results in config order.

    A failure never stops the others. Connections are independent accounts, so running several at once mostly
    overlaps waiting on their APIs; each still applies its changes in its own transaction.
    """
    engine = state.engine  # opened (and upgraded) once, before any thread needs it
    with (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=stderr,
            transient=False,
            disable=not stderr.is_terminal,
        ) as progress,
        ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="seatkeeper-sync") as pool,
    ):

        def run_one(connection) -> SyncResult:
            task = progress.add_task(connection.name, total=None)

            def advance(advance: int = 0, total: int | None = None) -> None:
                progress.update(task, advance=advance, **({"total": total} if total is not None else {}))

            try:
                provider = state.plugins.provider(connection.provider)
                settings = resolve_settings(connection, provider, state.config)
            except ConfigError as error:
                return SyncResult(connection.name, connection.provider, ok=False, error=str(error))
            return sync_connection(engine, connection, provider, settings, progress=advance, allow_empty=allow_empty)

        return list(pool.map(run_one, selected))


def print_sync_summary(results: list[SyncResult]) -> None:
    """One line per connection: counts on stdout, failures on stderr."""
    for result in results:
        if result.ok:
            c = result.counts
            stdout.print(
                f"{result.connection}: {c['seen']} seats — {c['added']} added, {c['changed']} changed, "
                f"{c['removed']} removed, {c['unchanged']} unchanged"
                + (f", {c['rejected']} rejected" if c["rejected"] else ""),
                markup=False,
                highlight=False,
            )
        else:
            stderr.print(f"{result.connection}: sync failed: {result.error}", markup=False, highlight=False)
        for note in result.notes:
            stderr.print(f"  {note}", markup=False, highlight=False)


def _parse_date(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} {value!r} is not a date: use YYYY-MM-DD") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


@app.command()
def licenses(
    ctx: typer.Context,
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    connection: Annotated[str | None, typer.Option(help="Only this connection.")] = None,
    status: Annotated[SeatStatus | None, typer.Option(help="Only seats with this status.")] = None,
    billable: Annotated[
        bool | None, typer.Option("--billable/--free", help="Only paid, or only free, seats.", show_default=False)
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Seats held at this date (YYYY-MM-DD) instead of now.")
    ] = None,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """List the seats currently held (or held at a past date)."""
    rows = queries.seats(
        _state(ctx).engine,
        as_of=_parse_date(as_of, "--as-of"),
        provider=provider,
        connection=connection,
        status=status.value if status else None,
        billable=billable,
    )
    _emit(rows, LICENSE_COLUMNS, format, title=f"{len(rows)} seats")


@app.command()
def syncs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many runs to show.", min=1)] = 20,
    connection: Annotated[str | None, typer.Option(help="Only this connection.")] = None,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
) -> None:
    """List recent sync runs with their outcome."""
    rows = queries.recent_runs(_state(ctx).engine, limit=limit, connection=connection)
    _emit(rows, RUN_COLUMNS + (["notes"] if format != Format.table else []), format, title="recent syncs")


def _emit(rows, columns, format: Format, title: str) -> None:
    if format == Format.json:
        sys.stdout.write(to_json([{c: row.get(c) for c in columns} for row in rows]) + "\n")
    elif format == Format.csv:
        sys.stdout.write(to_csv(rows, columns))
    else:
        print_table(stdout, rows, columns, title=title)


app.command("report")(report)


@app.command()
def demo(
    ctx: typer.Context,
    directory: Annotated[
        Path | None, typer.Option(help="Where to write the demo database (default: the data dir's demo/).")
    ] = None,
) -> None:
    """Run the real sync over bundled sample data (no credentials needed) into a fresh demo database."""
    state = _state(ctx)
    stderr.print("[bold]seatkeeper demo[/bold]: syncing bundled SAMPLE data (not a real account) into a demo database")
    outcome = demo_module.run_demo(state.plugins, directory, progress_console=stderr)
    for snapshot in outcome.syncs:
        stderr.print(f"  {snapshot}", markup=False, highlight=False)
    stdout.print(f"demo database: {outcome.database_path}", markup=False, highlight=False)
    for label, path in outcome.outputs:
        stdout.print(f"{label}: {path}", markup=False, highlight=False)
    config = next((path for label, path in outcome.outputs if label.startswith("demo config")), None)
    if config is not None:
        stdout.print(f"try: seatkeeper --config {config} licenses --billable", markup=False, highlight=False)
        stdout.print(f"     seatkeeper --config {config} report --format md --output -", markup=False, highlight=False)
    if not outcome.ok:
        raise typer.Exit(1)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app; errors become one line on stderr and a non-zero exit."""
    try:
        app(args=argv, prog_name="seatkeeper")
    except SeatkeeperError as error:
        stderr.print(f"Error: {error}", markup=False, highlight=False)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        stderr.print("Interrupted.")
        sys.exit(130)
    except Exception as error:
        if os.environ.get("SEATKEEPER_DEBUG"):
            raise
        first_line = (str(error).strip().splitlines() or [""])[0]
        stderr.print(
            f"Error: unexpected {type(error).__name__}: {first_line} (set SEATKEEPER_DEBUG=1 for details)",
            markup=False,
            highlight=False,
        )
        sys.exit(1)
