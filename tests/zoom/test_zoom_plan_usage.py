"""Purchased seats, the user summary and per-user add-ons, against scripted exchanges
(tests/cassettes/test_zoom_plan_usage/*.yaml, hand-written from Zoom's OpenAPI shapes; never re-recorded)."""

from __future__ import annotations

import pytest

from seatkeeper import PermissionDenied, Rejected, SeatPlan

from .zoom_testkit import MATCH_ON, ZOOM_SETTINGS, Recorder, Waits, assert_all_played, plans_of, records, sync
from .zoom_testkit import cassette_provider as provider

pytestmark = pytest.mark.vcr(match_on=MATCH_ON)

ADDONS_ON = {**ZOOM_SETTINGS, "fetch_addons": "true"}
USERS = {
    "amara.osei@example.com",
    "jonas.weber@example.com",
    "priya.raman@example.com",
    "elena.moreau@example.com",
    "farid.haddad@example.com",
}


@pytest.fixture(scope="module")
def vcr_config(vcr_config, record_mode):
    """tests/conftest.py's vcr_config; these cassettes are hand-written, so a recording run skips them."""
    if record_mode != "none":
        pytest.skip("scripted cassettes are hand-written, never recorded")
    return vcr_config


def settings_requests(cassette) -> list[str]:
    return [request.path for request in cassette.requests if request.path.endswith("/settings")]


def test_paid_account_plans(vcr):
    items, recorder = sync(provider(), ZOOM_SETTINGS)

    assert {record.email for record in records(items)} == USERS
    # Plans come after the users, once they are all fetched.
    assert [type(item).__name__ for item in items] == ["SeatRecord"] * 5 + ["SeatPlan"] * 7
    assert plans_of(items) == {
        "Base plan": SeatPlan(
            plan="Base plan",
            license_type="Licensed",
            purchased=5,
            assigned=3,
            extras={"zoom_plan": "plan_base", "zoom_types": ["yearly"], "pending": 1, "active_hosts": 2},
        ),
        "Large meeting 500": SeatPlan(
            plan="Large meeting 500",
            purchased=3,  # bought monthly and yearly: one plan
            assigned=2,
            extras={
                "zoom_plan": "plan_large_meeting",
                "zoom_types": ["large500_monthly", "large500_yearly"],
                "pending": 0,
            },
        ),
        "Large meeting 1000": SeatPlan(
            plan="Large meeting 1000",
            purchased=1,
            assigned=0,
            extras={"zoom_plan": "plan_large_meeting", "zoom_types": ["large1000_yearly"], "pending": 0},
        ),
        "Webinar 1000": SeatPlan(
            plan="Webinar 1000",
            purchased=1,
            assigned=1,
            extras={"zoom_plan": "plan_webinar", "zoom_types": ["webinar1000_yearly"], "pending": 0},
        ),
        "Zoom Events 500": SeatPlan(
            plan="Zoom Events 500",
            purchased=1,
            assigned=0,
            extras={"zoom_plan": "plan_zoom_events", "zoom_types": ["zoomevents500_monthly"], "pending": 0},
        ),
        "Zoom Rooms": SeatPlan(
            plan="Zoom Rooms",
            purchased=3,
            assigned=2,
            extras={"zoom_plan": "plan_zoom_rooms", "zoom_types": ["zroom_monthly"]},
        ),
        "Zoom United": SeatPlan(
            plan="Zoom United",
            purchased=2,
            assigned=1,
            extras={
                "zoom_plan": "plan_united",
                "zoom_types": ["pro_zpp_monthly"],
                "zoom_names": ["Zoom Meetings Pro and Zoom Phone Pro Monthly"],
                "pending": 0,
            },
        ),
    }  # cloud recording storage is not a seat: no plan
    # The summary counts what was listed (its two Zoom Rooms are not users): nothing to warn about.
    assert recorder.warnings == []
    # fetch_addons is off by default: no settings requests, no add-ons in extras.
    assert settings_requests(vcr) == []
    assert not any("addons" in record.extras for record in records(items))
    assert_all_played(vcr)


