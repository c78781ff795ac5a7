"""The Zoom provider against exchanges a real Zoom account produces (tests/cassettes/test_zoom_live/).

The cassettes are hand-written from Zoom's documented shapes, but every assertion here compares the results
with what the cassette holds, so they can be re-recorded against a real Zoom app: see plugins/zoom/README.md.
"""

from __future__ import annotations

import os

import pytest

from seatkeeper import AuthenticationError, Rejected, SeatStatus
from seatkeeper_zoom.client import ZoomClient
from seatkeeper_zoom.plans import plans_from_usage

from .zoom_testkit import (
    MATCH_ON,
    ZOOM_SETTINGS,
    answer_to,
    assert_all_played,
    list_requests,
    listed_keys,
    listed_pages,
    plans_of,
    records,
    sync,
    users_of,
)
from .zoom_testkit import cassette_provider as provider

pytestmark = pytest.mark.vcr(match_on=MATCH_ON)

#: Real credentials for re-recording. Read at import: the autouse fixture of tests/conftest.py removes every
#: ZOOM_* variable before each test runs.
RECORDING_CREDENTIALS = {
    name: os.environ.get(f"ZOOM_RECORD_{name.upper()}") for name in ("account_id", "client_id", "client_secret")
}


@pytest.fixture(scope="module")
def vcr_config(vcr_config, record_mode):
    """tests/conftest.py's vcr_config, refusing to record without real credentials.

    Checked here because pytest-recording resolves vcr_config before opening the cassette, and its rewrite
    mode deletes the cassette file on opening: a later check would lose the cassette for nothing.
    """
    missing = [f"ZOOM_RECORD_{name.upper()}" for name, value in RECORDING_CREDENTIALS.items() if not value]
    if record_mode != "none" and missing:
        pytest.fail(f"recording needs real credentials in {', '.join(missing)}")
    return vcr_config


def expected_warnings(cassette) -> int:
    """How many warnings the optional calls of the cassette explain: one for a plan usage or a summary that was
    refused (no scope, free account), so a re-recording with a free test account or fewer scopes still passes."""
    refused = 0
    for path in ("/accounts/me/plans/usage", "/users/summary"):
        answer = answer_to(cassette, path)
        refused += answer is not None and answer[0] != 200
    return refused


def check_plans(items, cassette) -> None:
    """The plans yielded are those of the cassette's plan usage answer (none if it was refused)."""
    status, body = answer_to(cassette, "/accounts/me/plans/usage")
    expected = plans_from_usage(body) if status == 200 else []
    assert list(plans_of(items).values()) == expected


@pytest.fixture
def live_settings(record_mode):
    """The test credentials when replaying; the real ones (ZOOM_RECORD_*) when recording."""
    if record_mode == "none":
        return dict(ZOOM_SETTINGS)
    return {**ZOOM_SETTINGS, **RECORDING_CREDENTIALS}


def test_live_token(vcr, live_settings):
    session = provider().authenticate(live_settings)

    assert isinstance(session, ZoomClient)
    assert session.tokens.tokens_issued == 1
    assert [request.method for request in vcr.requests] == ["POST"]
    assert_all_played(vcr)


def test_live_three_statuses(vcr, live_settings):
    items, recorder = sync(provider(), live_settings)

    assert sorted(item.key for item in records(items)) == sorted(listed_keys(vcr))
    assert not [item for item in items if isinstance(item, Rejected)]
    assert sorted(query["status"][0] for query in list_requests(vcr)) == ["active", "inactive", "pending"]
    assert all(query["page_size"] == ["300"] for query in list_requests(vcr))
    assert recorder.totals[-1] == sum(page["total_records"] for page in listed_pages(vcr))
    assert recorder.advanced == len(users_of(items))
    for item in records(items):
        if item.status is SeatStatus.PENDING:
            assert item.user_id is None and item.key == f"email:{item.email}"
    check_plans(items, vcr)
    assert len(recorder.warnings) == expected_warnings(vcr), recorder.warnings
    assert_all_played(vcr)


def test_live_several_pages(vcr, live_settings):
    items, recorder = sync(provider(page_size=2), live_settings)

    assert sorted(item.key for item in records(items)) == sorted(listed_keys(vcr))
    tokens_given = {page["next_page_token"] for page in listed_pages(vcr)} - {""}
    tokens_followed = {query["next_page_token"][0] for query in list_requests(vcr) if "next_page_token" in query}
    assert tokens_given and tokens_followed == tokens_given
    assert all(query["page_size"] == ["2"] for query in list_requests(vcr))
    check_plans(items, vcr)
    assert len(recorder.warnings) == expected_warnings(vcr), recorder.warnings
    assert_all_played(vcr)


def test_live_bad_credentials(vcr, live_settings):
    settings = {**live_settings, "client_secret": "wrong" + live_settings["client_secret"]}

    with pytest.raises(AuthenticationError) as raised:
        provider().authenticate(settings)

    assert str(raised.value) == "Zoom rejected the client id/secret: check them and that the app is activated"
    assert settings["client_secret"] not in str(raised.value)
    assert_all_played(vcr)


def test_live_bad_account_id(vcr, live_settings):
    settings = {**live_settings, "account_id": "not-our-account"}

    with pytest.raises(AuthenticationError) as raised:
        provider().authenticate(settings)

    assert "Zoom rejected the account id 'not-our-account'" in str(raised.value)
    assert "ZOOM_ACCOUNT_ID" in str(raised.value)
    assert_all_played(vcr)
