"""Example Chat against seatkeeper's provider contract, plus one test of its own."""

import json

import pytest
import seatkeeper_example
from seatkeeper_example.provider import ExampleChat

from seatkeeper.testing import ProviderContract, fetch_all

KEY = "example-demo-key"


class TestExampleChatContract(ProviderContract):
    @pytest.fixture
    def provider(self):
        return ExampleChat()

    @pytest.fixture
    def settings(self):
        return {"api_key": KEY}  # the bundled sample team

    @pytest.fixture
    def empty_settings(self, tmp_path):
        path = tmp_path / "empty.json"
        path.write_text(json.dumps({"api_key": KEY, "members": []}))
        return {"api_key": KEY, "data_file": str(path)}

    @pytest.fixture
    def bad_settings(self):
        return {"api_key": "not-the-example-key"}

    @pytest.fixture
    def malformed_settings(self, tmp_path):
        path = tmp_path / "broken.json"
        path.write_text('{"api_key": "example-demo-key", "members": [')
        return {"api_key": KEY, "data_file": str(path)}

    @pytest.fixture
    def plugin(self):
        return seatkeeper_example


def test_plans_decide_licence_type_and_billing():
    seats = {record.email: record for record in fetch_all(ExampleChat(), {"api_key": KEY}).records}
    assert (seats["ada@example.com"].license_type, seats["ada@example.com"].billable) == ("Business", True)
    assert (seats["barbara@example.com"].license_type, seats["barbara@example.com"].billable) == ("Free", False)
    assert seats["edsger@example.com"].status == "inactive"
    assert seats["ken@example.com"].status == "pending" and seats["ken@example.com"].key == "email:ken@example.com"


def test_seatkeeper_sync_fixture_stores_the_team(seatkeeper_sync, seatkeeper_engine):
    result = seatkeeper_sync(ExampleChat(), {"api_key": KEY})
    assert result.ok and result.counts["seen"] == 6
