"""Every Graph request the provider makes conforms to Microsoft's published OpenAPI description (the pack's copy).

The requests are the ones the local server received during syncs that take every path of the client: the first
page with and without ``signInActivity``, next links, and ``/subscribedSkus``.
"""

from __future__ import annotations

import json
from functools import cache

import pytest

from seatkeeper_microsoft365.mapping import SIGN_IN_FIELD, USER_FIELDS
from tests.m365_server import faults

from .m365_testkit import LOCALHOST_ONLY, PACK, fetch, graph, provider, sample_tenant

pytestmark = LOCALHOST_ONLY
SPEC_FILE = PACK / "openapi-graph-v1.0-users-subscribedskus.json"
BASE_PATH = "/v1.0"  # the spec's server is https://graph.microsoft.com/v1.0/
MAX_TOP = 999  # Graph's documented limit; the spec itself sets none (the pack's Prism notes)


@cache
def spec() -> dict:
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


def resolve(node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].split("/")
        target = spec()
        for part in name[1:]:
            target = target[part]
        node = target
    return node


def properties(schema_name: str) -> set[str]:
    """Every property of a schema, inherited ones (allOf) included."""
    found: set[str] = set()
    pending = [spec()["components"]["schemas"][schema_name]]
    while pending:
        schema = resolve(pending.pop())
        found |= set(schema.get("properties", {}))
        pending += schema.get("allOf", [])
    return found


def check_request(request) -> None:
    """Assert one request is an operation of the spec, with declared query parameters of allowed values."""
    assert request.path.startswith(BASE_PATH + "/"), request.path
    path = request.path[len(BASE_PATH) :]
    operations = spec()["paths"].get(path)
    assert operations is not None, f"{path} is not in the spec"
    operation = operations.get(request.method.lower())
    assert operation is not None, f"{request.method} {path} is not in the spec"
    assert request.headers.get("Authorization", "").startswith("Bearer "), "the spec's oauth2 scheme: a Bearer token"
    declared = {
        parameter["name"]: parameter
        for parameter in map(resolve, operation.get("parameters", []))
        if parameter.get("in") == "query"
    }
    for name, value in request.query.items():
        if name == "$skiptoken":
            # Only in @odata.nextLink, which Graph builds and the client follows verbatim.
            continue
        assert name in declared, f"{name} is not a query parameter of GET {path}"
        parameter = declared[name]
        schema = resolve(parameter["schema"])
        if schema.get("type") == "integer":
            assert value.isdigit() and int(value) >= schema.get("minimum", 0), f"{name}={value}"
        if schema.get("type") == "array":
            assert parameter.get("style", "form") == "form" and parameter.get("explode") is False
            items = value.split(",")  # style form, explode false: one comma-separated value
            assert len(items) == len(set(items)), f"{name} repeats an item: {value}"
            if name == "$select":
                unknown = set(items) - properties("microsoft.graph.user")
                assert not unknown, f"$select names properties the user schema lacks: {unknown}"


def test_spec_is_the_pack_copy():
    assert set(spec()["paths"]) >= {"/users", "/subscribedSkus"}
    assert {"assignedLicenses", "signInActivity", "deletedDateTime"} <= properties("microsoft.graph.user")


@pytest.mark.parametrize("premium", [True, False])
def test_every_request_conforms(premium):
    with graph(sample_tenant(premium=premium)) as server:
        fetch(provider(page_size=3), server.settings())
    graph_requests = [request for request in server.requests if request.path.startswith(BASE_PATH)]
    assert {request.path for request in graph_requests} == {"/v1.0/users", "/v1.0/subscribedSkus"}
    assert any("$skiptoken" in request.query for request in graph_requests)
    for request in graph_requests:
        check_request(request)
    first = server.requests_to("/v1.0/users")[0]
    assert int(first.query["$top"]) <= MAX_TOP
    assert set(first.query["$select"].split(",")) == set(USER_FIELDS) | {SIGN_IN_FIELD}


def test_a_request_outside_the_spec_is_caught():
    """The check itself can fail: a property the user schema lacks is refused."""
    with graph() as server:
        faults.forbidden(server, times=None)  # only the first request reaches the server
        with pytest.raises(Exception):  # noqa: B017 - the refusal itself is not what is tested
            fetch(provider(), server.settings())
    request = server.requests_to("/v1.0/users")[0]
    request.query["$select"] += ",licenseCount"
    with pytest.raises(AssertionError, match="licenseCount"):
        check_request(request)
