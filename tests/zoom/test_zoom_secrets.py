"""The client secret and access tokens never reach a cassette, a message, a log line or a repr."""

from __future__ import annotations

import base64
import logging
import re
import traceback

import pytest
import yaml

from seatkeeper import ConfigError, ProviderError
from seatkeeper_zoom import ZoomProvider
from seatkeeper_zoom.fake_server import Reply
from seatkeeper_zoom.transport import RetryPolicy
from tests.conftest import CASSETTES, SCRUBBED, TEST_CLIENT_ID, TEST_CLIENT_SECRET

from .zoom_testkit import LOCALHOST_ONLY, Recorder, Waits, account, chain_text, fake_zoom, sync, users_of

BASIC_CREDENTIALS = base64.b64encode(f"{TEST_CLIENT_ID}:{TEST_CLIENT_SECRET}".encode()).decode()
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")  # Zoom's access tokens are JWTs


# ---- cassettes ---------------------------------------------------------------------------------------


def all_cassettes():
    return sorted(CASSETTES.rglob("*.yaml"))


def test_there_are_cassettes_to_check():
    assert len(all_cassettes()) >= 20


@pytest.mark.parametrize("path", all_cassettes(), ids=lambda path: str(path.relative_to(CASSETTES)))
def test_cassettes_hold_no_secrets(path):
    text = path.read_text(encoding="utf-8")

    assert TEST_CLIENT_SECRET not in text
    assert BASIC_CREDENTIALS not in text
    assert not re.search(r"Bearer\s+(?!SCRUBBED\b)\S+", text), "an unscrubbed bearer token"
    assert not re.search(r"Basic\s+[A-Za-z0-9+/]{6,}=*", text), "unscrubbed Basic credentials"
    assert not JWT.search(text), "something that looks like a real access token"
    assert not re.search(r"account_id=(?!SCRUBBED\b)", text), "an unscrubbed account id in a token request"

    for interaction in yaml.safe_load(text)["interactions"]:
        for name, values in interaction["request"]["headers"].items():
            if name.lower() in ("authorization", "cookie"):
                assert values == [SCRUBBED], f"{name} header not scrubbed"
        for name in interaction["response"]["headers"]:
            assert name.lower() != "set-cookie"
        body = interaction["response"]["body"]["string"]
        if '"access_token"' in body:
            assert re.search(r'"access_token"\s*:\s*"SCRUBBED"', body), "an access token that is not SCRUBBED"


# ---- messages, logs and reprs ------------------------------------------------------------------------


def assert_clean(text: str, tokens: list[str]) -> None:
    assert TEST_CLIENT_SECRET not in text
    assert BASIC_CREDENTIALS not in text
    for token in tokens:
        assert token not in text


def failure(provider, settings):
    """The error of authenticating and fetching everything."""
    with pytest.raises(ProviderError) as raised:
        session = provider.authenticate(settings)
        list(provider.fetch(session, Recorder().context(settings)))
    return raised.value


def echo_secrets_in_token_error(request, server):
    # A hostile or buggy server repeating the credentials back in its error text.
    return Reply(
        400,
        {
            "error": "invalid_scope",
            "reason": f"nope for {TEST_CLIENT_SECRET} / Basic {BASIC_CREDENTIALS} / {BASIC_CREDENTIALS}",
        },
    )


def echo_token_in_api_error(request, server):
    return Reply(400, {"code": 300, "message": f"the token {request.token} is not welcome here"})


@LOCALHOST_ONLY
@pytest.mark.parametrize(
    "arrange",
    [
        pytest.param(lambda zoom: {"client_secret": TEST_CLIENT_SECRET + "x"}, id="wrong secret"),
        pytest.param(lambda zoom: {"account_id": "wrong"}, id="wrong account"),
        pytest.param(
            lambda zoom: zoom.faults.add(echo_secrets_in_token_error, path="/oauth/token"), id="echoed secret"
        ),
        pytest.param(lambda zoom: zoom.faults.add(echo_token_in_api_error, path="/v2/users"), id="echoed token"),
        pytest.param(lambda zoom: zoom.faults.server_error(503, times=None, path="/oauth/token"), id="token 503"),
        pytest.param(lambda zoom: zoom.faults.rate_limit(daily=True, path="/oauth/token"), id="token daily limit"),
        pytest.param(lambda zoom: zoom.faults.server_error(502, times=None), id="api 502"),
        pytest.param(lambda zoom: zoom.faults.drop_connection(times=None), id="dropped connections"),
        pytest.param(
            lambda zoom: zoom.faults.add(lambda r, s: Reply(200, b"not json"), path="/oauth/token"), id="token not json"
        ),
        pytest.param(
            lambda zoom: zoom.faults.add(
                lambda r, s: Reply(401, {"code": 124, "message": "x"}), times=None, path="/v2/users"
            ),
            id="token refused twice",
        ),
    ],
)
def test_errors_never_contain_the_secret_or_a_token(arrange, caplog):
    caplog.set_level(logging.DEBUG)
    with fake_zoom([account(active=3, inactive=1, pending=1)]) as zoom:
        overrides = arrange(zoom)
        settings = {**zoom.settings(), **(overrides if isinstance(overrides, dict) else {})}
        error = failure(ZoomProvider(policy=RetryPolicy(sleep=Waits(), max_retries=1)), settings)
        tokens = list(zoom.issued_tokens)

    text = chain_text(error) + "".join(traceback.format_exception(error)) + caplog.text
    assert_clean(text, tokens)


