"""The Zoom provider passes seatkeeper's provider contract kit, against the fake Zoom server."""

from __future__ import annotations

import base64

import pytest

import seatkeeper_zoom
from seatkeeper.testing import ProviderContract
from seatkeeper_zoom import ZoomProvider
from seatkeeper_zoom.fake_server import Reply
from seatkeeper_zoom.transport import RetryPolicy
from tests.conftest import TEST_CLIENT_ID, TEST_CLIENT_SECRET

from .zoom_testkit import LOCALHOST_ONLY, Waits, account, fake_zoom

pytestmark = LOCALHOST_ONLY

EMPTY, NORMAL, BROKEN = 0, 1, 2  # the fake account's snapshots


class LiveSecrets:
    """The secret values, plus every token the fake server has issued by the time the check looks."""

    def __init__(self, values, zoom):
        self.values = list(values)
        self.zoom = zoom

    def __iter__(self):
        return iter([*self.values, *self.zoom.issued_tokens])


class TestZoomProviderContract(ProviderContract):
    """An account with users in every status (pages of 2), an empty one, and one whose second page is cut off."""

    @pytest.fixture
    def zoom(self):
        users = account(active=5, inactive=2, pending=2)
        with fake_zoom([[], users, users]) as server:
            server.faults.add(
                lambda _request, _server: Reply(200, b'{"page_count": 3, "users": [{"id": "x", "em'),
                times=None,
                path="/v2/users",
                when=lambda request: request.snapshot == BROKEN and "next_page_token" in request.query,
            )
            yield server

    @pytest.fixture
    def provider(self):
        return ZoomProvider(policy=RetryPolicy(sleep=Waits()), page_size=2)

    @pytest.fixture
    def settings(self, zoom):
        return zoom.settings(NORMAL)

    @pytest.fixture
    def empty_settings(self, zoom):
        return zoom.settings(EMPTY)

    @pytest.fixture
    def bad_settings(self, zoom):
        return {**zoom.settings(NORMAL), "client_secret": "not-the-right-secret"}

    @pytest.fixture
    def malformed_settings(self, zoom):
        return zoom.settings(BROKEN)

    @pytest.fixture
    def plugin(self):
        return seatkeeper_zoom

    @pytest.fixture
    def secret_values(self, provider, settings, bad_settings, zoom):
        basic = base64.b64encode(f"{TEST_CLIENT_ID}:{TEST_CLIENT_SECRET}".encode()).decode()
        return LiveSecrets([TEST_CLIENT_SECRET, "not-the-right-secret", basic], zoom)
