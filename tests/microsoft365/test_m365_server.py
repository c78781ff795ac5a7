"""The Microsoft 365 provider against the local Graph server: the sample tenant, faults, refusals, credentials."""

from __future__ import annotations

import base64
import socket

import pytest

from seatkeeper import FetchContext, PersonStatus, SeatStatus
from seatkeeper.errors import (
    AuthenticationError,
    BadProviderData,
    ConfigError,
    PermissionDenied,
    ProviderUnavailable,
    RateLimited,
)
from tests.conftest import TEST_CLIENT_SECRET
from tests.m365_server import faults

from .m365_testkit import (
    COPILOT,
    E3,
    FLOW_FREE,
    LOCALHOST_ONLY,
    fetch,
    graph,
    many_users,
    people,
    plans,
    provider,
    sample_tenant,
    seats,
)

pytestmark = LOCALHOST_ONLY


def users_requests(server):
    return server.requests_to("/v1.0/users")


# -- the sample tenant


def test_sample_tenant_seats_people_and_plans():
    with graph() as server:
        fetched = fetch(provider(page_size=3), server.settings())
    by_key = {seat.key: seat for seat in seats(fetched.items)}
    # One seat per user per SKU: Ana holds E3 and Copilot.
    ana = "0a1b2c3d-0001-4000-8000-000000000001"
    assert by_key[f"{ana}:{E3}"].license_type == "Microsoft 365 E3"
    assert by_key[f"{ana}:{COPILOT}"].license_type == "Microsoft Copilot for Microsoft 365"
    assert by_key[f"{ana}:{E3}"].extras["user_id"] == ana
    assert by_key[f"{ana}:{E3}"].last_activity_at.isoformat() == "2026-11-30T17:40:12+00:00"
    assert by_key[f"{ana}:{E3}"].billable is True
    # Zoë is disabled: inactive, still holding her seat.
    assert by_key[f"0a1b2c3d-0004-4000-8000-000000000004:{E3}"].status is SeatStatus.INACTIVE
    # The service account's free Power Automate is not billable; no mail: the UPN is its email.
    flow = by_key[f"0a1b2c3d-0009-4000-8000-000000000009:{FLOW_FREE}"]
    assert (flow.billable, flow.email) == (False, "svc-backup@example.com")
    assert len(by_key) == 8  # 2 + 1 + 2 + 1 + 0 + 0 + 1 + 0 + 1 licences on the nine users
    # Everyone is a person, licensed or not: the room is suspended, guests use their mail.
    persons = {person.person_id[-2:]: person for person in people(fetched.items)}
    assert len(persons) == 9
    assert persons["08"].status is PersonStatus.SUSPENDED
    assert persons["05"].email == "ines@partner.example.net"
    # Plans: purchased = enabled units, assigned = consumedUnits; E5's units in grace are reported, not counted.
    e5 = plans(fetched.items)["Microsoft 365 E5"]
    assert (e5.purchased, e5.assigned, e5.extras["warning_units"]) == (0, 1, 3)
    assert any("E5" in warning and "3 in warning" in warning for warning in fetched.warnings)
    assert any("5 suspended" in warning for warning in fetched.warnings)
    # The requests: $top=999 unless tuned, $select of the used fields only, nextLink followed verbatim.
    first, *rest = users_requests(server)
    assert first.query["$top"] == "3" and "signInActivity" in first.query["$select"]
    assert all("$skiptoken" in request.query for request in rest) and len(rest) == 2


def test_default_page_size_is_999_and_500_with_sign_ins():
    with graph() as server:
        fetch(provider(), server.settings())
        fetch(provider(), {**server.settings(), "sign_in_activity": "false"})
    assert [request.query["$top"] for request in users_requests(server)] == ["500", "999"]


# -- sign-in activity


def test_no_premium_licence_warns_once_and_syncs_without_sign_ins():
    with graph(sample_tenant(premium=False)) as server:
        fetched = fetch(provider(page_size=3), server.settings())
    assert len(seats(fetched.items)) == 8
    assert all(seat.last_activity_at is None for seat in seats(fetched.items))
    refusals = [warning for warning in fetched.warnings if "sign-in activity" in warning]
    assert len(refusals) == 1 and "AuditLog.Read.All" in refusals[0] and "P1" in refusals[0]
    later = users_requests(server)[1:]
    assert later and all("signInActivity" not in request.query["$select"] for request in later)


def test_sign_in_refused_mid_listing_restarts_without_duplicates():
    with graph() as server:
        faults.sign_in_refused(server, code="Authorization_RequestDenied", page=2)
        fetched = fetch(provider(page_size=3), server.settings())
    keys = [seat.key for seat in seats(fetched.items)]
    assert len(keys) == len(set(keys)) == 8
    assert len(people(fetched.items)) == 9
    assert any("Authorization_RequestDenied" in warning for warning in fetched.warnings)


