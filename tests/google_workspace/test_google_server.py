"""The provider against the local Google-compatible server: throttling, expiring tokens, failures, odd data."""

from __future__ import annotations

import pytest

from seatkeeper import (
    AuthenticationError,
    BadProviderData,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SeatStatus,
    cancel,
)
from seatkeeper.errors import Interrupted
from seatkeeper_google_workspace.fake_server import Reply, api_error
from tests.google_server import Faults

from .kit import (
    LOCALHOST_ONLY,
    SUBJECT,
    Waits,
    fake_google,
    fetch,
    pack_assignments,
    pack_snapshot,
    pack_users,
    provider,
    server_settings,
)

pytestmark = LOCALHOST_ONLY

SEATS = len(pack_assignments())


@pytest.fixture
def server():
    with fake_google() as google:
        yield google


def small(waits=None, **kwargs):
    """A provider paging by 2, recording waits."""
    kwargs.setdefault("user_page_size", 2)
    kwargs.setdefault("license_page_size", 2)
    kwargs.setdefault("workers", 1)
    return provider(sleep=waits if waits is not None else Waits(), **kwargs)


def seat_keys(fetched):
    return sorted(seat.key for seat in fetched.seats)


def test_clean_run_has_every_seat_and_no_wait(server):
    waits = Waits()
    fetched = fetch(small(waits), server_settings(server))
    assert len(fetched.seats) == SEATS
    assert waits == []
    assert server.issued_tokens and len(server.issued_tokens) == 1  # one token for the whole run


def test_quota_403_is_retried_with_backoff(server):
    Faults(server).quota_403(times=2)
    waits = Waits()
    fetched = fetch(small(waits), server_settings(server))
    assert len(fetched.seats) == SEATS
    assert waits == [1.0, 2.0]


def test_quota_403_gives_up_after_the_retries(server):
    Faults(server).quota_403(times=None)
    waits = Waits()
    with pytest.raises(RateLimited, match="product Google-Apps.*try again later"):
        fetch(small(waits, max_retries=3), server_settings(server))
    assert waits == [1.0, 2.0, 4.0]


def test_deadline_stops_retrying_before_the_retries_run_out(server):
    Faults(server).quota_403(times=None)
    waits = Waits()
    google = small(waits, max_retries=10, deadline=10.0, clock=lambda: sum(waits))
    with pytest.raises(RateLimited):
        fetch(google, server_settings(server))
    assert waits == [1.0, 2.0, 4.0]  # the next wait (8 s) would end past the 10 s deadline


def test_429_with_decimal_retry_after(server):
    Faults(server).too_many(path="/admin/directory/v1/users", retry_after="2.5", times=1)
    waits = Waits()
    fetched = fetch(small(waits), server_settings(server))
    assert len(fetched.seats) == SEATS
    assert waits == [2.5]


def test_token_expiring_mid_paging_is_renewed(server):
    Faults(server).expire_tokens(skip=1)  # before the second Directory page
    fetched = fetch(small(), server_settings(server))
    assert len(fetched.seats) == SEATS
    assert len(server.issued_tokens) == 2
    refused = [
        r for r in server.requests if r.token == server.issued_tokens[0] and r.path == "/admin/directory/v1/users"
    ]
    assert len(refused) == 2  # page 1 served, page 2 refused with 401, then asked again with the new token


def test_token_refused_twice_is_an_authentication_error(server):
    Faults(server).expire_tokens(skip=1, times=None)
    with pytest.raises(AuthenticationError, match="even after a new one was issued"):
        fetch(small(), server_settings(server))


def test_server_errors_then_success(server):
    Faults(server).server_error(path="/admin/directory/v1/users", status=503, times=2)
    waits = Waits()
    fetched = fetch(small(waits), server_settings(server))
    assert len(fetched.seats) == SEATS
    assert waits == [1.0, 2.0]


def test_server_errors_exhausted(server):
    Faults(server).server_error(path="/admin/directory/v1/users", status=500, times=None)
    with pytest.raises(ProviderUnavailable, match=r"kept failing with HTTP 500 after 3 tries"):
        fetch(small(max_retries=2), server_settings(server))


