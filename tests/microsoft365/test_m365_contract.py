"""The Microsoft 365 provider passes seatkeeper's provider contract kit, against the local Graph server."""

from __future__ import annotations

import pytest

import seatkeeper_microsoft365
from seatkeeper import Person
from seatkeeper.testing import ProviderContract, fetch_all
from seatkeeper_microsoft365.server import Reply
from tests.conftest import TEST_CLIENT_SECRET
from tests.m365_server import faults

from .m365_testkit import LOCALHOST_ONLY, graph, sample_tenant
from .m365_testkit import provider as recording_provider

pytestmark = LOCALHOST_ONLY

EMPTY = "empty.onmicrosoft.com"
BROKEN = "broken.onmicrosoft.com"


class LiveSecrets:
    """The secret values, plus every token the server has issued by the time the check looks."""

    def __init__(self, values, server):
        self.values = list(values)
        self.server = server

    def __iter__(self):
        return iter([*self.values, *self.server.issued_tokens])


class TestMicrosoft365ProviderContract(ProviderContract):
    """The pack's sample tenant (pages of 3), an empty tenant, and one whose second page is cut off."""

    @pytest.fixture
    def server(self):
        tenants = [sample_tenant(), sample_tenant(tenant_id=EMPTY, users=[]), sample_tenant(tenant_id=BROKEN)]
        with graph(*tenants) as server:
            faults.arm(
                server,
                lambda _request, _server: Reply(200, b'{"value": [{"id": "x", "mai'),
                times=None,
                when=lambda request: (
                    request.tenant is not None and request.tenant.tenant_id == BROKEN and "$skiptoken" in request.query
                ),
            )
            yield server

    @pytest.fixture
    def provider(self):
        return recording_provider(page_size=3)

    @pytest.fixture
    def settings(self, server):
        return server.settings()

    @pytest.fixture
    def empty_settings(self, server):
        return server.settings(EMPTY)

    @pytest.fixture
    def bad_settings(self, server):
        return {**server.settings(), "client_secret": "not-the-right-secret"}

    @pytest.fixture
    def malformed_settings(self, server):
        return server.settings(BROKEN)

    @pytest.fixture
    def plugin(self):
        return seatkeeper_microsoft365

    @pytest.fixture
    def secret_values(self, server):
        return LiveSecrets([TEST_CLIENT_SECRET, "not-the-right-secret"], server)

    def test_one_valid_person_per_user(self, provider, settings):
        """Besides the kit's own checks (which take a directory's Person items): one Person per user of the tenant."""
        fetched = fetch_all(provider, settings)
        persons = [item for item in fetched.items if isinstance(item, Person)]
        assert len({person.person_id for person in persons}) == len(persons) == 9
        assert all(Person.model_validate(person.model_dump()) == person for person in persons)
