"""Property tests: whatever a provider hands the engine, the sync never crashes and stored data stays sound."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from seatkeeper import Rejected, SeatRecord, db, queries
from seatkeeper.config import ConnectionConfig
from seatkeeper.sync import sync_connection
from tests.throwaway_plugin import ListProvider

from .conftest import SETTINGS

any_text = st.one_of(
    st.text(),  # any unicode, including lone surrogates and NUL
    st.builds(lambda char, n: char * n, st.characters(), st.integers(600, 20_000)),  # huge strings, cheaply
    st.just(""),
    st.just("   "),
)
junk = st.one_of(st.none(), st.integers(), st.floats(), st.booleans(), st.lists(st.integers(), max_size=3), any_text)
dates = st.one_of(
    st.none(),
    st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))])),
    st.text(max_size=30),
)
raw_record = st.fixed_dictionaries(
    {
        "user_id": st.one_of(st.none(), any_text, st.integers()),
        "email": st.one_of(st.none(), st.emails(), any_text),
        "name": st.one_of(st.none(), any_text, st.integers()),
        "license_type": st.one_of(st.sampled_from(["Licensed", "Basic"]), any_text, junk),
        "billable": st.one_of(st.booleans(), junk),
        "status": st.one_of(st.sampled_from(["active", "inactive", "pending"]), junk),
        "department": st.one_of(st.none(), any_text),
        "last_activity_at": dates,
        "created_at": dates,
        "extras": st.one_of(
            st.dictionaries(
                any_text, st.one_of(junk, st.dictionaries(st.text(max_size=5), junk, max_size=3)), max_size=4
            ),
            junk,
        ),
    }
)


def valid(raw: dict) -> SeatRecord | None:
    try:
        return SeatRecord.model_validate(raw)
    except ValidationError:
        return None


class RawProvider(ListProvider):
    """Validates raw provider data as the docs ask, yielding a Rejected item for whatever does not validate."""

    def fetch(self, session, context):
        for raw in self.users:
            try:
                yield SeatRecord.model_validate(raw)
            except ValidationError as error:
                yield Rejected(reason=error.errors()[0]["msg"])


def check_syncs(engine, connection_name: str, batches) -> None:
    """Sync each batch in turn; each must succeed, store exactly its valid records, and count the rest."""
    provider, connection = RawProvider(), ConnectionConfig(connection_name, "listprovider")
    for month, batch in enumerate(batches):
        provider.users = batch
        result = sync_connection(
            engine, connection, provider, SETTINGS, now=datetime(2026, month + 1, 1, tzinfo=UTC), allow_empty=True
        )
        assert result.ok, result.error
        records = [r for r in map(valid, batch) if r is not None]
        assert result.counts["rejected"] == len(batch) - len(records)
        good = {r.key: r for r in records}
        stored = queries.seats(engine, connection=connection_name)
        # Exactly the valid records of this sync are current, with their values intact.
        assert sorted((s["user_id"] or "", s["email"] or "") for s in stored) == sorted(
            (r.user_id or "", r.email or "") for r in good.values()
        )
        for seat in stored:
            assert seat["email"] is None or seat["email"] == seat["email"].lower()


PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
BATCHES = st.lists(st.lists(raw_record, max_size=8), min_size=1, max_size=3)


@PROPERTY_SETTINGS
@given(batches=BATCHES)
def test_any_provider_data_is_stored_or_counted_as_rejected_sqlite(tmp_path_factory, batches):
    engine = db.open_engine(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'p.db'}")
    try:
        check_syncs(engine, "prop", batches)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def postgres_engine(postgres_server_url):
    """One migrated PostgreSQL engine for all examples (each example uses a connection of its own)."""
    engine = db.open_engine(postgres_server_url)
    yield engine
    engine.dispose()


@pytest.mark.postgres
@PROPERTY_SETTINGS
@given(batches=BATCHES)
def test_any_provider_data_is_stored_or_counted_as_rejected_postgres(postgres_engine, batches):
    check_syncs(postgres_engine, f"prop-{uuid.uuid4().hex}", batches)
