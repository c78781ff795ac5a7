"""Creating the schema: all or nothing, and never inside another program's database."""

from __future__ import annotations

import os
import sqlite3

import pytest
import sqlalchemy as sa

from seatkeeper import db
from seatkeeper.errors import StoreError

from .conftest import sqlite_names


def other_programs_file(path, *statements: str) -> bytes:
    connection = sqlite3.connect(path)
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()
    return path.read_bytes()


@pytest.mark.parametrize(
    ("statements", "named"),
    [
        (["create table notes (body text)"], "notes"),
        (["create table seat (id integer primary key, owner text)"], "seat"),  # a name seatkeeper uses too
        (["create table a (x)", "create table b (x)", "create view c as select 1", "create table d (x)"], "a, b, c"),
    ],
    ids=["other table", "colliding table", "many objects"],
)
def test_another_programs_sqlite_file_is_refused_and_left_untouched(tmp_path, statements, named):
    path = tmp_path / "theirs.db"
    before = other_programs_file(path, *statements)
    names = sqlite_names(path)
    with pytest.raises(StoreError) as raised:
        db.open_engine(f"sqlite:///{path}")
    assert str(raised.value).startswith(f"{path} is not a seatkeeper database: it holds {named}"), raised.value
    assert "no seatkeeper schema (no alembic_version table); name a new or empty file" in str(raised.value)
    assert raised.value.exit_code == 3
    assert sqlite_names(path) == names
    assert path.read_bytes() == before  # not even switched to WAL
    assert not os.path.exists(f"{path}-wal")


def test_an_empty_file_gets_the_schema_in_wal_mode(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    db.open_engine(f"sqlite:///{path}").dispose()
    assert {"alembic_version", "connection", "seat", "sync_run"} <= set(sqlite_names(path))
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()


def test_another_programs_postgresql_database_is_refused_and_left_untouched(postgres_url):
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text("create table seat (id serial primary key, owner text)"))
    with pytest.raises(StoreError) as raised:
        db.open_engine(postgres_url)
    assert "is not a seatkeeper database: it holds seat but no seatkeeper schema" in str(raised.value)
    assert "name a new or empty database (or an empty schema of its own) in the database URL" in str(raised.value)
    assert sa.inspect(engine).get_table_names() == ["seat"]
    engine.dispose()


def test_a_failure_part_way_through_the_postgresql_schema_leaves_nothing(postgres_url):
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        # A type takes the name of the last table the migrations create: creating that table fails, for real.
        connection.execute(sa.text("create type plan_usage as enum ('x')"))
    with pytest.raises(
        StoreError, match='cannot create the schema in the database .*: type "plan_usage" already exists'
    ):
        db.open_engine(postgres_url)
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()


def test_a_schema_of_its_own_in_a_shared_postgresql_database(postgres_url):
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text("create table notes (body text)"))
        connection.execute(sa.text("create schema seatkeeper"))
    url = f"{postgres_url}?options=-csearch_path%3Dseatkeeper"
    db.open_engine(url).dispose()
    db.open_reader(url).dispose()
    assert sa.inspect(engine).get_table_names() == ["notes"]
    assert "alembic_version" in sa.inspect(engine).get_table_names(schema="seatkeeper")
    engine.dispose()
