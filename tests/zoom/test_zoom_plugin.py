"""The Zoom plugin as seatkeeper sees it: entry point, settings, and the demo account."""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

import seatkeeper_zoom
from seatkeeper import ConfigError, DemoSnapshot, SeatStatus, Setting
from seatkeeper.plugins import Plugins
from seatkeeper_zoom import ZoomProvider
from seatkeeper_zoom.demo import DEMO_CREDENTIALS, account_snapshots, demo_snapshots, load_demo_data, snapshot_dates
from seatkeeper_zoom.transport import RetryPolicy

from .zoom_testkit import LOCALHOST_ONLY, plans_of, records, sync, users_of


def test_the_entry_point_registers_the_zoom_provider():
    plugins = Plugins()
    plugins.load_entry_points({"SEATKEEPER_LOAD_PLUGINS": "zoom"})

    assert plugins.broken == []
    assert isinstance(plugins.provider("zoom"), ZoomProvider)
    assert plugins.plugin_of("zoom").providers == ["zoom"]


def test_register_providers_offers_one_provider():
    registered = []
    seatkeeper_zoom.register_providers(registered.append)
    assert [type(provider) for provider in registered] == [ZoomProvider]


def test_settings():
    assert (ZoomProvider.name, ZoomProvider.title) == ("zoom", "Zoom")
    settings = {setting.name: setting for setting in ZoomProvider.settings}
    assert list(settings) == [
        "account_id",
        "client_id",
        "client_secret",
        "api_url",
        "oauth_url",
        "fetch_addons",
        "max_retry_wait",
        "request_timeout",
    ]
    assert all(isinstance(setting, Setting) for setting in settings.values())
    assert [name for name, setting in settings.items() if setting.secret] == ["client_secret"]
    assert [name for name, setting in settings.items() if not setting.required] == [
        "api_url",
        "oauth_url",
        "fetch_addons",
        "max_retry_wait",
        "request_timeout",
    ]
    assert {name: setting.env for name, setting in settings.items()} == {
        "account_id": "ZOOM_ACCOUNT_ID",
        "client_id": "ZOOM_CLIENT_ID",
        "client_secret": "ZOOM_CLIENT_SECRET",
        "api_url": "ZOOM_API_URL",
        "oauth_url": "ZOOM_OAUTH_URL",
        "fetch_addons": "ZOOM_FETCH_ADDONS",
        "max_retry_wait": "ZOOM_MAX_RETRY_WAIT",
        "request_timeout": "ZOOM_REQUEST_TIMEOUT",
    }
    assert settings["api_url"].default == "https://api.zoom.us/v2"
    assert settings["oauth_url"].default == "https://zoom.us/oauth/token"
    assert settings["fetch_addons"].default == "false"
    # No default of their own: the provider's RetryPolicy holds it, so it is written once.
    assert settings["max_retry_wait"].default is None and settings["request_timeout"].default is None


@pytest.mark.parametrize(
    ("api_url", "problem"),
    [
        ("ftp://api.zoom.us/v2", "not an http(s) URL"),
        ("http://api.zoom.us/v2", "must use https"),
        ("api.zoom.us/v2", "not an http(s) URL"),
    ],
)
def test_bad_urls_are_config_errors(api_url, problem):
    settings = {"account_id": "a", "client_id": "b", "client_secret": "c", "api_url": api_url}
    with pytest.raises(ConfigError, match=re.escape(problem)):
        ZoomProvider().authenticate(settings)


def test_missing_settings_name_their_environment_variable():
    with pytest.raises(ConfigError, match="ZOOM_CLIENT_SECRET"):
        ZoomProvider().authenticate({"account_id": "a", "client_id": "b"})


def test_constructor_checks_its_arguments():
    with pytest.raises(ValueError, match="page_size"):
        ZoomProvider(page_size=0)
    with pytest.raises(ValueError, match="max_retries"):
        ZoomProvider(policy=RetryPolicy(max_retries=-1))


