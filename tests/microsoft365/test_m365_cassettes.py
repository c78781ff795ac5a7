"""The Microsoft 365 provider against scripted Graph exchanges (tests/cassettes/test_m365_cassettes/).

The cassettes are composed from the reference pack's documented answers (compose_cassettes.py), one refusal or
fault each; they are never recorded (test_m365_live.py holds the re-recordable one).
"""

from __future__ import annotations

import json

import pytest
import yaml

from seatkeeper import SeatRecord
from seatkeeper.errors import AuthenticationError, PermissionDenied
from seatkeeper.testing import fetch_all
from tests.conftest import CASSETTES, SCRUBBED, TEST_CLIENT_SECRET

from .m365_testkit import CLIENT_ID, TENANT_ID, Waits
from .m365_testkit import provider as recording_provider

pytestmark = pytest.mark.vcr
HERE = CASSETTES / "test_m365_cassettes"


@pytest.fixture(scope="module")
def vcr_config(vcr_config, record_mode):
    """tests/conftest.py's config; in a recording run these tests are skipped before pytest-recording opens
    (and, in rewrite mode, deletes) their cassettes."""
    if record_mode != "none":
        pytest.skip("scripted cassettes are composed, never recorded")
    return vcr_config


@pytest.fixture
def settings():
    return {"tenant_id": TENANT_ID, "client_id": CLIENT_ID, "client_secret": TEST_CLIENT_SECRET}


def test_wrong_secret(settings):
    with pytest.raises(AuthenticationError, match="did you paste the secret's ID instead of its value") as caught:
        fetch_all(recording_provider(), settings)
    assert TEST_CLIENT_SECRET not in str(caught.value)


def test_tenant_without_premium(settings):
    fetched = fetch_all(recording_provider(), settings)
    seats = [item for item in fetched.items if isinstance(item, SeatRecord)]
    assert len(seats) == 8 and all(seat.last_activity_at is None for seat in seats)
    assert sum("Authentication_RequestFromNonPremiumTenantOrB2CTenant" in warning for warning in fetched.warnings) == 1


def test_missing_permission(settings):
    with pytest.raises(PermissionDenied, match=r"Organization\.Read\.All"):
        fetch_all(recording_provider(), settings)


def test_throttled_with_decimal_retry_after(settings):
    waits = Waits()
    fetched = fetch_all(recording_provider(sleep=waits), settings)
    assert waits == [2.128]
    assert len([item for item in fetched.items if isinstance(item, SeatRecord)]) == 8


def test_token_expired_mid_paging(settings):
    fetched = fetch_all(recording_provider(), settings)
    assert len([item for item in fetched.items if isinstance(item, SeatRecord)]) == 8


def test_cassettes_hold_no_secret():
    """No client secret, assertion, token or Authorization header in any cassette: only SCRUBBED."""
    paths = sorted([*HERE.glob("*.yaml"), *(CASSETTES / "test_m365_live").glob("*.yaml")])
    assert len(paths) >= 6
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert TEST_CLIENT_SECRET not in text, path.name
        data = yaml.safe_load(text)
        for interaction in data["interactions"]:
            request, response = interaction["request"], interaction["response"]
            for value in request["headers"].get("Authorization", []):
                assert value == SCRUBBED, path.name
            form = dict(part.split("=", 1) for part in (request["body"] or "").split("&") if "=" in part)
            for name in ("client_secret", "client_assertion"):
                assert form.get(name, SCRUBBED) == SCRUBBED, path.name
            body = response["body"]["string"]
            if '"access_token"' in body:
                assert json.loads(body)["access_token"] == SCRUBBED, path.name
