"""The provider against exchanges a real customer produces (tests/cassettes/test_google_live/).

The cassettes are made from the reference pack (cassette_source.py), but every assertion compares the results with
what the cassette itself holds, so a user with a real service account can re-record them (plugins/google_workspace/
README.md, "Re-recording the cassettes"):

    GOOGLE_WORKSPACE_RECORD_KEY_FILE=key.json GOOGLE_WORKSPACE_RECORD_SUBJECT=admin@your.domain \\
        python -m pytest tests/google_workspace/test_google_live.py --record-mode=rewrite

(pytest-recording lifts ``--block-network`` for cassette tests in a recording mode.)
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from seatkeeper import PersonStatus

from .kit import Waits, fetch, provider, shared_key

pytestmark = pytest.mark.vcr(match_on=["method", "scheme", "host", "port", "path", "query"])

#: Read at import: the autouse fixture of conftest.py removes GOOGLE_WORKSPACE_* before each test runs.
RECORD_KEY_FILE = os.environ.get("GOOGLE_WORKSPACE_RECORD_KEY_FILE")
RECORD_SUBJECT = os.environ.get("GOOGLE_WORKSPACE_RECORD_SUBJECT")


@pytest.fixture(scope="module")
def vcr_config(vcr_config, record_mode):
    """tests/conftest.py's scrubbing, plus the signed assertion; recording needs real credentials."""
    if record_mode != "none" and not (RECORD_KEY_FILE and RECORD_SUBJECT):
        pytest.fail("recording needs GOOGLE_WORKSPACE_RECORD_KEY_FILE and GOOGLE_WORKSPACE_RECORD_SUBJECT")
    return scrubbing(vcr_config)


def scrubbing(config: dict) -> dict:
    """``config`` with the token request's signed JWT assertion scrubbed too (it identifies the key)."""
    return {**config, "filter_post_data_parameters": [("assertion", "SCRUBBED")]}


@pytest.fixture
def recording(record_mode):
    return record_mode != "none"


@pytest.fixture
def settings(recording):
    if recording:
        return {"key_file": RECORD_KEY_FILE, "subject": RECORD_SUBJECT, "products": "Google-Apps"}
    return {"key_json": shared_key().text(), "subject": "ana.nunez@example.com", "products": "Google-Apps"}


def answers(cassette, fragment: str) -> list[tuple[str, dict]]:
    """``(uri, JSON body)`` of each 200 answer whose request path contains ``fragment``, in order."""
    found = []
    for request, response in zip(cassette.requests, cassette.responses, strict=True):
        if fragment in urlsplit(request.uri).path and response["status"]["code"] == 200:
            body = response["body"]["string"]
            found.append((request.uri, json.loads(body.decode() if isinstance(body, bytes) else body)))
    return found


def cassette_now(path: Path) -> datetime:
    """A time one day after the first usage report day the cassette asks for (how the provider picks its day)."""
    for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
        uri = interaction["request"]["uri"]
        if "/usage/dates/" in uri:
            day = date.fromisoformat(urlsplit(uri).path.rsplit("/", 1)[-1]) + timedelta(days=1)
            return datetime(day.year, day.month, day.day, 20, 0, tzinfo=UTC)  # noon in California
    return datetime.now(UTC)


def test_live_token(vcr, settings):
    session = provider().authenticate(settings)
    session.close()
    assert vcr.play_count == 1 or vcr.record_mode != "none"


def test_live_inventory(vcr, settings, recording):
    now = (lambda: datetime.now(UTC)) if recording else (lambda: cassette_now(Path(vcr._path)))
    fetched = fetch(provider(now=now, sleep=Waits()), settings)

    users = [user for _uri, body in answers(vcr, "/admin/directory/v1/users") for user in body.get("users", [])]
    items = [item for _uri, body in answers(vcr, "/apps/licensing/") for item in body.get("items", [])]
    assert {person.person_id for person in fetched.people} == {user["id"] for user in users}
    assert sorted((seat.email, seat.extras["sku_id"]) for seat in fetched.seats) == sorted(
        (item["userId"].lower(), item["skuId"]) for item in items
    )
    by_id = {user["id"]: user for user in users}
    for person in fetched.people:
        user = by_id[person.person_id]
        if user.get("archived"):
            assert person.status is PersonStatus.DELETED
        elif user.get("suspended"):
            assert person.status is PersonStatus.SUSPENDED
    reports = [body for _uri, body in answers(vcr, "/admin/reports/") if body.get("usageReports")]
    if reports:
        counters = {p["name"] for p in reports[0]["usageReports"][0].get("parameters", [])}
        assert {plan.extras["counter"] for plan in fetched.plans} == {
            name.removeprefix("accounts:").rsplit("_", 2)[0] for name in counters if name.endswith("_licenses")
        }
