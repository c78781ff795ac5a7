"""Opening a database: URL checks, engine settings per backend, and schema upgrades through Alembic."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from . import jsontext
from .errors import ConfigError, StoreError
from .locks import schema_lock

MIGRATIONS = Path(__file__).parent / "migrations"
URL_HINT = "use e.g. sqlite:////path/to/seatkeeper.db or postgresql+psycopg://user@host:5432/dbname"


def safe_url(url: str | URL) -> str:
    """The URL with any password masked, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unreadable URL>"


def parse_url(url: str) -> URL:
    """Parse and check a database URL, or raise a ConfigError saying how to write one."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ConfigError(f"bad database URL {url.split('@')[-1]!r}: {URL_HINT}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(f"unsupported database {parsed.get_backend_name()!r} in the database URL: {URL_HINT}")
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        if path.is_dir():
            raise ConfigError(f"the database URL points at a directory ({path}): name a file, {URL_HINT}")
    return parsed


BUSY_TIMEOUT_MS = 30_000  # how long a SQLite writer waits for another one before failing


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets `licenses` and reports read while a sync writes; busy_timeout makes writers queue, not fail.
    cursor = dbapi_connection.cursor()
    # First: switching to WAL needs a lock another process may hold.
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# JSON columns (seat extras, run notes) take what a plugin built without a round trip through json first.
_json_text = jsontext.Encoder()


def create_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite files get their directory created), with backend-specific settings."""
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(parsed, json_serializer=_json_text)
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = sa.create_engine(parsed, pool_pre_ping=True, json_serializer=_json_text)
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
    except OSError as error:
        raise ConfigError(f"cannot create the database directory for {safe_url(url)}: {error.strerror}") from None
    return engine


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

    Processes opening a new or old database at the same time take turns: the second waits for the first
    upgrade, then finds the schema current.
    """
    from alembic import command

    try:
        # The lock comes before the first connection: on a new SQLite file, connections switching it to WAL at
        # the same moment fail at once ("database is locked") instead of waiting.
        with schema_lock(engine):
            if revision == "head" and _is_current(engine):
                return
            with engine.begin() as connection:
                command.upgrade(_alembic_config(connection), revision)
    except OperationalError as error:
        raise StoreError(f"cannot open the database {safe_url(engine.url)}: {_explain(error.orig)}") from None
    except sa.exc.DBAPIError as error:
        raise StoreError(f"cannot upgrade the database {safe_url(engine.url)}: {_explain(error.orig)}") from None
    except OSError as error:
        raise StoreError(f"cannot lock the database {safe_url(engine.url)}: {error.strerror}") from None


def _is_current(engine: Engine) -> bool:
    current = current_revision(engine)
    if current is not None and current not in _known_revisions():
        raise StoreError(
            f"the database {safe_url(engine.url)} has schema revision {current!r}, which this seatkeeper does not "
            "know: a newer seatkeeper wrote it; upgrade seatkeeper (pip install -U seatkeeper)"
        )
    return current == head_revision()


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(None))  # type: ignore[arg-type]
    return {revision.revision for revision in script.walk_revisions()}


#: What to do about the usual reasons a database cannot be opened, by a piece of the driver's message.
_HINTS = (
    ("connection refused", "is the database server running, and are the host and port in the database URL right?"),
    ("could not translate host name", "check the host name in the database URL"),
    ("timeout expired", "is the database host reachable from here, and are the host and port right?"),
    ("database", "does not exist", "create that database, or fix the database name at the end of the URL"),
    ("role", "does not exist", "check the user name in the database URL"),
    ("password authentication failed", "check the user name and password in the database URL"),
    ("file is not a database", "the URL points at a file that is not a SQLite database: name another file"),
    ("unable to open database file", "check that the directory exists and is writable"),
    ("readonly database", "the database file is read-only: check its permissions"),
)


def _explain(error: BaseException | None) -> str:
    message = _first_line(error)
    lowered = str(error).lower()
    for *needles, hint in _HINTS:
        if all(needle in lowered for needle in needles):
            return f"{message}; {hint}"
    return message


def _first_line(error: BaseException | None) -> str:
    return str(error).strip().splitlines()[0] if error and str(error).strip() else type(error).__name__


def open_engine(url: str) -> Engine:
    """Create the engine for ``url`` and make sure its schema is current."""
    engine = create_engine(url)
    upgrade(engine)
    return engine
