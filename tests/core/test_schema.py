"""The normalized licence schema: what providers hand the engine, and how it is cleaned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from seatkeeper import SeatRecord, SeatStatus
from seatkeeper.schema import MAX_TEXT


def record(**fields):
    return SeatRecord(**{"user_id": "u1", "license_type": "Licensed", "billable": True, **fields})


def test_email_is_lower_cased_and_empty_strings_are_none():
    seat = record(email="Ada.Lovelace@Example.COM", department="", role="")
    assert seat.email == "ada.lovelace@example.com"
    assert seat.department is None and seat.role is None


def test_pending_users_without_id_are_keyed_by_email():
    assert record(user_id=None, email="New@Example.com", status="pending").key == "email:new@example.com"
    assert record().key == "u1"


def test_a_seat_needs_an_id_or_an_email():
    with pytest.raises(ValidationError, match="needs a user id or an email"):
        SeatRecord(license_type="Licensed", billable=True)


def test_stray_unstorable_characters_are_cleaned_not_rejected():
    seat = record(name="Bad\ud800 Name\x00", extras={"note\ud801": ["x\x00", float("inf")]})
    assert seat.name == "Bad? Name"
    assert seat.extras == {"note?": ["x", None]}


def test_huge_strings_are_cut_and_huge_extras_rejected():
    assert len(record(name="x" * 100_000).name) == MAX_TEXT
    with pytest.raises(ValidationError, match="extras are larger"):
        record(extras={f"k{i}": "v" * 500 for i in range(100)})


def test_datetimes_become_utc_and_out_of_range_is_an_error():
    naive = record(last_activity_at=datetime(2026, 1, 1, 12))
    assert naive.last_activity_at == datetime(2026, 1, 1, 12, tzinfo=UTC)
    shifted = record(created_at=datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2))))
    assert shifted.created_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    with pytest.raises(ValidationError, match="out of range"):
        record(created_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))))


def test_status_and_licence_type_are_checked():
    assert record(status="inactive").status is SeatStatus.INACTIVE
    with pytest.raises(ValidationError):
        record(status="deleted-forever")
    with pytest.raises(ValidationError, match="licence type is empty"):
        record(license_type="  ")


def test_an_email_without_at_is_not_an_address_for_any_provider():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="email 'ana.example.com' is not an address"):
        SeatRecord(user_id="u1", email="Ana.Example.com", license_type="Basic", billable=False)
    with pytest.raises(ValidationError, match="is not an address"):
        SeatRecord.model_validate({"user_id": "u1", "email": "nobody", "license_type": "Basic", "billable": False})
