"""Which plugins load: the entry-point group, the allow and block lists, and broken plugins being skipped."""

from __future__ import annotations

import json

import pytest

from seatkeeper.errors import ConfigError
from seatkeeper.plugins import Plugins

from .conftest import write_config
from .fake_dists import provider_module

IMPORT_ERROR = "import no_such_dependency_for_seatkeeper_tests\n"

HOOK_RAISES = '''
    from seatkeeper import hookimpl
    from fakegood import FakeProvider

    class Other(FakeProvider):
        name = "halfway"

    @hookimpl
    def register_providers(register):
        """Register one provider, then fail."""
        register(Other())
        raise RuntimeError("the plugin could not reach its licence server")
    '''

MISSPELT_HOOK = '''
    from seatkeeper import hookimpl

    @hookimpl
    def register_provider(register):
        """Misspelt: the spec is register_providers."""
    '''

NOT_A_PROVIDER = '''
    from seatkeeper import hookimpl

    @hookimpl
    def register_providers(register):
        """Register something that is not a Provider."""
        register("zoom")
    '''


@pytest.fixture
def good_and_other(fake_site):
    """Two working fake plugins: ``good`` (provider fakegood) and ``other`` (provider fakeother)."""
    fake_site.add("seatkeeper-fakegood", "1.2.3", {"good": "fakegood"}, {"fakegood": provider_module("fakegood")})
    fake_site.add("seatkeeper-fakeother", "0.0.1", {"other": "fakeother"}, {"fakeother": provider_module("fakeother")})
    return fake_site


def load(environ: dict[str, str]) -> Plugins:
    plugins = Plugins()
    plugins.load_entry_points(environ)
    return plugins


def test_entry_points_load_with_package_and_version(good_and_other):
    plugins = load({"SEATKEEPER_LOAD_PLUGINS": "good,other"})
    assert {"fakegood", "fakeother"} <= set(plugins.providers)
    info = plugins.plugin_of("fakegood")
    assert (info.name, info.package, info.version) == ("good", "seatkeeper-fakegood", "1.2.3")


def test_without_lists_every_installed_plugin_loads(good_and_other):
    plugins = load({})
    assert {"good", "other"} <= set(plugins.infos)


def test_allow_list_loads_only_the_named_plugins(good_and_other):
    plugins = load({"SEATKEEPER_LOAD_PLUGINS": " other , "})
    assert set(plugins.infos) == {"other"}
    assert set(plugins.providers) == {"fakeother"}


def test_empty_allow_list_loads_no_plugin_at_all(good_and_other):
    plugins = load({"SEATKEEPER_LOAD_PLUGINS": ""})
    assert plugins.infos == {}
    assert plugins.providers == {}
    with pytest.raises(ConfigError, match="installed providers are none"):
        plugins.provider("fakegood")


def test_block_list_skips_the_named_plugins(good_and_other):
    plugins = load({"SEATKEEPER_BLOCK_PLUGINS": "good"})
    assert "good" not in plugins.infos
    assert "fakegood" not in plugins.providers
    assert "fakeother" in plugins.providers


def test_block_list_wins_over_allow_list(good_and_other):
    plugins = load({"SEATKEEPER_LOAD_PLUGINS": "good,other", "SEATKEEPER_BLOCK_PLUGINS": "other"})
    assert set(plugins.infos) == {"good"}


def test_plugin_that_fails_to_import_is_reported_and_skipped(good_and_other):
    good_and_other.add(
        "seatkeeper-brokenimport", "0.1", {"brokenimport": "brokenimport"}, {"brokenimport": IMPORT_ERROR}
    )
    plugins = load({"SEATKEEPER_LOAD_PLUGINS": "good,brokenimport"})
    assert set(plugins.providers) == {"fakegood"}
    [broken] = plugins.broken
    assert (broken.name, broken.package) == ("brokenimport", "seatkeeper-brokenimport")
    assert "ModuleNotFoundError" in broken.error and "no_such_dependency_for_seatkeeper_tests" in broken.error


def test_plugin_whose_hook_raises_is_reported_and_none_of_its_providers_kept(good_and_other):
    good_and_other.add("seatkeeper-hookraises", "0.2", {"hookraises": "hookraises"}, {"hookraises": HOOK_RAISES})
    plugins = load({"SEATKEEPER_LOAD_PLUGINS": "good,hookraises"})
    assert set(plugins.providers) == {"fakegood"}
    plugins.providers  # noqa: B018 - asking again must not report the plugin twice
    [broken] = plugins.broken
    assert (broken.name, broken.package) == ("hookraises", "seatkeeper-hookraises")
    assert "RuntimeError: the plugin could not reach its licence server" in broken.error