def test_sign_in_activity_off_never_asks():
    with graph() as server:
        fetched = fetch(provider(), {**server.settings(), "sign_in_activity": "false"})
    assert all("signInActivity" not in request.query["$select"] for request in users_requests(server))
    assert not [warning for warning in fetched.warnings if "sign-in" in warning]


def test_missing_user_read_all_names_the_permission():
    with graph() as server:
        faults.forbidden(server, times=None)
        with pytest.raises(PermissionDenied, match=r"User\.Read\.All"):
            fetch(provider(), {**server.settings(), "sign_in_activity": "false"})


def test_missing_organization_read_all_names_the_permission():
    with graph() as server:
        faults.forbidden(server, path="/v1.0/subscribedSkus")
        with pytest.raises(PermissionDenied, match=r"Organization\.Read\.All"):
            fetch(provider(), server.settings())


# -- throttling and failures


def test_decimal_retry_after_is_honoured():
    with graph() as server:
        faults.throttle(server, "2.128", times=2, page=2)
        made = provider(page_size=3)
        fetched = fetch(made, server.settings())
    assert len(seats(fetched.items)) == 8
    assert made.waits == [2.128, 2.128]


def test_throttling_without_retry_after_backs_off_exponentially():
    with graph() as server:
        faults.throttle(server, None, times=3)
        made = provider(backoff_factor=0.5)
        fetch(made, server.settings())
    assert made.waits == [0.5, 1.0, 2.0]


def test_endless_throttling_stops_after_capped_retries():
    with graph() as server:
        faults.throttle(server, "1", times=None)
        made = provider(max_retries=3)
        with pytest.raises(RateLimited, match="after 4 tries"):
            fetch(made, server.settings())
    assert len(users_requests(server)) == 4 and len(made.waits) == 3


def test_retry_after_past_the_deadline_stops_at_once():
    with graph() as server:
        faults.throttle(server, "900", times=None)
        made = provider(deadline=300)
        with pytest.raises(RateLimited):
            fetch(made, server.settings())
    assert made.waits == [] and len(users_requests(server)) == 1


def test_server_errors_then_success():
    with graph() as server:
        faults.server_error(server, 503, times=2, page=2)
        fetched = fetch(provider(page_size=3), server.settings())
    assert len(seats(fetched.items)) == 8


def test_server_errors_exhausted():
    with graph() as server:
        faults.server_error(server, 500, times=None)
        with pytest.raises(ProviderUnavailable, match="HTTP 500 after 3 tries"):
            fetch(provider(max_retries=2), server.settings())


def test_token_expiry_mid_paging_renews_once():
    with graph() as server:
        faults.expire_tokens(server, page=2)
        fetched = fetch(provider(page_size=3), server.settings())
        assert len(server.issued_tokens) == 2
    assert len(seats(fetched.items)) == 8


def test_token_refused_again_after_renewal_fails():
    with graph() as server:
        faults.expire_tokens(server, page=2, times=2)
        with pytest.raises(AuthenticationError, match="even after a new one was issued"):
            fetch(provider(page_size=3), server.settings())


def test_malformed_page():
    with graph() as server:
        faults.body(server, b'{"value": [{"id": "x", "mai', page=2)
        with pytest.raises(BadProviderData, match="page 2 of /users with malformed JSON"):
            fetch(provider(page_size=3), server.settings())


def test_html_body():
    with graph() as server:
        faults.body(server, b"<!DOCTYPE html><html><body>Sign in to the proxy</body></html>", "text/html")
        with pytest.raises(BadProviderData, match="HTML page instead of JSON"):
            fetch(provider(), server.settings())


def test_page_without_value_list():
    with graph() as server:
        faults.body(server, b'{"users": []}')
        with pytest.raises(BadProviderData, match="without a 'value' list"):
            fetch(provider(), server.settings())


def test_endless_next_links_end_with_a_clear_error():
    with graph() as server:
        faults.endless(server)
        with pytest.raises(BadProviderData, match="after 5 pages"):
            fetch(provider(max_pages=5), server.settings())


def test_next_link_to_another_host_is_refused():
    with graph() as server:
        faults.next_link_to(server, "https://evil.example.net/v1.0/users?$skiptoken=x")
        with pytest.raises(BadProviderData, match="evil.example.net"):
            fetch(provider(), server.settings())
    assert len(users_requests(server)) == 1


def test_many_pages():
    with graph(sample_tenant(users=many_users(25))) as server:
        fetched = fetch(provider(page_size=10), server.settings())
    assert len(seats(fetched.items)) == 50 and len(users_requests(server)) == 3


# -- credentials and settings


