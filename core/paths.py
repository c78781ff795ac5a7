"""Where seatkeeper keeps its files by default (platformdirs), overridable by environment variables."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "seatkeeper"


def data_dir() -> Path:
    """Directory for the default database and reports: ``SEATKEEPER_DATA_DIR`` or the user data dir."""
    override = os.environ.get("SEATKEEPER_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_path() -> Path:
    """The config file: ``SEATKEEPER_CONFIG`` or ``seatkeeper.toml`` in the user config dir."""
    override = os.environ.get("SEATKEEPER_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP, appauthor=False)) / "seatkeeper.toml"


def default_database_url() -> str:
    """The embedded default: a SQLite file in the data dir."""
    return f"sqlite:///{data_dir() / 'seatkeeper.db'}"