def test_plugin_with_a_misspelt_hook_is_reported_and_not_left_registered(good_and_other):
    good_and_other.add("seatkeeper-misspelt", "0.3", {"misspelt": "misspelt"}, {"misspelt": MISSPELT_HOOK})
    plugins = load({"SEATKEEPER_LOAD_PLUGINS": "good,misspelt"})
    assert [b.name for b in plugins.broken] == ["misspelt"]
    assert "register_provider" in plugins.broken[0].error
    assert not plugins.pm.has_plugin("misspelt")
    assert set(plugins.providers) == {"fakegood"}


def test_plugin_registering_something_else_than_a_provider_is_reported(good_and_other):
    good_and_other.add("seatkeeper-notprovider", "0.4", {"notprovider": "notprovider"}, {"notprovider": NOT_A_PROVIDER})
    plugins = load({"SEATKEEPER_LOAD_PLUGINS": "good,notprovider"})
    assert set(plugins.providers) == {"fakegood"}
    assert "not a seatkeeper.Provider" in plugins.broken[0].error


def test_unknown_provider_message_names_the_plugins_that_failed(good_and_other):
    good_and_other.add(
        "seatkeeper-brokenimport", "0.1", {"brokenimport": "brokenimport"}, {"brokenimport": IMPORT_ERROR}
    )
    plugins = load({"SEATKEEPER_LOAD_PLUGINS": "good,brokenimport"})
    with pytest.raises(ConfigError, match="plugins that failed to load: brokenimport"):
        plugins.provider("brokenimport")


def test_two_plugins_with_the_same_provider_name_is_a_config_error(fake_site):
    fake_site.add("seatkeeper-twin-a", "1", {"twina": "twina"}, {"twina": provider_module("twin")})
    fake_site.add("seatkeeper-twin-b", "1", {"twinb": "twinb"}, {"twinb": provider_module("twin")})
    with pytest.raises(ConfigError, match="two plugins register a provider named 'twin'"):
        load({"SEATKEEPER_LOAD_PLUGINS": "twina,twinb"})


# ---- through the command line -------------------------------------------------------------------------


def test_providers_command_reports_a_broken_plugin_and_lists_the_rest(good_and_other, run_cli, monkeypatch):
    good_and_other.add(
        "seatkeeper-brokenimport", "0.1", {"brokenimport": "brokenimport"}, {"brokenimport": IMPORT_ERROR}
    )
    monkeypatch.setenv("SEATKEEPER_LOAD_PLUGINS", "good,other,brokenimport")
    code, out, err = run_cli("providers")
    assert code == 0
    assert "fakegood" in out and "seatkeeper-fakegood" in out and "1.2.3" in out and "token* (secret)" in out
    assert "fakeother" in out
    assert "plugin 'brokenimport' (seatkeeper-brokenimport) failed to load and was skipped" in err
    assert "no_such_dependency_for_seatkeeper_tests" in err


def test_providers_command_honours_the_block_list(good_and_other, run_cli, monkeypatch):
    monkeypatch.setenv("SEATKEEPER_BLOCK_PLUGINS", "other")
    code, out, _ = run_cli("providers")
    assert code == 0
    assert "fakegood" in out and "fakeother" not in out


def test_sync_works_for_other_connections_when_a_plugin_is_broken(good_and_other, run_cli, monkeypatch, tmp_path):
    good_and_other.add("seatkeeper-hookraises", "0.2", {"hookraises": "hookraises"}, {"hookraises": HOOK_RAISES})
    monkeypatch.setenv("SEATKEEPER_LOAD_PLUGINS", "good,hookraises")
    monkeypatch.setenv("GOOD_TOKEN", "good-token")
    write_config(
        tmp_path,
        monkeypatch,
        '[connections.good]\nprovider = "fakegood"\ntoken_env = "GOOD_TOKEN"\n\n'
        '[connections.half]\nprovider = "halfway"\ntoken_env = "GOOD_TOKEN"\n',
    )
    code, out, err = run_cli("sync", "good")
    assert code == 0, err
    assert "good: 2 seats — 2 added" in out
    code, out, _ = run_cli("licenses", "--format", "json")
    assert [(s["provider"], s["email"]) for s in json.loads(out)] == [
        ("fakegood", "a@example.com"),
        ("fakegood", "b@example.com"),
    ]
    code, out, err = run_cli("sync")
    assert code == 2  # a connection of a provider that is not installed is a configuration problem
    assert "good: 2 seats" in out
    assert "half: sync failed: " in err and "unknown provider 'halfway'" in err and "hookraises" in err
