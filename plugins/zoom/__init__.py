"""seatkeeper's built-in Zoom provider, loaded through the ``seatkeeper`` entry-point group like any plugin."""

from seatkeeper import hookimpl

from .provider import ZoomProvider

__all__ = ["ZoomProvider", "register_providers"]


@hookimpl
def register_providers(register):
    """Offer the Zoom provider."""
    register(ZoomProvider())
