"""docs/plugins.md stays honest: every hook, Provider member, schema field, error, loading variable and
contract check is documented; every hook has a test; the worked example is the example plugin's code."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from pathlib import Path

import pytest

from seatkeeper import errors, hookspecs, pytest_plugin, testing
from seatkeeper.provider import FetchContext, Provider, Setting
from seatkeeper.schema import Person, Rejected, SeatPlan, SeatRecord, SeatStatus

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "docs" / "plugins.md").read_text()
EXAMPLE = ROOT / "examples" / "seatkeeper-example"
TESTS = ROOT / "tests"


def hook_names() -> list[str]:
    return [
        name
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "seatkeeper_spec")
    ]


def section(heading: str) -> str:
    """The text under the first heading containing ``heading``, up to the next heading of the same level or higher."""
    match = re.search(rf"^(#+) [^\n]*{re.escape(heading)}[^\n]*\n", DOCS, flags=re.MULTILINE)
    assert match, f"docs/plugins.md has no heading with {heading!r}"
    level = len(match.group(1))
    rest = DOCS[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, flags=re.MULTILINE)
    return rest[: end.start()] if end else rest


def test_hookspecs_are_found():
    assert "register_providers" in hook_names()


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_documented_with_its_parameters(hook):
    spec = getattr(hookspecs, hook)
    parameters = ", ".join(inspect.signature(spec).parameters)
    assert f"### `{hook}({parameters})`" in DOCS, (
        f"document the {hook} hook under a heading '### `{hook}({parameters})`'"
    )
    text = section(f"`{hook}(")
    for parameter in inspect.signature(spec).parameters:
        assert f"`{parameter}`" in text, f"describe the {parameter!r} parameter of {hook}"
    assert "```python" in text and "@hookimpl" in text, f"give an example implementation of {hook}"


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_has_a_test(hook):
    pattern = re.compile(rf"^def (test_\w*{hook}\w*)\(", flags=re.MULTILINE)
    found = [path for path in TESTS.rglob("test_*.py") if pattern.search(path.read_text())]
    assert found, f"write a test function named test_hook_{hook}_... for the {hook} hook"


def provider_members() -> list[str]:
    members = set(Provider.__annotations__)
    members |= {name for name, _ in inspect.getmembers(Provider) if not name.startswith("_")}
    return sorted(members)


@pytest.mark.parametrize("member", provider_members())
def test_every_public_provider_member_is_documented(member):
    assert re.search(rf"^### `Provider\.{member}[`(]", DOCS, flags=re.MULTILINE), (
        f"document Provider.{member} under a heading '### `Provider.{member}...`'"
    )


@pytest.mark.parametrize(
    ("heading", "fields"),
    [
        ("`Setting`", [f.name for f in dataclasses.fields(Setting)]),
        ("`FetchContext`", [f.name for f in dataclasses.fields(FetchContext)]),
        ("`SeatRecord`", list(SeatRecord.model_fields)),
        ("`SeatPlan`", list(SeatPlan.model_fields)),
        ("`Person`", list(Person.model_fields)),
        ("`Rejected`", list(Rejected.model_fields)),
        ("`SeatStatus`", [status.name for status in SeatStatus]),
    ],
)
def test_every_field_of_the_plugin_api_is_documented(heading, fields):
    text = section(heading)
    missing = [field for field in fields if f"`{field}`" not in text]
    assert not missing, f"document {missing} under {heading}"


def test_every_provider_error_is_documented():
    kinds = [
        name for name, kind in inspect.getmembers(errors, inspect.isclass) if issubclass(kind, errors.ProviderError)
    ]
    text = section("Errors to raise")
    assert not [kind for kind in kinds + ["ConfigError"] if f"`{kind}`" not in text]


def test_plugin_loading_variables_are_documented():
    source = (ROOT / "core" / "plugins.py").read_text()
    variables = set(re.findall(r"SEATKEEPER_[A-Z_]+", source))
    assert variables >= {"SEATKEEPER_LOAD_PLUGINS", "SEATKEEPER_BLOCK_PLUGINS"}
    text = section("How seatkeeper finds plugins")
    assert not [variable for variable in variables if f"`{variable}`" not in text]


def test_every_contract_check_and_fixture_is_documented():
    text = section("Testing with the contract kit")
    checks = [name for name in dir(testing.ProviderContract) if name.startswith("test_")]
    fixtures = [
        "provider",
        "settings",
        "empty_settings",
        "bad_settings",
        "malformed_settings",
        "secret_values",
        "plugin",
    ]
    for name in fixtures:
        assert hasattr(testing.ProviderContract, name), f"the docs list a fixture {name!r} the kit lacks"
    assert not [name for name in checks + fixtures if f"| `{name}` |" not in text]


def test_every_pytest_fixture_and_helper_is_documented():
    text = section("Testing with the contract kit")
    fixtures = [name for name in dir(pytest_plugin) if name.startswith("seatkeeper_")]
    helpers = ["resolve", "fetch_all", "open_database", "sync", "stored_seats", "check_declaration", "check_items"]
    assert len(fixtures) == 4
    assert not [name for name in fixtures + helpers if f"`{name}" not in text]
    for helper in helpers:
        assert callable(getattr(testing, helper))


def listings() -> list[tuple[str, str]]:
    """Code blocks whose first line is a comment naming an example file: (path, code without that line)."""
    blocks = re.findall(r"```(?:python|toml)\n# ([\w/.]+)\n(.*?)```", DOCS, flags=re.DOTALL)
    return [(path, code) for path, code in blocks if (EXAMPLE / path).exists()]


def test_worked_example_shows_the_whole_plugin():
    assert {path for path, _ in listings()} == {
        "pyproject.toml",
        "seatkeeper_example/__init__.py",
        "seatkeeper_example/provider.py",
    }


@pytest.mark.parametrize(("path", "code"), listings(), ids=[path for path, _ in listings()])
def test_worked_example_listing_is_the_example_file(path, code):
    assert code == (EXAMPLE / path).read_text(), f"docs/plugins.md's listing of {path} differs from the example file"


def test_python_snippets_in_the_docs_parse():
    for code in re.findall(r"```python\n(.*?)```", DOCS, flags=re.DOTALL):
        ast.parse(code)
