"""Setting values: TOML booleans become "true"/"false", numbers must be quoted, secrets never shown."""

from __future__ import annotations

import pytest

from seatkeeper.config import check_connections, load_config, resolve_settings
from seatkeeper.errors import ConfigError
from seatkeeper_zoom.provider import ZoomProvider

from .kit import PROVIDERS, SECRET, write

ZOOM = "[connections.z]\nprovider = 'zoom'\naccount_id = 'a'\nclient_id = 'c'\nclient_secret_env = 'S'\n"


def resolved(tmp_path, text: str, provider=None, environ=None) -> dict[str, str]:
    config = load_config(write(tmp_path, text), sections=())
    name = next(iter(config.connections))
    return resolve_settings(config.connections[name], provider or ZoomProvider(), config, environ or {"S": SECRET})


@pytest.mark.parametrize(("toml", "expected"), [("true", "true"), ("false", "false"), ('"true"', "true")])
def test_fetch_addons_as_a_bare_toml_boolean_becomes_the_documented_text(tmp_path, toml, expected):
    assert resolved(tmp_path, f"{ZOOM}fetch_addons = {toml}\n")["fetch_addons"] == expected


@pytest.mark.parametrize(
    ("value", "setting"),
    [("1.5e3", "client_id"), ("1500", "client_id"), ("42", "account_id"), ("-0.0", "api_url")],
)
def test_a_bare_number_is_refused_with_a_one_line_fix(tmp_path, value, setting):
    text = ZOOM.replace(f"{setting} = 'a'\n", "").replace(f"{setting} = 'c'\n", "") + f"{setting} = {value}\n"
    with pytest.raises(ConfigError) as raised:
        resolved(tmp_path, text)
    message = str(raised.value)
    assert message.endswith(f'{setting} must be a string: write the number in quotes, {setting} = "..."')
    assert len(message.splitlines()) == 1 and raised.value.exit_code == 2


def test_a_quoted_number_keeps_its_leading_zeros(tmp_path):
    text = ZOOM.replace("account_id = 'a'", "account_id = '007123'")
    assert resolved(tmp_path, text)["account_id"] == "007123"


def test_a_secret_written_as_a_number_is_refused_without_showing_it(tmp_path):
    text = "[connections.p]\nprovider = 'pair'\naccount = 'a'\ntoken = 8675309123\n"
    problems = check_connections(load_config(write(tmp_path, text), sections=()), PROVIDERS, {})
    assert "token must be a string" in str(problems["p"])
    assert "8675309123" not in str(problems["p"])


def test_a_list_is_refused(tmp_path):
    with pytest.raises(ConfigError, match='client_id must be a string, e.g. client_id = "..."'):
        resolved(tmp_path, ZOOM.replace("client_id = 'c'", "client_id = ['c']"))


def test_a_literal_secret_in_a_world_readable_file_is_warned_about_once_and_not_shown(tmp_path):
    config = load_config(
        write(tmp_path, f"[connections.p]\nprovider = 'pair'\naccount = 'a'\ntoken = '{SECRET}'\n", mode=0o644)
    )
    assert check_connections(config, PROVIDERS, {}) == {}
    resolve_settings(config.connections["p"], PROVIDERS["pair"], config, {})  # the sync resolves again
    assert len(config.warnings) == 1
    assert "holds the secret token of connection 'p' and other users can read it: chmod 600" in config.warnings[0]
    assert SECRET not in config.warnings[0]


def test_a_private_file_may_hold_a_literal_secret_without_a_warning(tmp_path):
    config = load_config(write(tmp_path, f"[connections.p]\nprovider = 'pair'\naccount = 'a'\ntoken = '{SECRET}'\n"))
    assert resolve_settings(config.connections["p"], PROVIDERS["pair"], config, {})["token"] == SECRET
    assert config.warnings == []


def test_a_number_setting_may_be_written_bare_and_others_may_not(tmp_path):
    from seatkeeper.config import load_config, resolve_settings
    from seatkeeper.provider import Provider, Setting

    class Timed(Provider):
        name = "timed"
        settings = (Setting("account_id", "id"), Setting("max_wait", "seconds", required=False, number=True))

    path = tmp_path / "seatkeeper.toml"
    path.write_text('[connections.t]\nprovider = "timed"\naccount_id = "0042"\nmax_wait = 2.5\n')
    config = load_config(path)
    resolved = resolve_settings(config.connections["t"], Timed(), config, environ={})
    assert resolved == {"account_id": "0042", "max_wait": "2.5"}


def test_a_csv_connection_must_name_its_application_and_zoom_names_its_own(tmp_path):
    from seatkeeper.config import application_of, check_connections, load_config
    from seatkeeper_csv import CsvProvider
    from seatkeeper_zoom import ZoomProvider

    path = tmp_path / "seatkeeper.toml"
    path.write_text(
        '[connections.figma]\nprovider = "csv"\npath = "/x.csv"\napplication = "Figma"\n'
        '[connections.miro]\nprovider = "csv"\npath = "/y.csv"\n'
        '[connections.zoom-us]\nprovider = "zoom"\naccount_id = "a"\nclient_id = "b"\nclient_secret_env = "S"\n'
    )
    config = load_config(path)
    providers = {"csv": CsvProvider(), "zoom": ZoomProvider()}
    problems = check_connections(config, providers, environ={"S": "secret-value"})
    assert list(problems) == ["miro"] and 'add application = "..."' in str(problems["miro"])
    assert application_of(config.connections["figma"], providers["csv"]) == "Figma"
    assert application_of(config.connections["zoom-us"], providers["zoom"]) == "Zoom"
