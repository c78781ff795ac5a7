"""Plan usage, the user summary and add-ons as data: naming, merging, counting, the setting (no HTTP)."""

from __future__ import annotations

import pytest

from seatkeeper import ConfigError, Rejected, SeatPlan, SeatRecord, SeatStatus
from seatkeeper.testing import resolve
from seatkeeper_zoom import ZoomProvider
from seatkeeper_zoom.addons import addons_enabled, addons_of, needs_settings
from seatkeeper_zoom.plans import plan_name, plans_from_usage
from seatkeeper_zoom.summary import SyncedCounts, differences

# ---- plan usage ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "zoom_type", "name"),
    [
        ("plan_base", "yearly", "Base plan"),
        ("plan_large_meeting", "large500_monthly", "Large meeting 500"),
        ("plan_large_meeting", "large1000_yearly", "Large meeting 1000"),
        ("plan_webinar", "webinar10000_yearly", "Webinar 10000"),
        ("plan_webinar", "webinar_unlimited", "Webinar"),  # no capacity in the type: the plan's name alone
        ("plan_zoom_events", "zoomevents500_monthly", "Zoom Events 500"),
        ("plan_zoom_rooms", "zroom_monthly", "Zoom Rooms"),
        ("plan_united", "pro_zpp_monthly", "Zoom United"),
        ("plan_zoom_one", "zobp_usca_monthly_unlimited", "Zoom Workplace"),
        ("plan_zoom_docs", "zdocs_monthly", "Zoom docs"),  # a key Zoom may add later
    ],
)
def test_plan_names(key, zoom_type, name):
    assert plan_name(key, {"type": zoom_type}) == name


def test_only_the_base_plan_is_set_against_a_licence_type():
    plans = plans_from_usage(
        {
            "plan_base": {"type": "monthly", "hosts": 10, "usage": 8},
            "plan_webinar": [{"type": "webinar500_monthly", "hosts": 2, "usage": 1}],
            "plan_zoom_one": [{"type": "zobp_usca_monthly_unlimited", "hosts": 3, "usage": 3}],
        }
    )

    assert [(plan.plan, plan.license_type) for plan in plans] == [
        ("Base plan", "Licensed"),
        ("Webinar 500", None),
        ("Zoom Workplace", None),
    ]


def test_entries_with_the_same_name_are_summed():
    (plan,) = plans_from_usage(
        {
            "plan_webinar": [
                {"type": "webinar500_monthly", "hosts": 2, "usage": 1, "pending": 1},
                {"type": "webinar500_yearly", "hosts": 3, "usage": 3},
            ]
        }
    )

    assert plan == SeatPlan(
        plan="Webinar 500",
        purchased=5,
        assigned=4,
        extras={"zoom_plan": "plan_webinar", "zoom_types": ["webinar500_monthly", "webinar500_yearly"], "pending": 1},
    )


def test_figures_that_are_not_counts_are_unknown_not_fatal():
    plans = plans_from_usage(
        {
            "plan_base": {"type": "monthly", "hosts": "12", "usage": -1, "pending": True},
            "plan_large_meeting": [{"type": "large500_monthly", "hosts": 3}],
        }
    )

    assert [(plan.plan, plan.purchased, plan.assigned) for plan in plans] == [
        ("Base plan", None, None),
        ("Large meeting 500", 3, None),
    ]
    assert "pending" not in plans[0].extras


def test_what_is_not_a_seat_plan_is_left_out():
    body = {
        "plan_recording": {"type": "cmr_monthly_commitment_40", "plan_storage": "40 GB"},  # storage, not seats
        "plan_webinar": ["not an object", {"type": "webinar500_monthly"}],  # nothing counted in the second
        "plan_zoom_rooms": None,
        "account_id": "not a plan",
    }

    assert plans_from_usage(body) == []
    assert plans_from_usage({}) == []


def test_plan_names_are_unique_within_an_answer():
    body = {
        "plan_large_meeting": [
            {"type": "large500_monthly", "hosts": 1, "usage": 1},
            {"type": "large500_yearly", "hosts": 1, "usage": 0},
            {"type": "large1000_monthly", "hosts": 1, "usage": 0},
        ],
        "plan_zoom_one": [{"type": "a", "hosts": 1, "usage": 1}, {"type": "b", "hosts": 2, "usage": 2}],
    }

    names = [plan.plan for plan in plans_from_usage(body)]
    assert names == ["Large meeting 500", "Large meeting 1000", "Zoom Workplace"]


# ---- add-ons -------------------------------------------------------------------------------------------


