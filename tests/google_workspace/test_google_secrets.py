"""The private key and access tokens never reach a cassette, a message, a log line, a repr or the database."""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from seatkeeper import ProviderError
from seatkeeper.testing import open_database, sync
from tests.conftest import CASSETTES, SCRUBBED
from tests.google_server import Faults

from .kit import LOCALHOST_ONLY, fake_google, fetch, make_key, provider, server_settings, shared_key

REPO = Path(__file__).resolve().parents[2]
PEM_HEADER = "-----BEGIN " + "PRIVATE KEY-----"  # split so this file does not match its own check
RSA_HEADER = "-----BEGIN " + "RSA PRIVATE KEY-----"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def google_cassettes():
    return sorted(CASSETTES.glob("test_google_*/*.yaml"))


def test_there_are_cassettes_to_check():
    assert len(google_cassettes()) >= 10


@pytest.mark.parametrize("path", google_cassettes(), ids=lambda path: path.name)
def test_cassettes_hold_no_secrets(path):
    text = path.read_text(encoding="utf-8")
    assert PEM_HEADER not in text and RSA_HEADER not in text
    assert "private_key" not in text
    assert not JWT.search(text), "something that looks like a signed JWT (an assertion or an ID token)"
    assert not re.search(r"ya29\.", text), "something that looks like a Google access token"
    assert not re.search(r"Bearer\s+(?!SCRUBBED\b)\S+", text), "an unscrubbed bearer token"
    for interaction in yaml.safe_load(text)["interactions"]:
        request = interaction["request"]
        for name, values in request["headers"].items():
            if name.lower() in ("authorization", "cookie"):
                assert values == [SCRUBBED], f"{name} header not scrubbed"
        if request["body"]:
            assert "assertion=SCRUBBED" in request["body"], "a token request whose signed assertion was recorded"
        body = interaction["response"]["body"]["string"]
        if '"access_token"' in body:
            assert re.search(r'"access_token"\s*:\s*"SCRUBBED"', body)


def test_no_private_key_is_committed():
    """No file of the repository holds a private key: tests make theirs at run time."""
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    holding = [name for name in listed if (REPO / name).is_file() and _has_key(REPO / name)]
    assert holding == []


def _has_key(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return False
    # A header alone (a help text naming it) is no key: a key is a header followed by its base64 body.
    return any(re.search(re.escape(header) + r"\s*\n[A-Za-z0-9+/=]{40,}", text) for header in (PEM_HEADER, RSA_HEADER))


def secrets_of(server, *keys) -> list[str]:
    values = list(server.issued_tokens)
    for key in keys:
        values.append(key.private_key)
        values += [line for line in key.private_key.splitlines() if len(line) >= 40 and "BEGIN" not in line]
    return values


def assert_clean(texts, secrets):
    for text in texts:
        for secret in secrets:
            assert secret not in text, f"a secret in {text[:120]!r}"


@LOCALHOST_ONLY
@pytest.mark.parametrize(
    "fault",
    ["expire", "quota", "html", "malformed", "server_error", "not_admin", "bad_key", "no_delegation"],
)
def test_errors_logs_and_reprs_hold_no_secret(fault, caplog):
    caplog.set_level(logging.DEBUG)
    key = shared_key()
    other = make_key() if fault == "bad_key" else key
    granted = ["https://www.googleapis.com/auth/apps.licensing"] if fault == "no_delegation" else None
    with fake_google(**({"granted_scopes": granted} if granted else {})) as server:
        faults = Faults(server)
        settings = server_settings(server, key=other)
        if fault == "expire":
            faults.expire_tokens(skip=0, times=None)
        elif fault == "quota":
            faults.quota_403(times=None)
        elif fault == "html":
            faults.html(path="/admin/directory/v1/users")
        elif fault == "malformed":
            faults.malformed(path="/apps/licensing")
        elif fault == "server_error":
            faults.server_error(times=None, path="/admin")
        elif fault == "not_admin":
            settings["subject"] = "li.na@example.com"
        google = provider(max_retries=1, workers=1)
        texts = [repr(google)]
        with pytest.raises(ProviderError) as raised:
            session = google.authenticate(settings)
            texts += [repr(session), repr(session.tokens)]
            fetch(google, settings)
        texts += [str(raised.value), repr(raised.value)]
        texts += [record.getMessage() for record in caplog.records]
        texts += [str(record.args) for record in caplog.records]
        assert_clean(texts, secrets_of(server, key, other))


@LOCALHOST_ONLY
def test_the_database_holds_no_secret(tmp_path):
    key = shared_key()
    with fake_google() as server:
        engine = open_database(tmp_path / "g.db")
        try:
            result = sync(engine, provider(), server_settings(server))
            assert result.ok, result.error
        finally:
            engine.dispose()
        data = (tmp_path / "g.db").read_bytes().decode("utf-8", "replace")
        assert "@example.com" in data  # the seats are there
        assert_clean([data], secrets_of(server, key))


@LOCALHOST_ONLY
def test_recording_a_sync_scrubs_the_credentials(tmp_path):
    """A re-recording (test_google_live.py's vcr_config) of a sync with the local server keeps no secret."""
    import vcr

    from tests.conftest import _scrub_response

    from .test_google_live import scrubbing

    config = scrubbing(
        {
            "filter_headers": [("authorization", SCRUBBED), ("cookie", None), ("set-cookie", None)],
            "before_record_response": _scrub_response,
            "decode_compressed_response": True,
        }
    )
    key = shared_key()
    with fake_google() as server:
        recorder = vcr.VCR(record_mode="all", **config)
        with recorder.use_cassette(str(tmp_path / "recorded.yaml")):
            fetch(provider(), server_settings(server))
        text = (tmp_path / "recorded.yaml").read_text(encoding="utf-8")
        assert "/token" in text and "/admin/directory/v1/users" in text
        assert_clean([text], secrets_of(server, key))
        assert not JWT.search(text)
        test_cassettes_hold_no_secrets(tmp_path / "recorded.yaml")
