"""Finding and reading the config file: a file the user named must exist, typos at the top level are refused."""

from __future__ import annotations

import codecs

import pytest

from seatkeeper import paths
from seatkeeper.config import load_config, resolve_settings
from seatkeeper.errors import ConfigError

from .kit import PROVIDERS, SECRET, write

REPORT_TABLES = ("prices", "reports")  # what the CLI passes for the reporting layer


def test_the_config_option_wins_over_the_variable_and_the_default(tmp_path):
    option = tmp_path / "option.toml"
    environ = {"SEATKEEPER_CONFIG": str(tmp_path / "env.toml")}
    assert paths.config_location(option, environ) == (option, "--config")
    assert paths.config_location(None, environ) == (tmp_path / "env.toml", "SEATKEEPER_CONFIG")
    assert paths.config_location(None, {}) == (paths.default_config_path(), None)


@pytest.mark.parametrize("given_by", ["--config", "SEATKEEPER_CONFIG"])
def test_a_named_config_file_that_does_not_exist_is_an_error(tmp_path, given_by):
    missing = tmp_path / "typo" / "seatkeeper.toml"
    with pytest.raises(ConfigError) as raised:
        load_config(missing, given_by=given_by)
    assert str(raised.value) == (
        f"config file {missing} (given by {given_by}) does not exist: fix the path or create the file"
    )
    assert raised.value.exit_code == 2


def test_through_config_location_a_missing_file_named_by_the_variable_is_an_error(tmp_path):
    path, given_by = paths.config_location(None, {"SEATKEEPER_CONFIG": str(tmp_path / "nope.toml")})
    with pytest.raises(ConfigError, match="given by SEATKEEPER_CONFIG"):
        load_config(path, given_by=given_by)


def test_only_the_default_location_may_be_missing(tmp_path):
    config = load_config(tmp_path / "seatkeeper.toml", given_by=None)
    assert config.raw == {} and config.connections == {}


def test_a_file_starting_with_a_utf8_bom_loads(tmp_path):
    path = tmp_path / "seatkeeper.toml"
    path.write_bytes(codecs.BOM_UTF8 + b'database_url = "sqlite:///x.db"\n[connections.a]\nprovider = "file"\n')
    config = load_config(path, given_by="--config", sections=REPORT_TABLES)
    assert config.database_url == "sqlite:///x.db"
    assert list(config.connections) == ["a"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('databse_url = "postgresql+psycopg://u@db/sk"\n', "unknown key 'databse_url': did you mean database_url?"),
        ("[connection.x]\nprovider = 'file'\n", "unknown table [connection]: did you mean [connections]?"),
        ("[price]\ncurrency = 'EUR'\n", "unknown table [price]: did you mean [prices]?"),
        ("[reprots]\nlist_limit = 5\n", "unknown table [reprots]: did you mean [reports]?"),
    ],
    ids=["databse_url", "connection", "price", "reprots"],
)
def test_a_top_level_typo_is_an_error_with_the_fix(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path, sections=REPORT_TABLES)
    message = str(raised.value)
    assert message.startswith(f"config file {path}: {expected}")
    assert message.endswith("(known top-level keys: connections, database_url, prices, reports)")
    assert raised.value.exit_code == 2


def test_without_a_close_match_the_known_keys_are_listed(tmp_path):
    path = write(tmp_path, "colour = 'blue'\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path, sections=REPORT_TABLES)
    assert "did you mean" not in str(raised.value)
    assert "unknown key 'colour' (known top-level keys: connections, database_url, prices, reports)" in str(
        raised.value
    )


def test_the_other_layers_tables_are_known_only_when_the_caller_names_them(tmp_path):
    path = write(tmp_path, "[prices]\ncurrency = 'EUR'\n[reports]\nlist_limit = 5\n")
    assert load_config(path, sections=REPORT_TABLES).raw["prices"] == {"currency": "EUR"}
    with pytest.raises(ConfigError, match=r"unknown table \[prices\]"):
        load_config(path, sections=())
    # A caller reading a file seatkeeper wrote itself (the demo's) may skip the check.
    assert load_config(path).raw["reports"] == {"list_limit": 5}


def test_a_typo_never_prints_the_value_it_holds(tmp_path):
    path = write(tmp_path, f'databse_url = "postgresql+psycopg://u:{SECRET}@db/sk"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path, sections=REPORT_TABLES)
    assert SECRET not in str(raised.value)


def test_database_url_must_be_a_string(tmp_path):
    path = write(tmp_path, "database_url = 5\n")
    with pytest.raises(ConfigError, match="database_url must be a string"):
        load_config(path, sections=REPORT_TABLES)


def test_a_typo_in_a_connection_table_has_a_did_you_mean(tmp_path):
    path = write(tmp_path, "[connections.a]\nprovider = 'pair'\naccont = 'x'\ntoken_env = 'T'\n")
    config = load_config(path, sections=REPORT_TABLES)
    with pytest.raises(ConfigError) as raised:
        resolve_settings(config.connections["a"], PROVIDERS["pair"], config, {"T": SECRET})
    assert str(raised.value) == (
        f"connection 'a' in {path}: unknown setting 'accont' for provider 'pair' "
        "(settings: account, api_url, token, verbose): did you mean account?"
    )
