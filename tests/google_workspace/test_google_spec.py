"""Every request the provider makes conforms to Google's published specs in the reference pack.

Checked against the OpenAPI files (path, method, declared query parameters, enums and integer ranges, required
parameters) and the Discovery documents (patterns, the scopes each method accepts, the User fields asked for).
"""

from __future__ import annotations

import json
import re
from functools import cache
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from seatkeeper_google_workspace.auth import BASE_SCOPES, REPORTS_USAGE_SCOPE
from seatkeeper_google_workspace.client import scope_of
from seatkeeper_google_workspace.directory import USER_FIELDS
from tests.conftest import CASSETTES

from .kit import LOCALHOST_ONLY, fake_google, fetch, pack_file, provider, server_settings

SPECS = {
    "https://admin.googleapis.com": ("openapi-admin-directory.json", "openapi-admin-reports.json"),
    "https://licensing.googleapis.com": ("openapi-licensing.json",),
}
DISCOVERY = ("admin.directory_v1.json", "admin.reports_v1.json", "licensing.v1.json")


@cache
def openapi(name: str) -> dict:
    return json.loads(pack_file(name).read_text(encoding="utf-8"))


@cache
def discovery_methods() -> list[dict]:
    methods = []

    def walk(resource: dict) -> None:
        methods.extend(resource.get("methods", {}).values())
        for child in resource.get("resources", {}).values():
            walk(child)

    for name in DISCOVERY:
        walk(json.loads(pack_file("discovery", name).read_text(encoding="utf-8")))
    return methods


def template_regex(template: str) -> re.Pattern:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


def operation_for(host: str, method: str, path: str) -> tuple[dict, dict, str]:
    """``(operation, spec, template)`` of the OpenAPI operation serving ``method path``; fails when none does."""
    for name in SPECS[host]:
        spec = openapi(name)
        for template, item in spec["paths"].items():
            if template_regex(template).match(path) and method.lower() in item:
                return item[method.lower()], spec, template
    pytest.fail(f"{method} {host}{path} is not an operation of {SPECS[host]}")


def parameters_of(operation: dict, spec: dict, template: str) -> dict[str, dict]:
    declared = {}
    for parameter in [*spec["paths"][template].get("parameters", []), *operation.get("parameters", [])]:
        if "$ref" in parameter:
            parameter = spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        declared[parameter["name"]] = parameter
    return declared


def check_request(host: str, method: str, path: str, query: list[tuple[str, str]]) -> None:
    """Assert one request is what the specs allow."""
    operation, spec, template = operation_for(host, method, path)
    declared = parameters_of(operation, spec, template)
    names = [name for name, _value in query]
    assert len(names) == len(set(names)), f"{path}: a query parameter given twice: {names}"
    for name, value in query:
        assert name in declared and declared[name]["in"] == "query", f"{path}: {name} is not a query parameter"
        schema = declared[name].get("schema", {})
        if "enum" in schema:
            assert value in schema["enum"], f"{path}: {name}={value} not in {schema['enum']}"
        if schema.get("type") == "integer":
            assert value.isdigit(), f"{path}: {name}={value} is not an integer"
            assert schema.get("minimum", 0) <= int(value) <= schema.get("maximum", 2**31), f"{path}: {name}={value}"
    for name, parameter in declared.items():
        if parameter.get("in") == "query" and parameter.get("required"):
            assert name in names, f"{path}: the required {name} is missing"
    # Discovery: the same method, its patterns.
    discovery_path = template.lstrip("/")
    [found] = [m for m in discovery_methods() if m["path"] == discovery_path and m["httpMethod"] == method]
    values = dict(query)
    path_values = dict(zip(re.findall(r"\{([^}]+)\}", template), _path_values(template, path), strict=True))
    for name, parameter in found["parameters"].items():
        if parameter.get("required"):
            assert name in values or name in path_values, f"{path}: Discovery requires {name}"
        value = values.get(name, path_values.get(name))
        if value is not None and parameter.get("pattern"):
            assert re.fullmatch(parameter["pattern"], value), f"{path}: {name}={value!r} breaks {parameter['pattern']}"
    assert scope_of(host + path) in found["scopes"], f"{path}: {scope_of(host + path)} does not serve {found['id']}"


def _path_values(template: str, path: str) -> list[str]:
    pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(template)) + "$"
    return list(re.match(pattern, path).groups())


@LOCALHOST_ONLY
def test_requests_to_the_local_server_conform():
    with fake_google() as server:
        fetch(provider(user_page_size=3, license_page_size=2, workers=1), server_settings(server))
        fetch(provider(workers=1), server_settings(server, products="Google-Apps,101047"))
    api = [request for request in server.requests if request.path != "/token"]
    assert {request.path.split("/")[1] for request in api} == {"admin", "apps"}
    assert any("pageToken" in request.query for request in api)
    for request in api:
        host = (
            "https://licensing.googleapis.com" if request.path.startswith("/apps/") else "https://admin.googleapis.com"
        )
        check_request(host, request.method, request.path, list(request.query.items()))


def test_cassette_requests_conform():
    uris = []
    for path in sorted(CASSETTES.glob("test_google_*/*.yaml")):
        for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
            uris.append((interaction["request"]["method"], interaction["request"]["uri"]))
    api = [(method, uri) for method, uri in uris if "oauth2" not in uri]
    assert len(api) > 20
    for method, uri in api:
        parts = urlsplit(uri)
        check_request(f"{parts.scheme}://{parts.netloc}", method, parts.path, parse_qsl(parts.query))


def test_the_checker_refuses_what_the_spec_does_not_allow():
    """The checks above can fail: a page too large, an unknown parameter, a missing customerId, a bad date."""
    bad = [
        (
            "https://admin.googleapis.com",
            "/admin/directory/v1/users",
            [("customer", "my_customer"), ("maxResults", "501")],
        ),
        ("https://admin.googleapis.com", "/admin/directory/v1/users", [("projection", "everything")]),
        ("https://admin.googleapis.com", "/admin/directory/v1/users", [("status", "active")]),
        ("https://licensing.googleapis.com", "/apps/licensing/v1/product/Google-Apps/users", [("maxResults", "10")]),
        ("https://admin.googleapis.com", "/admin/reports/v1/usage/dates/28-11-2026", [("customerId", "C01")]),
        ("https://admin.googleapis.com", "/admin/reports/v1/usage/dates/2026-11-28", [("parameters", "bogus:x")]),
    ]
    for host, path, query in bad:
        with pytest.raises(AssertionError):
            check_request(host, "GET", path, query)


def test_scopes_are_the_ones_the_apis_declare():
    declared = set()
    for name in DISCOVERY:
        document = json.loads(pack_file("discovery", name).read_text(encoding="utf-8"))
        declared |= set(document["auth"]["oauth2"]["scopes"])
    assert set(BASE_SCOPES) | {REPORTS_USAGE_SCOPE} <= declared


def test_user_fields_asked_for_exist_in_the_user_schema():
    document = json.loads(pack_file("discovery", "admin.directory_v1.json").read_text(encoding="utf-8"))
    schemas = document["schemas"]
    for field in USER_FIELDS.split(","):
        head, _, sub = field.partition("/")
        assert head in schemas["User"]["properties"], f"User has no field {head}"
        if sub:
            reference = schemas["User"]["properties"][head]["$ref"]
            assert sub in schemas[reference]["properties"], f"{reference} has no field {sub}"
