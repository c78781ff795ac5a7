"""Opening the database for read-only commands (``db.open_reader``, ``App.reader``): it creates nothing, refuses
what is not a seatkeeper database with a line naming the fix, and reads without write access."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
import sqlalchemy as sa

from seatkeeper import db, queries
from seatkeeper.app import App
from seatkeeper.errors import StoreError

from .conftest import EMAILS, run_bound_by_permissions, seed, sqlite_names


def test_a_missing_file_is_refused_and_nothing_is_created(tmp_path):
    path = tmp_path / "typo" / "deeper" / "seatkeeper.db"
    with pytest.raises(StoreError) as raised:
        db.open_reader(f"sqlite:///{path}")
    assert str(raised.value) == (
        f"no seatkeeper database at {path}: run `seatkeeper sync` first, or check --database-url"
    )
    assert raised.value.exit_code == 3
    assert not (tmp_path / "typo").exists()


def test_app_reader_refuses_a_missing_default_database_without_creating_the_data_dir(tmp_path):
    app = App()  # SEATKEEPER_DATA_DIR is tmp_path/data (tests/conftest.py), which does not exist
    with pytest.raises(StoreError, match="no seatkeeper database at .*seatkeeper.db: run `seatkeeper sync` first"):
        _ = app.reader
    assert not (tmp_path / "data").exists()


def test_an_empty_file_is_no_database_and_stays_empty(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(StoreError, match="no seatkeeper database at .*empty.db: run `seatkeeper sync` first"):
        db.open_reader(f"sqlite:///{path}")
    assert path.stat().st_size == 0
    assert sorted(os.listdir(tmp_path)) == ["empty.db"]


def test_another_programs_database_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.db"
    other = sqlite3.connect(path)
    other.execute("create table notes (body text)")
    other.commit()
    other.close()
    before = path.read_bytes()
    with pytest.raises(StoreError) as raised:
        db.open_reader(f"sqlite:///{path}")
    assert str(raised.value).startswith(f"{path} is not a seatkeeper database: it holds notes but no seatkeeper")
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["notes.db"]


def test_the_reader_reads_what_sync_wrote_and_writes_nothing(seeded):
    engine = db.open_reader(f"sqlite:///{seeded}")
    try:
        assert sorted(seat["email"] for seat in queries.seats(engine)) == EMAILS
        assert [run["outcome"] for run in queries.recent_runs(engine)] == ["succeeded"]
        with pytest.raises(StoreError, match="attempt to write a readonly database"), engine.begin() as connection:
            connection.execute(sa.text("delete from seat"))
    finally:
        engine.dispose()
    assert len(queries.seats(db.open_reader(f"sqlite:///{seeded}"))) == 2


def test_the_reader_reads_a_postgresql_database(postgres_url):
    seed(postgres_url)
    engine = db.open_reader(postgres_url)
    assert sorted(seat["email"] for seat in queries.seats(engine)) == EMAILS
    engine.dispose()


def test_an_empty_postgresql_database_is_no_database_and_stays_empty(postgres_url):
    with pytest.raises(StoreError, match="no seatkeeper database at postgresql.*: run `seatkeeper sync` first"):
        db.open_reader(postgres_url)
    engine = sa.create_engine(postgres_url)
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()


def test_an_older_schema_is_upgraded_when_the_reader_may_write(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = db.create_engine(url)
    db.upgrade(engine, "0001")
    engine.dispose()
    reader = db.open_reader(url)
    assert db.current_revision(reader) == db.head_revision()
    assert queries.plans(reader) == []  # a table of the newer schema
    reader.dispose()


# ---- without write access (a child process that file permissions bind) ------------------------------------


def read_only(*paths) -> None:
    for path in paths:
        os.chmod(path, 0o555 if path.is_dir() else 0o444)


def test_reading_without_write_access_to_the_file_or_its_folder(seeded):
    folder = seeded.parent
    before = sorted(os.listdir(folder))
    read_only(seeded, folder)
    try:
        child = run_bound_by_permissions(f"sqlite:///{seeded}")
        assert child.returncode == 0, child.stderr
        assert json.loads(child.stdout) == EMAILS
        # The permissions really bind the child: writing is refused, as one line, exit 3.
        child = run_bound_by_permissions(f"sqlite:///{seeded}", "write")
        assert child.returncode == 3, child.stderr
        assert len(child.stderr.strip().splitlines()) == 1, child.stderr
        assert "Traceback" not in child.stderr
    finally:
        os.chmod(folder, 0o755)
    assert sorted(os.listdir(folder)) == before


def test_reading_without_write_access_while_a_writer_holds_changes_in_the_wal(seeded):
    folder = seeded.parent
    writer = sqlite3.connect(seeded)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")  # the new row stays in the -wal file only
        writer.execute("update seat set email = 'changed@example.com' where email = 'bo@example.com'")
        writer.commit()
        assert os.path.getsize(f"{seeded}-wal") > 0
        read_only(seeded, folder)
        child = run_bound_by_permissions(f"sqlite:///{seeded}")
        assert child.returncode == 0, child.stderr
        assert json.loads(child.stdout) == ["ana@example.com", "changed@example.com"]
    finally:
        os.chmod(folder, 0o755)
        writer.close()


def test_an_older_schema_without_write_access_is_refused_saying_how_to_upgrade(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    path = folder / "old.db"
    engine = db.create_engine(f"sqlite:///{path}")
    db.upgrade(engine, "0001")
    engine.dispose()
    read_only(path, folder)
    try:
        child = run_bound_by_permissions(f"sqlite:///{path}")
    finally:
        os.chmod(folder, 0o755)
    assert child.returncode == 3, child.stderr
    assert len(child.stderr.strip().splitlines()) == 1, child.stderr
    assert f"the database {path} has schema revision '0001', older than this seatkeeper's" in child.stderr
    assert "run `seatkeeper sync` once as a user who may write the database" in child.stderr
    assert sqlite_names(path).count("plan_usage") == 0


def test_an_unreadable_folder_is_named(seeded):
    folder = seeded.parent
    os.chmod(folder, 0o000)
    try:
        child = run_bound_by_permissions(f"sqlite:///{seeded}")
    finally:
        os.chmod(folder, 0o755)
    assert child.returncode == 3, child.stderr
    assert child.stderr.strip() == (
        f"StoreError: cannot look for the database {seeded}: Permission denied; "
        "check that this user may open its folders"
    )
