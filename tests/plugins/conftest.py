"""Fixtures for plugin-system tests: fake installed plugins, and the CLI run with entry-point loading."""

from __future__ import annotations

import os

import pytest

from seatkeeper import plugins as plugins_module
from seatkeeper.pytest_plugin import CliRunner

from .fake_dists import FakeSite


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    """A folder on sys.path to install fake plugin distributions into (their modules are forgotten after)."""
    site = FakeSite(tmp_path / "site", monkeypatch)
    yield site
    site.forget_modules()


@pytest.fixture
def run_cli(monkeypatch, capsys, tmp_path):
    """Run ``seatkeeper ARGS`` in-process, loading plugins from entry points as the real command does.

    Returns (exit code, stdout, stderr). The process-wide plugin manager is rebuilt for the test, so the
    environment's SEATKEEPER_LOAD_PLUGINS / SEATKEEPER_BLOCK_PLUGINS apply.
    """
    monkeypatch.setattr(plugins_module, "_default", None)
    monkeypatch.setenv("SEATKEEPER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    return CliRunner(tmp_path / "no-config.toml", capsys)


def write_config(tmp_path, monkeypatch, text: str):
    """Write ``text`` as the config file (mode 600) and point SEATKEEPER_CONFIG at it."""
    path = tmp_path / "seatkeeper.toml"
    path.write_text(text)
    os.chmod(path, 0o600)
    monkeypatch.setenv("SEATKEEPER_CONFIG", str(path))
    return path
