"""Running the real ``seatkeeper`` command against a test Zoom server: in-process, or as a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from seatkeeper import cli, hookimpl
from seatkeeper import plugins as plugins_module
from seatkeeper.plugins import Plugins
from seatkeeper_zoom import ZoomProvider
from tests.zoom_server import SeededZoom

REPO = Path(__file__).resolve().parents[2]


def zoom_environment(zoom: SeededZoom, database_url: str) -> dict[str, str]:
    """The variables that define the default ``zoom`` connection on ``zoom``, and the database."""
    settings = zoom.settings()
    return {
        "ZOOM_ACCOUNT_ID": settings["account_id"],
        "ZOOM_CLIENT_ID": settings["client_id"],
        "ZOOM_CLIENT_SECRET": settings["client_secret"],
        "ZOOM_API_URL": settings["api_url"],
        "ZOOM_OAUTH_URL": settings["oauth_url"],
        "SEATKEEPER_DATABASE_URL": database_url,
    }


@dataclass
class Outcome:
    """What one command did."""

    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run_cli(monkeypatch, capsys, provider: ZoomProvider, *args: str) -> Outcome:
    """``seatkeeper ARGS`` in-process with ``provider`` as the only plugin."""
    plugins = Plugins()
    plugins.register(ZoomOnly(provider), "zoom")
    monkeypatch.setattr(plugins_module, "_default", plugins)
    code = 0
    try:
        cli.main(list(args))
    except SystemExit as exit:
        code = exit.code or 0
    out, err = capsys.readouterr()
    return Outcome(code, out, err)


class ZoomOnly:
    """A plugin offering one given ZoomProvider instance (tuned for tests) under the name ``zoom``."""

    def __init__(self, provider: ZoomProvider) -> None:
        self.provider = provider

    @hookimpl
    def register_providers(self, register):
        register(self.provider)


def child_environment(extra: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A clean environment for a ``seatkeeper`` child process: no user config, this repo importable."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("SEATKEEPER_", "ZOOM_"))}
    (tmp_path / "no-config.toml").touch(mode=0o600)  # a file named by SEATKEEPER_CONFIG must exist
    environment.update(
        SEATKEEPER_CONFIG=str(tmp_path / "no-config.toml"),
        SEATKEEPER_DATA_DIR=str(tmp_path / "data"),
        PYTHONPATH=str(REPO),
        **extra,
    )
    return environment


def start_child(args: list[str], environment: dict[str, str]) -> subprocess.Popen:
    """Start ``python -m seatkeeper ARGS`` (or a test child module) with text pipes."""
    return subprocess.Popen(
        [sys.executable, *args],
        env=environment,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