def test_dropped_connection_is_retried(server):
    Faults(server).drop(path="/apps/licensing", times=1)
    waits = Waits()
    fetched = fetch(small(waits), server_settings(server))
    assert len(fetched.seats) == SEATS
    assert len(waits) == 1


def test_malformed_page(server):
    Faults(server).malformed(path="/admin/directory/v1/users", skip=1)
    with pytest.raises(BadProviderData, match="page 2 of the Directory users with malformed JSON"):
        fetch(small(), server_settings(server))


def test_html_page(server):
    Faults(server).html(path="/apps/licensing")
    with pytest.raises(BadProviderData, match="HTML page instead of JSON"):
        fetch(small(), server_settings(server))


def test_html_error_page_on_the_token_endpoint(server):
    Faults(server).html(path="/token", status=404)
    with pytest.raises(BadProviderData, match="token endpoint 127.0.0.1:\\d+ answered with HTML, not JSON"):
        fetch(small(), server_settings(server))


def test_token_endpoint_errors_then_success(server):
    Faults(server).server_error(path="/token", status=503, times=2)
    waits = Waits()
    fetched = fetch(small(waits), server_settings(server))
    assert len(fetched.seats) == SEATS
    assert waits == [1.0, 2.0]


def test_token_endpoint_keeps_failing(server):
    Faults(server).server_error(path="/token", status=502, times=None)
    with pytest.raises(ProviderUnavailable, match="the token endpoint kept failing with HTTP 502"):
        small(max_retries=1).authenticate(server_settings(server))


def test_token_endpoint_answering_html_with_200(server):
    Faults(server).html(path="/token", status=200)
    with pytest.raises(BadProviderData, match="token endpoint 127.0.0.1:\\d+ answered with something unreadable"):
        small().authenticate(server_settings(server))


def test_wrong_envelope(server):
    Faults(server).reply(Reply(200, {"users": {"id": "1"}}), path="/admin/directory/v1/users")
    with pytest.raises(BadProviderData, match="'users' that is not a list"):
        fetch(small(), server_settings(server))


def test_repeated_page_token(server):
    Faults(server).reply(
        Reply(200, {"users": [], "nextPageToken": "again"}), path="/admin/directory/v1/users", times=None
    )
    with pytest.raises(BadProviderData, match="nextPageToken it had already given"):
        fetch(small(), server_settings(server))


def test_page_bound(server):
    with pytest.raises(BadProviderData, match="more than 3 pages"):
        fetch(small(max_pages=3), server_settings(server))


def test_unreachable_api_host(server):
    settings = {**server_settings(server), "admin_url": "http://127.0.0.1:9"}
    with pytest.raises(ProviderUnavailable, match="could not reach 127.0.0.1:9: connection refused"):
        fetch(small(max_retries=1), settings)


def test_unreachable_token_endpoint(server):
    settings = {**server_settings(server), "token_uri": "http://127.0.0.1:9/token"}
    with pytest.raises(ProviderUnavailable, match="could not reach 127.0.0.1:9"):
        small(max_retries=1).authenticate(settings)


def test_a_stop_ends_a_backoff_at_once(server):
    def stop_then_refuse(_request, _server):
        cancel.request_stop("test")
        return Reply(403, api_error(403, "Quota exceeded", "rateLimitExceeded", domain="usageLimits"))

    Faults(server).add(stop_then_refuse, path="/apps/licensing")
    try:
        with pytest.raises(Interrupted):
            fetch(provider(sleep=cancel.sleep), server_settings(server))  # the real, stop-aware sleep
    finally:
        cancel.reset()


def test_pacing_spaces_requests(server):
    waits = Waits()
    fetch(small(waits, clock=lambda: sum(waits)), server_settings(server, requests_per_minute="60"))
    api_requests = [r for r in server.requests if r.path != "/token"]
    assert len(waits) == len(api_requests) - 1
    assert all(wait == pytest.approx(1.0) for wait in waits)


