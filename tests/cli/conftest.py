"""CLI test fixtures: the throwaway plugin as the only plugin, and ``cli_run`` to run commands in-process."""

from __future__ import annotations

import pytest

from seatkeeper import plugins as plugins_module
from seatkeeper.pytest_plugin import CliRunner
from tests.core.conftest import plugins, provider  # noqa: F401 - fixtures shared with the core tests
from tests.throwaway_plugin import SECRET


@pytest.fixture
def cli_run(plugins, monkeypatch, capsys, tmp_path):  # noqa: F811 - the imported fixture
    """``cli_run(*args)``: ``seatkeeper ARGS`` in-process, the throwaway plugin only -> (exit code, stdout, stderr).

    The database is ``tmp_path/cli.db``; the list provider's default connection is configured from its variable.
    """
    monkeypatch.setattr(plugins_module, "_default", plugins)
    monkeypatch.setenv("SEATKEEPER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("LISTPROVIDER_TOKEN", SECRET)
    (tmp_path / "seatkeeper.toml").touch(mode=0o600)  # empty until write_config: a named config file must exist
    monkeypatch.setenv("SEATKEEPER_CONFIG", str(tmp_path / "seatkeeper.toml"))
    return CliRunner(tmp_path / "seatkeeper.toml", capsys)


@pytest.fixture
def write_config(tmp_path, monkeypatch):
    """``write_config(text)``: make ``text`` the config file (mode 600) and return its path."""

    def write(text: str):
        path = tmp_path / "seatkeeper.toml"
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        monkeypatch.setenv("SEATKEEPER_CONFIG", str(path))
        return path

    return write
