"""``seatkeeper demo``: run the real sync over bundled sample data, then write reports of it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seatkeeper.app import App

from . import console


def demo(
    ctx: typer.Context,
    directory: Annotated[
        Path | None, typer.Option(help="Folder for the demo database and reports (default: the data dir's demo/).")
    ] = None,
) -> None:
    """Run the real sync over bundled sample data (no credentials needed) into a fresh demo database."""
    from . import demo as demo_job  # the demo composes sync and reports: imported only when it runs

    directory = demo_job.demo_directory(directory)  # before any output: a bad folder is the only line printed
    state: App = ctx.obj
    console.stderr.print(
        "[bold]seatkeeper demo[/bold]: syncing bundled SAMPLE data (not a real account) into a demo database"
    )
    outcome = demo_job.run_demo(state.plugins, directory, progress_console=console.stderr)
    for snapshot in outcome.syncs:
        console.err(f"  {snapshot}")
    console.out(f"demo database: {outcome.database_path}")
    for label, path in outcome.outputs:
        console.out(f"{label}: {path}")
    config = next((path for label, path in outcome.outputs if label.startswith("demo config")), None)
    if config is not None:
        console.out(f"try: seatkeeper --config {config} licenses --billable")
        console.out(f"     seatkeeper --config {config} report --format md --output -")
    if not outcome.ok:
        raise typer.Exit(1)