# ---- delegation and permissions


def test_delegation_missing_a_scope():
    granted = ["https://www.googleapis.com/auth/admin.directory.user.readonly"]
    with fake_google(granted_scopes=granted) as server, pytest.raises(PermissionDenied, match="not set up") as raised:
        small().authenticate(server_settings(server))
    assert "https://www.googleapis.com/auth/admin.reports.usage.readonly" in str(raised.value)


def test_without_usage_reports_the_reports_scope_is_not_asked_for():
    granted = [
        "https://www.googleapis.com/auth/admin.directory.user.readonly",
        "https://www.googleapis.com/auth/admin.directory.customer.readonly",
        "https://www.googleapis.com/auth/apps.licensing",
    ]
    with fake_google(granted_scopes=granted) as server:
        fetched = fetch(small(), server_settings(server, usage_reports="false"))
    assert len(fetched.seats) == SEATS
    assert fetched.plans == []


def test_subject_not_an_admin(server):
    settings = {**server_settings(server), "subject": "li.na@example.com"}
    with pytest.raises(PermissionDenied, match="the subject li.na@example.com may not read the customer"):
        fetch(small(), settings)


def test_unknown_subject(server):
    settings = {**server_settings(server), "subject": "nobody@example.com"}
    with pytest.raises(AuthenticationError, match="Google does not know the subject nobody@example.com"):
        small().authenticate(settings)


def test_reports_refused_is_a_warning(server):
    Faults(server).reply(
        Reply(403, api_error(403, "Not Authorized to access this resource/api", "forbidden")),
        path="/admin/reports",
        times=None,
    )
    fetched = fetch(small(), server_settings(server))
    assert len(fetched.seats) == SEATS
    assert fetched.plans == []
    assert len(fetched.warnings) == 1 and "Reports privilege" in fetched.warnings[0]


def test_reports_refusing_a_parameter_is_a_warning(server):
    Faults(server).reply(Reply(400, api_error(400, "Invalid value 'accounts:x'", "invalid")), path="/admin/reports")
    fetched = fetch(small(), server_settings(server))
    assert len(fetched.seats) == SEATS
    assert fetched.warnings[0].startswith("purchased seats are not known: Google refused the customer usage report")


def test_reports_without_data_for_a_week_is_a_warning():
    with fake_google([pack_snapshot(usage_date=None)]) as server:
        fetched = fetch(small(), server_settings(server))
        days = [r.path.rsplit("/", 1)[-1] for r in server.requests if r.path.startswith("/admin/reports")]
    assert days == ["2026-11-30", "2026-11-29", "2026-11-28", "2026-11-27", "2026-11-26", "2026-11-25", "2026-11-24"]
    assert fetched.plans == []
    assert fetched.warnings == [
        "Google's Reports API had no customer usage data for the last 7 days: purchased seats are not known this time"
    ]


def test_a_counter_that_is_not_a_number_is_a_warning():
    with fake_google([pack_snapshot(usage={"gsuite_unlimited_total_licenses": 12})]) as server:

        def odd(request, google):
            return Reply(
                200,
                {
                    "usageReports": [
                        {
                            "date": "2026-11-30",
                            "parameters": [
                                {"name": "accounts:gsuite_unlimited_total_licenses", "intValue": "12"},
                                {"name": "accounts:gsuite_unlimited_used_licenses", "intValue": "many"},
                            ],
                        }
                    ]
                },
            )

        Faults(server).add(odd, path="/admin/reports")
        fetched = fetch(small(), server_settings(server))
    [plan] = fetched.plans
    assert (plan.purchased, plan.assigned) == (12, None)
    assert fetched.warnings == [
        "Google's usage report gives gsuite_unlimited_used_licenses as 'many', not a count: it was left out"
    ]


# ---- products, SKUs and the join


