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
    """The loaded plugins and the providers they registered."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("seatkeeper")
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.broken: list[BrokenPlugin] = []
        self._providers: dict[str, Provider] | None = None
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
            except Exception as error:  # a broken third-party plugin must not take the tool down
                self.broken.append(BrokenPlugin(entry_point.name, package, f"{type(error).__name__}: {error}"))

    def register(self, plugin: object, name: str, package: str | None = None, version: str | None = None) -> None:
        """Register a plugin object (usually a module with ``@hookimpl`` functions) under ``name``."""
        self.pm.register(plugin, name=name)
        try:
            self.pm.check_pending()
        except Exception:
            # Left registered, a misspelt hook would fail the check for every plugin loaded after it.
            self.pm.unregister(name=name)
            raise
        self.infos[name] = PluginInfo(name, package, version)
        self._providers = None

    def unregister(self, name: str) -> None:
        """Remove a plugin by name (tests use it to keep throwaway plugins from leaking)."""
        self.pm.unregister(name=name)
        self.infos.pop(name, None)
        self.broken = [broken for broken in self.broken if broken.name != name]
        self._providers = None

    @property
    def providers(self) -> dict[str, Provider]:
        """Providers by name, collected from every plugin's ``register_providers``."""
        if self._providers is None:
            providers: dict[str, Provider] = {}
            self._provider_plugin.clear()
            for info in self.infos.values():
                info.providers.clear()
            for impl in self.pm.hook.register_providers.get_hookimpls():
                plugin_name = impl.plugin_name
                # A plugin's providers are kept only if its hook completes: a hook that fails half way is
                # skipped whole, like a plugin that fails to import.
                staged: dict[str, Provider] = {}

                def register(provider: Provider, _plugin_name: str = plugin_name, _staged=staged) -> None:
                    if not isinstance(provider, Provider):
                        raise TypeError(f"plugin {_plugin_name!r} registered {provider!r}, not a seatkeeper.Provider")
                    if provider.name in _staged:
                        raise TypeError(f"plugin {_plugin_name!r} registers two providers named {provider.name!r}")
                    if provider.name in providers:
                        first = self._provider_plugin[provider.name]
                        raise ConfigError(
                            f"two plugins register a provider named {provider.name!r}: "
                            f"{first!r} and {_plugin_name!r}; uninstall one"
                        )
                    _staged[provider.name] = provider

                try:
                    impl.function(register=register)
                except ConfigError:
                    raise
                except Exception as error:
                    self._mark_broken(plugin_name, f"{type(error).__name__}: {error}")
                    continue
                providers.update(staged)
                self._provider_plugin.update(dict.fromkeys(staged, plugin_name))
            for name, plugin in self._provider_plugin.items():
                if name in providers and plugin in self.infos:
                    self.infos[plugin].providers.append(name)
            self._providers = providers
        return self._providers

    def _mark_broken(self, plugin_name: str, error: str) -> None:
        """Record a plugin whose hook failed, once (the providers mapping is rebuilt after each register)."""
        if any(broken.name == plugin_name for broken in self.broken):
            return
        info = self.infos.get(plugin_name)
        self.broken.append(BrokenPlugin(plugin_name, info.package if info else None, error))

    def plugin_of(self, provider_name: str) -> PluginInfo | None:
        """The plugin that registered a provider."""
        self.providers  # noqa: B018 - fills the mapping
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