# ---- the demo ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2025-01-15T12:00:00", ["2024-09-02", "2024-10-02", "2024-11-02", "2024-12-02"]),
        ("2025-03-01T00:30:00", ["2024-11-02", "2024-12-02", "2025-01-02", "2025-02-02"]),
        ("2024-12-31T23:59:59", ["2024-08-02", "2024-09-02", "2024-10-02", "2024-11-02"]),
        ("2025-03-01T00:00:00", ["2024-11-02", "2024-12-02", "2025-01-02", "2025-02-02"]),  # the shortest gap
    ],
)
def test_snapshot_dates_are_the_2nd_of_the_previous_months_then_now(now, expected):
    now = datetime.fromisoformat(now).replace(tzinfo=UTC)

    dates = snapshot_dates(now, 5)

    assert [date.strftime("%Y-%m-%d") for date in dates[:-1]] == expected
    assert all(date.hour == 9 and date.tzinfo is UTC for date in dates[:-1])
    assert dates[-1] == now
    # demo_data/generate.py relies on this: events up to 26 days before a snapshot come after the previous one.
    assert min(later - earlier for earlier, later in zip(dates, dates[1:], strict=False)) >= timedelta(days=26)


def test_demo_data_matches_its_generator():
    script = Path(seatkeeper_zoom.__file__).parent / "demo_data" / "generate.py"
    spec = importlib.util.spec_from_file_location("zoom_demo_generate", script)
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)

    assert generate.dumps(generate.build()) == generate.OUTPUT.read_text(encoding="utf-8")


@pytest.mark.parametrize("now", ["2025-03-01T00:00:00", "2025-07-31T23:00:00", "2024-02-29T12:00:00"])
def test_demo_times_stay_consistent_whatever_the_day_it_runs(now):
    dates = snapshot_dates(datetime.fromisoformat(now).replace(tzinfo=UTC), 5)
    snapshots = account_snapshots(load_demo_data(), dates)

    def when(text):
        return datetime.fromisoformat(text)

    for index in range(1, len(snapshots)):
        before = {user["email"]: user for user in snapshots[index - 1]}
        for user in snapshots[index]:
            previous = before.get(user["email"])
            if previous is None:  # hired since the last snapshot: created after it
                assert dates[index - 1] < when(user["user_created_at"]) <= dates[index]
            elif "last_login_time" in previous:  # sign-ins only move forward
                assert when(previous["last_login_time"]) <= when(user["last_login_time"]) <= dates[index]


@pytest.fixture(scope="module")
def demo_syncs():
    """Every snapshot of the demo, synced: ``[(snapshot, items, warnings)]``."""
    syncs = []
    provider = ZoomProvider()
    with provider.demo() as snapshots:
        for snapshot in snapshots:
            items, recorder = sync(provider, dict(snapshot.settings))
            assert len(records(items)) == len(users_of(items))  # nothing rejected
            syncs.append((snapshot, items, recorder.warnings))
    return syncs


@pytest.fixture(scope="module")
def demo_history(demo_syncs):
    """Every snapshot of the demo, synced: ``[(snapshot, {key: record}, warnings)]``."""
    return [
        (snapshot, {item.key: item for item in records(items)}, warnings) for snapshot, items, warnings in demo_syncs
    ]


@LOCALHOST_ONLY
def test_demo_offers_five_monthly_snapshots_oldest_first():
    now = datetime(2025, 6, 20, 15, 0, tzinfo=UTC)
    with demo_snapshots(now) as snapshots:
        assert len(snapshots) == 5 and all(isinstance(snapshot, DemoSnapshot) for snapshot in snapshots)
        assert [snapshot.at for snapshot in snapshots] == snapshot_dates(now, 5)
        settings = snapshots[0].settings
        assert {key: settings[key] for key in DEMO_CREDENTIALS} == DEMO_CREDENTIALS
        assert settings["api_url"].startswith("http://127.0.0.1:") and settings["api_url"].endswith("/s/0/v2")
        assert settings["oauth_url"].endswith("/s/0/oauth/token")
        base = settings["api_url"].removesuffix("/s/0/v2")
    with pytest.raises(requests.ConnectionError):  # the server stopped with the context
        requests.get(base, timeout=2)