def test_unknown_product_of_the_default_list_is_skipped_with_a_warning(server):
    Faults(server).reply(
        Reply(400, api_error(400, "Invalid productId", "invalid")), path="/apps/licensing/v1/product/101068/"
    )
    fetched = fetch(small(), server_settings(server))
    assert len(fetched.seats) == SEATS
    assert fetched.warnings == [
        "Google does not know product 101068 (Google refused page 1 of the licence assignments of product 101068 with "
        "HTTP 400: Invalid productId (invalid)); it was skipped"
    ]


def test_unknown_product_named_by_the_user_fails(server):
    with pytest.raises(ProviderError, match="product 999999 with HTTP 400"):
        fetch(small(), server_settings(server, products="Google-Apps,999999"))


def test_unknown_sku_is_billable_with_a_warning_and_free_skus_overrides():
    rows = pack_assignments() + [("scanner@example.com", "101047", "1010479999", "Gemini Something New")]
    with fake_google([pack_snapshot(assignments=rows)]) as server:
        fetched = fetch(small(), server_settings(server))
        free = fetch(small(), server_settings(server, free_skus="1010479999"))
    [seat] = [seat for seat in fetched.seats if seat.email == "scanner@example.com"]
    assert (seat.license_type, seat.billable) == ("Gemini Something New", True)
    assert fetched.warnings == [
        "1 seat(s) of SKU 1010479999 (product 101047) that seatkeeper does not know: counted as billable; if it is "
        "free, add it to free_skus"
    ]
    [seat] = [seat for seat in free.seats if seat.email == "scanner@example.com"]
    assert seat.billable is False


def test_free_sku_of_the_catalogue_is_not_billable():
    rows = [("scanner@example.com", "101047", "1010470002", "Gemini Labs")]
    with fake_google([pack_snapshot(assignments=rows)]) as server:
        [seat] = fetch(small(), server_settings(server)).seats
    assert seat.billable is False


def test_two_skus_of_one_user_are_two_seats():
    rows = pack_assignments() + [("ana.nunez@example.com", "101047", "1010470008", "Google AI Ultra for Business")]
    with fake_google([pack_snapshot(assignments=rows)]) as server:
        fetched = fetch(small(), server_settings(server))
    ana = sorted(seat.key for seat in fetched.seats if seat.email == "ana.nunez@example.com")
    assert ana == ["104857600000000000001/101047/1010470008", "104857600000000000001/Google-Apps/1010020025"]


def test_assignment_under_an_alias_joins_its_user_and_orphans_are_unknown():
    users = pack_users()
    users[1] = {**users[1], "aliases": ["jw@example.com"], "nonEditableAliases": ["juergen.weiss@example.net"]}
    rows = [row for row in pack_assignments() if row[0] != "juergen.weiss@example.com"]
    rows += [("JW@example.com", "Google-Apps", "1010020028", "Google Workspace Business Standard")]
    rows += [("gone@example.com", "Google-Apps", "1010020027", "Google Workspace Business Starter")]
    with fake_google([pack_snapshot(users=users, assignments=rows)]) as server:
        fetched = fetch(small(), server_settings(server))
    by_email = {seat.email: seat for seat in fetched.seats}
    assert by_email["juergen.weiss@example.com"].key == "104857600000000000002/Google-Apps/1010020028"
    orphan = by_email["gone@example.com"]
    assert orphan.status is SeatStatus.UNKNOWN and orphan.billable is True
    assert orphan.key == "email:gone@example.com/Google-Apps/1010020027"
    assert fetched.warnings[0].startswith("1 licence assignment(s) belong to e-mails no Directory user has")
    person = next(p for p in fetched.people if p.email == "juergen.weiss@example.com")
    assert person.aliases == ("juergen.weiss@example.net", "jw@example.com")


