"""Odd but survivable Zoom data: unknown user types, users missing fields. Counted, reported, never lost."""

from __future__ import annotations

from seatkeeper import queries

from .kit import (
    FEB,
    JAN,
    LOCALHOST_ONLY,
    SEAT_FIELDS,
    USERS,
    current_seats,
    fast_provider,
    run_rows,
    seeded_zoom,
    sync_zoom,
)

pytestmark = LOCALHOST_ONLY


def test_unknown_user_types_are_stored_as_unknown_and_warned_about(sqlite_engine, clean_seats):
    with seeded_zoom() as zoom:
        zoom.faults.unknown_user_types(7, every=3)
        result = sync_zoom(sqlite_engine, zoom, fast_provider())

    assert result.ok, result.error
    seats = queries.seats(sqlite_engine)
    unknown = [seat for seat in seats if seat["license_type"] == "Unknown (type 7)"]
    assert len(seats) == USERS and 0 < len(unknown) < USERS
    assert not any(seat["billable"] for seat in unknown)
    assert {repr(seat["email"]) for seat in seats} == {row[SEAT_FIELDS.index("email")] for row in clean_seats}
    warning = f"{len(unknown)} Zoom users have user type 7, which seatkeeper does not know"
    assert any(warning in note for note in result.notes)
    assert any(warning in note for note in run_rows(sqlite_engine)[-1]["notes"])


def test_a_user_missing_its_type_is_rejected_and_keeps_its_stored_seat(engine):
    with seeded_zoom() as zoom:
        assert sync_zoom(engine, zoom, fast_provider(), when=JAN).ok
        before = current_seats(engine)
        zoom.faults.users_missing_fields(["type"], index=2, times=2)
        result = sync_zoom(engine, zoom, fast_provider(), when=FEB)

    assert result.ok, result.error
    assert result.counts["rejected"] == 2 and result.counts["removed"] == 0
    assert current_seats(engine) == before  # not marked removed, not changed
    assert sum("it has no user type" in note for note in result.notes) == 2
    last = run_rows(engine)[-1]
    assert (last["outcome"], last["rejected"]) == ("succeeded", 2)
    assert queries.recent_runs(engine, limit=1)[0]["rejected"] == 2  # what `seatkeeper syncs` shows


def test_users_missing_optional_fields_are_stored_with_what_they_have(engine):
    optional = ["dept", "display_name", "first_name", "last_name", "last_login_time", "role_id", "user_created_at"]
    with seeded_zoom() as zoom:
        zoom.faults.users_missing_fields(optional, index=0, times=None)
        result = sync_zoom(engine, zoom, fast_provider())

    assert result.ok, result.error
    assert (result.counts["seen"], result.counts["rejected"]) == (USERS, 0)
    bare = [seat for seat in queries.seats(engine) if seat["name"] is None]
    assert len(bare) == 9  # the first user of each page: 6 active, 2 inactive, 1 pending
    assert all(seat["department"] is None and seat["last_activity_at"] is None for seat in bare)


def test_a_user_with_neither_id_nor_email_is_counted_and_reported(sqlite_engine):
    with seeded_zoom() as zoom:
        zoom.faults.users_missing_fields(["id", "email"], index=0)
        result = sync_zoom(sqlite_engine, zoom, fast_provider())

    assert result.ok, result.error
    assert (result.counts["seen"], result.counts["rejected"]) == (USERS - 1, 1)
    assert any("without id or email: it has neither an id nor an email" in note for note in result.notes)
