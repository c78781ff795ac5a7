"""Plans, add-ons and warnings through the real sync engine (``sync_connection``) into a temporary SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from seatkeeper import queries
from seatkeeper.config import ConnectionConfig
from seatkeeper.sync import sync_connection
from seatkeeper.testing import open_database, resolve
from seatkeeper_zoom import ZoomProvider
from seatkeeper_zoom.fake_server import Reply
from seatkeeper_zoom.transport import RetryPolicy

from .zoom_testkit import LOCALHOST_ONLY, Waits, fake_zoom, zoom_user

pytestmark = LOCALHOST_ONLY

JANUARY = datetime(2026, 1, 15, tzinfo=UTC)
FEBRUARY = datetime(2026, 2, 15, tzinfo=UTC)
MARCH = datetime(2026, 3, 15, tzinfo=UTC)
CONNECTION = ConnectionConfig("zoom-main", "zoom")


def account(webinar_for_user_2: bool) -> list[dict]:
    users = [
        zoom_user(1, feature={"large_meeting": True, "large_meeting_capacity": 500}),
        zoom_user(2),
        zoom_user(3, zoom_type=1),
        zoom_user(4, status="inactive"),
        zoom_user(5, status="pending"),
    ]
    if webinar_for_user_2:
        users[1]["feature"] = {"webinar": True, "webinar_capacity": 1000}
    return users


def plan_usage(base_seats: int, large_meetings: int) -> dict:
    return {
        "plan_base": {"type": "yearly", "hosts": base_seats, "usage": 3, "active_hosts": 2, "pending": 1},
        "plan_large_meeting": [{"type": "large500_yearly", "hosts": large_meetings, "usage": 1, "pending": 0}],
    }


@pytest.fixture
def engine(tmp_path):
    engine = open_database(tmp_path / "zoom.db")
    yield engine
    engine.dispose()


@pytest.fixture
def zoom():
    snapshots = [account(False), account(True), account(True)]
    plans = [plan_usage(5, 2), plan_usage(8, 2), plan_usage(8, 2)]
    with fake_zoom(snapshots, plans=plans) as server:
        yield server


def sync(engine, zoom, snapshot: int, now: datetime):
    provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()))
    settings = resolve(provider, {**zoom.settings(snapshot), "fetch_addons": "true"})
    return sync_connection(engine, CONNECTION, provider, settings, now=now)


def plan_figures(rows) -> dict[str, tuple]:
    return {row["plan"]: (row["license_type"], row["purchased"], row["assigned"]) for row in rows}


def test_plans_are_stored_per_run_and_read_as_of_a_date(engine, zoom):
    first = sync(engine, zoom, 0, JANUARY)
    second = sync(engine, zoom, 1, FEBRUARY)

    assert first.ok and second.ok, (first.error, second.error)
    assert first.notes == [] and second.notes == []
    assert plan_figures(queries.plans(engine)) == {
        "Base plan": ("Licensed", 8, 3),
        "Large meeting 500": (None, 2, 1),
    }
    assert plan_figures(queries.plans(engine, as_of=datetime(2026, 1, 31, tzinfo=UTC))) == {
        "Base plan": ("Licensed", 5, 3),
        "Large meeting 500": (None, 2, 1),
    }
    (base,) = [row for row in queries.plans(engine) if row["plan"] == "Base plan"]
    assert (base["provider"], base["connection"]) == ("zoom", "zoom-main")
    assert base["extras"] == {"zoom_plan": "plan_base", "zoom_types": ["yearly"], "pending": 1, "active_hosts": 2}


def test_an_addon_change_opens_a_new_history_interval(engine, zoom):
    sync(engine, zoom, 0, JANUARY)
    result = sync(engine, zoom, 1, FEBRUARY)

    assert result.counts["changed"] == 1  # user 2 got a webinar licence; nobody else changed
    seats = {seat["email"]: seat for seat in queries.seats(engine)}
    assert seats["user00002@example.com"]["extras"]["addons"] == ["webinar"]
    assert seats["user00001@example.com"]["extras"]["addons"] == ["large_meeting"]
    assert "addons" not in seats["user00003@example.com"]["extras"]
    before = {seat["email"]: seat for seat in queries.seats(engine, as_of=datetime(2026, 1, 31, tzinfo=UTC))}
    assert "addons" not in before["user00002@example.com"]["extras"]


def test_missing_optional_scopes_are_run_notes_and_the_sync_succeeds(engine, zoom):
    assert sync(engine, zoom, 1, FEBRUARY).ok
    zoom.revoke_scopes("billing:read:plan_usage:admin", "user:read:summary:admin")

    result = sync(engine, zoom, 2, MARCH)

    assert result.ok, result.error
    assert result.counts["seen"] == 5 and result.counts["changed"] == 0
    assert len(result.notes) == 2
    assert "lacks the scope billing:read:plan_usage:admin" in result.notes[0]
    assert "lacks the scope user:read:summary:admin" in result.notes[1]
    (run,) = queries.recent_runs(engine, limit=1)
    assert run["outcome"] == "succeeded" and run["notes"] == result.notes
    # The latest run reported no plans: as of now none are known (reports say "not reported", not zero).
    assert queries.plans(engine) == []
    assert plan_figures(queries.plans(engine, as_of=datetime(2026, 2, 28, tzinfo=UTC)))["Base plan"] == (
        "Licensed",
        8,
        3,
    )


def test_a_free_account_and_a_summary_mismatch_are_run_notes(engine):
    users = account(False)
    with fake_zoom([users], plans=[None]) as zoom:
        zoom.snapshots[0].append(zoom_user(6, status="pending"))  # invited while the lists were read...
        zoom.faults.add(_hide_user_6, times=None, path="/v2/users")  # ...so the lists do not show it yet
        result = sync(engine, zoom, 0, JANUARY)

    assert result.ok, result.error
    assert result.notes == [
        "purchased seats were not read: Zoom reports plan usage only for paid accounts",
        "Zoom's user summary differs from the synced users: pending 2 in Zoom, 1 synced; users may have changed "
        "during the sync (the next sync will tell), or Zoom counts some users differently",
    ]
    assert queries.plans(engine) == []


def _hide_user_6(request, server):
    status, body = server.answer(request)
    if status == 200:
        body["users"] = [user for user in body["users"] if user["email"] != "user00006@example.com"]
        body["total_records"] = len(body["users"])
    return Reply(status, body)
