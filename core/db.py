"""Opening a database: URL checks, engine settings per backend, schema upgrades through Alembic, and the one
translation of database failures into one-line errors (:func:`store_error`).

Two ways in. :func:`open_engine` is for commands that write (sync, demo): it creates a missing SQLite file and
its folder, and creates or upgrades the schema. :func:`open_reader` is for commands that only read (licenses,
runs, connections, report): it never creates a file, a folder or a schema, and needs no write access.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from . import jsontext
from .errors import ConfigError, NoDatabase, StoreError, first_line
from .locks import schema_lock

MIGRATIONS = Path(__file__).parent / "migrations"
URL_HINT = "use e.g. sqlite:////path/to/seatkeeper.db or postgresql+psycopg://user@host:5432/dbname"
NO_DATABASE = "no seatkeeper database at {where}: run `seatkeeper sync` first, or check --database-url"

#: Query parameters of a database URL whose values are secrets (``?password=...``), masked in every message.
_SECRET_PARAMETERS = ("password", "passwd", "secret", "token")


def _secret_parameter(name: str) -> bool:
    return any(word in name.lower() for word in _SECRET_PARAMETERS)


def safe_url(url: str | URL) -> str:
    """The URL with its password masked, in the user part and in the query (``?password=``), for messages."""
    try:
        parsed = _parse(url) if isinstance(url, str) else url
    except (ArgumentError, ValueError):
        return "<unreadable URL>"
    secret = {name: "***" for name in parsed.query if _secret_parameter(name)}
    return parsed.update_query_dict(secret).render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


def redact(text: str, url: str | URL) -> str:
    """``text`` with every secret of ``url`` (its password, in any spelling the URL allows) masked as ``***``."""
    try:
        parsed = _parse(url) if isinstance(url, str) else url
    except (ArgumentError, ValueError):
        return text
    secrets = [parsed.password] if parsed.password else []
    for name, value in parsed.query.items():
        if _secret_parameter(name):
            secrets.extend([value] if isinstance(value, str) else value)
    spellings = {spelling for secret in secrets for spelling in (secret, quote(secret, safe=""), quote_plus(secret))}
    for spelling in sorted(filter(None, spellings), key=len, reverse=True):
        text = text.replace(spelling, "***")
    return text


def _parse(url: str) -> URL:
    parsed = make_url(url)
    if parsed.host and "@" in parsed.host:
        # An unencoded "@" in the password: SQLAlchemy cuts the password at the first "@", so the rest of it would
        # be taken for the host (and shown in "cannot resolve host" messages). A host never holds an "@".
        more, host = parsed.host.rsplit("@", 1)
        parsed = parsed.set(password=f"{parsed.password or ''}@{more}", host=host)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        parsed = parsed.set(database=str(Path(parsed.database).expanduser()))
    return parsed


def parse_url(url: str) -> URL:
    """Parse and check a database URL, or raise a ConfigError saying how to write one (never showing a password)."""
    try:
        parsed = _parse(url)
    except (ArgumentError, ValueError) as error:
        # Nothing after the scheme is shown: an unreadable URL may hold its password anywhere.
        start = f"starting {url.split('://', 1)[0] + '://'!r}" if "://" in url else "no scheme such as sqlite://"
        why = "its port is not a number" if isinstance(error, ValueError) else "it does not read as a URL"
        raise ConfigError(
            f"bad database URL ({start}): {why}; {URL_HINT}; "
            "percent-encode special characters in a password (/ as %2F, : as %3A)"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"unsupported database {parsed.get_backend_name()!r} in the database URL: {URL_HINT}")
    path = _sqlite_path(parsed)
    if path is not None and os.path.isdir(path):  # False, not an error, when a folder is unreadable
        raise ConfigError(f"the database URL points at a directory ({path}): name a file, {URL_HINT}")
    return parsed


def _sqlite_path(parsed: URL) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL and in-memory SQLite."""
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _where(url: str | URL) -> str:
    """How messages name a database: a SQLite file by its path, a server database by its URL (password masked)."""
    try:
        path = _sqlite_path(_parse(url) if isinstance(url, str) else url)
    except (ArgumentError, ValueError):
        path = None
    return str(path) if path is not None else safe_url(url)


def _require_file(parsed: URL) -> None:
    if parsed.get_backend_name() == "sqlite" and _sqlite_path(parsed) is None:
        written = unquote(safe_url(parsed))
        raise ConfigError(
            f"the database URL {written!r} names no file: an in-memory database would be gone when the command "
            f"ends; {URL_HINT}"
        )


