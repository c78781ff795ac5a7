"""Property tests: whatever Zoom lists (any unicode, huge strings, nulls, wrong types, non-objects), served by
the test server through the real Zoom plugin and engine, the sync never crashes nor stores anything wrong, and
every record it could not use is counted and reported."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from seatkeeper import Rejected, SeatRecord, db, queries
from seatkeeper_zoom.mapping import map_user
from tests.zoom_server.wire import encode_json

from .kit import LOCALHOST_ONLY, fast_provider, seeded_zoom, sync_zoom

pytestmark = LOCALHOST_ONLY

STATUSES = ("active", "inactive", "pending")

any_text = st.one_of(
    st.text(),  # any unicode: lone surrogates and NUL included
    st.builds(lambda char, n: char * n, st.characters(), st.integers(500, 5_000)),  # huge, cheaply
    st.sampled_from(["", "   ", "İ" * 600, "\x00", "\ud800", "<script>alert(1)</script>", "=cmd|' /C calc'!A0"]),
)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    any_text,
)
moments = st.datetimes(
    min_value=datetime(1, 1, 2),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]),
)
when = st.one_of(moments.map(lambda moment: moment.isoformat()), junk)
zoom_user = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(alphabet="abcdefghijkLMNOP0123-_", min_size=1, max_size=22), junk),
        "email": st.one_of(st.emails(), junk),
        "type": st.one_of(st.sampled_from([1, 2, 3, 4, 99]), st.integers(), junk),
        "status": st.one_of(st.sampled_from(STATUSES), junk),
        "display_name": st.one_of(any_text, junk),
        "first_name": any_text,
        "last_name": st.one_of(any_text, junk),
        "dept": st.one_of(any_text, junk),
        "role_id": st.one_of(st.sampled_from(["0", "1", "2", "custom-role"]), st.integers(), junk),
        "last_login_time": when,
        "user_created_at": when,
        "created_at": when,
        "group_ids": st.one_of(st.lists(st.text(max_size=8), max_size=3), junk),
        "plan_united_type": junk,
        "employee_unique_id": junk,
        "custom_attributes": junk,
    },
)
entry = st.one_of(zoom_user, zoom_user, zoom_user, junk)  # mostly user objects, sometimes anything at all
account = st.fixed_dictionaries({status: st.lists(entry, max_size=7) for status in STATUSES})

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def as_received(value):
    """An entry as the client parses it from the server's JSON."""
    return json.loads(encode_json(value))


def check_sync(engine, zoom, entries_by_status) -> None:
    """Serve the entries, sync them into a new connection, and compare what was stored with what was sent."""
    zoom.faults.clear()
    zoom.set_users(
        [
            {"id": f"p{status}{index}", "email": f"p{index}@{status}.example", "type": 1, "status": status}
            for status in STATUSES
            for index in range(len(entries_by_status[status]))
        ]
    )
    zoom.faults.replace_users(entries_by_status)
    name = f"prop-{uuid.uuid4().hex[:12]}"
    result = sync_zoom(engine, zoom, fast_provider(), name=name)

    assert result.ok, result.error
    mapped = [map_user(as_received(raw), status) for status in STATUSES for raw in entries_by_status[status]]
    records = [item for item in mapped if isinstance(item, SeatRecord)]
    rejected = [item for item in mapped if isinstance(item, Rejected)]
    by_key: dict[str, list[SeatRecord]] = {}
    for record in records:
        by_key.setdefault(record.key, []).append(record)

    counts = result.counts
    assert counts["rejected"] == len(rejected)
    assert counts["seen"] == len(by_key) and counts["duplicates"] == len(records) - len(by_key)
    # Nothing silently dropped: every entry served is a stored seat, a duplicate, or a counted rejection.
    assert counts["seen"] + counts["duplicates"] + counts["rejected"] == sum(map(len, entries_by_status.values()))
    assert len(result.notes) >= min(len(rejected), 20) and all(isinstance(note, str) for note in result.notes)
    run = queries.recent_runs(engine, limit=1, connection=name)[0]
    assert (run["outcome"], run["rejected"], run["seen"]) == ("succeeded", len(rejected), len(by_key))

    stored = queries.seats(engine, connection=name)
    assert len(stored) == len(by_key)
    for seat in stored:
        key = seat["user_id"] or f"email:{seat['email']}"
        assert any(matches(seat, record) for record in by_key[key]), (seat, by_key[key])


def matches(seat: dict, record: SeatRecord) -> bool:
    """The stored seat holds exactly the record's values."""
    fields = ("user_id", "email", "name", "license_type", "billable", "department", "role", "extras")
    return (
        all(seat[name] == getattr(record, name) for name in fields)
        and seat["status"] == record.status.value
        and seat["last_activity_at"] == record.last_activity_at
        and seat["created_at"] == record.created_at
    )


@pytest.fixture(scope="module")
def zoom():
    """One test server for every example (each example replaces its users and faults)."""
    with seeded_zoom(1) as server:
        yield server


@pytest.fixture(scope="module")
def sqlite_engine_for_examples(tmp_path_factory):
    engine = db.open_engine(f"sqlite:///{tmp_path_factory.mktemp('zoomprop') / 'p.db'}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def postgres_engine_for_examples(postgres_server_url):
    engine = db.open_engine(postgres_server_url)
    yield engine
    engine.dispose()


LONG_LOWERCASE = {"active": [{"id": "x", "email": "İ" * 600, "type": 2}], "inactive": [], "pending": []}


@PROPERTY_SETTINGS
@given(entries_by_status=account)
@example(entries_by_status=LONG_LOWERCASE)
def test_any_zoom_data_is_stored_or_counted_sqlite(zoom, sqlite_engine_for_examples, entries_by_status):
    check_sync(sqlite_engine_for_examples, zoom, entries_by_status)


@pytest.mark.postgres
@PROPERTY_SETTINGS
@given(entries_by_status=account)
@example(entries_by_status=LONG_LOWERCASE)
def test_any_zoom_data_is_stored_or_counted_postgres(zoom, postgres_engine_for_examples, entries_by_status):
    check_sync(postgres_engine_for_examples, zoom, entries_by_status)
