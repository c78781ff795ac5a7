"""Configuration: the TOML file, environment variables, and resolving a connection's settings.

The file (``SEATKEEPER_CONFIG``, default ``seatkeeper.toml`` in the user config dir) may hold::

    database_url = "postgresql+psycopg://seatkeeper@db.example.com/seatkeeper"

    [connections.zoom-emea]
    provider = "zoom"
    account_id = "AbC123"
    client_id = "xyz"
    client_secret_env = "ZOOM_EMEA_CLIENT_SECRET"   # secrets are read from the variable named here

Besides the file, a provider's settings with an ``env`` variable define a default connection named after the
provider (e.g. ``ZOOM_ACCOUNT_ID``/``ZOOM_CLIENT_ID``/``ZOOM_CLIENT_SECRET`` define ``zoom``). Other tables
(``[prices]``, ``[reports]`` ...) belong to the layers that read them and are kept in ``Config.raw``.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import paths
from .errors import ConfigError
from .provider import Provider

ENV_SUFFIX = "_env"


@dataclass(frozen=True)
class ConnectionConfig:
    """A named connection: which provider, and the raw values the config file gave it."""

    name: str
    provider: str
    values: Mapping[str, Any] = field(default_factory=dict)
    from_environment: bool = False


@dataclass
class Config:
    """The parsed configuration file (empty when there is none)."""

    path: Path
    raw: dict[str, Any] = field(default_factory=dict)
    connections: dict[str, ConnectionConfig] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def database_url(self) -> str | None:
        """The ``database_url`` key of the file, if set."""
        value = self.raw.get("database_url")
        return str(value) if value else None


def load_config(path: Path | None = None) -> Config:
    """Read and check the config file; a missing file is an empty config."""
    path = path or paths.config_path()
    config = Config(path=path)
    if not path.exists():
        return config
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {getattr(error, 'strerror', None) or error}") from None
    try:
        config.raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    connections = config.raw.get("connections", {})
    if not isinstance(connections, dict):
        raise ConfigError(f"config file {path}: 'connections' must be a table, e.g. [connections.zoom]")
    for name, values in connections.items():
        if not isinstance(values, dict):
            raise ConfigError(f"config file {path}: connection {name!r} must be a table: [connections.{name}]")
        provider = values.get("provider", name)
        if not isinstance(provider, str) or not provider:
            raise ConfigError(f'config file {path}: connection {name!r} needs provider = "<provider name>"')
        config.connections[name] = ConnectionConfig(
            name, provider, {k: v for k, v in values.items() if k != "provider"}
        )
    return config


def connections(config: Config, providers: Mapping[str, Provider], environ: Mapping[str, str] | None = None):
    """All connections: those of the config file, plus a default one per provider whose env vars are set."""
    environ = os.environ if environ is None else environ
    result = dict(config.connections)
    for provider in providers.values():
        if provider.name in result:
            continue
        required_envs = [s.env for s in provider.settings if s.required and s.env]
        if required_envs and any(environ.get(name) for name in required_envs):
            result[provider.name] = ConnectionConfig(provider.name, provider.name, {}, from_environment=True)
    return result


def resolve_settings(
    connection: ConnectionConfig,
    provider: Provider,
    config: Config,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The connection's settings, each from the file, a named env var, the provider's env var, or its default.

    Raises ConfigError naming the first missing or unknown setting. Warns (``config.warnings``) when a secret is
    written in a config file that other users can read.
    """
    environ = os.environ if environ is None else environ
    known = {setting.name for setting in provider.settings}
    for key in connection.values:
        base = key[: -len(ENV_SUFFIX)] if key.endswith(ENV_SUFFIX) else key
        if base not in known:
            names = ", ".join(sorted(known)) or "none"
            raise ConfigError(
                f"connection {connection.name!r} in {config.path}: unknown setting {key!r} "
                f"for provider {provider.name!r} (settings: {names})"
            )
    resolved: dict[str, str] = {}
    for setting in provider.settings:
        value = _setting_value(connection, setting, config, environ)
        if value is None or value == "":
            if setting.required:
                raise ConfigError(_missing_message(connection, setting, config))
            continue
        resolved[setting.name] = value
    return resolved


def _setting_value(connection, setting, config, environ) -> str | None:
    values = connection.values
    if f"{setting.name}{ENV_SUFFIX}" in values:
        variable = str(values[f"{setting.name}{ENV_SUFFIX}"])
        value = environ.get(variable)
        if not value:
            raise ConfigError(
                f"connection {connection.name!r}: environment variable {variable} ({setting.name}) is not set or empty"
            )
        return value.strip()
    if setting.name in values:
        value = values[setting.name]
        if isinstance(value, bool):  # TOML's true/false for a flag such as fetch_addons
            return "true" if value else "false"
        if not isinstance(value, str | int | float):
            raise ConfigError(f"connection {connection.name!r} in {config.path}: {setting.name} must be a string")
        if setting.secret:
            _warn_if_readable(config, connection, setting)
        return str(value).strip()
    # The provider's own variable serves its default connection, and optional settings everywhere
    # (an API URL override should not need repeating per connection).
    if setting.env and (connection.from_environment or not setting.required):
        value = environ.get(setting.env)
        if value:
            return value.strip()
    return setting.default


def _warn_if_readable(config: Config, connection: ConnectionConfig, setting) -> None:
    try:
        mode = config.path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        config.warnings.append(
            f"warning: {config.path} holds the secret {setting.name} of connection {connection.name!r} and other "
            f'users can read it: chmod 600 the file, or use {setting.name}{ENV_SUFFIX} = "ENV_VAR" instead'
        )


def _missing_message(connection: ConnectionConfig, setting, config: Config) -> str:
    if connection.from_environment and setting.env:
        return f"connection {connection.name!r} needs {setting.env} ({setting.description}): set it in the environment"
    how = f'{setting.name}{ENV_SUFFIX} = "ENV_VAR"' if setting.secret else f'{setting.name} = "..."'
    return f"connection {connection.name!r} needs {setting.name} ({setting.description}): add {how} to {config.path}"