@LOCALHOST_ONLY
def test_credentials_echoed_by_the_server_are_masked():
    with fake_zoom([account(active=1)]) as zoom:
        zoom.faults.add(echo_secrets_in_token_error, path="/oauth/token")
        error = failure(ZoomProvider(policy=RetryPolicy(sleep=Waits())), zoom.settings())

    assert str(error) == "Zoom refused to issue an access token: nope for *** / Basic *** / *** (invalid_scope)"


@LOCALHOST_ONLY
def test_objects_and_logs_of_a_sync_do_not_show_credentials(caplog):
    caplog.set_level(logging.DEBUG)
    with fake_zoom([account(active=3)]) as zoom:
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()))
        session = provider.authenticate(zoom.settings())
        items, _ = sync(provider, zoom.settings())
        tokens = list(zoom.issued_tokens)

    shown = [provider, session, session.tokens, session.transport, *items]
    assert_clean("\n".join(repr(thing) + str(thing) for thing in shown) + caplog.text, tokens)
    assert tokens  # the check above had something to look for


@pytest.mark.parametrize("bad", ["secret with space", "sécret", "secret\n", "\x00secret"])
def test_malformed_secret_is_refused_without_echoing_it(bad):
    settings = {"account_id": "a", "client_id": "b", "client_secret": bad + "-" + TEST_CLIENT_SECRET}

    with pytest.raises(ConfigError) as raised:
        ZoomProvider(policy=RetryPolicy(sleep=Waits())).authenticate(settings)

    assert_clean(chain_text(raised.value), [])
    assert "client_secret" in str(raised.value)


def test_a_url_with_credentials_is_refused_without_echoing_them():
    settings = {
        "account_id": "a",
        "client_id": "b",
        "client_secret": "c",
        "api_url": f"https://user:{TEST_CLIENT_SECRET}@api.zoom.us/v2",
    }

    with pytest.raises(ConfigError) as raised:
        ZoomProvider(policy=RetryPolicy(sleep=Waits())).authenticate(settings)

    assert TEST_CLIENT_SECRET not in chain_text(raised.value)


@LOCALHOST_ONLY
def test_recording_a_sync_scrubs_the_credentials(vcr_config, tmp_path):
    """Records a real exchange (with the fake server) using tests/conftest.py's vcr_config, as a re-recording
    against Zoom would, and checks what lands in the cassette."""
    import vcr

    cassette_path = tmp_path / "recorded.yaml"
    with fake_zoom([account(active=3, inactive=1, pending=1)]) as zoom:
        with vcr.VCR(**vcr_config).use_cassette(str(cassette_path), record_mode="all"):
            items, _ = sync(ZoomProvider(policy=RetryPolicy(sleep=Waits()), page_size=2, workers=1), zoom.settings())
        tokens = list(zoom.issued_tokens)

    text = cassette_path.read_text(encoding="utf-8")
    assert len(users_of(items)) == 5 and tokens
    assert_clean(text, tokens)
    assert zoom.account_id not in text
    interactions = yaml.safe_load(text)["interactions"]
    assert len(interactions) == 7  # the token, 2 + 1 + 1 pages, then plan usage and the user summary
    for interaction in interactions:
        headers = {name.lower(): values for name, values in interaction["request"]["headers"].items()}
        assert headers["authorization"] == [SCRUBBED]
    assert '"access_token": "SCRUBBED"' in interactions[0]["response"]["body"]["string"]
    assert interactions[0]["request"]["body"] == "grant_type=account_credentials&account_id=SCRUBBED"
