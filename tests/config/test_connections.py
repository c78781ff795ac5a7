"""Which connections exist (the file's, and a provider's default one from its variables), checked up front."""

from __future__ import annotations

import pytest

from seatkeeper.config import Config, check_connections, connections, load_config
from seatkeeper.errors import ConfigError
from seatkeeper_zoom.provider import ZoomProvider

from .kit import PROVIDERS, SECRET, write

PAIR_ENV = {"PAIR_ACCOUNT": "acme", "PAIR_TOKEN": SECRET}


def config_of(tmp_path, text: str) -> Config:
    return load_config(write(tmp_path, text), given_by="--config", sections=())


def test_a_file_connection_reading_the_providers_variable_makes_no_phantom_default(tmp_path):
    """Issue 12's report: zoom-emea reads ZOOM_CLIENT_SECRET, and a second connection 'zoom' appeared."""
    config = config_of(
        tmp_path,
        "[connections.zoom-emea]\nprovider = 'zoom'\naccount_id = 'a'\nclient_id = 'c'\n"
        "client_secret_env = 'ZOOM_CLIENT_SECRET'\n",
    )
    providers = {"zoom": ZoomProvider()}
    environ = {"ZOOM_CLIENT_SECRET": SECRET}
    assert list(connections(config, providers, environ)) == ["zoom-emea"]
    assert check_connections(config, providers, environ) == {}


def test_a_file_connection_of_the_provider_wins_even_when_every_variable_is_set(tmp_path):
    config = config_of(tmp_path, "[connections.main]\nprovider = 'pair'\naccount = 'a'\ntoken_env = 'PAIR_TOKEN'\n")
    assert list(connections(config, PROVIDERS, PAIR_ENV)) == ["main"]


def test_every_required_variable_set_defines_the_default_connection(tmp_path):
    found = connections(Config(tmp_path / "none.toml"), PROVIDERS, PAIR_ENV)
    assert list(found) == ["pair"]
    assert found["pair"].from_environment and found["pair"].provider == "pair"
    assert check_connections(Config(tmp_path / "none.toml"), PROVIDERS, PAIR_ENV) == {}


@pytest.mark.parametrize("environ", [{}, {"PAIR_VERBOSE": "true", "PAIR_API_URL": "https://x"}, {"PAIR_TOKEN": "  "}])
def test_no_required_variable_set_means_no_default_connection(tmp_path, environ):
    assert connections(Config(tmp_path / "none.toml"), PROVIDERS, environ) == {}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (
            {"PAIR_TOKEN": SECRET},
            "connection 'pair' needs PAIR_ACCOUNT (Account name): set it in the environment "
            "(the default connection 'pair' exists because PAIR_TOKEN is set)",
        ),
        (
            {"PAIR_ACCOUNT": "acme", "PAIR_TOKEN": ""},
            "connection 'pair' needs PAIR_TOKEN (API token): set it in the environment "
            "(the default connection 'pair' exists because PAIR_ACCOUNT is set)",
        ),
    ],
    ids=["account missing", "token empty"],
)
def test_some_but_not_all_variables_set_is_a_configuration_error_naming_the_missing(tmp_path, environ, expected):
    problems = check_connections(Config(tmp_path / "none.toml"), PROVIDERS, environ)
    assert list(problems) == ["pair"]
    assert str(problems["pair"]) == expected
    assert problems["pair"].exit_code == 2
    assert SECRET not in expected


def test_several_missing_variables_are_all_named(tmp_path):
    providers = {"zoom": ZoomProvider()}
    problems = check_connections(Config(tmp_path / "none.toml"), providers, {"ZOOM_CLIENT_SECRET": SECRET})
    message = str(problems["zoom"])
    assert message.startswith("connection 'zoom' needs ZOOM_ACCOUNT_ID (")
    assert "ZOOM_CLIENT_ID (Client ID of the Server-to-Server OAuth app): set them in the environment" in message
    assert "exists because ZOOM_CLIENT_SECRET is set" in message
    assert SECRET not in message


def test_a_provider_without_variables_never_has_a_default_connection(tmp_path):
    assert connections(Config(tmp_path / "none.toml"), {"file": PROVIDERS["file"]}, {"PATH": "/bin"}) == {}


def test_check_connections_finds_every_broken_connection_before_any_sync(tmp_path):
    config = config_of(
        tmp_path,
        "[connections.good]\nprovider = 'pair'\naccount = 'a'\ntoken_env = 'GOOD_TOKEN'\n"
        "[connections.typo-provider]\nprovider = 'piar'\n"
        "[connections.typo-setting]\nprovider = 'pair'\naccount = 'a'\ntoken_env = 'GOOD_TOKEN'\nverbos = true\n"
        "[connections.unset-variable]\nprovider = 'pair'\naccount = 'a'\ntoken_env = 'UNSET_TOKEN'\n"
        "[connections.no-account]\nprovider = 'pair'\ntoken_env = 'GOOD_TOKEN'\n"
        "[connections.both]\nprovider = 'pair'\naccount = 'a'\ntoken_env = 'GOOD_TOKEN'\n"
        f"token = '{SECRET}'\n",
    )
    problems = check_connections(config, PROVIDERS, {"GOOD_TOKEN": SECRET})
    path = config.path
    assert {name: str(error) for name, error in problems.items()} == {
        "typo-provider": f"connection 'typo-provider' in {path}: unknown provider 'piar': did you mean 'pair'? "
        "(installed providers: file, pair; see `seatkeeper providers`)",
        "typo-setting": f"connection 'typo-setting' in {path}: unknown setting 'verbos' for provider 'pair' "
        "(settings: account, api_url, token, verbose): did you mean verbose?",
        "unset-variable": "connection 'unset-variable': environment variable UNSET_TOKEN (token) is not set or empty",
        "no-account": f"connection 'no-account' needs account (Account name): add account = \"...\" to {path}",
        "both": f"connection 'both' in {path}: give token or token_env, not both",
    }
    assert all(error.exit_code == 2 for error in problems.values())
    assert not any(SECRET in str(error) for error in problems.values())


def test_check_connections_checks_only_the_selected(tmp_path):
    config = config_of(tmp_path, "[connections.a]\nprovider = 'nope'\n[connections.b]\nprovider = 'file'\npath = 'x'\n")
    assert check_connections(config, PROVIDERS, {}, selected=[config.connections["b"]]) == {}
    assert list(check_connections(config, PROVIDERS, {})) == ["a"]


def test_an_env_key_must_name_a_variable(tmp_path):
    config = config_of(tmp_path, "[connections.a]\nprovider = 'pair'\naccount = 'a'\ntoken_env = 5\n")
    problems = check_connections(config, PROVIDERS, {})
    assert 'token_env must name an environment variable, e.g. token_env = "MY_VARIABLE"' in str(problems["a"])


def test_a_check_error_is_a_config_error(tmp_path):
    config = config_of(tmp_path, "[connections.a]\nprovider = 'nope'\n")
    assert isinstance(check_connections(config, {}, {})["a"], ConfigError)
    assert "(installed providers: none;" in str(check_connections(config, {}, {})["a"])


def test_an_unknown_provider_names_the_plugins_that_failed_to_load(tmp_path):
    config = config_of(tmp_path, "[connections.half]\nprovider = 'halfway'\n")
    problems = check_connections(config, PROVIDERS, {}, broken_plugins=["hookraises"])
    assert str(problems["half"]).endswith(
        "unknown provider 'halfway' (installed providers: file, pair; plugins that failed to load: hookraises; "
        "see `seatkeeper providers`)"
    )
