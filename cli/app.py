"""The ``seatkeeper`` typer app: global options (``--config``, ``--database-url``, ``--version``) and its commands.

The command line is seatkeeper's composition root: it wires the core, the plugins and the reports together.
The commands are listed in :mod:`.lazy`, and each one's module is imported only when it runs.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Annotated

import typer

from . import console
from .lazy import LazyGroup

app = typer.Typer(
    cls=LazyGroup,
    help="Track paid SaaS licence seats across providers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


REPORT_SECTIONS = ("prices", "contracts", "exchange_rates", "reports", "notify")


def _print_version(value: bool) -> None:
    if value:
        console.out(f"seatkeeper {importlib.metadata.version('seatkeeper')}")
        raise typer.Exit()


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
    version: Annotated[
        bool,
        typer.Option("--version", help="Show the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """Track paid SaaS licence seats across providers."""
    from seatkeeper.app import App  # the database layer, not needed for --help

    # The report layer reads these tables of the config file; naming them here keeps core from knowing them.
    ctx.obj = App(database_url_option=database_url, config_path=config, config_sections=REPORT_SECTIONS)
    ctx.call_on_close(ctx.obj.close)
