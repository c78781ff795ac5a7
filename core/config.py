"""Configuration: the TOML file, environment variables, and resolving a connection's settings.

The file (``--config``, else ``SEATKEEPER_CONFIG``, else ``seatkeeper.toml`` in the user config dir) may hold::

    database_url = "postgresql+psycopg://seatkeeper@db.example.com/seatkeeper"

    [connections.zoom-emea]
    provider = "zoom"
    account_id = "AbC123"
    client_id = "xyz"
    client_secret_env = "ZOOM_EMEA_CLIENT_SECRET"   # secrets are read from the variable named here

Core reads ``database_url`` and ``[connections]``. Other tables (``[prices]``, ``[reports]`` ...) belong to the
layers that read them: they are kept in ``Config.raw``, and the caller names them (``sections``) so that any
other top-level key is refused as a typo.

Besides the file, a provider's required settings with an ``env`` variable define a default connection named
after the provider (e.g. ``ZOOM_ACCOUNT_ID``/``ZOOM_CLIENT_ID``/``ZOOM_CLIENT_SECRET`` define ``zoom``), but only
while the file defines no connection of that provider: a file connection reading its secret from the same
variable must not conjure a second one. When some of those variables are set and others not, the default
connection exists and fails its check naming the missing ones.
"""

from __future__ import annotations

import difflib
import os
import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import paths
from .errors import ConfigError
from .provider import Provider, Setting

ENV_SUFFIX = "_env"
#: The top-level keys core itself reads; callers add the tables of other layers (``sections``).
CORE_KEYS = ("database_url", "connections", "people")


@dataclass(frozen=True)
class ConnectionConfig:
    """A named connection: which provider, the application it tracks if the file says, and the provider's values."""

    name: str
    provider: str
    values: Mapping[str, Any] = field(default_factory=dict)
    from_environment: bool = False
    application: str | None = None


#: The keys of a connection's table that core reads itself; every other key is one of its provider's settings.
CONNECTION_KEYS = ("provider", "application")


def application_of(connection: ConnectionConfig, provider: Provider) -> str:
    """The application (the tool its seats are for) that ``connection`` tracks.

    What the connection's ``application`` says, else the provider's :attr:`~seatkeeper.Provider.application`, else
    the provider's title. A provider whose ``application`` is None (one provider, many tools: CSV exports) needs
    the connection to say; :func:`check_connections` reports a connection that does not.
    """
    return connection.application or provider.application or provider.title or provider.name


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


def load_config(
    path: Path | None = None, *, given_by: str | None = None, sections: Iterable[str] | None = None
) -> Config:
    """Read and check the config file.

    :param path: the file; default :func:`seatkeeper.paths.config_path`.
    :param given_by: what named the file (``"--config"``, ``"SEATKEEPER_CONFIG"``, as
        :func:`seatkeeper.paths.config_location` returns it). A file the user named must exist; only the
        default location (``given_by=None``) may be missing, which is an empty config.
    :param sections: the top-level tables other layers read (the reports' ``("prices", "reports")``).
        When given, any top-level key that is neither core's (:data:`CORE_KEYS`) nor one of these is a
        ConfigError with a did-you-mean. ``None`` skips that check (a file seatkeeper wrote itself).
    """
    path = path or paths.config_path()
    config = Config(path=path)
    if not path.exists():
        if given_by:
            raise ConfigError(
                f"config file {path} (given by {given_by}) does not exist: fix the path or create the file"
            )
        return config
    try:
        text = path.read_text(encoding="utf-8-sig")  # Windows editors may start the file with a BOM
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {getattr(error, 'strerror', None) or error}") from None
    try:
        config.raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    if sections is not None:
        _check_top_level(config.raw, path, (*CORE_KEYS, *sections))
    database_url = config.raw.get("database_url")
    if database_url is not None and not isinstance(database_url, str):
        raise ConfigError(
            f'config file {path}: database_url must be a string: database_url = "postgresql+psycopg://..."'
        )
    connections = config.raw.get("connections", {})
    if not isinstance(connections, dict):
        raise ConfigError(f"config file {path}: 'connections' must be a table, e.g. [connections.zoom]")
    for name, values in connections.items():
        if not isinstance(values, dict):
            raise ConfigError(f"config file {path}: connection {name!r} must be a table: [connections.{name}]")
        provider = values.get("provider", name)
        if not isinstance(provider, str) or not provider:
            raise ConfigError(f'config file {path}: connection {name!r} needs provider = "<provider name>"')
        application = values.get("application")
        if application is not None and (not isinstance(application, str) or not application.strip()):
            raise ConfigError(
                f'config file {path}: connection {name!r}: application must name the tool, e.g. application = "Figma"'
            )
        config.connections[name] = ConnectionConfig(
            name,
            provider,
            {k: v for k, v in values.items() if k not in CONNECTION_KEYS},
            application=application.strip() if application else None,
        )
    return config


