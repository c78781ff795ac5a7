"""The Zoom provider against hostile servers on 127.0.0.1: nothing a server does can hold a sync forever.

Issue 12: endless page tokens, an answer trickling in, a silent server, a Retry-After too long to wait, and a
stop request (Ctrl-C, SIGTERM) during a long Retry-After wait; plus HTML pages where JSON was expected.
Timeouts are small so the tests stay fast; the servers are real HTTP servers (``tests/zoom_server``).
"""

from __future__ import annotations

import re
import threading
import typing
from pathlib import Path

import pytest

from seatkeeper import BadProviderData, ConfigError, ProviderUnavailable, RateLimited, cancel
from seatkeeper.config import load_config, resolve_settings
from seatkeeper.errors import Interrupted
from seatkeeper.provider import Provider
from seatkeeper_zoom import ZoomProvider
from seatkeeper_zoom.addons import addons_enabled
from seatkeeper_zoom.client import ZoomClient
from seatkeeper_zoom.transport import RetryPolicy
from seatkeeper_zoom.users import UNANNOUNCED_PAGE_LIMIT, page_limit

from .zoom_testkit import LOCALHOST_ONLY, Recorder, Waits, account, fake_zoom, users_of

pytestmark = LOCALHOST_ONLY


@pytest.fixture
def stop_flag():
    """Leaves no stop request behind for the next test."""
    cancel.reset()
    yield
    cancel.reset()


def fetch_all(provider: ZoomProvider, settings: dict) -> list:
    """Authenticate and fetch everything, as the engine would."""
    session = provider.authenticate(settings)
    try:
        return list(provider.fetch(session, Recorder().context(settings)))
    finally:
        session.close()


def list_requests(zoom, status: str) -> list:
    return [request for request in zoom.requests_to("/v2/users") if request.query.get("status") == status]


# ---- a stop request ends a wait at once ------------------------------------------------------------------


def test_a_stop_request_ends_a_long_retry_after_wait_at_once(stop_flag):
    with fake_zoom([account(active=3)]) as zoom:
        zoom.faults.rate_limit(retry_after="299", times=None)
        provider = ZoomProvider(workers=1)  # the default policy: waits go through seatkeeper.cancel.sleep
        session = provider.authenticate(zoom.settings())
        outcome: list[BaseException | None] = []

        def fetch() -> None:
            try:
                list(provider.fetch(session, Recorder().context()))
                outcome.append(None)
            except BaseException as error:
                outcome.append(error)

        fetching = threading.Thread(target=fetch, daemon=True)
        stopper = threading.Timer(0.2, cancel.request_stop, args=("interrupted by Ctrl-C",))
        fetching.start()
        stopper.start()
        try:
            fetching.join(timeout=30)  # generous: without the stop, the wait alone is 299 s
        finally:
            stopper.cancel()  # a stop must not fire after the test (the fixture's reset) and leak into the next
            stopper.join()
            session.close()

        assert not fetching.is_alive(), "the Retry-After wait was not ended by the stop request"
        [error] = outcome
        assert isinstance(error, Interrupted)
        assert len(zoom.requests_to("/v2/users")) == 1  # no retry after the stop


def test_the_default_policy_waits_through_seatkeeper_cancel():
    assert RetryPolicy().sleep is cancel.sleep


# ---- (a) page tokens that never end ----------------------------------------------------------------------


def test_a_list_that_keeps_giving_page_tokens_stops_near_the_announced_count():
    with fake_zoom([account(active=20, inactive=2)]) as zoom:
        zoom.faults.endless_pages("active")  # 20 users of 8 a page: Zoom announces page_count 3
        with pytest.raises(BadProviderData) as raised:
            fetch_all(ZoomProvider(policy=RetryPolicy(sleep=Waits()), page_size=8, workers=1), zoom.settings())

    assert str(raised.value) == (
        "Zoom kept sending a next_page_token after 6 pages of the active users (GET /users?status=active), more "
        "than its first page announced: the sync stopped instead of paging forever; try again later"
    )
    assert len(list_requests(zoom, "active")) == 6  # 3 announced + a margin of 3


