"""What every command needs: the config, the plugins, and the database, opened once and lazily."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from . import config as config_module
from . import db, paths
from .config import Config, ConnectionConfig
from .errors import ConfigError
from .plugins import Plugins, get_plugins


@dataclass
class App:
    """Per-invocation state shared by the CLI commands."""

    database_url_option: str | None = None
    config_path: Path | None = None
    #: The top-level tables of the config file that other layers read (the composition root names them).
    config_sections: tuple[str, ...] = ()
    plugins: Plugins = field(default_factory=get_plugins)
    _config: Config | None = None
    _engine: Engine | None = None
    _reader: Engine | None = None

    @property
    def config(self) -> Config:
        """The parsed config file (read on first use): a file the user named must exist, and top-level keys that
        neither core nor :attr:`config_sections` knows are errors."""
        if self._config is None:
            path, given_by = paths.config_location(self.config_path)
            self._config = config_module.load_config(path, given_by=given_by, sections=self.config_sections)
        return self._config

    @property
    def database_url(self) -> str:
        """--database-url, else SEATKEEPER_DATABASE_URL, else the config file's, else the SQLite default."""
        return (
            self.database_url_option
            or os.environ.get("SEATKEEPER_DATABASE_URL")
            or self.config.database_url
            or paths.default_database_url()
        )

    @property
    def engine(self) -> Engine:
        """The database for commands that write (sync, demo), opened on first use: a missing SQLite file and
        folder are created, the schema created or upgraded (see :func:`seatkeeper.db.open_engine`)."""
        if self._engine is None:
            self._engine = db.open_engine(self.database_url)
        return self._engine

    @property
    def reader(self) -> Engine:
        """The database for commands that only read (licenses, runs, connections, report), opened on first use.

        Creates nothing and needs no write access; no database there, or another program's, is a StoreError
        naming the fix (see :func:`seatkeeper.db.open_reader`). Once :attr:`engine` is open, it serves reads too.
        """
        if self._engine is not None:
            return self._engine
        if self._reader is None:
            self._reader = db.open_reader(self.database_url)
        return self._reader

    def connections(self) -> dict[str, ConnectionConfig]:
        """Every configured connection by name."""
        return config_module.connections(self.config, self.plugins.providers)

    def select_connections(self, names: list[str]) -> list[ConnectionConfig]:
        """The named connections (all when ``names`` is empty), or a ConfigError listing what exists."""
        available = self.connections()
        if not available:
            raise ConfigError(
                "no connections configured: set a provider's environment variables (see `seatkeeper providers`) "
                f"or add a [connections.NAME] table to {self.config.path}"
            )
        if not names:
            return list(available.values())
        unknown = [name for name in names if name not in available]
        if unknown:
            raise ConfigError(
                f"no connection named {unknown[0]!r}: configured connections are {', '.join(sorted(available))}"
            )
        return [available[name] for name in names]

    def close(self) -> None:
        """Release database connections."""
        for engine in (self._engine, self._reader):
            if engine is not None:
                engine.dispose()
