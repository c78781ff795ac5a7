"""The sync's fast paths give exactly what the plain ones would: same JSON, same records, same stored text.

They exist for speed (see benchmarks/README.md); a stored value that drifted from the plain definition would make
every stored seat read as changed, so each is checked against that definition.
"""

from __future__ import annotations

import gc
import json
import pickle
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from seatkeeper import SeatRecord, SeatStatus, jsontext, store
from seatkeeper.bulk import insert_many
from seatkeeper.gcpause import gc_paused
from seatkeeper.models import Seat
from seatkeeper.schema import MAX_TEXT
from seatkeeper.staging import STAGED
from seatkeeper.sync import seat_row

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),  # NaN and infinities included: json.dumps writes them as NaN and Infinity
        st.text(),
        st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=-3))])),
        st.frozensets(st.integers(), max_size=2),  # no JSON type: written as its str()
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)),
    max_leaves=12,
)


@given(json_values, st.booleans(), st.booleans())
def test_encoder_writes_what_json_dumps_writes(value, sort_keys, ensure_ascii):
    encode = jsontext.Encoder(sort_keys=sort_keys, ensure_ascii=ensure_ascii)
    expected = json.dumps(value, default=jsontext.as_json_text, sort_keys=sort_keys, ensure_ascii=ensure_ascii)
    assert encode(value) == expected


# Text near the edges of what validation keeps as it is: whitespace that Python and pydantic strip differently,
# unstorable characters, text at the length limit, letters that lengthen when lower-cased.
EDGE_CHARACTERS = "aZ09 @.-_\t\n\x0b\x1c\x1f\x85\xa0\u1680\u180e\u2000\u200b\u2028\u3000\ufeff\x00\ud800İéÉß😀"
edge_text = st.one_of(
    st.text(alphabet=EDGE_CHARACTERS, max_size=6),
    st.text(max_size=8),
    st.builds(
        lambda char, n, tail: char * n + tail, st.sampled_from("aİé "), st.integers(505, 515), st.text(max_size=2)
    ),
)
moments_in_any_zone = st.one_of(
    st.none(),
    st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=2))])),
    st.just("2026-01-01T00:00:00Z"),
)
plain_text = st.text(alphabet="abcXYZ019 .@-é", min_size=1, max_size=12).filter(lambda text: text.strip() == text)
utc_moments = st.one_of(st.none(), st.datetimes(timezones=st.just(UTC)))
# A record a careful provider would build: the fast path's case.
settled_fields = st.fixed_dictionaries(
    {"license_type": plain_text},
    optional={
        "user_id": st.one_of(st.none(), plain_text),
        "email": st.one_of(st.none(), plain_text),
        "name": st.one_of(st.none(), plain_text),
        "billable": st.booleans(),
        "status": st.sampled_from(SeatStatus),
        "department": st.one_of(st.none(), plain_text),
        "role": st.one_of(st.none(), plain_text),
        "last_activity_at": utc_moments,
        "created_at": utc_moments,
        "extras": st.dictionaries(plain_text, st.one_of(st.integers(), plain_text, st.lists(plain_text)), max_size=3),
    },
)
# ... with one value that validation may change or refuse.
edge_values = {
    "license_type": st.one_of(edge_text, st.integers()),
    "user_id": st.one_of(edge_text, st.integers()),
    "email": st.one_of(st.emails(), edge_text),
    "name": edge_text,
    "billable": st.sampled_from([0, 1, "yes", None]),
    "status": st.sampled_from(["active", "gone", None]),
    "department": edge_text,
    "role": edge_text,
    "last_activity_at": moments_in_any_zone,
    "created_at": moments_in_any_zone,
    "extras": st.one_of(
        st.none(), st.dictionaries(edge_text, st.one_of(json_values, st.lists(edge_text, max_size=3)), max_size=3)
    ),
    "unknown_field": st.just(1),
}
record_fields = st.one_of(
    settled_fields,
    st.builds(
        lambda fields, name, value: {**fields, name: value},
        settled_fields,
        st.shared(st.sampled_from(sorted(edge_values)), key="edge"),
        st.shared(st.sampled_from(sorted(edge_values)), key="edge").flatmap(edge_values.__getitem__),
    ),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(record_fields)
@example({"license_type": "Licensed", "user_id": "u1", "extras": {"zoom_type": 2, "group_ids": ["a"]}})
@example({"license_type": "Basic", "email": "İ" * MAX_TEXT, "billable": False})
@example({"license_type": "Basic", "email": "A@B.C", "billable": True, "name": "\x1cZoë\x1c"})
@example({"license_type": "Licensed", "user_id": "u1", "billable": True, "name": "Zo\x00ë"})
@example({"license_type": "Licensed", "user_id": "u1", "billable": True, "name": "Zo\ud800ë"})
@example({"license_type": "Licensed", "user_id": "u1", "billable": 1})
@example({"license_type": "Licensed", "user_id": "u1", "billable": True, "unknown_field": 1})
@example({"license_type": "Licensed", "user_id": "u1", "billable": True, "extras": {"\x0bk": "v\x0b"}})
def test_a_record_built_from_settled_values_is_the_validated_record(fields):
    # SeatRecord(**fields) skips pydantic for values validation would keep as they are; model_validate never does.
    try:
        validated = SeatRecord.model_validate(fields)
    except ValidationError as error:
        with pytest.raises(ValidationError) as raised:
            SeatRecord(**fields)
        assert raised.value.errors(include_context=False) == error.errors(include_context=False)
        return
    built = SeatRecord(**fields)
    assert built == validated
    assert list(built.__dict__) == list(validated.__dict__)
    assert {name: type(value) for name, value in built} == {name: type(value) for name, value in validated}
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump_json() == validated.model_dump_json()
    assert pickle.loads(pickle.dumps(built)) == validated
    assert built.model_copy(update={"name": "x"}) == validated.model_copy(update={"name": "x"})
    if "extras" in fields and fields["extras"] is not None:
        assert built.extras is not fields["extras"]  # a copy, as validation makes: the provider's dict may change


def test_settled_values_skip_the_full_validation(monkeypatch):
    # The point of the fast path: a provider's clean record never reaches pydantic's validator.
    def refuse(*_args, **_kwargs):
        raise AssertionError("validated")

    monkeypatch.setattr(SeatRecord, "__pydantic_validator__", type("Refuse", (), {"validate_python": refuse})())
    record = SeatRecord(
        user_id="u1",
        email="Ana@Example.com",
        name="Ana Müller",
        license_type="Licensed",
        billable=True,
        status=SeatStatus.INACTIVE,
        created_at=datetime(2024, 5, 1, tzinfo=UTC),
        extras={"zoom_type": 2},
    )
    assert record.email == "ana@example.com" and record.status is SeatStatus.INACTIVE
    with pytest.raises(AssertionError, match="validated"):
        SeatRecord(user_id=" u1 ", license_type="Licensed", billable=True)  # needs stripping: validated
    with pytest.raises(AssertionError, match="validated"):  # the reference the other tests compare with
        SeatRecord.model_validate({"user_id": "u1", "license_type": "Licensed", "billable": True})


def test_a_dict_with_a_key_that_is_not_text_is_a_validation_error():
    with pytest.raises(ValidationError):
        SeatRecord.model_validate({1: 2, "user_id": "u1", "license_type": "Licensed", "billable": True})


def test_a_subclass_is_always_validated():
    class WithSeatCount(SeatRecord):
        seats: int = 1

    record = WithSeatCount(user_id="u1", license_type="Licensed", billable=True, seats="3")
    assert record.seats == 3


def test_a_seat_row_holds_the_staged_columns_whatever_made_the_record():
    class WithSeatCount(SeatRecord):
        seats: int = 1

    fields = {"user_id": "u1", "license_type": "Licensed", "billable": True, "status": SeatStatus.INACTIVE}
    fast, validated = SeatRecord(**fields), SeatRecord.model_validate({**fields, "name": " Ana "})
    for record in (fast, validated, WithSeatCount(**fields, seats=3)):
        row = seat_row(record)
        assert sorted(row) == sorted(STAGED)
        assert type(row["status"]) is str and row["status"] == "inactive"


@given(json_values)
def test_canonical_extras_are_sorted_json(value):
    # Stored extras are compared as text: equal values must give equal text, whatever their keys' order.
    expected = json.dumps(value, default=jsontext.as_json_text, sort_keys=True)
    assert jsontext.canonical(value) == expected
    if isinstance(value, dict):
        assert jsontext.canonical(dict(reversed(value.items()))) == expected


moments = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1900, 1, 2),
        timezones=st.sampled_from(
            [None, UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12, minutes=-30))]
        ),
    ),
)