def test_free_account(vcr):
    items, recorder = sync(provider(), ZOOM_SETTINGS)

    assert len(records(items)) == 5
    assert plans_of(items) == {}
    assert recorder.warnings == ["purchased seats were not read: Zoom reports plan usage only for paid accounts"]
    assert_all_played(vcr)


def test_optional_scopes_missing(vcr):
    items, recorder = sync(provider(), ZOOM_SETTINGS)

    assert len(records(items)) == 5  # the sync itself goes on
    assert plans_of(items) == {}
    assert recorder.warnings == [
        "purchased seats were not read: the Zoom app lacks the scope billing:read:plan_usage:admin; add it to the "
        "app to see purchased against assigned seats (the users were synced)",
        "the sync was not checked against Zoom's user counts: the Zoom app lacks the scope user:read:summary:admin "
        "(optional); add it to have each sync reconciled",
    ]
    assert_all_played(vcr)


def test_summary_mismatch(vcr):
    items, recorder = sync(provider(), ZOOM_SETTINGS)

    assert len(records(items)) == 5 and len(plans_of(items)) == 7
    assert recorder.warnings == [
        "Zoom's user summary differs from the synced users: licensed 4 in Zoom, 3 synced; pending 2 in Zoom, "
        "1 synced; total 7 in Zoom, 6 synced; users may have changed during the sync (the next sync will tell), "
        "or Zoom counts some users differently"
    ]
    assert_all_played(vcr)


def test_addons(vcr):
    items, recorder = sync(provider(), ADDONS_ON)

    by_email = {record.email: record for record in records(items)}
    assert by_email["amara.osei@example.com"].extras == {
        "zoom_type": 2,
        "addons": ["concurrent_meeting_plus", "large_meeting", "webinar", "zoom_phone", "zoom_revenue_accelerator"],
        "addon_capacities": {"large_meeting": 500, "webinar": 1000},
    }
    assert by_email["jonas.weber@example.com"].extras["addons"] == [  # Zoom's documented example
        "large_meeting",
        "webinar",
        "zoom_events",
        "zoom_events_pay_per_attendee",
        "zoom_events_unlimited",
        "zoom_phone",
        "zoom_sessions_pay_per_attendee",
        "zoom_sessions_unlimited",
    ]
    assert by_email["jonas.weber@example.com"].extras["addon_capacities"] == {
        "large_meeting": 500,
        "webinar": 500,
        "zoom_events": 500,
    }
    assert by_email["priya.raman@example.com"].extras == {"zoom_type": 1}  # no add-ons: extras as without the setting
    assert by_email["farid.haddad@example.com"].extras == {"zoom_type": 2}  # pending: never asked
    (gone,) = [item for item in items if isinstance(item, Rejected)]
    assert gone.key == "Wr6TyU1iOp3aSd8fGh2jKD"  # her stored seat stays as it is until the next sync
    assert "elena.moreau@example.com: its add-ons could not be read" in gone.reason
    assert "User does not exist" in gone.reason
    assert len(settings_requests(vcr)) == 4  # every user with an id, not the invitation
    assert recorder.warnings == []
    assert_all_played(vcr)


def test_addons_scope_missing(vcr):
    zoom = provider()
    session = zoom.authenticate(ADDONS_ON)

    with pytest.raises(PermissionDenied) as raised:
        list(zoom.fetch(session, Recorder().context(ADDONS_ON)))

    assert str(raised.value) == (
        "fetch_addons is on but the Zoom app lacks the scope user:read:settings:admin: add it to the Zoom app "
        '(Zoom App Marketplace > Manage > your app > Scopes), or set fetch_addons to "false"'
    )
    assert_all_played(vcr)


def test_addons_rate_limited(vcr):
    waits = Waits()
    items, recorder = sync(provider(sleep=waits), ADDONS_ON)

    assert waits == [2.0]  # Retry-After: 2, waited in full before asking again
    (record,) = records(items)
    assert record.extras["addons"] == [
        "concurrent_meeting_plus",
        "large_meeting",
        "webinar",
        "zoom_phone",
        "zoom_revenue_accelerator",
    ]
    assert recorder.warnings == []
    assert_all_played(vcr)
