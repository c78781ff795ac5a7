"""The contract kit run against the throwaway test plugin, as any third-party provider would run it."""

from __future__ import annotations

import pytest

from seatkeeper.testing import ProviderContract
from tests import throwaway_plugin
from tests.throwaway_plugin import SECRET, ListProvider, user


class TestListProviderContract(ProviderContract):
    """The list provider's "account" is its ``users`` list; its only secret is the token."""

    @pytest.fixture
    def provider(self):
        provider = ListProvider()
        provider.users = [user(1), user(2, license_type="Basic", billable=False), user(3, user_id=None)]
        return provider

    @pytest.fixture
    def settings(self):
        return {"token": SECRET}

    @pytest.fixture
    def empty_settings(self, provider):
        provider.users = []
        return {"token": SECRET}

    @pytest.fixture
    def bad_settings(self):
        return {"token": "wrong-token-for-the-contract"}

    @pytest.fixture
    def plugin(self):
        return throwaway_plugin