def test_wrong_secret_says_what_to_check():
    hint = "did you paste the secret's ID instead of its value"
    with graph() as server, pytest.raises(AuthenticationError, match=hint) as caught:
        provider().authenticate({**server.settings(), "client_secret": "b8Q~not-the-value"})
    assert "b8Q~not-the-value" not in str(caught.value)


def test_unknown_client_id():
    with graph() as server, pytest.raises(AuthenticationError, match="AADSTS700016"):
        provider().authenticate({**server.settings(), "client_id": "11111111-2222-3333-4444-555555555555"})


def test_unknown_tenant():
    with graph() as server, pytest.raises(AuthenticationError, match="tenant 'nobody.onmicrosoft.com'"):
        provider().authenticate({**server.settings(), "tenant_id": "nobody.onmicrosoft.com"})


def test_unreachable_host_is_named():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with graph() as server:
        settings = {**server.settings(), "authority_url": f"https://127.0.0.1:{port}"}
        with pytest.raises(ProviderUnavailable, match=f"could not reach 127.0.0.1:{port}: connection refused"):
            provider(max_retries=0).authenticate(settings)


def test_token_endpoint_failing():
    with graph() as server:
        faults.server_error(server, 503, path=f"/{server.settings()['tenant_id']}/oauth2/v2.0/token", times=None)
        with pytest.raises(ProviderUnavailable, match="token endpoint kept failing with HTTP 503"):
            provider(max_retries=1).authenticate(server.settings())


def test_openid_configuration_failing():
    with graph() as server:
        path = f"/{server.settings()['tenant_id']}/v2.0/.well-known/openid-configuration"
        faults.server_error(server, 502, path=path, times=None)
        with pytest.raises(ProviderUnavailable, match="kept failing with HTTP 502"):
            provider(max_retries=1).authenticate(server.settings())
    assert len(server.requests_to(path)) == 2


@pytest.mark.parametrize(("endpoint", "message"), [("token", "not JSON"), ("openid", "no usable OpenID configuration")])
def test_html_from_the_token_host(endpoint, message):
    with graph() as server:
        tenant = server.settings()["tenant_id"]
        path = (
            f"/{tenant}/oauth2/v2.0/token"
            if endpoint == "token"
            else f"/{tenant}/v2.0/.well-known/openid-configuration"
        )
        faults.body(server, b"<html><body>Proxy login</body></html>", "text/html", path=path)
        with pytest.raises(BadProviderData, match=message):
            provider().authenticate(server.settings())


def test_certificate_credentials(tmp_path):
    key_path, thumbprint, certificate = make_certificate(tmp_path)
    tenant = sample_tenant(client_secret=None, certificate_pem=certificate)
    with graph(tenant) as server:
        settings = {**server.settings(), "certificate_path": str(key_path), "certificate_thumbprint": thumbprint}
        fetched = fetch(provider(), settings)
        assert len(seats(fetched.items)) == 8
        other_key, other_thumbprint, _ = make_certificate(tmp_path / "other")
        wrong = {**settings, "certificate_path": str(other_key), "certificate_thumbprint": other_thumbprint}
        with pytest.raises(AuthenticationError, match="AADSTS700027"):
            provider().authenticate(wrong)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cloud": "mars"}, "cloud 'mars' is unknown"),
        ({"authority_url": "http://127.0.0.1:1"}, "authority_url must use https"),
        ({"graph_url": "http://graph.example.com/v1.0"}, "plain http is only allowed for localhost"),
        ({"graph_url": "https://user:pw@graph.example.com/v1.0"}, "must not contain a user name"),
        ({"certificate_path": "/nonexistent.pem", "certificate_thumbprint": "A" * 40}, "both client_secret"),
        ({"client_secret": ""}, "needs a credential"),
        ({"client_id": "my-app"}, "client_id must be"),
        ({"tenant_id": "contoso com"}, "tenant_id must be"),
        ({"sign_in_activity": "maybe"}, "sign_in_activity"),
        ({"ca_bundle": "/nonexistent/ca.pem"}, "ca_bundle"),
    ],
)
def test_malformed_settings_are_config_errors(changes, message):
    with graph() as server:
        with pytest.raises(ConfigError, match=message):
            provider().authenticate({**server.settings(), **changes})
        assert not server.requests


def test_secret_never_in_errors_or_warnings():
    with graph(sample_tenant(premium=False)) as server:
        fetched = fetch(provider(), server.settings())
        texts = [*fetched.warnings, *(repr(item) for item in fetched.items)]
        faults.expire_tokens(server, times=None)
        with pytest.raises(AuthenticationError) as caught:
            fetch(provider(), server.settings())
        texts.append(str(caught.value))
        for value in (TEST_CLIENT_SECRET, *server.issued_tokens):
            assert all(value not in text for text in texts)


