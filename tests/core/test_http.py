"""The HTTP helpers plugins share: checking a service URL setting, and a network failure's chain of causes."""

from __future__ import annotations

import pytest

from seatkeeper.errors import ConfigError
from seatkeeper.http import check_service_url, network_causes


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://me:s3cret-pw@api.example.com",
            "the Acme api_url must not contain a user name or password: check ACME_API_URL",
        ),
        (
            "ftp://api.example.com",
            "'ftp://api.example.com' is not an http(s) URL: check ACME_API_URL or the connection's api_url",
        ),
        ("http://api.example.com", "must use https (plain http is only allowed for localhost): check ACME_API_URL"),
        ("https://[::1", "the Acme api_url is not a valid URL: check ACME_API_URL or the connection's api_url"),
    ],
)
def test_a_service_url_is_checked_before_it_is_echoed(url, message):
    with pytest.raises(ConfigError) as raised:
        check_service_url(url, "Acme", "api_url", "ACME_API_URL")
    assert message in str(raised.value) and "s3cret-pw" not in str(raised.value)


def test_a_good_url_loses_its_trailing_slash_and_plain_http_is_for_this_machine_only():
    assert check_service_url(" https://api.example.com/v2/ ", "Acme", "api_url")[0] == "https://api.example.com/v2"
    assert check_service_url("http://127.0.0.1:8080", "Acme", "api_url")[1].port == 8080
    with pytest.raises(ConfigError, match=r"^the Acme token_url must use https \(no other\)$"):
        check_service_url("http://127.0.0.1:8080", "Acme", "token_url", https_only="no other")


def test_the_causes_of_a_network_failure_are_followed_once_each():
    inner = OSError("refused")
    outer = RuntimeError(inner)
    outer.__cause__ = inner
    assert network_causes(outer) == [outer, inner]


def test_an_unreachable_host_is_told_from_its_innermost_cause():
    from seatkeeper.http import unreachable

    assert (
        unreachable([RuntimeError("wrapped"), ConnectionRefusedError(111, "Connection refused")])
        == "connection refused"
    )
    assert unreachable([TimeoutError("timed out")]) is None
