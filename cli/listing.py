"""The listing commands: ``licenses``, ``runs`` (alias ``syncs``), ``connections`` and ``providers``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from seatkeeper import db, queries
from seatkeeper.app import App
from seatkeeper.errors import ConfigError, NoDatabase
from seatkeeper.output import to_json
from seatkeeper.schema import SeatStatus

from . import console
from .render import Format, emit

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
    "application",
]
#: What a terminal table of seats shows without --wide: email first, within 120 columns.
LICENSE_TABLE_COLUMNS = ["email", "name", "connection", "license_type", "billable", "status", "last_activity_at"]
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
    "unchanged",
    "rejected",
    "duplicates",
    "error",
]
RUN_TABLE_COLUMNS = ["id", "connection", "started_at", "outcome", "seen", "added", "changed", "removed", "error"]
CONNECTION_COLUMNS = ["connection", "provider", "configured", "last_sync_at", "outcome", "error"]
PROVIDER_COLUMNS = ["provider", "title", "package", "version", "settings"]

FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]
WideOption = Annotated[bool, typer.Option("--wide", help="Show every column in a table.")]


def parse_as_of(value: str | None, now: datetime) -> datetime | None:
    """``--as-of YYYY-MM-DD`` (or an ISO date-time) as a UTC moment; a date after ``now`` is refused."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--as-of {value!r} is not a date: use YYYY-MM-DD") from None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
    if parsed > now:
        raise ConfigError(f"--as-of {value} is in the future: the history ends now ({now:%Y-%m-%d})")
    return parsed


def check_filters(
    state: App, *, provider: str | None = None, connection: str | None = None, application: str | None = None
) -> None:
    """Refuse a ``--provider``, ``--connection`` or ``--application`` that no configured or stored connection has
    (exit 2)."""
    if provider is None and connection is None and application is None:
        return
    if application is not None:
        applications = queries.stored_applications(state.reader)
        if application not in applications:
            raise ConfigError(f"no application named {application!r}: known applications are {_listed(applications)}")
    known = queries.stored_connections(state.reader)
    if provider is not None:
        providers = set(state.plugins.providers) | set(known.values())
        if provider not in providers:
            raise ConfigError(f"no provider named {provider!r}: known providers are {_listed(providers)}")
    if connection is not None:
        names = set(known) | set(state.connections())
        if connection not in names:
            raise ConfigError(f"no connection named {connection!r}: known connections are {_listed(names)}")


def _listed(names: set[str]) -> str:
    return ", ".join(sorted(names)) if names else "none (nothing is configured or stored yet)"


def licenses(
    ctx: typer.Context,
    application: Annotated[str | None, typer.Option(help="Only this application (the tool, e.g. Zoom).")] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    connection: Annotated[str | None, typer.Option(help="Only this connection.")] = None,
    status: Annotated[SeatStatus | None, typer.Option(help="Only seats with this status.")] = None,
    billable: Annotated[
        bool | None, typer.Option("--billable/--free", help="Only paid, or only free, seats.", show_default=False)
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Seats held, and their last activity, at this past date (YYYY-MM-DD)."),
    ] = None,
    format: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """List the seats currently held (or held at a past date)."""
    state: App = ctx.obj
    moment = parse_as_of(as_of, datetime.now(UTC))
    check_filters(state, provider=provider, connection=connection, application=application)
    rows = queries.seats(
        state.reader,
        as_of=moment,
        application=application,
        provider=provider,
        connection=connection,
        status=status.value if status else None,
        billable=billable,
    )
    emit(rows, LICENSE_COLUMNS, format, title=f"{len(rows)} seats", table_columns=LICENSE_TABLE_COLUMNS, wide=wide)


def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many runs to show.", min=1)] = 20,
    connection: Annotated[str | None, typer.Option(help="Only this connection.")] = None,
    format: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """List recent sync runs with their outcome and counts."""
    state: App = ctx.obj
    check_filters(state, connection=connection)
    rows = queries.recent_runs(state.reader, limit=limit, connection=connection)
    columns = RUN_COLUMNS + (["notes"] if format != Format.table else [])
    emit(rows, columns, format, title="recent syncs", table_columns=RUN_TABLE_COLUMNS, wide=wide)


def connections(ctx: typer.Context, format: FormatOption = Format.table) -> None:
    """Show each connection's provider and last sync, and the config file and database in use.

    The configured connections come first; connections only the database knows (no longer configured, or synced
    with another config file) follow, so every connection `licenses` can show is listed.
    """
    state: App = ctx.obj
    try:
        engine = state.reader
    except NoDatabase:
        engine = None  # nothing synced yet: the configured connections, never synced
    latest = queries.latest_runs(engine) if engine is not None else {}
    configured = {name: connection.provider for name, connection in state.connections().items()}
    stored = queries.stored_connections(engine) if engine is not None else {}
    listed = list(configured.items()) + sorted(item for item in stored.items() if item[0] not in configured)
    rows: list[dict[str, Any]] = []
    for name, provider in listed:
        run = latest.get(name, {})
        rows.append(
            {
                "connection": name,
                "provider": provider,
                "configured": name in configured,
                "last_sync_at": run.get("started_at"),
                "outcome": run.get("outcome"),
                "error": run.get("error"),
            }
        )
    config_path = state.config.path
    config_text = f"{config_path}" + ("" if config_path.exists() else " (not found: environment variables only)")
    database = db.safe_url(state.database_url)
    if format == Format.json:
        typer.echo(to_json({"config_file": str(config_path), "database": database, "connections": rows}))
        return
    # The context lines go with a terminal table; in a pipe they go to stderr so stdout stays rows only.
    say = console.out if format == Format.table and console.stdout.is_terminal else console.err
    say(f"config file: {config_text}")
    say(f"database: {database}")
    if format == Format.table:
        rows = [row | {"outcome": row["outcome"] or "never synced"} for row in rows]
    emit(rows, CONNECTION_COLUMNS, format, title=f"{len(rows)} connections")


def _setting_text(setting: dict[str, Any]) -> str:
    """``token* (secret) [LISTPROVIDER_TOKEN]``: the setting, whether required or secret, and its variable."""
    return f"{setting['name']}{'*' if setting['required'] else ''}{' (secret)' if setting['secret'] else ''}" + (
        f" [{setting['env']}]" if setting["env"] else ""
    )


def providers(ctx: typer.Context, format: FormatOption = Format.table) -> None:
    """List installed provider plugins with their package, version and settings."""
    state: App = ctx.obj
    rows = []
    for name, provider in sorted(state.plugins.providers.items()):
        info = state.plugins.plugin_of(name)
        settings = [
            {"name": s.name, "required": s.required, "secret": s.secret, "env": s.env} for s in provider.settings
        ]
        rows.append(
            {
                "provider": name,
                "title": provider.title or name,
                "package": info.package if info else None,
                "version": info.version if info else None,
                "settings": settings if format == Format.json else ", ".join(map(_setting_text, settings)),
            }
        )
    emit(rows, PROVIDER_COLUMNS, format, title="providers")
    if format == Format.table:
        console.err("* required; [VAR] is the environment variable for the provider's default connection")
    for broken in state.plugins.broken:
        console.err(
            f"warning: plugin {broken.name!r} ({broken.package or 'unknown package'}) failed to load and was skipped: {broken.error}"
        )