def test_certificate_in_the_key_file_signs_with_sha256(tmp_path):
    key_path, _thumbprint, certificate = make_certificate(tmp_path)
    key_path.write_bytes(key_path.read_bytes() + certificate)
    with graph(sample_tenant(client_secret=None, certificate_pem=certificate)) as server:
        settings = {key: value for key, value in server.settings().items() if key != "client_secret"}
        fetched = fetch(provider(), {**settings, "certificate_path": str(key_path)})
        token_requests = [request for request in server.requests if request.path.endswith("/token")]
    assert len(seats(fetched.items)) == 8
    header = token_requests[0].body.split(b"client_assertion=")[1].split(b".")[0]
    assert b"PS256" in base64.urlsafe_b64decode(header + b"==")


@pytest.mark.parametrize(
    ("content", "thumbprint", "message"),
    [
        (None, "AB" * 32, "SHA-1 thumbprint"),
        (None, "", "holds no certificate"),
        (
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
            "AB" * 20,
            "cannot be loaded",
        ),
        (b"just text", "AB" * 20, "holds no PEM private key"),
    ],
)
def test_unusable_certificate_settings(tmp_path, content, thumbprint, message):
    key_path, _thumbprint, _certificate = make_certificate(tmp_path)
    if content is not None:
        key_path.write_bytes(content)
    settings = {"tenant_id": "contoso.onmicrosoft.com", "client_id": "4d856d1f-8648-456c-9bb2-f36273bbe4e3"}
    settings |= {"certificate_path": str(key_path), "certificate_thumbprint": thumbprint}
    with pytest.raises(ConfigError, match=message):
        provider().authenticate(settings)


def make_certificate(directory):
    """A private key file, its certificate's SHA-1 thumbprint and the certificate (PEM), as an app would use."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "seatkeeper test app")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_path = directory / "app-key.pem"
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    thumbprint = certificate.fingerprint(hashes.SHA1()).hex().upper()
    return key_path, thumbprint, certificate.public_bytes(serialization.Encoding.PEM)


def test_no_secret_in_the_database(tmp_path):
    """A sync through the engine (with a warning and a failed run) leaves neither the secret nor a token in the file."""
    from seatkeeper.testing import open_database, sync

    engine = open_database(tmp_path / "m365.db")
    try:
        with graph(sample_tenant(premium=False)) as server:
            assert sync(engine, provider(), server.settings()).ok
            faults.expire_tokens(server, times=None)
            failed = sync(engine, provider(), server.settings())
            assert not failed.ok
            tokens = list(server.issued_tokens)
    finally:
        engine.dispose()
    data = b"".join(path.read_bytes() for path in tmp_path.glob("m365.db*"))
    for value in (TEST_CLIENT_SECRET, *tokens):
        assert value.encode() not in data
    assert b"Microsoft 365 E3" in data  # the check reads the real file


def test_a_stop_ends_a_retry_wait_at_once():
    """The default sleep is seatkeeper's stoppable one: a Ctrl-C during a Retry-After wait raises Interrupted."""
    from seatkeeper import cancel
    from seatkeeper.errors import Interrupted
    from seatkeeper_microsoft365 import Microsoft365Provider

    with graph() as server:
        faults.throttle(server, "120", times=None)
        session = Microsoft365Provider().authenticate(server.settings())
        cancel.request_stop("test")
        try:
            with pytest.raises(Interrupted):
                list(Microsoft365Provider().fetch(session, FetchContext("m365", {})))
        finally:
            cancel.reset()
            session.close()
    assert len(users_requests(server)) == 1  # no retry after the stop


def test_a_page_entry_that_is_not_a_user_fails():
    with graph() as server:
        faults.body(server, b'{"value": ["0a1b2c3d-0001"]}')
        with pytest.raises(BadProviderData, match="not a user object"):
            fetch(provider(), server.settings())


def test_tokens_near_expiry_are_renewed_before_use():
    """MSAL's cache renews a token about to expire: with 60-second tokens, each request gets a fresh one."""
    with graph(token_lifetime=60) as server:
        fetched = fetch(provider(page_size=3), server.settings())
        assert len(seats(fetched.items)) == 8
        assert len(server.issued_tokens) > 1
        rejected = [
            request for request in server.requests if request.path.startswith("/v1.0") and request.tenant is None
        ]
        assert rejected == []


def test_no_secret_in_logs(caplog):
    """Debug logging of everything (MSAL, urllib3, seatkeeper) holds neither the secret nor a token."""
    caplog.set_level("DEBUG")
    with graph(sample_tenant(premium=False)) as server:
        fetch(provider(page_size=3), server.settings())
        with pytest.raises(AuthenticationError):
            provider().authenticate({**server.settings(), "client_secret": "wrong-secret-value"})
        tokens = list(server.issued_tokens)
    assert caplog.records
    text = "\n".join(record.getMessage() for record in caplog.records)
    for value in (TEST_CLIENT_SECRET, "wrong-secret-value", *tokens):
        assert value not in text
