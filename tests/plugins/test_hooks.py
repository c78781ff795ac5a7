"""Each hook in seatkeeper/hookspecs.py, exercised as a plugin uses it (test_docs checks every hook has a test here)."""

from __future__ import annotations

from seatkeeper import Provider, SeatRecord, hookimpl
from seatkeeper.plugins import Plugins


def make_provider(provider_name: str) -> Provider:
    class Named(Provider):
        name = provider_name
        title = provider_name.title()

        def fetch(self, session, context):
            yield SeatRecord(email=f"{provider_name}@example.com", license_type="Pro", billable=True)

    return Named()


class TwoProviders:
    """A plugin object (plugins are usually modules; any object with hookimpls will do)."""

    @hookimpl
    def register_providers(self, register):
        """Offer two providers from one plugin."""
        register(make_provider("alpha"))
        register(make_provider("beta"))


def test_hook_register_providers_collects_every_provider_a_plugin_registers():
    plugins = Plugins()
    plugins.register(TwoProviders(), "two", package="seatkeeper-two", version="2.0")
    assert sorted(plugins.providers) == ["alpha", "beta"]
    assert plugins.plugin_of("beta").package == "seatkeeper-two"
    assert plugins.infos["two"].providers == ["alpha", "beta"]


def test_hook_register_providers_from_several_plugins_and_unregistering_one():
    class Gamma:
        @hookimpl
        def register_providers(self, register):
            """Offer one provider."""
            register(make_provider("gamma"))

    plugins = Plugins()
    plugins.register(TwoProviders(), "two")
    plugins.register(Gamma(), "gamma")
    assert sorted(plugins.providers) == ["alpha", "beta", "gamma"]
    plugins.unregister("two")
    assert sorted(plugins.providers) == ["gamma"]


def test_hook_register_providers_twice_the_same_name_in_one_plugin_breaks_that_plugin_only():
    class Twice:
        @hookimpl
        def register_providers(self, register):
            """Register the same name twice (a plugin bug)."""
            register(make_provider("alpha"))
            register(make_provider("alpha"))

    plugins = Plugins()
    plugins.register(Twice(), "twice")
    plugins.register(TwoProviders(), "two")
    assert sorted(plugins.providers) == ["alpha", "beta"]
    assert [(b.name, b.error) for b in plugins.broken] == [
        ("twice", "TypeError: plugin 'twice' registers two providers named 'alpha'")
    ]
    plugins.unregister("twice")
    assert plugins.broken == []


def test_hook_register_providers_may_take_fewer_arguments_than_the_spec():
    class NoArguments:
        @hookimpl
        def register_providers(self):
            """A hook that takes none of the spec's arguments (pluggy allows it) registers nothing, and is no error."""
            self.called = True

    plugin = NoArguments()
    plugins = Plugins()
    plugins.register(plugin, "quiet")
    assert plugin.called and plugins.providers == {} and plugins.broken == []
