"""``main()``: run the app and turn every way it can end into one line on stderr and the documented exit code.

Exit codes (the README's table): 0 success; 1 a sync or another job failed; 2 configuration or usage error;
3 database error; 130 interrupted by Ctrl-C; 143 stopped by SIGTERM.
"""

from __future__ import annotations

import os
import sys

from typer.core import TyperGroup

from seatkeeper.errors import ConfigError, Interrupted, SeatkeeperError, first_line

from . import console, signals
from .app import app


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the command and exit with its code (see the module docstring)."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """Run ``seatkeeper ARGV`` and return its exit code; errors are printed as one line on stderr."""
    with signals.handled():
        try:
            code = app(args=argv, prog_name="seatkeeper", standalone_mode=False)
        except (KeyboardInterrupt, Interrupted):
            console.err(signals.message())
            return signals.exit_code()
        except SeatkeeperError as error:
            console.err(f"Error: {first_line(error)}")
            return error.exit_code
        except Exception as error:
            usage = _usage_error(error)
            if usage is not None:
                return usage
            if os.environ.get("SEATKEEPER_DEBUG"):
                raise
            console.err(
                f"Error: unexpected {type(error).__name__}: {first_line(error)} (set SEATKEEPER_DEBUG=1 for details)"
            )
            return 1
    # standalone_mode=False makes typer return what stops a command: a typer.Exit's code, or None.
    if signals.exit_code(0):  # a signal whose KeyboardInterrupt typer turned into an exit code
        console.err(signals.message())
        return signals.exit_code()
    return code if isinstance(code, int) else 0


def _usage_error(error: Exception) -> int | None:
    """Print a command-line usage error (click's) as one line and return its exit code; None if not one."""
    exit_code = getattr(error, "exit_code", None)
    format_message = getattr(error, "format_message", None)
    if not isinstance(exit_code, int) or format_message is None:
        return None
    context = getattr(error, "ctx", None)
    if type(error).__name__ == "NoArgsIsHelpError" and context is not None:
        console.stdout.print(context.get_help(), markup=False, highlight=False)
        return 0
    hint = f" (see `{context.command_path} --help`)" if context is not None else ""
    if context is not None and isinstance(context.command, TyperGroup) and "command" in format_message().lower():
        hint = f" (see `{context.command_path} --help` for the commands)"
    console.err(f"Error: {format_message()}{hint}")
    return exit_code if exit_code else ConfigError.exit_code
