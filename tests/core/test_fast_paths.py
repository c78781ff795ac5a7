"""The sync's fast paths give exactly what the plain ones would: same JSON, same digests, same stored text.

They exist for speed (see benchmarks/README.md); a digest or stored value that drifted from the plain definition
would make every stored seat read as changed, so each is checked against that definition.
"""

from __future__ import annotations

import gc
import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seatkeeper import SeatRecord, jsontext, store
from seatkeeper.gcpause import gc_paused
from seatkeeper.models import Seat
from seatkeeper.store import insert_many
from seatkeeper.sync import STATE_FIELDS, seat_row, state_hash

from .test_properties import raw_record, valid

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


def reference_digest(record: SeatRecord) -> str:
    """The digest's definition: its fields and extras as sorted JSON (non-ASCII kept), BLAKE2b of 16 bytes."""
    state = [getattr(record, name) for name in STATE_FIELDS] + [record.extras]
    text = json.dumps(state, default=jsontext.as_json_text, sort_keys=True, ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(raw_record)
def test_state_hash_matches_its_definition(raw):
    record = valid(raw)
    if record is not None:
        assert state_hash(record) == reference_digest(record)


def test_state_hash_of_a_known_seat_never_changes():
    # Stored digests are compared with new ones: a change here would make every stored seat read as changed.
    record = SeatRecord(
        user_id="u1",
        email="Ana@Example.com",
        name="Ana Müller",
        license_type="Licensed",
        billable=True,
        created_at=datetime(2024, 5, 1, 8, 30, tzinfo=UTC),
        extras={"zoom_type": 2, "group_ids": ["b", "a"]},
    )
    assert state_hash(record) == reference_digest(record) == "45963a5533615858617ad4510071a0a4"


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
        row = {**seat_row(record, record.key, "digest"), "created_at": created, "last_activity_at": activity}
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