@pytest.mark.parametrize(
    ("first_page", "limit"),
    [
        ({"page_count": 3, "total_records": 20, "page_size": 8}, 6),  # a margin of 3 pages at least
        ({"page_count": 100}, 110),  # ... or a tenth
        ({"total_records": 45, "page_size": 10}, 8),  # no page_count: from the total and Zoom's page size
        ({"total_records": 45}, 8),  # ... or the page size asked for
        ({"page_count": 0, "total_records": 30, "page_size": 10}, 6),  # the larger of the two
        ({"page_count": "3", "total_records": None}, UNANNOUNCED_PAGE_LIMIT),  # nothing usable announced
    ],
)
def test_the_page_limit_follows_what_the_first_page_announces(first_page, limit):
    assert page_limit(first_page, page_size=10) == limit


def test_a_list_that_grows_a_little_during_the_sync_is_still_followed():
    users = account(active=20)
    with fake_zoom([users]) as zoom:

        def grow(_request, server):  # users added after the first page was served
            server.snapshots[0] = users + account(active=36)[20:]

        zoom.faults.add(grow, times=1, skip=1, path="/v2/users", when=lambda r: r.query.get("status") == "active")
        items = fetch_all(ZoomProvider(policy=RetryPolicy(sleep=Waits()), page_size=8, workers=1), zoom.settings())

    assert len(users_of(items)) == 36  # 5 pages, though the first page announced 3


# ---- (b) an answer trickling in, (c) a silent server --------------------------------------------------------


def test_an_answer_trickling_in_is_cut_off_at_the_request_timeout():
    with fake_zoom([account(active=3)]) as zoom:
        host = zoom.base_url.removeprefix("http://")
        zoom.faults.trickle(0.05)  # about 1.5 KB at 20 bytes a second: over a minute
        settings = {**zoom.settings(), "request_timeout": "0.5"}
        with pytest.raises(ProviderUnavailable) as raised:
            fetch_all(ZoomProvider(policy=RetryPolicy(sleep=Waits()), workers=1), settings)

    assert str(raised.value) == (
        f"{host} took more than 0.5 s to answer (it was still sending): the network or a proxy in between is very "
        "slow; try again later, or raise request_timeout (ZOOM_REQUEST_TIMEOUT)"
    )
    assert len(zoom.requests_to("/v2/users")) == 1  # a trickle is not retried: it would trickle again


def test_a_silent_server_fails_with_a_clear_message():
    waits = Waits()
    with fake_zoom([account(active=3)]) as zoom:
        host = zoom.base_url.removeprefix("http://")
        zoom.faults.delay(3.0, path="/v2/users")  # the server says nothing for longer than the read timeout
        provider = ZoomProvider(policy=RetryPolicy(sleep=waits, max_retries=1, timeout=(2.0, 0.3)), workers=1)
        with pytest.raises(ProviderUnavailable) as raised:
            fetch_all(provider, zoom.settings())

    assert str(raised.value) == (
        f"{host} did not answer within 0.3 s (2 tries): Zoom or the network in between is down or overloaded; "
        "try again later"
    )
    assert len(zoom.requests_to("/v2/users")) == 2


def test_request_timeout_also_bounds_each_silence():
    policy = ZoomProvider(policy=RetryPolicy(timeout=(10.0, 60.0))).connection_policy({"request_timeout": "5"})
    assert (policy.request_timeout, policy.timeout) == (5.0, (5.0, 5.0))


# ---- (d) a Retry-After longer than max_retry_wait ----------------------------------------------------------


def test_a_retry_after_beyond_max_retry_wait_stops_and_names_the_setting():
    waits = Waits()
    with fake_zoom([account(active=3)]) as zoom:
        zoom.faults.rate_limit(retry_after="120", times=None)
        settings = {**zoom.settings(), "max_retry_wait": "60"}
        with pytest.raises(RateLimited) as raised:
            fetch_all(ZoomProvider(policy=RetryPolicy(sleep=waits), workers=1), settings)

    assert re.fullmatch(
        r"Zoom's rate limit asks to wait until \S+ \S+ UTC \(120 s\) before page 1 of the active users "
        r"\(GET /users\?status=active\), longer than max_retry_wait \(60 s\): the sync stopped; try again then, "
        r"or raise max_retry_wait \(ZOOM_MAX_RETRY_WAIT\)",
        str(raised.value),
    )
    assert waits == []
    assert len(zoom.requests_to("/v2/users")) == 1


