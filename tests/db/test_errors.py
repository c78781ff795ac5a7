"""Database failures become one line naming the fix (exit 3), through ``db.store_error``: a full disk, a damaged
or foreign file, another program holding SQLite's lock past the busy timeout, no write access."""

from __future__ import annotations

import os
import sqlite3

import pytest
import sqlalchemy as sa

from seatkeeper import db, queries
from seatkeeper.errors import StoreError

from .conftest import run_bound_by_permissions, sqlite_names


def one_line(error: BaseException) -> str:
    message = str(error)
    assert len(message.splitlines()) == 1, message
    return message


def test_a_full_disk_while_creating_the_schema_says_so_and_leaves_no_table(tmp_path):
    path = tmp_path / "full.db"
    engine = db.create_engine(f"sqlite:///{path}")
    # A real "database or disk is full": SQLite refuses to grow the file past this many pages.
    sa.event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA max_page_count=6"))
    with pytest.raises(StoreError) as raised:
        db.upgrade(engine)
    engine.dispose()
    assert one_line(raised.value) == (
        f"cannot create the schema in the database {path}: database or disk is full; "
        "the disk holding the database is full: free some space, then run again"
    )
    assert sqlite_names(path) == []
    db.open_engine(f"sqlite:///{path}").dispose()  # with room again, the schema is created from scratch
    assert "alembic_version" in sqlite_names(path)


def test_another_program_holding_the_lock_past_the_busy_timeout(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    engine = db.create_engine(f"sqlite:///{path}")
    db.upgrade(engine, "0001")  # opening it must upgrade, that is write
    engine.dispose()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    try:
        with pytest.raises(StoreError) as raised:
            db.open_engine(f"sqlite:///{path}")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert one_line(raised.value) == (
        f"cannot open the database {path}: database is locked; another program holds the database's lock (an "
        "sqlite3 shell, a backup, a stuck seatkeeper): let it finish or close it, then run again"
    )
    assert raised.value.exit_code == 3


def test_a_reader_locked_out_by_an_exclusive_holder(seeded, monkeypatch):
    reader = db.open_reader(f"sqlite:///{seeded}")
    reader.dispose()  # its pooled connection would keep the holder from its exclusive lock
    holder = sqlite3.connect(seeded, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")  # keeps even readers out, unlike a WAL writer
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("update seat set name = 'x'")
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 50)
    try:
        with pytest.raises(StoreError) as raised:
            queries.seats(reader)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        reader.dispose()
    assert one_line(raised.value).startswith(
        f"cannot read the database {seeded}: database is locked; another program holds the database's lock"
    )


def test_a_damaged_file(seeded):
    data = bytearray(seeded.read_bytes())
    page = 4096
    data[2 * page : len(data)] = b"\xff" * (len(data) - 2 * page)  # every page but the schema's
    seeded.write_bytes(bytes(data))
    with pytest.raises(StoreError) as raised:
        queries.seats(db.open_reader(f"sqlite:///{seeded}"))
    assert one_line(raised.value).startswith(f"cannot read the database {seeded}: ")
    assert "database disk image is malformed; the database file is damaged: restore it from a backup" in str(
        raised.value
    )


@pytest.mark.parametrize("opener", [db.open_reader, db.open_engine], ids=["reader", "writer"])
def test_a_file_that_is_not_a_database_is_left_as_it_was(tmp_path, opener):
    path = tmp_path / "notes.db"
    path.write_bytes(b"my notes, not a database\n" * 200)
    before = path.read_bytes()
    with pytest.raises(StoreError) as raised:
        opener(f"sqlite:///{path}")
    assert one_line(raised.value).endswith(
        f"the database {path}: file is not a database; the URL points at a file that is not a SQLite database: "
        "name another file"
    )
    assert path.read_bytes() == before


def test_store_error_translates_a_real_read_only_error(seeded):
    url = f"sqlite:///{seeded}"
    connection = sqlite3.connect(f"file:{seeded}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as raised:
        connection.execute("delete from seat")
    connection.close()
    error = db.store_error(raised.value, "write to", url)
    assert isinstance(error, StoreError) and error.exit_code == 3
    assert str(error) == (
        f"cannot write to the database {seeded}: attempt to write a readonly database; "
        "this user may not write the database file or its folder: check their permissions"
    )


def test_store_error_translates_an_os_error(tmp_path):
    with pytest.raises(OSError) as raised:
        (tmp_path / "missing" / "x.lock").open("a+")
    error = db.store_error(raised.value, "lock", f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    assert str(error) == (
        f"cannot lock the database {tmp_path / 'missing' / 'x.db'}: No such file or directory "
        f"({tmp_path / 'missing' / 'x.lock'}); check the permissions of that path and the space on its disk"
    )


def test_writing_to_a_read_only_file_and_folder(tmp_path):
    old = tmp_path / "ro" / "old.db"
    old.parent.mkdir()
    engine = db.create_engine(f"sqlite:///{old}")
    db.upgrade(engine, "0001")
    engine.dispose()
    os.chmod(old, 0o444)
    os.chmod(old.parent, 0o555)
    try:
        upgrading = run_bound_by_permissions(f"sqlite:///{old}", "write")  # needs the schema upgraded
        creating = run_bound_by_permissions(f"sqlite:///{old.parent / 'new.db'}", "write")
    finally:
        os.chmod(old.parent, 0o755)
    for child in (upgrading, creating):
        assert child.returncode == 3, child.stderr
        assert len(child.stderr.strip().splitlines()) == 1 and "Traceback" not in child.stderr, child.stderr
    assert upgrading.stderr.strip() == (
        f"StoreError: cannot open the database {old}: attempt to write a readonly database; this user may not "
        "write the database file or its folder: check their permissions"
    )
    assert creating.stderr.startswith(
        f"StoreError: cannot open the database {old.parent / 'new.db'}: unable to open database file; check that "
        "its folder exists and that this user may open it"
    )


def test_an_unreadable_data_folder_for_the_writer(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, 0o000)
    try:
        child = run_bound_by_permissions("app-engine", environment={"SEATKEEPER_DATA_DIR": str(data)})
    finally:
        os.chmod(data, 0o755)
    assert child.returncode == 3, child.stderr
    assert len(child.stderr.strip().splitlines()) == 1 and "Traceback" not in child.stderr, child.stderr
    assert f"the database {data / 'seatkeeper.db'}: unable to open database file; check that its folder" in child.stderr
