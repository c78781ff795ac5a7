"""Managing connections' history: ``rename-connection`` and ``retire-connection``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from seatkeeper import store
from seatkeeper.app import App
from seatkeeper.locks import sync_lock

from . import console
from .listing import parse_as_of


def rename_connection(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="The connection's stored name.")],
    new: Annotated[str, typer.Argument(help="Its new name (rename its [connections.NAME] table to match).")],
) -> None:
    """Rename a stored connection, keeping its history (seats, runs, people)."""
    state: App = ctx.obj
    with sync_lock(state.engine, old):  # not while it syncs
        store.rename_connection(state.engine, old, new)
    console.out(f"renamed connection {old!r} to {new!r}: rename its [connections.{old}] table in the config file too")


def retire_connection(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The connection to stop tracking.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="When it stopped (YYYY-MM-DD; default: now).", show_default=False)
    ] = None,
) -> None:
    """Stop tracking a connection: its seats leave the reports from that date; its history stays."""
    state: App = ctx.obj
    now = datetime.now(UTC)
    when = parse_as_of(as_of, now) or now
    with sync_lock(state.engine, name):
        closed = store.retire_connection(state.engine, name, when)
    console.out(f"retired connection {name!r} as of {when:%Y-%m-%d}: {closed} seats closed; its history stays")