def _check_top_level(raw: Mapping[str, Any], path: Path, known: Iterable[str]) -> None:
    known = sorted(set(known))
    for key, value in raw.items():
        if key in known:
            continue
        if isinstance(value, dict):  # written as a table: [price], [connection.x]
            what, hint = f"table [{key}]", _did_you_mean(key, known, "[{}]")
        else:
            what, hint = f"key {key!r}", _did_you_mean(key, known, "{}")
        raise ConfigError(f"config file {path}: unknown {what}{hint} (known top-level keys: {', '.join(known)})")


def _did_you_mean(word: str, candidates: Iterable[str], form: str) -> str:
    close = difflib.get_close_matches(word, list(candidates), n=1)
    return f": did you mean {form.format(close[0])}?" if close else ""


def connections(
    config: Config, providers: Mapping[str, Provider], environ: Mapping[str, str] | None = None
) -> dict[str, ConnectionConfig]:
    """All connections: the config file's, then each provider's default connection from the environment.

    A provider's default connection (named after the provider) exists only when the file defines no
    connection of that provider (nor one of that name) and at least one of the ``env`` variables of its
    required settings is set. When only some are, it still exists, so that :func:`check_connections`
    reports the missing ones instead of the variables being silently ignored.
    """
    environ = os.environ if environ is None else environ
    result = dict(config.connections)
    in_file = {connection.provider for connection in config.connections.values()}
    for provider in providers.values():
        if provider.name in in_file or provider.name in result:
            continue
        if any(_env_value(environ, setting.env) for setting in _default_connection_settings(provider)):
            result[provider.name] = ConnectionConfig(provider.name, provider.name, {}, from_environment=True)
    return result


def check_connections(
    config: Config,
    providers: Mapping[str, Provider],
    environ: Mapping[str, str] | None = None,
    selected: Iterable[ConnectionConfig] | None = None,
    *,
    broken_plugins: Iterable[str] = (),
) -> dict[str, ConfigError]:
    """Resolve every connection's settings before any sync starts; the broken ones, by name, with their error.

    ``selected`` defaults to all of :func:`connections`. Each error is one line naming the fix: an unknown
    provider (naming the installed ones, and ``broken_plugins``, the plugins that failed to load), an
    unknown setting (with a did-you-mean), a missing ``_env`` variable, a missing required setting or
    environment variable, a value of the wrong type. An empty result means every connection can start.
    """
    environ = os.environ if environ is None else environ
    if selected is None:
        selected = connections(config, providers, environ).values()
    problems: dict[str, ConfigError] = {}
    for connection in selected:
        provider = providers.get(connection.provider)
        try:
            if provider is None:
                raise ConfigError(_unknown_provider_message(connection, providers, config, broken_plugins))
            if provider.application is None and not connection.application:
                raise ConfigError(
                    f"connection {connection.name!r} in {config.path}: a {provider.name} connection must name the "
                    f'tool its users are for: add application = "..." (e.g. "Figma") to [connections.{connection.name}]'
                )
            resolve_settings(connection, provider, config, environ)
        except ConfigError as error:
            problems[connection.name] = error
    return problems


