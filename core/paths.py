"""Where seatkeeper keeps its files by default (platformdirs), overridable by environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

APP = "seatkeeper"
#: The environment variable naming the config file.
CONFIG_ENV = "SEATKEEPER_CONFIG"


def data_dir() -> Path:
    """Directory for the default database and reports: ``SEATKEEPER_DATA_DIR`` or the user data dir."""
    override = os.environ.get("SEATKEEPER_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_path() -> Path:
    """The config file: ``SEATKEEPER_CONFIG`` or ``seatkeeper.toml`` in the user config dir."""
    return config_location()[0]


def config_location(option: Path | None = None, environ: Mapping[str, str] | None = None) -> tuple[Path, str | None]:
    """The config file to read and what named it: ``(path, "--config" | "SEATKEEPER_CONFIG" | None)``.

    ``option`` is the ``--config`` value. ``None`` as the second item means the default location, which
    may be missing; a file the user named must exist (``config.load_config(path, given_by=...)`` checks).
    """
    if option is not None:
        return Path(option), "--config"
    override = (os.environ if environ is None else environ).get(CONFIG_ENV)
    if override:
        return Path(override), CONFIG_ENV
    return default_config_path(), None


def default_config_path() -> Path:
    """``seatkeeper.toml`` in the user config dir (``~/.config/seatkeeper/`` on Linux)."""
    return Path(platformdirs.user_config_dir(APP, appauthor=False)) / "seatkeeper.toml"


def default_database_url() -> str:
    """The embedded default: a SQLite file in the data dir."""
    return f"sqlite:///{data_dir() / 'seatkeeper.db'}"
