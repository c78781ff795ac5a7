"""The Zoom provider against scripted HTTP exchanges (tests/cassettes/test_zoom_cassettes/*.yaml).

The cassettes are hand-written from Zoom's documented shapes and script what a real account cannot be made
to do on demand: rate limits, expired tokens, server errors, bad data. They are never re-recorded.
"""

from __future__ import annotations

import pytest

from seatkeeper import (
    AuthenticationError,
    BadProviderData,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from seatkeeper_zoom.client import ZoomApiError

from .zoom_testkit import (
    MATCH_ON,
    ZOOM_SETTINGS,
    Recorder,
    Waits,
    assert_all_played,
    at,
    listed_keys,
    records,
    sync,
)
from .zoom_testkit import cassette_provider as provider

pytestmark = pytest.mark.vcr(match_on=MATCH_ON)


@pytest.fixture(scope="module")
def vcr_config(vcr_config, record_mode):
    """tests/conftest.py's vcr_config; in a recording run these tests are skipped before pytest-recording opens
    (and, in rewrite mode, deletes) their hand-written cassettes."""
    if record_mode != "none":
        pytest.skip("scripted cassettes are hand-written, never recorded")
    return vcr_config


def test_unsupported_grant_type(vcr):
    with pytest.raises(AuthenticationError, match="must belong to a Server-to-Server OAuth app"):
        provider().authenticate(ZOOM_SETTINGS)
    assert_all_played(vcr)


def test_missing_scope(vcr):
    zoom = provider()
    session = zoom.authenticate(ZOOM_SETTINGS)

    with pytest.raises(PermissionDenied) as raised:
        list(zoom.fetch(session, Recorder().context()))

    assert "add the scope user:read:list_users:admin to the Zoom app" in str(raised.value)
    assert_all_played(vcr)


def test_unknown_user_type(vcr):
    items, recorder = sync(provider(), ZOOM_SETTINGS)

    by_email = {item.email: item for item in records(items)}
    assert by_email["kiosk@example.com"].license_type == "Unknown (type 7)"
    assert by_email["kiosk@example.com"].billable is False
    assert by_email["kiosk@example.com"].extras["zoom_type"] == 7
    assert by_email["wall@example.com"].license_type == "Unknown (type 5)"
    assert by_email["priya.raman@example.com"].license_type == "Basic"
    # One warning per unknown value, however many users have it.
    assert len(recorder.warnings) == 2
    assert recorder.warnings[0].startswith("1 Zoom user has user type 5")
    assert recorder.warnings[1].startswith("2 Zoom users have user type 7")


def test_unicode_and_html_names(vcr):
    items, _ = sync(provider(), ZOOM_SETTINGS)

    names = {item.email: item.name for item in records(items)}
    assert names["zoe.akesson@example.com"] == "Zoë Åkesson"
    assert names["misaki.tanaka@example.com"] == "田中 美咲"
    assert names["bold-and-co@example.com"] == "<b>Bold</b> & Co"
    # An empty display_name falls back to first + last name, kept verbatim (escaping is the reports' job).
    assert names["ohara@example.com"] == '<script>alert(1)</script> O\'Hara "Jr"'
    assert {item.department for item in records(items)} >= {"R&D <Labs>"}


def sync_rate_limited(cassette) -> list[float]:
    """Sync a cassette whose first list request gets one 429; the clock says 2031-01-01T00:00:00Z."""
    waits = Waits()
    items, _ = sync(provider(sleep=waits, clock=lambda: at("2031-01-01T00:00:00")), ZOOM_SETTINGS)
    assert [item.email for item in records(items)] == ["priya.raman@example.com"]
    assert_all_played(cassette)
    return waits


def test_rate_limited_retry_after_seconds(vcr):
    assert sync_rate_limited(vcr) == [2.0]  # Retry-After: 2


def test_rate_limited_retry_after_http_date(vcr):
    assert sync_rate_limited(vcr) == [7.0]  # Retry-After: Wed, 01 Jan 2031 00:00:07 GMT


def test_rate_limited_retry_after_iso_time(vcr):
    assert sync_rate_limited(vcr) == [5.0]  # Retry-After: 2031-01-01T00:00:05Z (urllib3 alone rejects it)


def test_rate_limit_gives_up(vcr):
    waits = Waits()
    zoom = provider(sleep=waits, max_retries=2)
    session = zoom.authenticate(ZOOM_SETTINGS)

    with pytest.raises(RateLimited) as raised:
        list(zoom.fetch(session, Recorder().context()))

    assert "after 3 tries" in str(raised.value)
    assert waits == [1.0, 1.0]  # Retry-After: 1 each time, never less
    assert_all_played(vcr)


def test_daily_limit_stops(vcr):
    waits = Waits()
    zoom = provider(sleep=waits, clock=lambda: at("2031-01-01T15:30:00"))
    session = zoom.authenticate(ZOOM_SETTINGS)

    with pytest.raises(RateLimited) as raised:
        list(zoom.fetch(session, Recorder().context()))

    assert str(raised.value) == (
        "Zoom's daily API limit is used up for this account; the sync stopped, try again after 2031-01-02 00:00:00 UTC"
    )
    assert waits == []  # not one retry
    assert_all_played(vcr)


def test_token_expires_mid_pagination(vcr):
    zoom = provider(page_size=2)
    items, recorder = sync(zoom, ZOOM_SETTINGS)

    assert sorted(item.key for item in records(items)) == sorted(listed_keys(vcr))
    assert [request.method for request in vcr.requests].count("POST") == 2
    assert not recorder.warnings
    assert_all_played(vcr)


def test_token_refused_twice(vcr):
    zoom = provider()
    session = zoom.authenticate(ZOOM_SETTINGS)

    with pytest.raises(AuthenticationError, match="even after a new one was issued"):
        list(zoom.fetch(session, Recorder().context()))
    assert_all_played(vcr)


def test_server_errors_then_success(vcr):
    waits = Waits()
    items, _ = sync(provider(sleep=waits), ZOOM_SETTINGS)

    assert len(records(items)) == 1
    assert waits == [0.5, 1.0]  # exponential backoff
    assert_all_played(vcr)


def test_server_errors_exhausted(vcr):
    waits = Waits()
    zoom = provider(sleep=waits, max_retries=2)
    session = zoom.authenticate(ZOOM_SETTINGS)

    with pytest.raises(ProviderUnavailable) as raised:
        list(zoom.fetch(session, Recorder().context()))

    assert str(raised.value).startswith("could not reach api.zoom.us: ")
    assert "HTTP 503 after 3 tries" in str(raised.value)
    assert waits == [0.5, 1.0]
    assert_all_played(vcr)


def test_malformed_json(vcr):
    zoom = provider()
    with pytest.raises(BadProviderData, match=r"page 1 of the active users .* malformed JSON"):
        list(zoom.fetch(zoom.authenticate(ZOOM_SETTINGS), Recorder().context()))
    assert_all_played(vcr)


def test_wrong_envelope(vcr):
    zoom = provider()
    with pytest.raises(BadProviderData, match=r"page 1 of the active users .* without a users list"):
        list(zoom.fetch(zoom.authenticate(ZOOM_SETTINGS), Recorder().context()))
    assert_all_played(vcr)


def test_wrong_api_url(vcr):
    zoom = provider()
    settings = {**ZOOM_SETTINGS, "api_url": "https://api.zoom.us"}

    with pytest.raises(ProviderError) as raised:
        list(zoom.fetch(zoom.authenticate(settings), Recorder().context()))

    assert type(raised.value) is ZoomApiError and raised.value.status == 404
    assert "HTTP 404: Not Found" in str(raised.value)
    assert "api_url" in str(raised.value)
    assert_all_played(vcr)
