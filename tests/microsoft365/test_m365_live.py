"""The Microsoft 365 provider against a recorded sync of a tenant (tests/cassettes/test_m365_live/).

The cassette is composed from the reference pack's sample tenant (compose_cassettes.py), but the assertions
compare the results with what the cassette holds, so it can be re-recorded against a real tenant: see
plugins/microsoft365/README.md, "Tests and re-recording the cassettes".
"""

from __future__ import annotations

import json
import os

import pytest
import yaml

from seatkeeper import Person, SeatPlan, SeatRecord
from seatkeeper.testing import check_items, fetch_all
from tests.conftest import CASSETTES, SCRUBBED, TEST_CLIENT_SECRET

from .m365_testkit import CLIENT_ID, TENANT_ID, Waits
from .m365_testkit import provider as recording_provider

pytestmark = pytest.mark.vcr
HERE = CASSETTES / "test_m365_live"

#: Real credentials for re-recording, read at import (the tests' environment is cleaned before each test).
RECORDING = {
    name: os.environ.get(f"M365_RECORD_{name.upper()}") for name in ("tenant_id", "client_id", "client_secret")
}


@pytest.fixture(scope="module")
def vcr_config(vcr_config, record_mode):
    """tests/conftest.py's config, scrubbing the client secret and certificate assertion from token requests;
    refusing to record without real credentials (checked before rewrite mode deletes the cassette)."""
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
    """The JSON bodies of the cassette's successful answers to GETs of ``path``."""
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
        enabled = sku["prepaidUnits"]["enabled"]
        assert (plan.purchased, plan.assigned) == (enabled if plan.extras["billable"] else None, sku["consumedUnits"])
        assert plan.extras["enabled_units"] == enabled
    assert waits == []
