"""Opening a database: URL checks, engine settings per backend, and schema upgrades through Alembic."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from .errors import ConfigError, StoreError

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


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets `licenses` and reports read while a sync writes; busy_timeout makes writers queue, not fail.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str) -> Engine:
    """An engine for ``url`` (SQLite files get their directory created), with backend-specific settings."""
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(parsed)
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = sa.create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError:
        raise ConfigError(f"no driver for {parsed.drivername!r}: {URL_HINT}") from None
    except ModuleNotFoundError as error:
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
    """Bring the database schema up to ``revision`` with Alembic (a no-op when already there)."""
    from alembic import command

    try:
        if revision == "head" and current_revision(engine) == head_revision():
            return
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), revision)
    except OperationalError as error:
        raise StoreError(f"cannot open the database {safe_url(engine.url)}: {_first_line(error.orig)}") from None
    except sa.exc.DBAPIError as error:
        raise StoreError(f"cannot upgrade the database {safe_url(engine.url)}: {_first_line(error.orig)}") from None


def _first_line(error: BaseException | None) -> str:
    return str(error).strip().splitlines()[0] if error and str(error).strip() else type(error).__name__


def open_engine(url: str) -> Engine:
    """Create the engine for ``url`` and make sure its schema is current."""
    engine = create_engine(url)
    upgrade(engine)
    return engine
