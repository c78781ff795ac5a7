"""``seatkeeper sync``: sync the configured connections, several at a time, and print one line for each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from seatkeeper import cancel, db, store
from seatkeeper import config as config_module
from seatkeeper.app import App
from seatkeeper.config import ConnectionConfig, resolve_settings
from seatkeeper.errors import ConfigError, NoDatabase
from seatkeeper.sync import SyncResult, preview_connection, sync_connection

from . import console, signals, workers


@dataclass
class Synced:
    """One connection's sync result, and whether it failed on its configuration (exit code 2)."""

    result: SyncResult
    config_error: bool = False


def sync(
    ctx: typer.Context,
    connections: Annotated[
        list[str] | None, typer.Argument(help="Connections to sync (default: all).", show_default=False)
    ] = None,
    allow_empty: Annotated[bool, typer.Option(help="Accept a provider answer with no users at all.")] = False,
    allow_shrink: Annotated[
        bool, typer.Option(help="Accept an answer with far fewer users than are stored (a real shrink).")
    ] = False,
    jobs: Annotated[int, typer.Option(help="How many connections to sync at the same time.", min=1, max=16)] = 1,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fetch and show what would change; write nothing.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Record an export as of the day it was taken (YYYY-MM-DD; file-based providers such as csv).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Fetch every configured connection's users and store their seats.

    Exits 1 if a sync failed, 2 if a connection's configuration is wrong.
    """
    state: App = ctx.obj
    names = list(dict.fromkeys(connections or []))  # `sync a a` syncs a once
    selected = state.select_connections(names)
    when = _export_date(state, selected, as_of)
    broken = refuse_misconfigured(state, selected, record=not dry_run)
    ready = [connection for connection in selected if connection.name not in broken]
    options = {"allow_empty": allow_empty, "allow_shrink": allow_shrink, "jobs": jobs, "dry_run": dry_run, "when": when}
    synced = run_syncs(state, ready, **options) if ready else []
    for warning in state.config.warnings:
        console.err(warning)
    print_sync_summary([item.result for item in synced], dry_run=dry_run)
    if broken or any(item.config_error for item in synced):
        raise typer.Exit(ConfigError.exit_code)
    if not all(item.result.ok for item in synced):
        raise typer.Exit(1)


def _export_date(state: App, selected: list[ConnectionConfig], as_of: str | None) -> datetime | None:
    """The moment ``--as-of`` names, checked: a past date, and only connections of providers that read exports."""
    if as_of is None:
        return None
    from .listing import parse_as_of

    when = parse_as_of(as_of, datetime.now(UTC))
    for connection in selected:
        provider = state.plugins.providers.get(connection.provider)
        if provider is not None and not provider.exports:
            raise ConfigError(
                f"--as-of dates an export, and connection {connection.name!r} ({connection.provider}) reads a live "
                "service: sync it without --as-of, or name only export connections"
            )
    return when


def refuse_misconfigured(
    state: App, selected: list[ConnectionConfig], *, record: bool = True
) -> dict[str, ConfigError]:
    """Check every selected connection's configuration before any sync starts; record and report the broken ones.

    Each broken connection gets a failed run (so `seatkeeper runs` and the report's freshness show it; not with
    ``record=False``, a dry run) and one line on stderr, at once; the others still sync, and the command exits 2
    at the end.
    """
    broken = config_module.check_connections(
        state.config,
        state.plugins.providers,
        selected=selected,
        broken_plugins=[plugin.name for plugin in state.plugins.broken],
    )
    if broken:
        now = datetime.now(UTC)
        for connection in selected:
            if connection.name in broken:
                error = str(broken[connection.name])
                if record:
                    store.record_failed_run(state.engine, connection.name, connection.provider, error, now)
                console.err(f"{connection.name}: sync failed: {error}")
    return broken


def run_syncs(
    state: App,
    selected: list[ConnectionConfig],
    *,
    allow_empty: bool = False,
    allow_shrink: bool = False,
    jobs: int = 1,
    dry_run: bool = False,
    when: datetime | None = None,
) -> list[Synced]:
    """Sync the connections, ``jobs`` at a time, with a progress bar each on stderr; results in config order.

    A failure never stops the others. Connections are independent accounts, so running several at once mostly
    overlaps waiting on their APIs; each still applies its changes in its own transaction. Ctrl-C or SIGTERM
    stops them all (see :mod:`.signals`).
    """
    # Opened (and upgraded) once, before any thread needs it. A dry run only reads, or, before any sync, sees an
    # empty history.
    engine = _preview_engine(state) if dry_run else state.engine
    run = preview_connection if dry_run else sync_connection
    options: dict[str, object] = {"allow_empty": allow_empty, "allow_shrink": allow_shrink}
    if when is not None and not dry_run:
        options["now"] = when
    signals.stopping_syncs()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console.stderr,
        transient=False,
        disable=not console.stderr.is_terminal,
    ) as progress:

        def run_one(connection: ConnectionConfig) -> Synced:
            task = progress.add_task(console.clean(connection.name), total=None)

            def advance(advance: int = 0, total: int | None = None) -> None:
                cancel.check()  # a provider reporting progress stops there once a stop is requested
                progress.update(task, advance=advance, **({"total": total} if total is not None else {}))

            try:
                provider = state.plugins.provider(connection.provider)
                settings = resolve_settings(connection, provider, state.config)
            except ConfigError as error:
                if not dry_run:
                    now = datetime.now(UTC)
                    store.record_failed_run(engine, connection.name, connection.provider, str(error), now)
                return Synced(SyncResult(connection.name, connection.provider, ok=False, error=str(error)), True)
            result = run(engine, connection, provider, settings, progress=advance, **options)
            return Synced(result, result.exit_code == ConfigError.exit_code)

        return workers.run_all([lambda c=c: run_one(c) for c in selected], workers=jobs)


def _preview_engine(state: App):
    """The database a dry run reads, or an empty one when there is none yet (a dry run creates none).

    The real one is opened as a sync opens it: its staging tables are temporary, but SQLite makes no temporary
    table on a read-only connection.
    """
    try:
        state.reader  # noqa: B018 - only to learn whether there is a database
    except NoDatabase:
        return db.empty_database()
    return state.engine


def print_sync_summary(results: list[SyncResult], *, dry_run: bool = False) -> None:
    """One line per connection: counts on stdout, failures on stderr, then the run's notes."""
    for result in results:
        if result.ok:
            c = result.counts
            console.out(
                f"{result.connection}: {'would have' if dry_run else ''}{' ' if dry_run else ''}"
                f"{c['seen']} seats — {c['added']} added, {c['changed']} changed, "
                f"{c['removed']} removed, {c['unchanged']} unchanged"
                + (f", {c['rejected']} rejected" if c.get("rejected") else "")
                + (f", {c['duplicates']} duplicates" if c.get("duplicates") else "")
            )
        else:
            console.err(f"{result.connection}: {'dry run' if dry_run else 'sync'} failed: {result.error}")
        for note in result.notes:
            console.err(f"  {note}")
