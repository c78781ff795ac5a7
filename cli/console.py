"""The two consoles of the command line (data on stdout, progress and messages on stderr) and ``clean``.

Everything a command prints to a terminal goes through :func:`clean`: seat names, departments, error messages and
notes come from providers and config files, and a control character in them (``ESC[2J``, an OSC title or
hyperlink) would otherwise be run by the user's terminal.
"""

from __future__ import annotations

import re

from rich.console import Console

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)

# C0 and C1 control characters (tab and newline included: a printed value stays on its line) and the Unicode
# bidirectional overrides, which reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object) -> str:
    """``text`` with every control character shown as an escape (``ESC`` becomes ``\\x1b``), safe to print."""
    return _CONTROL.sub(_visible, str(text))


def out(text: object) -> None:
    """Print one line of data on stdout, cleaned, with no markup or highlighting."""
    stdout.print(clean(text), markup=False, highlight=False)


def err(text: object) -> None:
    """Print one message line on stderr, cleaned, with no markup or highlighting."""
    stderr.print(clean(text), markup=False, highlight=False)
