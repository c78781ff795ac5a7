"""seatkeeper's built-in Microsoft 365 provider (Microsoft Graph), loaded through the ``seatkeeper`` entry-point group."""

from seatkeeper import hookimpl

from .provider import Microsoft365Provider

__all__ = ["Microsoft365Provider", "register_providers"]


@hookimpl
def register_providers(register):
    """Offer the Microsoft 365 provider."""
    register(Microsoft365Provider())
