"""Every request the Zoom provider makes conforms to Zoom's published OpenAPI descriptions (the pack's copies in
shared/zoom-api/): the operation exists, and each query parameter is declared, of its type, within its bounds and
among its allowed values.

The requests are those the local Zoom server received during a sync that takes every path of the client: the
three status lists over several pages, each user's settings (add-ons on), the user summary and the plan usage.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from seatkeeper_zoom import ZoomProvider
from seatkeeper_zoom.transport import RetryPolicy

from .test_zoom_addons import addon_account, with_addons
from .zoom_testkit import LOCALHOST_ONLY, Waits, fake_zoom, sync

pytestmark = LOCALHOST_ONLY
#: The reference pack: CI keeps a copy of shared/ beside the clone.
PACK = Path(__file__).resolve().parents[2] / ".." / "shared" / "zoom-api"
SPECS = ("openapi-users.json", "openapi-billing-master.json")
BASE_PATH = "/v2"  # the specs' server is https://api.zoom.us/v2


@cache
def operations() -> dict[tuple[str, str], tuple[re.Pattern, dict, dict]]:
    """Every operation of the specs: (method, path template) -> (path pattern, operation, its spec)."""
    found = {}
    for name in SPECS:
        spec = json.loads((PACK / name).read_text(encoding="utf-8"))
        for template, methods in spec["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$")
            for method, operation in methods.items():
                if isinstance(operation, dict) and "responses" in operation:
                    found[(method.upper(), template)] = (pattern, operation, spec)
    return found


def resolve(node: dict, spec: dict) -> dict:
    while "$ref" in node:
        target = spec
        for part in node["$ref"].split("/")[1:]:
            target = target[part]
        node = target
    return node


def check_request(method: str, path: str, query: dict[str, str]) -> str:
    """Assert one request is an operation of the specs with declared, valid query parameters; its template."""
    assert path.startswith(BASE_PATH + "/"), path
    path = path[len(BASE_PATH) :]
    matches = [
        (template, operation, spec)
        for (verb, template), (pattern, operation, spec) in operations().items()
        if verb == method and pattern.match(path)
    ]
    # A literal path (/users/summary) wins over a template that also matches it (/users/{userId}).
    matches.sort(key=lambda match: match[0].count("{"))
    assert matches, f"{method} {path} is not an operation of the pack's Zoom specs"
    template, operation, spec = matches[0]
    declared = {
        parameter["name"]: parameter
        for parameter in (resolve(p, spec) for p in operation.get("parameters", []))
        if parameter.get("in") == "query"
    }
    for name, value in query.items():
        assert name in declared, f"{name} is not a query parameter of {method} {template}"
        schema = resolve(declared[name].get("schema", {}), spec)
        if "enum" in schema:
            assert value in schema["enum"], f"{name}={value} is not one of {schema['enum']}"
        if schema.get("type") == "integer":
            assert value.isdigit(), f"{name}={value} is not an integer"
            assert int(value) <= schema.get("maximum", int(value)), f"{name}={value} is over {schema['maximum']}"
            assert int(value) >= schema.get("minimum", 0), f"{name}={value} is under {schema.get('minimum')}"
    return template


def test_the_specs_are_the_packs():
    templates = {template for _method, template in operations()}
    assert {"/users", "/users/summary", "/users/{userId}/settings", "/accounts/{accountId}/plans/usage"} <= templates


def test_every_request_of_a_full_sync_conforms():
    users = addon_account(active=7, inactive=3, pending=2)
    with fake_zoom([users]) as zoom:
        provider = ZoomProvider(policy=RetryPolicy(sleep=Waits()), page_size=3)
        sync(provider, with_addons(zoom.settings()))
        requests = [request for request in zoom.requests if request.path.startswith(BASE_PATH)]
    templates = {check_request(request.method, request.path, dict(request.query)) for request in requests}
    assert templates == {"/users", "/users/summary", "/users/{userId}/settings", "/accounts/{accountId}/plans/usage"}
    listed = [request for request in requests if request.path == "/v2/users"]
    assert {request.query["status"] for request in listed} == {"active", "inactive", "pending"}
    assert any("next_page_token" in request.query for request in listed)


def test_the_default_page_size_is_within_the_specs_maximum():
    with fake_zoom([addon_account(active=2)]) as zoom:
        sync(ZoomProvider(policy=RetryPolicy(sleep=Waits())), zoom.settings())
        first = next(request for request in zoom.requests if request.path == "/v2/users")
    check_request("GET", "/v2/users", dict(first.query))
    assert first.query["page_size"] == "300"


def test_a_request_outside_the_specs_is_caught():
    """The check itself can fail."""
    with pytest.raises(AssertionError, match="page_size=2001 is over 300"):
        check_request("GET", "/v2/users", {"status": "active", "page_size": "2001"})
    with pytest.raises(AssertionError, match="status=deleted is not one of"):
        check_request("GET", "/v2/users", {"status": "deleted"})
    with pytest.raises(AssertionError, match="is not an operation"):
        check_request("GET", "/v2/users/u1/licenses", {})
    with pytest.raises(AssertionError, match="colour is not a query parameter"):
        check_request("GET", "/v2/users/summary", {"colour": "blue"})
