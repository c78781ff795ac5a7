"""Settings and key problems: one clear line each, exit code 2 (ConfigError), no key material in the message."""

from __future__ import annotations

import json

import pytest

from seatkeeper import ConfigError
from seatkeeper.testing import resolve

from .kit import LOCALHOST_ONLY, SUBJECT, fake_google, fetch, provider, server_settings, shared_key

KEY = shared_key()


def refused(settings) -> str:
    """The one-line message of the ConfigError ``authenticate`` raises for ``settings``."""
    with pytest.raises(ConfigError) as raised:
        provider().authenticate({"subject": SUBJECT, **settings})
    message = str(raised.value)
    assert "\n" not in message
    for line in KEY.private_key.splitlines()[1:-1]:
        assert line not in message
    return message


def test_no_key_at_all():
    assert "no service-account key: set key_file" in refused({})


def test_key_file_missing(tmp_path):
    assert refused({"key_file": str(tmp_path / "nope.json")}) == (
        f"the key file {tmp_path / 'nope.json'} does not exist: check key_file (GOOGLE_WORKSPACE_KEY_FILE)"
    )


def test_key_file_is_a_folder(tmp_path):
    assert "is a folder, not a key file" in refused({"key_file": str(tmp_path)})


def test_key_file_not_json(tmp_path):
    path = tmp_path / "key.json"
    path.write_text(KEY.text()[:-20], encoding="utf-8")  # a key cut short: its text must not be echoed
    assert refused({"key_file": str(path)}).startswith(f"the key file {path} is not valid JSON: download the key again")


def test_key_json_not_json():
    assert refused({"key_json": KEY.private_key}).startswith(
        "the key JSON in key_json (GOOGLE_WORKSPACE_KEY_JSON) is not valid JSON"
    )


def test_not_a_service_account_key(tmp_path):
    path = tmp_path / "client.json"
    path.write_text(json.dumps({"type": "authorized_user", "client_id": "x", "refresh_token": "r"}), encoding="utf-8")
    assert "is not a service-account key (its type is 'authorized_user')" in refused({"key_file": str(path)})


def test_key_without_private_key():
    info = {**KEY.info, "private_key": ""}
    assert "has no private_key" in refused({"key_json": json.dumps(info)})


def test_private_key_damaged():
    lines = KEY.private_key.splitlines()
    damaged = "\n".join([lines[0], lines[1][:10] + "A" * 54, *lines[3:]])  # one line changed, one dropped
    message = refused({"key_json": json.dumps({**KEY.info, "private_key": damaged})})
    assert message == (
        f"the private key of service account {KEY.info['client_email']} cannot be read: download the JSON key again"
    )


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"subject": "admin"}, "subject must be the e-mail of an admin"),
        ({"subject": ""}, "subject must be the e-mail of an admin"),
        ({"usage_reports": "maybe"}, 'usage_reports must be "true" or "false"'),
        ({"requests_per_minute": "fast"}, "requests_per_minute must be a positive number"),
        ({"requests_per_minute": "0"}, "requests_per_minute must be a positive number"),
        ({"admin_url": "http://admin.example.com"}, "must use https"),
        ({"licensing_url": "ftp://x"}, "is not an http(s) URL"),
        ({"token_uri": "https://user:pw@oauth2.example.com/token"}, "must not contain a user name or password"),
    ],
)
def test_malformed_settings(settings, expected):
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        provider().authenticate({"subject": SUBJECT, "key_json": KEY.text(), **settings})


def test_setting_names_resolve_like_a_config_file():
    resolved = resolve(provider(), {"subject": SUBJECT, "key_file": "/k.json", "products": "Google-Apps"})
    assert resolved["admin_url"] == "https://admin.googleapis.com"
    assert resolved["usage_reports"] == "true"
    with pytest.raises(ConfigError):
        resolve(provider(), {"subject": SUBJECT, "customer": "C0"})  # not a setting


@LOCALHOST_ONLY
def test_key_file_works_and_its_token_uri_is_used(tmp_path):
    with fake_google() as server:
        settings = server_settings(server)
        token_uri = settings.pop("token_uri")
        settings.pop("key_json")
        key = KEY.info | {"token_uri": token_uri}
        path = tmp_path / "key.json"
        path.write_text(json.dumps(key), encoding="utf-8")
        fetched = fetch(provider(), {**settings, "key_file": str(path)})
    assert fetched.seats
    assert server.requests[0].path == "/token"