def test_addons_are_the_true_flags_sorted_with_their_capacities():
    feature = {
        "zoom_phone": True,
        "webinar": True,
        "webinar_capacity": 3000,
        "large_meeting": False,
        "large_meeting_capacity": 500,  # not bought: no capacity either
        "meeting_capacity": 300,  # every licensed user has one: not an add-on
        "cn_meeting": True,  # a setting (host meetings in China), not a licence
        "in_meeting": True,
        "zoom_iq_for_sales": True,  # Revenue Accelerator's old name
        "zoom_docs": True,  # a licence Zoom added after the spec
        "concurrent_meeting": "Plus",
        "Weird Key!": True,
    }

    assert addons_of(feature) == (
        ["concurrent_meeting_plus", "webinar", "zoom_docs", "zoom_phone", "zoom_revenue_accelerator"],
        {"webinar": 3000},
    )
    assert addons_of({"concurrent_meeting": "Basic", "large_meeting": False}) == ([], {})


@pytest.mark.parametrize(
    ("value", "enabled"), [(None, False), ("", False), ("false", False), ("true", True), (" TRUE ", True)]
)
def test_fetch_addons_setting(value, enabled):
    settings = {} if value is None else {"fetch_addons": value}
    assert addons_enabled(settings) is enabled


@pytest.mark.parametrize("value", ["yes", "1", "on", "maybe"])
def test_fetch_addons_must_be_true_or_false(value):
    with pytest.raises(ConfigError) as raised:
        addons_enabled({"fetch_addons": value})

    assert str(raised.value) == (
        f'the Zoom setting fetch_addons must be "true" or "false", not {value!r}: check ZOOM_FETCH_ADDONS or the '
        "connection's fetch_addons"
    )


def test_a_bad_fetch_addons_fails_before_any_request():
    settings = resolve(ZoomProvider(), {"account_id": "a", "client_id": "b", "client_secret": "c", "fetch_addons": "y"})
    assert settings["api_url"] == "https://api.zoom.us/v2"  # no network: --block-network would refuse it

    with pytest.raises(ConfigError, match="fetch_addons must be"):
        ZoomProvider().authenticate(settings)


def test_fetch_addons_defaults_to_false_in_a_config_file():
    settings = resolve(ZoomProvider(), {"account_id": "a", "client_id": "b", "client_secret": "c"})
    assert settings["fetch_addons"] == "false"


@pytest.mark.parametrize("workers", [0, 5])
def test_addon_workers_stay_few(workers):
    with pytest.raises(ValueError, match="addon_workers"):
        ZoomProvider(addon_workers=workers)


def test_only_users_with_an_id_have_settings_to_read():
    active = SeatRecord(user_id="u1", email="a@example.com", license_type="Licensed", billable=True)
    inactive = active.model_copy(update={"status": SeatStatus.INACTIVE})
    pending = SeatRecord(email="p@example.com", license_type="Licensed", billable=True, status=SeatStatus.PENDING)

    assert [needs_settings(item) for item in (active, inactive, pending, Rejected(reason="x"))] == [
        True,
        True,
        False,
        False,
    ]


# ---- the user summary ----------------------------------------------------------------------------------


def seat(zoom_type: int, status: SeatStatus = SeatStatus.ACTIVE, number: int = 0) -> SeatRecord:
    return SeatRecord(
        user_id=None if status is SeatStatus.PENDING else f"u{number}",
        email=f"u{number}@example.com",
        license_type="x",
        billable=False,
        status=status,
        extras={"zoom_type": zoom_type},
    )


def counted(*items) -> SyncedCounts:
    counts = SyncedCounts()
    list(counts.counting(items))
    return counts


def test_synced_users_are_counted_like_zoom_counts_them():
    counts = counted(
        seat(2, number=1),
        seat(2, SeatStatus.INACTIVE, 2),  # deactivated users still count in their type
        seat(1, number=3),
        seat(4, number=4),
        seat(99, number=5),
        seat(7, number=6),  # a type seatkeeper does not know: only in the total
        seat(2, SeatStatus.PENDING, 7),  # invitations count as pending only
        Rejected(reason="x"),
        SeatPlan(plan="Base plan"),
    )
    summary = {
        "licensed_users_count": 2,
        "basic_users_count": 1,
        "on_prem_users_count": 0,
        "room_users_count": 3,
        "pending_users_count": 1,
        "join_only_users_count": 2,
        "total_users_count": 9,  # 6 users + 3 rooms
    }

    assert differences(summary, counts) == []
    assert counts.rejected == 1


def test_differences_name_zoom_s_and_the_synced_figures():
    counts = counted(seat(2, number=1), seat(1, number=2))
    summary = {"licensed_users_count": 3, "basic_users_count": 1, "total_users_count": 4}

    assert differences(summary, counts) == [("licensed_users_count", 3, 1), ("total_users_count", 4, 2)]


def test_fields_zoom_leaves_out_or_garbles_are_not_compared():
    counts = counted(seat(2, number=1))
    assert differences({"licensed_users_count": "1", "pending_users_count": None, "extra": 5}, counts) == []
