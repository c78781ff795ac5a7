"""The Zoom provider against the fake Zoom server, over real sockets on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time

import pytest
import requests

from seatkeeper import (
    AuthenticationError,
    BadProviderData,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    Rejected,
    SeatStatus,
)
from seatkeeper_zoom import ZoomProvider
from seatkeeper_zoom.auth import TokenSource
from seatkeeper_zoom.fake_server import FakeZoom, Reply
from seatkeeper_zoom.transport import RetryPolicy, Transport

from .zoom_testkit import LOCALHOST_ONLY, Recorder, Waits, account, fake_zoom, records, sync, users_of, zoom_user

pytestmark = LOCALHOST_ONLY


def fetch_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("seatkeeper-zoom-")]


def wait_for_no_fetch_threads(timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while fetch_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not fetch_threads(), "fetch threads still running"


def list_requests(zoom: FakeZoom, status: str | None = None):
    return [
        request for request in zoom.requests_to("/v2/users") if status is None or request.query.get("status") == status
    ]


# ---- the whole account ---------------------------------------------------------------------------------


def test_full_sync_lists_every_status_page_by_page():
    users = account(active=650, inactive=5, pending=4)
    with fake_zoom([users]) as zoom:
        items, recorder = sync(ZoomProvider(policy=RetryPolicy(sleep=Waits())), zoom.settings())

        assert zoom.tokens_issued == 1  # one token, shared by the three status threads
        assert len(list_requests(zoom, "active")) == 3  # 300 + 300 + 50
        assert {request.query["page_size"] for request in list_requests(zoom)} == {"300"}

    found = records(items)
    assert len(found) == len(users_of(items)) == 659
    assert {item.key for item in found} == {u["id"] for u in users if u["status"] != "pending"} | {
        f"email:{u['email']}" for u in users if u["status"] == "pending"
    }
    assert {item.status for item in found} == {SeatStatus.ACTIVE, SeatStatus.INACTIVE, SeatStatus.PENDING}
    assert sorted(recorder.totals)[-1] == 659  # the three lists' total_records, summed
    assert recorder.advanced == 659
    assert recorder.warnings == []


def test_status_lists_are_fetched_concurrently():
    # Each list's first request waits until the three are in flight together: a sequential fetch would time out.
    barrier = threading.Barrier(3, timeout=5)

    def rendezvous(_request, _server):
        barrier.wait()

    with fake_zoom([account(active=3, inactive=2, pending=1)]) as zoom:
        zoom.faults.add(rendezvous, times=3, path="/v2/users")
        items, _ = sync(ZoomProvider(policy=RetryPolicy(sleep=Waits())), zoom.settings())

    assert len(users_of(items)) == 6
    assert not barrier.broken


def round_robin(pages: dict[str, int], groups: list[list[str]]) -> list[tuple[str, int]]:
    """``(status, page number)`` in the order the fetch yields them: page 1 of each list of a group, then 2..."""
    order = []
    for group in groups:
        for number in range(1, max(pages[status] for status in group) + 1):
            order += [(status, number) for status in group if number <= pages[status]]
    return order


@pytest.mark.parametrize(
    ("workers", "groups"),
    [(3, [["active", "inactive", "pending"]]), (2, [["active", "inactive"], ["pending"]])],
)
def test_the_order_of_the_users_does_not_depend_on_which_list_answers_first(workers, groups):
    # 20 active, 12 inactive, 10 pending users, 4 a page: 5, 3 and 3 pages.
    users = account(active=20, inactive=12, pending=10)
    expected = [
        status
        for status, number in round_robin({"active": 5, "inactive": 3, "pending": 3}, groups)
        for _ in range(min(4, {"active": 20, "inactive": 12, "pending": 10}[status] - 4 * (number - 1)))
    ]
    orders = []
    for slow in ("active", "pending"):  # one run where the active list lags, one where the pending list does
        with fake_zoom([users]) as zoom:
            zoom.faults.delay(0.05, path="/v2/users", when=lambda r, slow=slow: r.query.get("status") == slow)
            provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()), page_size=4, workers=workers)
            items, _ = sync(provider, zoom.settings())
        orders.append([item.key for item in users_of(items)])
        assert [item.status.value for item in users_of(items)] == expected

    assert orders[0] == orders[1]


def test_snapshots_are_served_under_prefixes():
    first, second = account(active=2), account(active=3, pending=1)
    with fake_zoom([first, second]) as zoom:
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()))
        old, _ = sync(provider, zoom.settings(0))
        new, _ = sync(provider, zoom.settings(1))
        latest, _ = sync(provider, zoom.settings())

    assert [len(users_of(items)) for items in (old, new, latest)] == [2, 4, 4]


def test_summary_counts_the_account():
    users = [zoom_user(1), zoom_user(2, zoom_type=1), zoom_user(3, zoom_type=99), zoom_user(4, status="pending")]
    with fake_zoom([users]) as zoom:
        session = ZoomProvider(policy=RetryPolicy(sleep=Waits())).authenticate(zoom.settings())
        summary = session.get("/users/summary")

    assert summary == {
        "licensed_users_count": 1,
        "basic_users_count": 1,
        "on_prem_users_count": 0,
        "room_users_count": 0,
        "pending_users_count": 1,
        "join_only_users_count": 1,
        "total_users_count": 3,
    }


# ---- tokens --------------------------------------------------------------------------------------------


def test_token_expiry_mid_pagination_gets_one_new_token():
    with fake_zoom([account(active=30, inactive=20, pending=10)]) as zoom:
        zoom.faults.expire_tokens(after=2)
        items, _ = sync(ZoomProvider(policy=RetryPolicy(sleep=Waits()), page_size=5), zoom.settings())

        # However many threads saw the expired token, they share one replacement.
        assert zoom.tokens_issued == 2
        assert len({request.token for request in zoom.requests_to("/v2/users")}) == 2

    assert len(users_of(items)) == 60


def test_token_is_reused_across_connections_with_the_same_credentials():
    with fake_zoom([account(active=1)]) as zoom:
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()))
        sync(provider, zoom.settings())
        sync(provider, zoom.settings())

        assert zoom.tokens_issued == 1


def test_token_is_renewed_a_minute_before_it_expires():
    now = [1000.0]
    with fake_zoom([account(active=1)], token_ttl=3599) as zoom:
        settings = zoom.settings()
        tokens = TokenSource(
            Transport(RetryPolicy(sleep=Waits())),
            settings["oauth_url"],
            settings["account_id"],
            settings["client_id"],
            settings["client_secret"],
            clock=lambda: now[0],
        )
        first = tokens.token()
        now[0] += 3599 - 61
        assert tokens.token() == first
        now[0] += 2
        assert tokens.token() != first
        assert zoom.tokens_issued == 2


def test_wrong_secret_is_an_authentication_error():
    with fake_zoom([account(active=1)]) as zoom:
        settings = {**zoom.settings(), "client_secret": "not-the-secret"}
        with pytest.raises(AuthenticationError, match="client id/secret"):
            ZoomProvider(policy=RetryPolicy(sleep=Waits())).authenticate(settings)
        assert zoom.requests_to("/v2/users") == []  # nothing fetched with bad credentials


def test_wrong_account_id_is_named():
    with fake_zoom([account(active=1)]) as zoom:
        settings = {**zoom.settings(), "account_id": "someone-else"}
        with pytest.raises(AuthenticationError, match="Zoom rejected the account id 'someone-else'"):
            ZoomProvider(policy=RetryPolicy(sleep=Waits())).authenticate(settings)


def test_missing_scope_names_it():
    with fake_zoom([account(active=1)], scopes=("user:read:user:admin",)) as zoom:
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()))
        with pytest.raises(PermissionDenied, match="add the scope user:read:list_users:admin to the Zoom app"):
            list(provider.fetch(provider.authenticate(zoom.settings()), Recorder().context()))
    wait_for_no_fetch_threads()


# ---- rate limits and failures --------------------------------------------------------------------------


def test_rate_limited_once_waits_retry_after():
    waits = Waits()
    with fake_zoom([account(active=3, inactive=1)]) as zoom:
        zoom.faults.rate_limit(retry_after="2")
        items, _ = sync(ZoomProvider(policy=RetryPolicy(sleep=waits)), zoom.settings())

    assert len(users_of(items)) == 4
    assert waits == [2.0]


def test_retry_after_beyond_max_wait_stops_instead_of_waiting():
    waits = Waits()
    with fake_zoom([account(active=3)]) as zoom:
        zoom.faults.rate_limit(retry_after="3600", times=None)
        provider = ZoomProvider(policy=RetryPolicy(sleep=waits, max_retry_wait=300))
        with pytest.raises(RateLimited, match="asks to wait until .* UTC"):
            list(provider.fetch(provider.authenticate(zoom.settings()), Recorder().context()))

    assert waits == []


def test_daily_limit_without_retry_after_names_the_reset_time():
    waits = Waits()
    with fake_zoom([account(active=3)]) as zoom:
        zoom.faults.rate_limit(daily=True, retry_after=None, times=None)
        provider = ZoomProvider(policy=RetryPolicy(sleep=waits))
        with pytest.raises(RateLimited) as raised:
            list(provider.fetch(provider.authenticate(zoom.settings()), Recorder().context()))

    assert str(raised.value) == (
        "Zoom's daily API limit is used up for this account; the sync stopped, try again after 00:00 UTC, "
        "when Zoom resets daily limits"
    )
    assert waits == []


def test_dropped_connection_is_retried():
    waits = Waits()
    with fake_zoom([account(active=4)]) as zoom:
        zoom.faults.drop_connection(times=2, when=lambda r: r.query.get("status") == "active")
        items, _ = sync(ZoomProvider(policy=RetryPolicy(sleep=waits)), zoom.settings())

    assert len(users_of(items)) == 4
    assert waits == [0.5, 1.0]


def test_answer_broken_off_mid_body_is_retried():
    waits = Waits()
    with fake_zoom([account(active=4)]) as zoom:
        zoom.faults.truncate_body(when=lambda r: r.query.get("status") == "active")
        items, _ = sync(ZoomProvider(policy=RetryPolicy(sleep=waits)), zoom.settings())

    assert len(users_of(items)) == 4
    assert waits == [0.5]


def test_server_errors_outlasting_retries_make_the_provider_unavailable():
    waits = Waits()
    with fake_zoom([account(active=4)]) as zoom:
        zoom.faults.server_error(503, times=None)
        provider = ZoomProvider(policy=RetryPolicy(sleep=waits, max_retries=3))
        with pytest.raises(ProviderUnavailable) as raised:
            list(provider.fetch(provider.authenticate(zoom.settings()), Recorder().context()))
        host = zoom.base_url.removeprefix("http://")

    assert str(raised.value).startswith(f"could not reach {host}: ")
    assert "HTTP 503 after 4 tries" in str(raised.value)
    assert max(waits) <= 4.0  # bounded: 0.5, 1, 2, 4 for the first list (others may run in parallel)
    wait_for_no_fetch_threads()


def test_refused_connection_names_the_host():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    waits = Waits()
    settings = {
        "account_id": "a",
        "client_id": "b",
        "client_secret": "c",
        "api_url": f"http://127.0.0.1:{port}/v2",
        "oauth_url": f"http://127.0.0.1:{port}/oauth/token",
    }
    with pytest.raises(ProviderUnavailable) as raised:
        ZoomProvider(policy=RetryPolicy(sleep=waits, max_retries=2)).authenticate(settings)

    assert str(raised.value) == f"could not reach 127.0.0.1:{port}: connection refused"
    assert waits == [0.5, 1.0]


def test_unknown_host_fails_at_once(monkeypatch):
    def no_such_host(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    waits = Waits()
    settings = {
        "account_id": "a",
        "client_id": "b",
        "client_secret": "c",
        "oauth_url": "https://zoom.invalid/oauth/token",
    }

    with pytest.raises(ProviderUnavailable) as raised:
        ZoomProvider(policy=RetryPolicy(sleep=waits)).authenticate(settings)

    assert str(raised.value) == "could not reach zoom.invalid: the host name does not resolve (DNS)"
    assert waits == []  # a typo in the URL will not fix itself


def test_failure_in_one_list_aborts_the_whole_fetch():
    broken = Reply(400, {"code": 300, "message": "Invalid field."})
    with fake_zoom([account(active=900, inactive=2, pending=2)]) as zoom:
        zoom.faults.add(lambda _r, _s: broken, when=lambda r: r.query.get("status") == "inactive")
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()), page_size=10)
        with pytest.raises(
            ProviderError, match=r"refused page 1 of the inactive users .* Invalid field\. \(code 300\)"
        ):
            list(provider.fetch(provider.authenticate(zoom.settings()), Recorder().context()))
        wait_for_no_fetch_threads()
        # The active list (90 pages) was abandoned, not fetched to the end.
        assert len(list_requests(zoom, "active")) < 90


def test_stopping_early_stops_the_threads():
    with fake_zoom([account(active=3000, inactive=3000, pending=3000)]) as zoom:
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()), page_size=10)
        stream = provider.fetch(provider.authenticate(zoom.settings()), Recorder().context())
        first = [next(stream) for _ in range(25)]
        stream.close()
        wait_for_no_fetch_threads()
        requested = len(list_requests(zoom))

    assert len(first) == 25
    assert requested < 30  # a few pages ahead at most (bounded queue), not the 900 pages of the account


def test_repeated_page_token_is_bad_data():
    def same_token_forever(request, server):
        first_page = dataclasses.replace(request, query={"status": request.query["status"], "page_size": "1"})
        status, body = server.answer(first_page)
        body["next_page_token"] = "the-same-token"
        return Reply(status, body)

    with fake_zoom([account(active=3)]) as zoom:
        zoom.faults.add(same_token_forever, times=None, path="/v2/users")
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()), workers=1)
        with pytest.raises(BadProviderData, match="next_page_token it had already given"):
            list(provider.fetch(provider.authenticate(zoom.settings()), Recorder().context()))


def test_unmappable_users_are_rejected_not_fatal():
    users = [zoom_user(1), zoom_user(2, type="2"), {"type": 1, "first_name": "Nobody"}, zoom_user(4, last_login_time=7)]
    with fake_zoom([users]) as zoom:
        items, _ = sync(ZoomProvider(policy=RetryPolicy(sleep=Waits())), zoom.settings())

    rejected = [item for item in items if isinstance(item, Rejected)]
    assert len(records(items)) == 1 and len(rejected) == 3
    assert {item.key for item in rejected} == {"user00002AAAAAAAAAAAAA", None, "user00004AAAAAAAAAAAAA"}


def test_fake_server_speaks_zoom_error_shapes():
    with fake_zoom([account(active=1)]) as zoom:
        no_token = requests.get(zoom.api_url() + "/users", timeout=5)
        bad_grant = requests.post(
            zoom.oauth_url(), data={"grant_type": "client_credentials"}, auth=("fake-client-id", "x"), timeout=5
        )

    assert no_token.status_code == 401 and no_token.json() == {"code": 124, "message": "Invalid access token."}
    assert bad_grant.status_code == 400 and bad_grant.json()["error"] == "invalid_client"


def test_closing_the_session_mid_fetch_ends_the_fetch():
    outcome: list[BaseException | None] = []
    with fake_zoom([account(active=3000, inactive=3000)]) as zoom:
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()), page_size=10)
        session = provider.authenticate(zoom.settings())
        stream = provider.fetch(session, Recorder().context())
        next(stream)
        session.close()

        def drain():
            try:
                for _ in stream:
                    pass
                outcome.append(None)
            except BaseException as error:
                outcome.append(error)

        consumer = threading.Thread(target=drain, daemon=True)
        consumer.start()
        consumer.join(timeout=10)

    assert not consumer.is_alive(), "the fetch hung after its session was closed"
    assert len(outcome) == 1 and isinstance(outcome[0], ProviderError)
    wait_for_no_fetch_threads()


def test_a_401_that_is_not_about_the_token_is_not_retried():
    with fake_zoom([account(active=2)]) as zoom:
        zoom.faults.add(lambda _r, _s: Reply(401, {"code": 401, "message": "Unauthorized request."}), path="/v2/users")
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()), workers=1)
        with pytest.raises(AuthenticationError) as raised:
            list(provider.fetch(provider.authenticate(zoom.settings()), Recorder().context()))
        assert zoom.tokens_issued == 1

    assert str(raised.value) == (
        "Zoom refused the access token for page 1 of the active users (GET /users?status=active): "
        "Unauthorized request; check that the Zoom app is activated and its credentials are current"
    )


# ---- plan usage, settings and scope switches -----------------------------------------------------------


def test_plan_usage_is_derived_from_the_users_unless_given():
    users = [zoom_user(1), zoom_user(2), zoom_user(3, zoom_type=1), zoom_user(4, status="pending")]
    given = {"plan_base": {"type": "yearly", "hosts": 10, "usage": 2}}
    with fake_zoom([users]) as derived, fake_zoom([users, users], plans=[given, None]) as explicit:
        derived_session = ZoomProvider(policy=RetryPolicy(sleep=Waits())).authenticate(derived.settings())
        assert derived_session.get("/accounts/me/plans/usage") == {
            "plan_base": {"type": "monthly", "hosts": 3, "usage": 2, "pending": 1}
        }
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()))
        assert provider.authenticate(explicit.settings(0)).get("/accounts/me/plans/usage") == given
        free = requests.get(
            explicit.api_url(1) + "/accounts/me/plans/usage",
            headers={"Authorization": f"Bearer {explicit.issued_tokens[-1]}"},
            timeout=5,
        )

    assert free.status_code == 400 and free.json() == {"code": 200, "message": "Only available for paid account."}
    with pytest.raises(ValueError, match="one plan usage per snapshot"):
        FakeZoom([users], plans=[given, given])


def test_user_settings_serve_the_feature_entry_which_the_list_leaves_out():
    users = [zoom_user(1, feature={"webinar": True, "webinar_capacity": 500}), zoom_user(2, status="pending")]
    with fake_zoom([users]) as zoom:
        session = ZoomProvider(policy=RetryPolicy(sleep=Waits())).authenticate(zoom.settings())
        listed = session.get("/users", {"status": "active"})["users"]
        settings = session.get(f"/users/{users[0]['id']}/settings")
        by_email = session.get("/users/user00001@example.com/settings")
        with pytest.raises(ProviderError, match=r"HTTP 404: User does not exist: .* \(code 1001\)"):
            session.get(f"/users/{users[1]['id']}/settings")  # an invitation has no settings

    assert "feature" not in listed[0]
    assert settings["feature"]["webinar"] is True and settings["feature"]["webinar_capacity"] == 500
    assert settings["feature"]["zoom_phone"] is False
    assert by_email == settings


def test_faults_switch_scopes_off_and_answer_as_a_free_account():
    with fake_zoom([account(active=2)]) as zoom:
        session = ZoomProvider(policy=RetryPolicy(sleep=Waits())).authenticate(zoom.settings())
        zoom.faults.missing_scope("user:read:summary:admin", path="/v2/users/summary", code=4700)
        zoom.faults.free_account(times=1)
        with pytest.raises(PermissionDenied, match="user:read:summary:admin"):
            session.get("/users/summary")
        with pytest.raises(ProviderError, match=r"Only available for paid account\. \(code 200\)"):
            session.get("/accounts/me/plans/usage")
        assert "plan_base" in session.get("/accounts/me/plans/usage")  # times=1: paid again
        zoom.revoke_scopes("billing:read:plan_usage:admin")
        with pytest.raises(PermissionDenied, match="billing:read:plan_usage:admin"):
            session.get("/accounts/me/plans/usage")


def test_routes_with_a_variable_part_are_matched_and_counted():
    users = account(active=4)
    with fake_zoom([users]) as zoom:
        zoom.faults.delay(0.05, path="/v2/users/{userId}/settings")
        session = ZoomProvider(policy=RetryPolicy(sleep=Waits())).authenticate(zoom.settings())
        threads = [threading.Thread(target=session.get, args=(f"/users/{user['id']}/settings",)) for user in users[:3]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert len(zoom.requests_to("/v2/users/{userId}/settings")) == 3
        assert zoom.peak_in_flight("/v2/users/{userId}/settings") == 3
        assert zoom.requests_to("/v2/users") == []


PLANS = "/v2/accounts/me/plans/usage"


@pytest.mark.parametrize(
    ("arrange", "warning"),
    [
        (
            lambda z: z.faults.rate_limit(path=PLANS, daily=True, retry_after=None, category="Heavy", times=None),
            "purchased seats were not read: Zoom's rate limit for plan usage (Heavy category",
        ),
        (
            lambda z: z.faults.server_error(503, path=PLANS, times=None),
            "purchased seats were not read: could not reach 127.0.0.1:",
        ),
        (
            lambda z: z.faults.add(lambda r, s: Reply(200, b"{not json"), path=PLANS),
            "purchased seats were not read: Zoom answered the plan usage request (GET /accounts/me/plans/usage) "
            "with malformed JSON",
        ),
        (
            lambda z: z.faults.server_error(502, path="/v2/users/summary", times=None),
            "the sync was not checked against Zoom's user counts: could not reach 127.0.0.1:",
        ),
    ],
    ids=["plans daily limit", "plans 503", "plans bad JSON", "summary 502"],
)
def test_optional_calls_that_fail_are_warnings_not_failures(arrange, warning):
    with fake_zoom([account(active=3, pending=1)]) as zoom:
        arrange(zoom)
        items, recorder = sync(ZoomProvider(policy=RetryPolicy(sleep=Waits(), max_retries=1)), zoom.settings())

    assert len(records(items)) == 4
    assert len(recorder.warnings) == 1 and recorder.warnings[0].startswith(warning), recorder.warnings
