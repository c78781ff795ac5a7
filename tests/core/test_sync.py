"""The sync engine with a throwaway provider plugin: history intervals, all-or-nothing runs, edge cases.

Every test runs on a SQLite file and on PostgreSQL (see the ``database_url`` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from seatkeeper import Rejected, SeatRecord, queries
from seatkeeper.models import Seat, SeatActivity, SyncRun
from seatkeeper.runs import KILLED
from seatkeeper.sync import sync_connection
from tests.throwaway_plugin import SECRET, user

from .conftest import SETTINGS

JAN = datetime(2026, 1, 15, tzinfo=UTC)
FEB = datetime(2026, 2, 15, tzinfo=UTC)
MAR = datetime(2026, 3, 15, tzinfo=UTC)


def run(engine, connection, provider, when, **kwargs):
    return sync_connection(engine, connection, provider, SETTINGS, now=when, **kwargs)


def seat_rows(engine):
    with engine.connect() as db:
        return [dict(r._mapping) for r in db.execute(sa.select(Seat.__table__).order_by(Seat.__table__.c.id))]


def runs(engine):
    with engine.connect() as db:
        return [dict(r._mapping) for r in db.execute(sa.select(SyncRun.__table__).order_by(SyncRun.__table__.c.id))]


def test_first_sync_stores_every_user_with_lowercased_email(engine, connection, provider):
    provider.users = [user(1), user(2), user(3, user_id=None, status="pending")]
    result = run(engine, connection, provider, JAN)
    assert result.ok, result.error
    assert result.counts["added"] == 3
    current = queries.seats(engine)
    assert [s["email"] for s in current] == ["user1@example.com", "user2@example.com", "user3@example.com"]
    assert {s["provider"] for s in current} == {"listprovider"}
    assert {s["connection"] for s in current} == {"acme"}
    pending = next(s for s in current if s["status"] == "pending")
    assert pending["user_id"] is None


def test_unchanged_resync_adds_no_seat_rows(engine, connection, provider):
    provider.users = [user(n) for n in range(50)]
    run(engine, connection, provider, JAN)
    before = queries.seat_row_count(engine)
    result = run(engine, connection, provider, FEB)
    assert result.ok
    assert result.counts == {
        "seen": 50,
        "added": 0,
        "changed": 0,
        "removed": 0,
        "unchanged": 50,
        "rejected": 0,
        "duplicates": 0,
    }
    assert queries.seat_row_count(engine) == before == 50


def test_a_seat_changes_when_any_state_field_changes_and_not_with_its_extras_order(engine, connection, provider):
    first = {"department": None, "role": "Admin", "extras": {"plan": "pro", "groups": ["a", "b"], "n": 1}}
    provider.users = [user(n, **first) for n in range(1, 6)]
    run(engine, connection, provider, JAN)
    reordered = {**first, "extras": {"n": 1, "groups": ["a", "b"], "plan": "pro"}}  # same values, keys reordered
    provider.users = [
        user(1, **reordered),
        user(2, **{**reordered, "department": "Sales"}),  # from no department to one
        user(3, **{**reordered, "role": None}),  # from a role to none
        user(4, **{**reordered, "extras": {"plan": "pro", "groups": ["a"], "n": 1}}),
        user(5, **{**reordered, "created_at": JAN}),
    ]
    result = run(engine, connection, provider, FEB)
    assert (result.counts["unchanged"], result.counts["changed"]) == (1, 4)
    assert queries.seat_row_count(engine) == 9


def test_changes_close_and_reopen_intervals_and_history_answers_as_of(engine, connection, provider):
    provider.users = [user(1, license_type="Basic", billable=False), user(2), user(3)]
    run(engine, connection, provider, JAN)
    provider.users = [user(1, license_type="Licensed", billable=True), user(2), user(4)]  # 1 upgraded, 3 left, 4 joined
    result = run(engine, connection, provider, FEB)
    assert (result.counts["added"], result.counts["changed"], result.counts["removed"]) == (1, 1, 1)

    in_jan = {s["user_id"]: s for s in queries.seats(engine, as_of=JAN + timedelta(days=1))}
    in_feb = {s["user_id"]: s for s in queries.seats(engine, as_of=FEB + timedelta(days=1))}
    assert set(in_jan) == {"u1", "u2", "u3"}
    assert in_jan["u1"]["license_type"] == "Basic"
    assert set(in_feb) == {"u1", "u2", "u4"}
    assert in_feb["u1"]["license_type"] == "Licensed"
    # Before the first sync nothing was held.
    assert queries.seats(engine, as_of=JAN - timedelta(days=1)) == []

    rows = [r for r in seat_rows(engine) if r["user_id"] == "u1"]
    assert len(rows) == 2
    assert rows[0]["seen_until"] == rows[1]["seen_from"] == FEB


def test_activity_updates_in_place_without_new_interval_and_is_kept_per_month(engine, connection, provider):
    provider.users = [user(1, last_activity_at=JAN)]
    run(engine, connection, provider, JAN)
    provider.users = [user(1, last_activity_at=FEB)]
    run(engine, connection, provider, FEB)
    rows = seat_rows(engine)
    assert len(rows) == 1
    assert rows[0]["last_activity_at"] == FEB
    with engine.connect() as db:
        months = dict(db.execute(sa.select(SeatActivity.month, SeatActivity.last_activity_at)).all())
    assert months == {"2026-01": JAN, "2026-02": FEB}


def test_a_second_sync_in_the_month_updates_its_activity_rows_and_adds_new_ones(engine, connection, provider):
    early, late = JAN - timedelta(days=10), JAN + timedelta(days=10)
    provider.users = [user(1, last_activity_at=early), user(2, last_activity_at=early)]
    run(engine, connection, provider, JAN)
    provider.users = [user(1, last_activity_at=late), user(2, last_activity_at=early), user(3, last_activity_at=late)]
    assert run(engine, connection, provider, JAN + timedelta(days=12)).ok
    with engine.connect() as db:
        activity = db.execute(sa.select(SeatActivity.seat_key, SeatActivity.month, SeatActivity.last_activity_at))
        assert sorted(activity) == [("u1", "2026-01", late), ("u2", "2026-01", early), ("u3", "2026-01", late)]


def test_failure_half_way_applies_nothing_and_records_the_reason(engine, connection, provider):
    provider.users = [user(n) for n in range(10)]
    run(engine, connection, provider, JAN)
    before = seat_rows(engine)

    provider.users = [user(n, license_type="Basic", billable=False) for n in range(10)] + [user(99)]
    provider.fail_after = 5
    result = run(engine, connection, provider, FEB)
    assert not result.ok
    assert "dropped the connection after 5 users" in result.error
    assert seat_rows(engine) == before  # nothing changed, nobody marked removed
    last = runs(engine)[-1]
    assert last["outcome"] == "failed"
    assert "dropped the connection" in last["error"]

    provider.fail_after = None  # the next sync works and applies the change
    assert run(engine, connection, provider, MAR).ok
    assert {s["license_type"] for s in queries.seats(engine)} == {"Basic", "Licensed"}


def test_bad_credentials_fail_the_run_without_leaking_the_secret(engine, connection, provider):
    provider.users = [user(1)]
    result = sync_connection(engine, connection, provider, {"token": "wrong-token-value"}, now=JAN)
    assert not result.ok
    assert result.error == "listprovider rejected the token"
    assert runs(engine)[-1]["outcome"] == "failed"


def test_plugin_bug_is_a_failed_run_with_the_secret_redacted(engine, connection, provider):
    class Leaky(type(provider)):
        def fetch(self, session, context):
            raise RuntimeError(f"boom while using {context.settings['token']}")
            yield  # pragma: no cover

    leaky = Leaky()
    result = run(engine, connection, leaky, JAN)
    assert not result.ok
    assert SECRET not in result.error and "***" in result.error
    assert SECRET not in runs(engine)[-1]["error"]


def test_empty_answer_with_stored_seats_is_refused_unless_allowed(engine, connection, provider):
    provider.users = [user(1), user(2)]
    run(engine, connection, provider, JAN)
    provider.users = []
    refused = run(engine, connection, provider, FEB)
    assert not refused.ok and "returned no users while 2 seats are stored" in refused.error
    assert len(queries.seats(engine)) == 2
    allowed = run(engine, connection, provider, MAR, allow_empty=True)
    assert allowed.ok and allowed.counts["removed"] == 2
    assert queries.seats(engine) == []


def test_rejected_records_are_counted_reported_and_keep_the_stored_seat(engine, connection, provider):
    provider.users = [user(1), user(2)]
    run(engine, connection, provider, JAN)
    provider.users = [user(1), Rejected(reason="type is not a number", key="u2"), Rejected(reason="no email or id")]
    result = run(engine, connection, provider, FEB)
    assert result.ok
    assert result.counts["rejected"] == 2 and result.counts["removed"] == 0
    assert any("type is not a number" in note for note in result.notes)
    assert {s["user_id"] for s in queries.seats(engine)} == {"u1", "u2"}
    assert runs(engine)[-1]["rejected"] == 2


def test_duplicates_across_pages_are_stored_once(engine, connection, provider):
    provider.users = [user(1), user(2), user(1)]
    result = run(engine, connection, provider, JAN)
    assert result.counts["duplicates"] == 1 and result.counts["seen"] == 2
    assert len(seat_rows(engine)) == 2


def test_accepted_invitation_continues_the_pending_seat(engine, connection, provider):
    provider.users = [user(1, user_id=None, status="pending", license_type="Licensed")]
    run(engine, connection, provider, JAN)
    provider.users = [user(1, user_id="zoomid1", status="active")]
    result = run(engine, connection, provider, FEB)
    assert (result.counts["added"], result.counts["changed"], result.counts["removed"]) == (0, 1, 0)
    assert [(s["user_id"], s["status"]) for s in queries.seats(engine)] == [("zoomid1", "active")]


def test_two_connections_of_one_provider_are_kept_apart(engine, provider):
    from seatkeeper.config import ConnectionConfig

    provider.users = [user(1)]
    assert run(engine, ConnectionConfig("emea", "listprovider"), provider, JAN).ok
    provider.users = [user(2)]
    assert run(engine, ConnectionConfig("apac", "listprovider"), provider, JAN).ok
    assert {(s["connection"], s["user_id"]) for s in queries.seats(engine)} == {("emea", "u1"), ("apac", "u2")}


def test_filters_on_current_seats(engine, connection, provider):
    provider.users = [user(1), user(2, license_type="Basic", billable=False), user(3, status="inactive")]
    run(engine, connection, provider, JAN)
    assert [s["user_id"] for s in queries.seats(engine, billable=False)] == ["u2"]
    assert [s["user_id"] for s in queries.seats(engine, status="inactive")] == ["u3"]
    assert queries.seats(engine, provider="nope") == []


def test_a_run_left_running_by_a_killed_process_is_marked_interrupted(engine, connection, provider):
    from seatkeeper import store

    provider.users = [user(1)]
    connection_id = store.ensure_connection(engine, "acme", "listprovider", JAN)
    store.start_run(engine, connection_id, JAN)  # as if the process died here
    assert run(engine, connection, provider, FEB).ok
    outcomes = [(r["outcome"], r["error"]) for r in runs(engine)]
    assert outcomes[0] == ("interrupted", KILLED)
    assert outcomes[1] == ("succeeded", None)


def test_a_second_sync_of_the_same_connection_refuses_while_the_first_runs(engine, connection, provider):
    import threading

    started, release = threading.Event(), threading.Event()

    class Slow(type(provider)):
        def fetch(self, session, context):
            started.set()
            assert release.wait(10)
            yield from super().fetch(session, context)

    slow = Slow()
    slow.users = [user(1)]
    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", run(engine, connection, slow, JAN)))
    first.start()
    assert started.wait(10)
    provider.users = [user(2)]
    second = run(engine, connection, provider, JAN)
    release.set()
    first.join(10)
    assert not second.ok and "another sync of connection 'acme' is running" in second.error
    assert results["first"].ok
    assert [s["user_id"] for s in queries.seats(engine)] == ["u1"]
    assert [r["outcome"] for r in runs(engine)] == ["succeeded"]  # the refused sync recorded nothing
    assert run(engine, connection, provider, FEB).ok  # the lock is released afterwards


def test_purchased_seats_are_recorded_per_run_and_read_as_of_a_date(engine, connection, provider):
    from seatkeeper import SeatPlan

    provider.users = [user(1), SeatPlan(plan="Business", license_type="Licensed", purchased=10, assigned=1)]
    run(engine, connection, provider, JAN)
    provider.users = [user(1), SeatPlan(plan="Business", license_type="Licensed", purchased=12, assigned=1)]
    run(engine, connection, provider, FEB)
    assert [(p["plan"], p["purchased"]) for p in queries.plans(engine)] == [("Business", 12)]
    assert [(p["plan"], p["purchased"]) for p in queries.plans(engine, as_of=JAN + timedelta(days=1))] == [
        ("Business", 10)
    ]
    assert queries.plans(engine, as_of=JAN - timedelta(days=1)) == []


def test_a_plugins_seat_record_subclass_is_stored_by_its_seat_fields(engine, connection, provider):
    class ZoomishRecord(SeatRecord):
        plan_note: str = "kept by the plugin, not a seat column"

    provider.users = [ZoomishRecord(user_id="u1", license_type="Licensed", billable=True)]
    result = run(engine, connection, provider, JAN)
    assert result.ok, result.error
    assert [(s["user_id"], s["license_type"]) for s in queries.seats(engine)] == [("u1", "Licensed")]


def test_a_plain_dict_is_a_plugin_bug_that_applies_nothing(engine, connection, provider, monkeypatch):
    provider.users = [user(1)]
    run(engine, connection, provider, JAN)
    dicts = [{"user_id": "u2", "license_type": "Basic", "billable": False}]
    monkeypatch.setattr(provider, "fetch", lambda session, context: iter(dicts))
    result = run(engine, connection, provider, FEB)
    assert not result.ok and "yielded a dict, not a SeatRecord" in result.error and "plugin bug" in result.error
    assert [seat["user_id"] for seat in queries.seats(engine)] == ["u1"]
