"""Mapping one raw Zoom user to a SeatRecord (or a Rejected)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seatkeeper import Rejected, SeatRecord, SeatStatus
from seatkeeper_zoom.mapping import map_user

from .zoom_testkit import zoom_user


@pytest.mark.parametrize(
    ("zoom_type", "license_type", "billable"),
    [
        (1, "Basic", False),
        (2, "Licensed", True),
        (3, "On-prem", True),
        (4, "Unassigned without Meetings Basic", False),
        (99, "None", False),
        (7, "Unknown (type 7)", False),
        (0, "Unknown (type 0)", False),
    ],
)
def test_user_types(zoom_type, license_type, billable):
    record = map_user(zoom_user(1, zoom_type=zoom_type), "active")

    assert isinstance(record, SeatRecord)
    assert (record.license_type, record.billable, record.extras["zoom_type"]) == (license_type, billable, zoom_type)


def test_a_full_user():
    raw = zoom_user(
        7,
        email="Taylor.Kim@Example.com",
        display_name="Taylor Kim",
        dept="Sales",
        role_id="1",
        plan_united_type="512",
        employee_unique_id="E12345",
        group_ids=["g2", "g1"],
        im_group_ids=["chat"],
        last_client_version="6.0.11.39959(mac)",
        pic_url="https://example.com/p.jpg",
    )

    record = map_user(raw, "active")

    assert record == SeatRecord(
        user_id="user00007AAAAAAAAAAAAA",
        email="taylor.kim@example.com",
        name="Taylor Kim",
        license_type="Licensed",
        billable=True,
        status=SeatStatus.ACTIVE,
        department="Sales",
        role="Admin",
        last_activity_at=datetime(2024, 6, 1, 8, 30, tzinfo=UTC),
        created_at=datetime(2023, 1, 15, 10, 0, tzinfo=UTC),
        # Stable fields only: last_client_version, pic_url etc. change without the seat changing.
        extras={"zoom_type": 2, "plan_united_type": "512", "employee_unique_id": "E12345", "group_ids": ["g1", "g2"]},
    )


def test_pending_user_is_keyed_by_email():
    raw = zoom_user(3, status="pending", email="New.Hire@example.com")
    del raw["id"]

    record = map_user(raw, "pending")

    assert record.user_id is None
    assert record.key == "email:new.hire@example.com"
    assert record.status is SeatStatus.PENDING
    assert record.last_activity_at is None


@pytest.mark.parametrize(
    ("own_status", "listed", "expected"),
    [
        ("inactive", "inactive", SeatStatus.INACTIVE),
        (None, "pending", SeatStatus.PENDING),  # missing: the list it came from
        ("suspended", "inactive", SeatStatus.INACTIVE),  # unknown value: the list it came from
        ("active", "inactive", SeatStatus.ACTIVE),  # the user's own field wins
    ],
)
def test_status(own_status, listed, expected):
    raw = zoom_user(1)
    raw["status"] = own_status
    assert map_user(raw, listed).status is expected


@pytest.mark.parametrize(
    ("role_id", "role"),
    [
        ("0", "Owner"),
        ("1", "Admin"),
        ("2", "Member"),
        (2, "Member"),
        ("r7NXbnLcSXaBWkaXGsSBCw", "r7NXbnLcSXaBWkaXGsSBCw"),
        ("", None),
    ],
)
def test_roles(role_id, role):
    assert map_user(zoom_user(1, role_id=role_id), "active").role == role


def test_name_falls_back_to_first_and_last_name():
    assert map_user(zoom_user(1, display_name="", first_name="Ann", last_name="Lee"), "active").name == "Ann Lee"
    assert map_user(zoom_user(1, display_name=None, first_name="", last_name="Lee"), "active").name == "Lee"
    assert map_user(zoom_user(1, display_name="  ", first_name="", last_name=""), "active").name is None


def test_created_at_falls_back_to_created_at():
    raw = zoom_user(1, created_at="2020-02-03T04:05:06Z")
    del raw["user_created_at"]
    assert map_user(raw, "active").created_at == datetime(2020, 2, 3, 4, 5, 6, tzinfo=UTC)


def test_unicode_and_html_are_kept_verbatim():
    record = map_user(zoom_user(1, display_name="<b>Bold</b> & Co", dept="Zoë's <dept>"), "active")
    assert (record.name, record.department) == ("<b>Bold</b> & Co", "Zoë's <dept>")


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        ({"id": None, "email": None}, None, "neither an id nor an email"),
        ({"type": None}, "user00001AAAAAAAAAAAAA", "no user type"),
        ({"type": "2"}, "user00001AAAAAAAAAAAAA", "user type '2' is not a number"),
        ({"type": True}, "user00001AAAAAAAAAAAAA", "is not a number"),
        ({"email": 42}, "user00001AAAAAAAAAAAAA", "email is int, not text"),
        ({"id": ["x"]}, "email:user00001@example.com", "id is list, not text"),
        ({"last_login_time": "yesterday"}, "user00001AAAAAAAAAAAAA", "last_login_time 'yesterday' is not a date"),
        ({"group_ids": "g1"}, "user00001AAAAAAAAAAAAA", "group_ids is not a list"),
        ({"role_id": {"id": 1}}, "user00001AAAAAAAAAAAAA", "role_id is dict"),
    ],
)
def test_unmappable_users_are_rejected_with_their_key(change, key, reason):
    raw = zoom_user(1)
    raw.update(change)

    rejected = map_user(raw, "active")

    assert isinstance(rejected, Rejected)
    assert rejected.key == key
    assert reason in rejected.reason


def test_a_non_object_is_rejected():
    assert map_user(["not", "a", "user"], "active") == Rejected(
        reason="Zoom user without id or email: expected an object, got list"
    )


def test_schema_validation_errors_become_rejections():
    # A date Python parses but SeatRecord cannot convert to UTC: pydantic's ValidationError, not an exception.
    rejected = map_user(zoom_user(1, last_login_time="0001-01-01T00:00:00+05:00"), "active")

    assert isinstance(rejected, Rejected)
    assert rejected.key == "user00001AAAAAAAAAAAAA"
    assert rejected.reason.startswith("Zoom user user00001AAAAAAAAAAAAA: last_activity_at: ")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)
user_fields = st.sampled_from(
    [
        "id", "email", "type", "status", "display_name", "first_name", "last_name", "dept", "role_id",
        "last_login_time", "user_created_at", "created_at", "group_ids", "plan_united_type", "employee_unique_id",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(user_fields, json_values) | json_values, st.sampled_from(["active", "inactive", "pending"]))
def test_mapping_never_raises(raw, listed):
    assert isinstance(map_user(raw, listed), SeatRecord | Rejected)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(user_fields, json_values).map(lambda extra: {**zoom_user(1), **extra}),
    st.sampled_from(["active", "inactive", "pending"]),
)
def test_mapping_of_almost_valid_users_never_raises(raw, listed):
    result = map_user(raw, listed)
    assert isinstance(result, SeatRecord | Rejected)
    if isinstance(result, Rejected) and (isinstance(raw.get("id"), str) and raw["id"].strip()):
        assert result.key == raw["id"].strip()
