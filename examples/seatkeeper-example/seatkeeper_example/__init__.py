"""seatkeeper-example: a provider plugin for Example Chat, a fake SaaS whose API is a JSON file."""

from seatkeeper import hookimpl

from .provider import ExampleChat


@hookimpl
def register_providers(register):
    """Offer the Example Chat provider."""
    register(ExampleChat())
