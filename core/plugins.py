"""The plugin manager: loads provider plugins from the ``seatkeeper`` entry-point group.

Built-in providers (Zoom) are declared in seatkeeper's own ``pyproject.toml`` under that group, so they load
exactly like third-party ones. ``SEATKEEPER_LOAD_PLUGINS`` (comma-separated entry-point names; empty means
none) limits what loads, and ``SEATKEEPER_BLOCK_PLUGINS`` names plugins to skip.
"""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass, field

import pluggy

from . import hookspecs
from .errors import ConfigError
from .provider import Provider

ENTRY_POINT_GROUP = "seatkeeper"


@dataclass
class PluginInfo:
    """What ``seatkeeper providers`` shows about one loaded plugin."""

    name: str
    package: str | None
    version: str | None
    providers: list[str] = field(default_factory=list)


@dataclass
class BrokenPlugin:
    """An installed plugin that failed to load: reported, then skipped."""

    name: str
    package: str | None
    error: str


class Plugins:
    """The loaded plugins and the providers they registered.

    A plugin's providers are collected once, when it is registered: ``providers`` is a plain mapping.
    """

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("seatkeeper")
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.broken: list[BrokenPlugin] = []
        #: Providers by name, from every registered plugin's ``register_providers``.
        self.providers: dict[str, Provider] = {}
        self._provider_plugin: dict[str, str] = {}

    def load_entry_points(self, environ: os._Environ | dict | None = None) -> None:
        """Load every plugin of the entry-point group, honouring the allow and block lists."""
        environ = os.environ if environ is None else environ
        allow = _name_list(environ.get("SEATKEEPER_LOAD_PLUGINS"))
        block = _name_list(environ.get("SEATKEEPER_BLOCK_PLUGINS")) or set()
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if entry_point.name in block or (allow is not None and entry_point.name not in allow):
                continue
            if self.pm.has_plugin(entry_point.name):
                continue
            dist = entry_point.dist
            package = dist.metadata["Name"] if dist else None
            version = dist.version if dist else None
            try:
                module = entry_point.load()
                self.register(module, entry_point.name, package=package, version=version)
            except ConfigError:
                raise
            except Exception as error:  # a broken third-party plugin must not take the tool down
                self.broken.append(BrokenPlugin(entry_point.name, package, f"{type(error).__name__}: {error}"))

    def register(self, plugin: object, name: str, package: str | None = None, version: str | None = None) -> None:
        """Register a plugin object (usually a module with ``@hookimpl`` functions) under ``name``, and collect
        its providers.

        A plugin whose ``register_providers`` fails is kept as broken, with none of its providers. Raises
        ConfigError when it registers a provider name another plugin already registered.
        """
        self.pm.register(plugin, name=name)
        try:
            self.pm.check_pending()
        except Exception:
            # Left registered, a misspelt hook would fail the check for every plugin loaded after it.
            self.pm.unregister(name=name)
            raise
        self.infos[name] = PluginInfo(name, package, version)
        try:
            for impl in self.pm.hook.register_providers.get_hookimpls():
                if impl.plugin_name == name:
                    self._collect(impl, name)
        except ConfigError:
            self.unregister(name)
            raise

    def _collect(self, impl: pluggy.HookImpl, plugin_name: str) -> None:
        """Call one ``register_providers`` implementation; keep its providers only if it completes."""
        staged: dict[str, Provider] = {}

        def register(provider: Provider) -> None:
            if not isinstance(provider, Provider):
                raise TypeError(f"plugin {plugin_name!r} registered {provider!r}, not a seatkeeper.Provider")
            if provider.name in staged:
                raise TypeError(f"plugin {plugin_name!r} registers two providers named {provider.name!r}")
            if provider.name in self.providers:
                raise ConfigError(
                    f"two plugins register a provider named {provider.name!r}: "
                    f"{self._provider_plugin[provider.name]!r} and {plugin_name!r}; uninstall one"
                )
            staged[provider.name] = provider

        arguments = {"register": register}
        try:
            # As pluggy promises: an implementation may take fewer of the spec's arguments.
            impl.function(**{argument: arguments[argument] for argument in impl.argnames})
        except ConfigError:
            raise
        except Exception as error:
            info = self.infos.get(plugin_name)
            self.broken.append(
                BrokenPlugin(plugin_name, info.package if info else None, f"{type(error).__name__}: {error}")
            )
            return
        self.providers.update(staged)
        self._provider_plugin.update(dict.fromkeys(staged, plugin_name))
        self.infos[plugin_name].providers.extend(staged)

    def unregister(self, name: str) -> None:
        """Remove a plugin and its providers by name (tests use it to keep throwaway plugins from leaking)."""
        self.pm.unregister(name=name)
        self.infos.pop(name, None)
        self.broken = [broken for broken in self.broken if broken.name != name]
        for provider_name in [provider for provider, plugin in self._provider_plugin.items() if plugin == name]:
            del self.providers[provider_name], self._provider_plugin[provider_name]

    def plugin_of(self, provider_name: str) -> PluginInfo | None:
        """The plugin that registered a provider."""
        plugin = self._provider_plugin.get(provider_name)
        return self.infos.get(plugin) if plugin else None

    def provider(self, name: str) -> Provider:
        """The provider called ``name``, or a ConfigError listing the installed ones."""
        try:
            return self.providers[name]
        except KeyError:
            known = ", ".join(sorted(self.providers)) or "none"
            broken = ", ".join(sorted(b.name for b in self.broken))
            hint = f" (plugins that failed to load: {broken}; see `seatkeeper providers`)" if broken else ""
            raise ConfigError(f"unknown provider {name!r}: installed providers are {known}{hint}") from None


def _name_list(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


_default: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugin manager, loading entry points on first use."""
    global _default
    if _default is None:
        _default = Plugins()
        _default.load_entry_points()
    return _default
