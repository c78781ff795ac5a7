"""The ``seatkeeper`` command line: the composition root that wires the core, the plugins and the reports.

- :mod:`.app`: the typer app and its global options; :mod:`.main`: exit codes and error lines.
- :mod:`.sync_command`, :mod:`.listing`, :mod:`.demo_command`: the commands (``report`` lives in
  ``seatkeeper.reports.command`` and is loaded only when it runs).
- :mod:`.console`, :mod:`.render`: what reaches the terminal; :mod:`.signals`, :mod:`.workers`: Ctrl-C and SIGTERM.
"""

from .main import main

__all__ = ["main"]
