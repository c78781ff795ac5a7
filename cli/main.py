"""``main()``: run the app and turn every way it can end into one line on stderr and the documented exit code.

Exit codes (the README's table): 0 success; 1 a sync or another job failed; 2 configuration or usage error;
3 database error; 130 interrupted by Ctrl-C; 143 stopped by SIGTERM.
"""

from __future__ import annotations

import os
import sys

import typer

from seatkeeper.errors import ConfigError, Interrupted, SeatkeeperError, first_line

from . import console, signals
from .app import app


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the command and exit with its code (see the module docstring)."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """Run ``seatkeeper ARGV`` and return its exit code; errors are printed as one line on stderr."""
    args = sys.argv[1:] if argv is None else list(argv)
    with signals.handled():
        try:
            code = app(args=args or ["--help"], prog_name="seatkeeper", standalone_mode=False)
        except (KeyboardInterrupt, Interrupted):
            console.err(signals.message())
            return signals.exit_code()
        except SeatkeeperError as error:
            console.err(f"Error: {first_line(error)}")
            return error.exit_code
        except typer.TyperException as error:  # the public base of click's usage errors
            return _usage_error(error)
        except BrokenPipeError:  # `seatkeeper licenses | head`: the reader has gone, say nothing more
            _silence_stdout()
            return 1
        except Exception as error:
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


def _usage_error(error: typer.TyperException) -> int:
    """Print a command-line usage error as one line, pointing at the help, and return its exit code (2)."""
    message = error.format_message() if hasattr(error, "format_message") else str(error)
    context = getattr(error, "ctx", None)
    hint = f" (see `{context.command_path} --help`)" if context is not None else ""
    console.err(f"Error: {message}{hint}")
    return getattr(error, "exit_code", None) or ConfigError.exit_code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail on the closed pipe again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
