"""A generic provider for the config tests (core must work over any provider's settings), and a file writer."""

from __future__ import annotations

import os
from pathlib import Path

from seatkeeper import Provider, Setting

SECRET = "config-test-secret-do-not-leak"


class PairProvider(Provider):
    """Two required settings from environment variables (one a secret), an optional flag, an optional URL."""

    name = "pair"
    settings = (
        Setting("account", "Account name", env="PAIR_ACCOUNT"),
        Setting("token", "API token", secret=True, env="PAIR_TOKEN"),
        Setting("verbose", "true or false", required=False, env="PAIR_VERBOSE"),
        Setting("api_url", "API base URL", required=False, env="PAIR_API_URL", default="https://pair.example"),
    )

    def authenticate(self, settings):  # the config tests never sync
        raise NotImplementedError

    def fetch(self, session, context):
        raise NotImplementedError


class FileProvider(Provider):
    """A provider without environment variables: it never has a default connection."""

    name = "file"
    settings = (Setting("path", "the file"),)

    def authenticate(self, settings):
        raise NotImplementedError

    def fetch(self, session, context):
        raise NotImplementedError


PROVIDERS = {"pair": PairProvider(), "file": FileProvider()}


def write(directory: Path, text: str, mode: int = 0o600, name: str = "seatkeeper.toml") -> Path:
    """Write a config file with ``mode`` and return its path."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path
