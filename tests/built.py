"""Databases built once per test session and copied into each test's own fresh database.

The report tests' synthetic companies are synced month by month through the real providers and the real sync
engine, which takes seconds; the tests only read what was synced. So the first test of a session that needs a
company builds it into its own database, which is then kept (SQLite: ``VACUUM INTO`` a file; PostgreSQL: a
schema of the session's database), and every later test gets the same rows copied into its fresh, migrated
database with ``INSERT ... SELECT``: a database of its own, as if the syncs had run in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Table, inspect
from sqlalchemy.engine import Connection, Engine


class BuiltDatabases:
    """What each builder wrote, kept per database kind (see the module docstring)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._kept: set[tuple[str, str]] = set()

    def fill(self, engine: Engine, key: str, build: Callable[[Engine], object]) -> Engine:
        """Give ``engine``'s fresh, migrated database what ``build`` writes: built once, copied after.

        ``key`` names what ``build`` writes, per database kind: every caller with the same key must build the
        same rows (a builder's files may go in the first caller's folder; the copies never read them).
        """
        if not re.fullmatch(r"[a-z0-9_]+", key):
            raise ValueError(f"a built database's key is lower-case letters, digits and _: {key!r}")
        kept = (engine.dialect.name, key)
        with engine.connect() as connection:
            if _rows(connection):
                raise ValueError("BuiltDatabases.fill needs an empty database")
        if kept in self._kept:
            _copy(engine, self._source(engine, key))
        else:
            build(engine)
            _keep(engine, self._source(engine, key))
            self._kept.add(kept)
        return engine

    def _source(self, engine: Engine, key: str) -> str:
        if engine.dialect.name == "sqlite":
            return str(self.folder / f"{key}.db")
        return f"built_{key}"


def _tables() -> list[Table]:
    """seatkeeper's tables, each after the tables it refers to (alembic_version stays as migrated)."""
    from seatkeeper.models import metadata

    return list(metadata.sorted_tables)


def _rows(connection: Connection) -> int:
    return sum(connection.exec_driver_sql(f"select count(*) from {table.name}").scalar() for table in _tables())


def _keep(engine: Engine, source: str) -> None:
    stored = set(inspect(engine).get_table_names()) - {"alembic_version"}
    if stored != {table.name for table in _tables()}:
        raise AssertionError(f"the migrated tables are not the models' tables: {sorted(stored)}")
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(f"VACUUM INTO '{source}'")
            return
        with connection.begin():
            connection.exec_driver_sql(f"create schema {source}")
            for table in _tables():
                connection.exec_driver_sql(f"create table {source}.{table.name} as select * from public.{table.name}")


def _copy(engine: Engine, source: str) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(f"ATTACH DATABASE '{source}' AS built")
            connection.commit()  # ATTACH cannot be undone by a rollback, and the copy begins its own
            source = "built"
        try:
            with connection.begin():
                for table in _tables():
                    name = table.name
                    connection.exec_driver_sql(f"insert into {name} select * from {source}.{name}")
                    if engine.dialect.name == "postgresql" and "id" in table.c:
                        # Copied ids do not move the id sequence; a later insert must not reuse them.
                        connection.exec_driver_sql(
                            f"select setval(pg_get_serial_sequence('{name}', 'id'), coalesce(max(id), 0) + 1, false)"
                            f" from {name}"
                        )
        finally:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("DETACH DATABASE built")