def fast_and_plain_rows(engine, row: dict, shared: dict) -> tuple[tuple, tuple]:
    """``row`` stored once through :func:`insert_many` and once through SQLAlchemy's own insert, read back raw."""
    seat = Seat.__table__
    with engine.begin() as connection:
        connection.execute(sa.delete(seat))
        if engine.dialect.name == "postgresql":  # naive times must not be read in the session's zone
            connection.exec_driver_sql("set local time zone 'Asia/Kolkata'")
        insert_many(connection, seat, [{**row, "seat_key": "fast"}], shared)
        connection.execute(sa.insert(seat), [{**row, **shared, "seat_key": "plain"}])
        # Read as text, so the comparison is of what the database holds, not of what the driver makes of it.
        cast = "" if engine.dialect.name == "sqlite" else "::text"
        selected = ", ".join(f"{column.name}{cast}" for column in seat.c if column.name not in ("id", "seat_key"))
        return tuple(connection.exec_driver_sql(f"select {selected} from seat order by seat_key").all())


def test_fast_inserts_store_what_sqlalchemy_stores(engine):
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    store.start_run(engine, store.ensure_connection(engine, "c", "p", moment), moment)

    @settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
    @given(created=moments, activity=moments, seen_from=moments.filter(lambda moment: moment is not None))
    def check(created, activity, seen_from):
        record = SeatRecord(user_id="u1", name="Zoë", license_type="Licensed", billable=True, extras={"a": [1, "é"]})
        row = {**seat_row(record), "created_at": created, "last_activity_at": activity}
        shared = {"connection_id": 1, "seen_from": seen_from, "opened_by_run": 1}
        fast, plain = fast_and_plain_rows(engine, row, shared)
        assert fast == plain

    check()


def test_gc_paused_restores_the_collector_and_nests():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer holder still runs
    assert gc.isenabled()


def test_gc_paused_resumes_after_the_last_thread_and_on_errors():
    inside, release = threading.Barrier(2), threading.Event()

    def hold():
        with gc_paused():
            inside.wait()
            release.wait()

    thread = threading.Thread(target=hold)
    thread.start()
    with pytest.raises(RuntimeError), gc_paused():
        inside.wait()
        raise RuntimeError("a failed sync")
    assert not gc.isenabled()  # the other sync is still running
    release.set()
    thread.join()
    assert gc.isenabled()


def test_gc_paused_leaves_a_host_applications_choice_alone():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
