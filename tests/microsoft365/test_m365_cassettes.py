"""The Microsoft 365 provider against recorded Graph exchanges (tests/cassettes/test_m365_cassettes/).

The cassettes are composed from the reference pack's documented answers (compose_cassettes.py). The sample
tenant's assertions are computed from what the cassette holds, so it can be re-recorded against a real tenant
(plugins/microsoft365/README.md, "Re-recording the cassettes"); the others show one refusal or fault each.
"""

from __future__ import annotations

import json
import os

import pytest
import yaml

from seatkeeper import Person, SeatPlan, SeatRecord
from seatkeeper.errors import AuthenticationError, PermissionDenied
from seatkeeper.testing import check_items, fetch_all
from tests.conftest import CASSETTES, SCRUBBED, TEST_CLIENT_SECRET

from .m365_testkit import CLIENT_ID, TENANT_ID, Waits
from .m365_testkit import provider as recording_provider

pytestmark = pytest.mark.vcr
HERE = CASSETTES / "test_m365_cassettes"

#: Real credentials for re-recording, read at import (the tests' environment is cleaned before each test).
RECORDING = {
    name: os.environ.get(f"M365_RECORD_{name.upper()}") for name in ("tenant_id", "client_id", "client_secret")
}


@pytest.fixture(scope="module")
def vcr_config(vcr_config, record_mode):
    """tests/conftest.py's config, scrubbing the client secret and certificate assertion from token requests."""
    missing = [f"M365_RECORD_{name.upper()}" for name, value in RECORDING.items() if not value]
    if record_mode != "none" and missing:
        pytest.fail(f"recording needs real credentials in {', '.join(missing)}")
    return {
        **vcr_config,
        "filter_post_data_parameters": [("client_secret", SCRUBBED), ("client_assertion", SCRUBBED)],
    }


@pytest.fixture
def settings(record_mode):
    if record_mode != "none":
        return dict(RECORDING)
    return {"tenant_id": TENANT_ID, "client_id": CLIENT_ID, "client_secret": TEST_CLIENT_SECRET}


def answers(name: str, path: str) -> list[dict]:
    """The JSON bodies of the cassette's answers to GETs of ``path``."""
    data = yaml.safe_load((HERE / f"{name}.yaml").read_text(encoding="utf-8"))
    found = []
    for interaction in data["interactions"]:
        request, response = interaction["request"], interaction["response"]
        if (
            request["method"] == "GET"
            and request["uri"].split("?")[0].endswith(path)
            and response["status"]["code"] == 200
        ):
            found.append(json.loads(response["body"]["string"]))
    return found


def test_sample_tenant(settings):
    waits = Waits()
    fetched = fetch_all(recording_provider(sleep=waits), settings)
    check_items([item for item in fetched.items if not isinstance(item, Person)])
    users = [user for page in answers("test_sample_tenant", "/users") for user in page["value"]]
    skus = answers("test_sample_tenant", "/subscribedSkus")[0]["value"]
    seats = [item for item in fetched.items if isinstance(item, SeatRecord)]
    expected = {f"{user['id']}:{sku['skuId'].lower()}" for user in users for sku in user.get("assignedLicenses") or []}
    assert {seat.key for seat in seats} == expected
    assert len([item for item in fetched.items if isinstance(item, Person)]) == len(users)
    plans = {plan.extras["sku_id"]: plan for plan in fetched.items if isinstance(plan, SeatPlan)}
    for sku in skus:
        plan = plans[sku["skuId"].lower()]
        assert (plan.purchased, plan.assigned) == (sku["prepaidUnits"]["enabled"], sku["consumedUnits"])
    assert waits == []


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
    for path in sorted(HERE.glob("*.yaml")):
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