@LOCALHOST_ONLY
def test_demo_account_shows_every_kind_of_seat(demo_history):
    snapshot, seats, warnings = demo_history[-1]

    assert 140 <= len(seats) <= 170
    assert {seat.license_type for seat in seats.values()} == {
        "Basic",
        "Licensed",
        "Unassigned without Meetings Basic",
        "None",
        "Unknown (type 7)",
    }
    assert {seat.status.value for seat in seats.values()} == {"active", "inactive", "pending"}
    assert {seat.role for seat in seats.values()} >= {"Owner", "Admin", "Member"}
    assert len({seat.department for seat in seats.values()}) >= 8
    names = {seat.name for seat in seats.values()}
    assert {"Zoë Åkesson", "Łukasz Wróbel", "<b>Bold</b> & Co"} <= names
    assert warnings == [
        "1 Zoom user has user type 7, which seatkeeper does not know: recorded as licence type 'Unknown (type 7)' "
        "and counted as free; check them in the Zoom admin portal"
    ]
    idle = [
        seat
        for seat in seats.values()
        if seat.billable
        and seat.status.value == "active"
        and (seat.last_activity_at is None or snapshot.at - seat.last_activity_at > timedelta(days=90))
    ]
    assert len(idle) >= 5


@LOCALHOST_ONLY
def test_demo_history_has_realistic_changes(demo_history):
    for (_, before, _), (_, after, _) in zip(demo_history, demo_history[1:], strict=False):
        hired = after.keys() - before.keys()
        left = before.keys() - after.keys()
        both = before.keys() & after.keys()
        by_email = {seat.email: seat for seat in after.values()}
        assert hired and left
        assert any(before[key].license_type == "Basic" and after[key].license_type == "Licensed" for key in both)
        assert any(before[key].status.value == "active" and after[key].status.value == "inactive" for key in both)
        accepted = [
            key
            for key in left
            if before[key].status.value == "pending" and by_email.get(before[key].email) is not None
            and by_email[before[key].email].status.value == "active"
        ]  # fmt: skip
        assert accepted, "no invitation was accepted"
        for key in both:  # a user's creation date never moves
            assert before[key].created_at == after[key].created_at
    downgrades = [
        key
        for (_, before, _), (_, after, _) in zip(demo_history, demo_history[1:], strict=False)
        for key in before.keys() & after.keys()
        if before[key].license_type == "Licensed" and after[key].license_type == "Basic"
    ]
    assert downgrades


@LOCALHOST_ONLY
def test_demo_times_are_relative_to_each_snapshot(demo_history):
    for snapshot, seats, _ in demo_history:
        for seat in seats.values():
            assert seat.created_at is not None and seat.created_at <= snapshot.at
            if seat.last_activity_at is not None:
                assert seat.created_at - timedelta(days=1) <= seat.last_activity_at <= snapshot.at
        recent = [
            s for s in seats.values() if s.last_activity_at and snapshot.at - s.last_activity_at < timedelta(days=3)
        ]
        assert len(recent) > len(seats) / 3  # most people signed in within days of the snapshot


@LOCALHOST_ONLY
def test_demo_reports_purchased_seats_with_some_unassigned(demo_syncs):
    for snapshot, items, _ in demo_syncs:
        plans = plans_of(items)
        base = plans["Base plan"]
        licensed = [r for r in records(items) if r.license_type == "Licensed" and r.status is not SeatStatus.PENDING]
        assert base.license_type == "Licensed"
        assert base.assigned == len(licensed) < base.purchased, snapshot.at  # paid for, not assigned
        assert {"Large meeting 500", "Webinar 500", "Zoom Rooms", "Zoom United"} <= set(plans)
        assert all(plan.purchased >= plan.assigned for plan in plans.values())
    unassigned = [plan.purchased - plan.assigned for plan in plans_of(demo_syncs[-1][1]).values()]
    assert sum(unassigned) >= 10


def holding(records_, addon: str, capacity: int) -> int:
    """How many (non-pending) records hold ``addon`` with that capacity."""
    return sum(
        1
        for r in records_
        if addon in r.extras.get("addons", []) and r.extras["addon_capacities"].get(addon) == capacity
    )


@LOCALHOST_ONLY
def test_demo_users_hold_the_addons_the_plans_count(demo_syncs):
    for _, items, _ in demo_syncs:
        plans = plans_of(items)
        listed = [r for r in records(items) if r.status is not SeatStatus.PENDING]

        assert holding(listed, "large_meeting", 500) == plans["Large meeting 500"].assigned
        assert holding(listed, "webinar", 500) == plans["Webinar 500"].assigned
        assert holding(listed, "webinar", 1000) == (plans["Webinar 1000"].assigned if "Webinar 1000" in plans else 0)
        assert any("zoom_phone" in r.extras.get("addons", []) for r in listed)