def test_a_retry_after_within_max_retry_wait_is_waited_out():
    waits = Waits()
    with fake_zoom([account(active=3)]) as zoom:
        zoom.faults.rate_limit(retry_after="120")
        settings = {**zoom.settings(), "max_retry_wait": "600"}
        items = fetch_all(ZoomProvider(policy=RetryPolicy(sleep=waits, max_retry_wait=60), workers=1), settings)

    assert len(users_of(items)) == 3
    assert waits == [120.0]  # the setting overrides the provider's policy


@pytest.mark.parametrize("name", ["max_retry_wait", "request_timeout"])
@pytest.mark.parametrize("value", ["soon", "0", "-5", "inf", "nan"])
def test_time_settings_must_be_positive_seconds(name, value):
    settings = {"account_id": "a", "client_id": "b", "client_secret": "c", name: value}
    with pytest.raises(ConfigError) as raised:
        ZoomProvider().authenticate(settings)  # fails before any request (--block-network would refuse one)
    env = "ZOOM_" + name.upper()
    assert str(raised.value) == (
        f"the Zoom setting {name} must be a positive number of seconds, not {value!r}: check {env} or the "
        f"connection's {name}"
    )


def test_time_settings_and_a_bare_toml_boolean_from_a_config_file(tmp_path: Path):
    path = tmp_path / "seatkeeper.toml"
    path.write_text(
        '[connections.zoom]\naccount_id = "a"\nclient_id = "b"\nclient_secret = "c"\n'
        "fetch_addons = true\nmax_retry_wait = 90\nrequest_timeout = 30.5\n",
        encoding="utf-8",
    )
    config = load_config(path)
    provider = ZoomProvider()
    settings = resolve_settings(config.connections["zoom"], provider, config, environ={})

    assert addons_enabled(settings) is True
    policy = provider.connection_policy(settings)
    assert (policy.max_retry_wait, policy.request_timeout) == (90.0, 30.5)


@pytest.mark.parametrize(("value", "enabled"), [("true", True), ("TRUE", True), (" True ", True), ("False", False)])
def test_fetch_addons_takes_true_and_false_in_any_case(value, enabled):
    assert addons_enabled({"fetch_addons": value}) is enabled


# ---- HTML where JSON was expected ----------------------------------------------------------------------------


def test_an_html_page_instead_of_a_user_list_is_named_as_such():
    with fake_zoom([account(active=3)]) as zoom:
        host = zoom.base_url.removeprefix("http://")
        zoom.faults.html_page(200)
        with pytest.raises(BadProviderData) as raised:
            fetch_all(ZoomProvider(policy=RetryPolicy(sleep=Waits()), workers=1), zoom.settings())

    assert str(raised.value) == (
        f"{host} answered page 1 of the active users (GET /users?status=active) with an HTML page, not JSON: is "
        "api_url right? (a proxy or captive portal?)"
    )


def test_an_html_error_page_that_outlasts_the_retries_is_named_as_such():
    with fake_zoom([account(active=3)]) as zoom:
        zoom.faults.html_page(502)
        with pytest.raises(ProviderUnavailable) as raised:
            fetch_all(ZoomProvider(policy=RetryPolicy(sleep=Waits(), max_retries=1), workers=1), zoom.settings())

    assert "kept failing with HTTP 502 after 2 tries (answered with an HTML page, not JSON: is api_url right?" in (
        str(raised.value)
    )


def test_an_html_page_from_the_token_endpoint_puts_oauth_url_in_doubt():
    with fake_zoom([account(active=3)]) as zoom:
        zoom.faults.html_page(200, path="/oauth/token")
        with pytest.raises(BadProviderData) as raised:
            ZoomProvider(policy=RetryPolicy(sleep=Waits())).authenticate(zoom.settings())

    assert str(raised.value).endswith("with an HTML page, not JSON: is oauth_url right? (a proxy or captive portal?)")


# ---- the session type ------------------------------------------------------------------------------------


def test_the_provider_declares_its_session_type():
    [base] = ZoomProvider.__orig_bases__  # type: ignore[attr-defined]
    assert typing.get_origin(base) is Provider and typing.get_args(base) == (ZoomClient,)
