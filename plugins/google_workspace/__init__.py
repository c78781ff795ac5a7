"""seatkeeper's Google Workspace provider, loaded through the ``seatkeeper`` entry-point group like any plugin."""

from seatkeeper import hookimpl

from .provider import GoogleWorkspaceProvider

__all__ = ["GoogleWorkspaceProvider", "register_providers"]


@hookimpl
def register_providers(register):
    """Offer the Google Workspace provider."""
    register(GoogleWorkspaceProvider())
