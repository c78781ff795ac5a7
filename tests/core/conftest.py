"""Core test fixtures: the throwaway plugin registered in a fresh plugin manager, and a database engine."""

from __future__ import annotations

import pytest

from seatkeeper.config import ConnectionConfig
from seatkeeper.plugins import Plugins
from tests import throwaway_plugin


@pytest.fixture
def plugins():
    """A plugin manager holding only the throwaway plugin (installed plugins stay out of the tests)."""
    manager = Plugins()
    manager.register(throwaway_plugin, "throwaway")
    provider = throwaway_plugin.provider
    provider.users, provider.fail_after, provider.fetches = [], None, 0
    yield manager


@pytest.fixture
def provider(plugins):
    """The list provider, reset."""
    return plugins.provider("listprovider")


@pytest.fixture
def connection():
    """A connection of the list provider."""
    return ConnectionConfig("acme", "listprovider")


SETTINGS = {"token": throwaway_plugin.SECRET}
