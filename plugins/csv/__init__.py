"""seatkeeper's built-in CSV provider: track any tool that can export its user list as CSV.

Loaded through the ``seatkeeper`` entry-point group like any plugin; see README.md beside this file.
"""

from seatkeeper import hookimpl

from .provider import CsvProvider

__all__ = ["CsvProvider", "register_providers"]


@hookimpl
def register_providers(register):
    """Offer the CSV provider."""
    register(CsvProvider())