def resolve_settings(
    connection: ConnectionConfig,
    provider: Provider,
    config: Config,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The connection's settings, each from the file, a named env var, the provider's env var, or its default.

    Raises ConfigError naming the first missing, unknown or mistyped setting (never its value). Warns
    (``config.warnings``, once) when a secret is written in a config file that other users can read.
    """
    environ = os.environ if environ is None else environ
    known = [setting.name for setting in provider.settings]
    for key in connection.values:
        base = key[: -len(ENV_SUFFIX)] if key.endswith(ENV_SUFFIX) else key
        if base not in known:
            names = ", ".join(sorted(known)) or "none"
            candidates = [*known, *(f"{name}{ENV_SUFFIX}" for name in known), "provider"]
            raise ConfigError(
                f"connection {connection.name!r} in {config.path}: unknown setting {key!r} "
                f"for provider {provider.name!r} (settings: {names}){_did_you_mean(key, candidates, '{}')}"
            )
    if connection.from_environment:
        _check_default_connection_env(connection, provider, environ)
    resolved: dict[str, str] = {}
    for setting in provider.settings:
        value = _setting_value(connection, setting, config, environ)
        if value is None or value == "":
            if setting.required:
                raise ConfigError(_missing_message(connection, setting, config))
            continue
        resolved[setting.name] = value
    return resolved


def _default_connection_settings(provider: Provider) -> list[Setting]:
    """The settings whose ``env`` variables define the provider's default connection."""
    return [setting for setting in provider.settings if setting.required and setting.env]


def _env_value(environ: Mapping[str, str], variable: str | None) -> str:
    return (environ.get(variable) or "").strip() if variable else ""


def _check_default_connection_env(connection: ConnectionConfig, provider: Provider, environ) -> None:
    settings = _default_connection_settings(provider)
    missing = [s for s in settings if not _env_value(environ, s.env)]
    if not missing:
        return
    present = [s.env for s in settings if _env_value(environ, s.env)]
    needs = ", ".join(f"{s.env} ({s.description})" for s in missing)
    message = (
        f"connection {connection.name!r} needs {needs}: set {'it' if len(missing) == 1 else 'them'} in the environment"
    )
    if present:  # say why a connection the user never wrote down exists at all
        verb = "is" if len(present) == 1 else "are"
        message += f" (the default connection {connection.name!r} exists because {', '.join(present)} {verb} set)"
    raise ConfigError(message)


def _setting_value(connection, setting, config, environ) -> str | None:
    values = connection.values
    env_key = f"{setting.name}{ENV_SUFFIX}"
    where = f"connection {connection.name!r} in {config.path}"
    if env_key in values and setting.name in values:
        raise ConfigError(f"{where}: give {setting.name} or {env_key}, not both")
    if env_key in values:
        variable = values[env_key]
        if not isinstance(variable, str) or not variable.strip():
            raise ConfigError(f'{where}: {env_key} must name an environment variable, e.g. {env_key} = "MY_VARIABLE"')
        value = environ.get(variable.strip())
        if not value or not value.strip():
            raise ConfigError(
                f"connection {connection.name!r}: environment variable {variable} ({setting.name}) is not set or empty"
            )
        return value.strip()
    if setting.name in values:
        value = values[setting.name]
        if isinstance(value, bool):  # TOML's true/false for a flag such as fetch_addons
            return "true" if value else "false"
        if isinstance(value, int | float) and setting.number:
            return str(value)
        if isinstance(value, int | float):
            # A bare number is not the text the user wrote: 0042 would be 42, 1.5e3 would be 1500.0.
            raise ConfigError(
                f'{where}: {setting.name} must be a string: write the number in quotes, {setting.name} = "..."'
            )
        if not isinstance(value, str):
            raise ConfigError(f'{where}: {setting.name} must be a string, e.g. {setting.name} = "..."')
        if setting.secret:
            _warn_if_readable(config, connection, setting)
        return value.strip()
    # The provider's own variable serves its default connection, and optional settings everywhere
    # (an API URL override should not need repeating per connection).
    if setting.env and (connection.from_environment or not setting.required):
        value = environ.get(setting.env)
        if value:
            return value.strip()
    return setting.default


def _unknown_provider_message(connection: ConnectionConfig, providers, config, broken_plugins: Iterable[str]) -> str:
    installed = ", ".join(sorted(providers)) or "none"
    hint = _did_you_mean(connection.provider, providers, "{!r}")
    broken = ", ".join(sorted(broken_plugins))
    failed = f"; plugins that failed to load: {broken}" if broken else ""
    return (
        f"connection {connection.name!r} in {config.path}: unknown provider {connection.provider!r}{hint} "
        f"(installed providers: {installed}{failed}; see `seatkeeper providers`)"
    )


def _warn_if_readable(config: Config, connection: ConnectionConfig, setting) -> None:
    try:
        mode = config.path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        warning = (
            f"warning: {config.path} holds the secret {setting.name} of connection {connection.name!r} and other "
            f'users can read it: chmod 600 the file, or use {setting.name}{ENV_SUFFIX} = "ENV_VAR" instead'
        )
        if warning not in config.warnings:  # settings may be resolved twice: checked up front, then synced
            config.warnings.append(warning)


def _missing_message(connection: ConnectionConfig, setting, config: Config) -> str:
    if connection.from_environment and setting.env:
        return f"connection {connection.name!r} needs {setting.env} ({setting.description}): set it in the environment"
    how = f'{setting.name}{ENV_SUFFIX} = "ENV_VAR"' if setting.secret else f'{setting.name} = "..."'
    return f"connection {connection.name!r} needs {setting.name} ({setting.description}): add {how} to {config.path}"