def test_person_fields_from_the_primary_organization_and_relations():
    users = pack_users()
    users[2] = {
        **users[2],
        "organizations": [
            {"primary": False, "department": "Old", "costCenter": "CC-0"},
            {"primary": True, "department": "Sales", "costCenter": "CC-42", "title": "Account executive"},
        ],
        "relations": [
            {"type": "friend", "value": "x@example.com"},
            {"type": "manager", "value": "Ana.Nunez@example.com"},
        ],
    }
    with fake_google([pack_snapshot(users=users)]) as server:
        fetched = fetch(small(), server_settings(server))
    person = next(p for p in fetched.people if p.email == "li.na@example.com")
    assert (person.department, person.cost_center, person.job_title) == ("Sales", "CC-42", "Account executive")
    assert person.manager_email == "ana.nunez@example.com"
    assert person.person_id == "104857600000000000003"


def test_a_directory_user_without_an_email_is_rejected():
    users = pack_users()
    users[3] = {key: value for key, value in users[3].items() if key != "primaryEmail"}
    with fake_google([pack_snapshot(users=users)]) as server:
        fetched = fetch(small(), server_settings(server))
    assert [r.reason for r in fetched.rejected] == ["Directory user 104857600000000000004 has no primary e-mail"]


def test_products_are_listed_two_at_a_time(server):
    fetch(provider(workers=2), server_settings(server))
    products = [r.path.split("/")[5] for r in server.requests if r.path.startswith("/apps/licensing")]
    assert sorted(products) == sorted(["Google-Apps", "101047", "101068", "101031", "101037"])


def test_subject_is_checked_before_any_request(server):
    with pytest.raises(Exception, match="subject must be the e-mail of an admin"):
        small().authenticate({**server_settings(server), "subject": "admin"})
    assert server.requests == []


def test_the_pack_subject_is_an_admin():
    assert next(u for u in pack_users() if u["primaryEmail"] == SUBJECT)["isAdmin"] is True


def test_an_assignment_without_a_user_is_rejected():
    rows = pack_assignments() + [("", "Google-Apps", "1010020027", "Google Workspace Business Starter")]
    with fake_google([pack_snapshot(assignments=rows)]) as server:
        fetched = fetch(small(), server_settings(server))
    assert len(fetched.seats) == SEATS
    assert [r.reason for r in fetched.rejected] == [
        "a licence assignment of product Google-Apps without a user e-mail or SKU id"
    ]


def test_by_default_waits_go_through_the_fetch_context(server):
    from seatkeeper import FetchContext, SeatRecord

    class RecordingContext(FetchContext):
        def sleep(self, seconds: float) -> None:
            self.waits.append(seconds)

    Faults(server).quota_403(times=2)
    google = provider(sleep=None, workers=1)
    settings = server_settings(server)
    context = RecordingContext("google-test", settings)
    context.waits = []
    session = google.authenticate(settings)
    try:
        seats = [item for item in google.fetch(session, context) if isinstance(item, SeatRecord)]
    finally:
        session.close()
    assert len(seats) == SEATS
    assert context.waits == [1.0, 2.0]


def test_a_failing_product_thread_stops_the_run(server):
    Faults(server).quota_403(path="/apps/licensing/v1/product/101047/", times=None)
    with pytest.raises(RateLimited, match="product 101047"):
        fetch(provider(workers=2, max_retries=2), server_settings(server))
    assert not [r for r in server.requests if r.path == "/admin/directory/v1/users"]  # nothing after the failure


def test_deadline_also_bounds_the_retries_of_server_errors(server):
    Faults(server).server_error(path="/admin/directory/v1/users", status=503, times=None)
    waits = Waits()
    google = small(waits, max_retries=10, deadline=10.0, clock=lambda: sum(waits))
    with pytest.raises(ProviderUnavailable, match="kept failing with HTTP 503 after 4 tries"):
        fetch(google, server_settings(server))
    assert waits == [1.0, 2.0, 4.0]


def test_network_failures_are_named():
    from urllib3.exceptions import NameResolutionError

    from seatkeeper_google_workspace.transport import describe_network_error

    error = NameResolutionError("admin.googleapis.invalid", None, OSError("Name or service not known"))
    assert describe_network_error(error) == "the host name does not resolve (DNS)"
    assert describe_network_error(ConnectionRefusedError(111, "Connection refused")) == "connection refused"
