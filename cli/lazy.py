"""Commands whose code is imported only when they run, so ``seatkeeper --help`` stays fast.

Each command's module imports what it needs (the sync engine, the database, the reporting layer with Jinja2)
at its top, as usual; the app's help needs only the commands' names and one line of help each, kept here.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup


class LazyCommand(TyperCommand):
    """Stands in for the typer command ``function`` of ``module`` until the command line names it."""

    def __init__(self, name: str, module: str, function: str, help: str, *, hidden: bool = False) -> None:
        super().__init__(name=name, help=help, short_help=help, hidden=hidden)
        self._target = (module, function)
        self._real: typer.core.TyperCommand | None = None

    def real(self) -> Any:
        """The command itself (imported on first use)."""
        if self._real is None:
            module, function = self._target
            sub_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
            sub_app.command(self.name)(getattr(importlib.import_module(module), function))
            self._real = typer.main.get_command(sub_app)
        return self._real

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        """Parse the arguments with the real command: its context runs it."""
        return self.real().make_context(info_name, args, parent=parent, **extra)


#: The commands in the order the help lists them: name -> (module, function, the first line of its docstring).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "sync": (
        "seatkeeper.cli.sync_command",
        "sync",
        "Fetch every configured connection's users and store their seats.",
    ),
    "licenses": ("seatkeeper.cli.listing", "licenses", "List the seats currently held (or held at a past date)."),
    "runs": ("seatkeeper.cli.listing", "runs", "List recent sync runs with their outcome and counts."),
    "connections": (
        "seatkeeper.cli.listing",
        "connections",
        "Show each connection's provider and last sync, and the config file and database in use.",
    ),
    "providers": (
        "seatkeeper.cli.listing",
        "providers",
        "List installed provider plugins with their package, version and settings.",
    ),
    "rename-connection": (
        "seatkeeper.cli.manage",
        "rename_connection",
        "Rename a stored connection, keeping its history (seats, runs, people).",
    ),
    "retire-connection": (
        "seatkeeper.cli.manage",
        "retire_connection",
        "Stop tracking a connection: its seats leave the reports from that date; its history stays.",
    ),
    "report": (
        "seatkeeper.reports.command",
        "report",
        "Write the monthly licence report: seats, costs, unused seats, changes, departments, trend.",
    ),
    "notify": (
        "seatkeeper.cli.notify_command",
        "notify",
        "Send the month's headline figures, alerts and HTML report to the [notify] destinations.",
    ),
    "run": (
        "seatkeeper.cli.notify_command",
        "run",
        "Sync every connection, write the month's report and send it: one command for cron or a systemd timer.",
    ),
    "demo": (
        "seatkeeper.cli.demo_command",
        "demo",
        "Run the real sync over bundled sample data (no credentials needed) into a fresh demo database.",
    ),
}
#: Old names that still work, hidden from the help: alias -> command.
ALIASES = {"syncs": "runs"}


class LazyGroup(TyperGroup):
    """The app's command group: every command of :data:`COMMANDS` (and :data:`ALIASES`), each a LazyCommand."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, (module, function, help) in COMMANDS.items():
            self.add_command(LazyCommand(name, module, function, help))
        for alias, name in ALIASES.items():
            module, function, _ = COMMANDS[name]
            self.add_command(LazyCommand(alias, module, function, f"Old name of `{name}`.", hidden=True))
