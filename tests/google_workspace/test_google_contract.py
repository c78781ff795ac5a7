"""The Google Workspace provider passes seatkeeper's provider contract kit, against the local compatible server."""

from __future__ import annotations

import pytest

import seatkeeper_google_workspace
from seatkeeper import Person
from seatkeeper.testing import ProviderContract, fetch_all
from tests.google_server import Faults

from .kit import (
    LOCALHOST_ONLY,
    SUBJECT,
    fake_google,
    make_key,
    pack_snapshot,
    pack_users,
    provider,
    server_settings,
    shared_key,
)

pytestmark = LOCALHOST_ONLY

EMPTY, NORMAL, BROKEN = 0, 1, 2  # the server's snapshots


class LiveSecrets:
    """The key (whole, and each line of its PEM body) plus every token the server has issued when checked."""

    def __init__(self, keys, server):
        self.values = []
        for key in keys:
            self.values += [key.text(), key.private_key]
            self.values += [line for line in key.private_key.splitlines() if len(line) >= 40]
        self.server = server

    def __iter__(self):
        return iter([*self.values, *self.server.issued_tokens])


OTHER_KEY = make_key()  # a key the server does not know: refused like a deleted one


class TestGoogleWorkspaceContract(ProviderContract):
    """The pack's customer (pages of 2), a customer with only its admin, and one whose second page is cut off."""

    @pytest.fixture
    def google(self):
        admin = [user for user in pack_users() if user["primaryEmail"] == SUBJECT]
        with fake_google([pack_snapshot(users=admin, assignments=[]), pack_snapshot(), pack_snapshot()]) as server:
            Faults(server).malformed(
                path="/admin/directory/v1/users",
                times=None,
                when=lambda request: request.snapshot == BROKEN and "pageToken" in request.query,
            )
            yield server

    @pytest.fixture
    def provider(self):
        return provider(user_page_size=2, license_page_size=2)

    @pytest.fixture
    def settings(self, google):
        return server_settings(google, NORMAL)

    @pytest.fixture
    def empty_settings(self, google):
        return server_settings(google, EMPTY)

    @pytest.fixture
    def bad_settings(self, google):
        return server_settings(google, NORMAL, key=OTHER_KEY)

    @pytest.fixture
    def malformed_settings(self, google):
        return server_settings(google, BROKEN)

    @pytest.fixture
    def plugin(self):
        return seatkeeper_google_workspace

    @pytest.fixture
    def secret_values(self, google):
        return LiveSecrets([shared_key(), OTHER_KEY], google)

    def test_one_person_per_directory_user(self, provider, settings):
        """Besides the kit's own checks (which take a directory's Person items): one Person per Directory user."""
        fetched = fetch_all(provider, settings)
        people = [item for item in fetched.items if isinstance(item, Person)]
        assert len(people) == len(pack_users())
        assert len({person.person_id for person in people}) == len(people)