BUSY_TIMEOUT_MS = 30_000  # how long a SQLite writer waits for another one before failing


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # busy_timeout makes writers queue, not fail. WAL (which lets `licenses` and reports read while a sync
    # writes) is a setting of the file, switched on once by `upgrade`: switching it here would rewrite the
    # header of any file the URL names, another program's too, before seatkeeper knows whose file it is.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _reader_pragmas(dbapi_connection, _record) -> None:
    # The file is opened read-only (mode=ro): nothing in it can change. Not query_only, which would refuse the
    # temporary tables that reports and dry runs work in, too.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


# JSON columns (seat extras, run notes) take what a plugin built without a round trip through json first.
_json_text = jsontext.Encoder()


#: Database connections an engine keeps, and how many more it may open: each sync holds one for its staging
#: tables while it fetches (and, on PostgreSQL, one for its advisory lock), ``sync --jobs`` runs up to 16 at once,
#: and their runs' short writes come on top.
POOL_SIZE, POOL_OVERFLOW = 20, 20


def create_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite files get their directory created), with backend-specific settings."""
    parsed = parse_url(url)
    try:
        path = _sqlite_path(parsed)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        if parsed.get_backend_name() == "sqlite":
            engine = sa.create_engine(
                parsed, json_serializer=_json_text, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW
            )
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = _server_engine(parsed)
    except OSError as error:
        raise ConfigError(f"cannot create the database directory for {_where(parsed)}: {error.strerror}") from None
    return engine


def _server_engine(parsed: URL) -> Engine:
    try:
        return sa.create_engine(
            parsed, pool_pre_ping=True, json_serializer=_json_text, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW
        )
    except NoSuchModuleError:
        raise ConfigError(f"no driver for {parsed.drivername!r}: {URL_HINT}") from None
    except ModuleNotFoundError as error:
        if error.name != "psycopg":
            raise ConfigError(
                f"the database driver {error.name!r} is not installed; seatkeeper uses psycopg 3: "
                "write postgresql+psycopg://... in the database URL"
            ) from None
        raise ConfigError(
            f"the database driver {error.name!r} is not installed: pip install 'seatkeeper[postgres]'"
        ) from None


def open_engine(url: str) -> Engine:
    """The database for commands that write (sync, demo): a missing SQLite file (and folder) is created, and
    the schema is created or upgraded. Refuses in-memory SQLite and databases of other programs."""
    _require_file(parse_url(url))
    engine = create_engine(url)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def open_reader(url: str) -> Engine:
    """The database for commands that only read (licenses, runs, connections, report).

    Never creates a file, a folder, tables or a schema, and needs no write access to the SQLite file or its
    folder (opened read-only; see :func:`_connect_read_only`). Raises a StoreError when there is no seatkeeper
    database there (missing file, empty file or database, another program's database, a newer schema). A schema
    older than this seatkeeper's is upgraded when this user may write the database, else refused. Database
    failures while reading (locked, damaged, unreadable) surface as one-line StoreErrors.
    """
    parsed = parse_url(url)
    _require_file(parsed)
    path = _sqlite_path(parsed)
    if path is None:
        engine = _server_engine(parsed)
    else:
        _require_existing(path)
        engine = sa.create_engine(
            parsed, creator=functools.partial(_connect_read_only, path), json_serializer=_json_text
        )
        sa.event.listen(engine, "connect", _reader_pragmas)
    sa.event.listen(engine, "handle_error", _reading_error)
    try:
        _require_readable_schema(engine, url)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _require_existing(path: Path) -> None:
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise NoDatabase(NO_DATABASE.format(where=path)) from None
    except OSError as error:
        raise StoreError(
            f"cannot look for the database {path}: {error.strerror}; check that this user may open its folders"
        ) from None


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only SQLite connection to ``path`` that writes nothing beside it when it does not have to.

    A WAL database needs its -shm file, which the first reader creates when it is missing; in a folder this
    user cannot write, that fails. The -shm and -wal files only exist while some connection has the database
    open (or after a crash). Without a -wal file every change is in the main file, so reading it as
    ``immutable`` (no -shm, no locks) reads all of it. The risk: a sync writing while such a read runs may make
    it see part of the sync's changes, or fail with an error; it never changes the data.
    """
    uri = f"file:{quote(str(path))}?mode=ro"
    connect = functools.partial(sqlite3.connect, uri=True, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    connection = connect(uri)
    try:
        connection.execute("select count(*) from sqlite_master").fetchall()  # WAL files are opened lazily
    except sqlite3.OperationalError as error:
        connection.close()
        if getattr(error, "sqlite_errorname", "") != "SQLITE_READONLY_DIRECTORY" or Path(f"{path}-wal").exists():
            raise
        connection = connect(f"{uri}&immutable=1")
    return connection


def _reading_error(context: sa.engine.ExceptionContext) -> None:
    """handle_error listener of readers: failures of the database itself become one-line StoreErrors."""
    error = context.sqlalchemy_exception
    if isinstance(error, sa.exc.OperationalError) or type(error) is sa.exc.DatabaseError:
        raise store_error(context.original_exception, "read", context.engine.url) from None


def _require_readable_schema(engine: Engine, url: str) -> None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        names = [] if current else _schema_objects(connection)
    where = _where(engine.url)
    if current is None:
        raise _not_seatkeeper(engine, names) if names else NoDatabase(NO_DATABASE.format(where=where))
    _require_known(current, engine)
    head = head_revision()
    if current == head:
        return
    try:
        writer = create_engine(url)
        try:
            upgrade(writer)
        finally:
            writer.dispose()
    except StoreError as error:
        raise StoreError(
            f"the database {where} has schema revision {current!r}, older than this seatkeeper's {head!r}, and "
            f"upgrading it failed ({error}): run `seatkeeper sync` once as a user who may write the database"
        ) from None


def _schema_objects(connection: sa.Connection) -> list[str]:
    """Names of the tables, views, indexes and triggers a database already holds (SQLite: all of them)."""
    if connection.dialect.name == "sqlite":
        query = "select name from sqlite_master where name not like 'sqlite_%' order by name"
        return [name for (name,) in connection.exec_driver_sql(query)]
    inspector = sa.inspect(connection)
    return sorted(inspector.get_table_names() + inspector.get_view_names())


def _not_seatkeeper(engine: Engine, names: list[str]) -> StoreError:
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    kind = "file" if engine.dialect.name == "sqlite" else "database (or an empty schema of its own)"
    return StoreError(
        f"{_where(engine.url)} is not a seatkeeper database: it holds {shown} but no seatkeeper schema "
        f"(no alembic_version table); name a new or empty {kind} in the database URL"
    )


def _alembic_config(connection: sa.Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest schema revision this version of seatkeeper knows."""
    from alembic.script import ScriptDirectory

    config = _alembic_config(None)  # type: ignore[arg-type]
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to ``revision`` with Alembic (a no-op when already there).

    All migrations run in one transaction (SQLite's DDL is transactional too), so a failure leaves the schema
    as it was: an empty database stays empty. A database holding other tables but no seatkeeper schema is
    refused, untouched. Processes opening a new or old database at the same time take turns: the second waits
    for the first upgrade, then finds the schema current.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    action = "open"
    try:
        if revision == "head" and _is_current(engine):
            _use_wal(engine)
            return
        with schema_lock(engine):
            with engine.begin() as connection:
                if connection.dialect.name == "sqlite":
                    # pysqlite runs DDL outside any transaction unless one was begun explicitly.
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                current = MigrationContext.configure(connection).get_current_revision()
                if revision == "head" and current == head_revision():
                    return  # another process upgraded it while this one waited
                if current is None and (names := _schema_objects(connection)):
                    raise _not_seatkeeper(engine, names)
                action = "upgrade" if current else "create the schema in"
                command.upgrade(_alembic_config(connection), revision)
            _use_wal(engine)
    except sa.exc.DBAPIError as error:
        raise store_error(error, action, engine.url) from None
    except OSError as error:
        raise StoreError(f"cannot lock the database {_where(engine.url)}: {error.strerror}") from None


@contextmanager
def scratch_connection(engine: Engine) -> Iterator[sa.Connection]:
    """A connection whose temporary tables go with it when the block is left.

    The connection is closed for good (invalidated) instead of going back to the pool: dropping a large
    temporary table frees its pages one by one, closing the connection discards them all at once, and after an
    error no table is left behind on a pooled connection. An in-memory SQLite database lives only as long as
    its connection, so there the transaction is rolled back and the temporary tables are dropped instead.
    """
    with engine.connect() as connection:
        try:
            yield connection
        finally:
            if engine.dialect.name == "sqlite" and _sqlite_path(engine.url) is None:
                _drop_temporary_tables(connection)
            else:
                connection.invalidate()


def _drop_temporary_tables(connection: sa.Connection) -> None:
    try:
        connection.rollback()
        names = connection.exec_driver_sql("SELECT name FROM sqlite_temp_master WHERE type = 'table'").scalars()
        for name in list(names):
            connection.exec_driver_sql(f'DROP TABLE temp."{name}"')
        connection.commit()
    except sa.exc.SQLAlchemyError:
        connection.invalidate()  # in an unknown state, it must not go back to the pool with its tables


def _use_wal(engine: Engine) -> None:
    """Switch a SQLite file to WAL (a setting kept in the file): readers then never wait for a sync."""
    if engine.dialect.name != "sqlite" or _sqlite_path(engine.url) is None:
        return
    with engine.connect() as connection:
        if connection.exec_driver_sql("PRAGMA journal_mode").scalar() != "wal":
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")


def _is_current(engine: Engine) -> bool:
    current = current_revision(engine)
    if current is not None:
        _require_known(current, engine)
    return current == head_revision()


def _require_known(current: str, engine: Engine) -> None:
    if current not in _known_revisions():
        raise StoreError(
            f"the database {_where(engine.url)} has schema revision {current!r}, which this seatkeeper does not "
            "know: a newer seatkeeper wrote it (upgrade seatkeeper: pip install -U seatkeeper), or another program"
        )


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(None))  # type: ignore[arg-type]
    return {revision.revision for revision in script.walk_revisions()}


_FULL = "the disk holding the database is full: free some space, then run again"
_LOCKED = (
    "another program holds the database's lock (an sqlite3 shell, a backup, a stuck seatkeeper): "
    "let it finish or close it, then run again"
)

#: What to do about the usual reasons a database fails, by pieces of the driver's message.
_HINTS = (
    ("connection refused", "is the database server running, and are the host and port in the database URL right?"),
    ("could not translate host name", "check the host name in the database URL"),
    ("failed to resolve host", "check the host name in the database URL"),
    ("timeout expired", "is the database host reachable from here, and are the host and port right?"),
    ("database", "does not exist", "create that database, or fix the database name at the end of the URL"),
    ("role", "does not exist", "check the user name in the database URL"),
    ("password authentication failed", "check the user name and password in the database URL"),
    ("file is not a database", "the URL points at a file that is not a SQLite database: name another file"),
    ("database disk image is malformed", "the database file is damaged: restore it from a backup"),
    ("unable to open database file", "check that its folder exists and that this user may open it"),
    ("readonly database", "this user may not write the database file or its folder: check their permissions"),
    ("read-only transaction", "the server only allows reading (a standby?): point the URL at the primary"),
    ("database or disk is full", _FULL),
    ("no space left on device", _FULL),
    ("database is locked", _LOCKED),
    ("database table is locked", _LOCKED),
    ("disk i/o error", "the disk or file system holding the database reported an error: check it"),
    ("permission denied", "the database user lacks a privilege seatkeeper needs: grant it, or use another user"),
)


def store_error(error: BaseException, action: str, url: str | URL) -> StoreError:
    """The one-line StoreError (exit 3) for ``error``, met while trying to ``action`` the database at ``url``.

    ``error`` is a SQLAlchemy error, the driver's own (sqlite3, psycopg) or an OSError (a lock file, a folder);
    ``action`` a verb: "open", "read", "write to", "upgrade". The message names the database (a SQLite file by
    its path, a server by its URL), says what failed and what to do, and never holds the URL's password, e.g.
    ``cannot write to the database /srv/sk.db: database or disk is full; the disk holding ... free some space``.
    """
    return StoreError(redact(f"cannot {action} the database {_where(url)}: {_explain(error)}", url))


def _explain(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error  # a SQLAlchemy error wraps the driver's
    if isinstance(original, OSError) and original.strerror:
        where = f" ({original.filename})" if original.filename else ""
        return f"{original.strerror}{where}; check the permissions of that path and the space on its disk"
    message = first_line(original)
    lowered = str(original).lower()
    for *needles, hint in _HINTS:
        if all(needle in lowered for needle in needles):
            return f"{message}; {hint}"
    return message


def empty_database() -> Engine:
    """A private in-memory database with seatkeeper's schema and no history (what a dry run reads before any
    sync: everything it lists would be added)."""
    from sqlalchemy.pool import StaticPool

    from .models import metadata

    engine = sa.create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    metadata.create_all(engine)
    return engine
