"""seatkeeper's pytest plugin (entry point ``pytest11``): fixtures for testing provider plugins.

It only adds fixtures and the ``seatkeeper_contract`` marker; a test suite that uses none of them runs as
before. Everything heavy is imported inside the fixtures, so loading the plugin costs nothing.

- ``seatkeeper_engine``: a migrated SQLite database in the test's tmp_path.
- ``seatkeeper_sync``: ``seatkeeper_sync(provider, settings, connection=..., now=..., allow_empty=...)`` syncs
  through the real engine into ``seatkeeper_engine`` and returns the ``SyncResult``.
- ``seatkeeper_plugins``: an empty plugin manager (installed plugins are not loaded); register yours in it.
- ``seatkeeper_cli``: runs ``seatkeeper ARGS`` in-process with ``seatkeeper_plugins``, an isolated config
  file (``seatkeeper_cli.config_path``) and database; returns ``CliResult(exit_code, stdout, stderr)``.

Tests of :class:`seatkeeper.testing.ProviderContract` subclasses get the ``seatkeeper_contract`` marker, so
``pytest -m seatkeeper_contract`` runs only the contract checks.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker."""
    config.addinivalue_line("markers", "seatkeeper_contract: a check of seatkeeper.testing.ProviderContract")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests inherited from ProviderContract."""
    testing = sys.modules.get("seatkeeper.testing")
    if testing is None:  # nothing imported the contract, so no test can be one
        return
    for item in items:
        cls = getattr(item, "cls", None)
        if cls is not None and issubclass(cls, testing.ProviderContract):
            item.add_marker(pytest.mark.seatkeeper_contract)


@pytest.fixture
def seatkeeper_engine(tmp_path):
    """A fresh, migrated SQLite database (a SQLAlchemy engine), disposed after the test."""
    from seatkeeper.testing import open_database

    engine = open_database(tmp_path / "seatkeeper-test.db")
    yield engine
    engine.dispose()


@pytest.fixture
def seatkeeper_sync(seatkeeper_engine):
    """A function syncing a provider into ``seatkeeper_engine``: ``(provider, settings, **options) -> SyncResult``."""
    from seatkeeper.testing import sync

    def run(provider, settings, **options):
        return sync(seatkeeper_engine, provider, settings, **options)

    return run


@pytest.fixture
def seatkeeper_plugins():
    """An empty plugin manager: ``seatkeeper_plugins.register(my_plugin_module, "myplugin")``."""
    from seatkeeper.plugins import Plugins

    return Plugins()


class CliResult(NamedTuple):
    """What one in-process ``seatkeeper`` command did (unpacks as ``code, out, err``)."""

    exit_code: int
    stdout: str
    stderr: str


class CliRunner:
    """Runs seatkeeper commands in-process; ``config_path`` is the (initially absent) config file they read."""

    def __init__(self, config_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.config_path = config_path
        self._capsys = capsys

    def __call__(self, *args: str) -> CliResult:
        """Run ``seatkeeper *args`` and return its exit code and output."""
        from seatkeeper import cli

        self._capsys.readouterr()  # output printed before the command is not the command's
        code = 0
        try:
            cli.main(list(args))
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
        out, err = self._capsys.readouterr()
        return CliResult(code, out, err)


@pytest.fixture
def seatkeeper_cli(seatkeeper_plugins, monkeypatch, capsys, tmp_path):
    """Run ``seatkeeper`` commands in-process with only ``seatkeeper_plugins``, a temporary config and database."""
    from seatkeeper import plugins as plugins_module

    monkeypatch.setattr(plugins_module, "_default", seatkeeper_plugins)
    config_path = tmp_path / "seatkeeper.toml"
    config_path.touch(mode=0o600)  # empty until a test writes it: a file named by SEATKEEPER_CONFIG must exist
    monkeypatch.setenv("SEATKEEPER_CONFIG", str(config_path))
    monkeypatch.setenv("SEATKEEPER_DATABASE_URL", f"sqlite:///{tmp_path / 'seatkeeper-cli.db'}")
    monkeypatch.setenv("SEATKEEPER_DATA_DIR", str(tmp_path / "seatkeeper-data"))
    return CliRunner(config_path, capsys)
