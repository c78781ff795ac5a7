"""A user's template folder (``--template-dir``): broken templates are one-line errors naming the file, and
templates run in Jinja2's sandbox, so a template cannot reach Python internals.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def templates(tmp_path):
    """An empty template folder."""
    folder = tmp_path / "templates"
    folder.mkdir()
    return folder


def run_with(cli_run, templates, *extra):
    return cli_run("report", "--month", "2026-03", "--template-dir", str(templates), "--output", "-", *extra)


def assert_one_line_error(code, out, err, *expected):
    assert code == 2, err
    assert "Traceback" not in err and "unexpected" not in err
    assert len(err.strip().splitlines()) == 1, err
    for text in expected:
        assert text in err, err


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<footer>{{ 1 // 0 }}</footer>\n", "ZeroDivisionError: integer division or modulo by zero"),
        ("<footer>\n{{ report.month + 1 }}</footer>\n", "line 2: TypeError: can only concatenate str"),
        ("<footer>{% if report.month %}{{ report.month|no_such_filter }}{% endif %}</footer>\n", "no_such_filter"),
        ("<footer>{{ report.month|no_such_filter }}</footer>\n", "no_such_filter"),
        ("<footer>\n\n{{ no_such_variable }}</footer>\n", "'no_such_variable' is undefined"),
        ("<footer>{{ report.no_such_field }}</footer>\n", "no_such_field"),
        ("<footer>{% include 'missing.html' %}</footer>\n", "'missing.html' not found"),
        ("<footer>{{ report.month.startswith() }}</footer>\n", "TypeError"),
    ],
    ids=[
        "raises",
        "bad-argument",
        "unknown-filter-at-run-time",
        "unknown-filter",
        "undefined",
        "no-field",
        "missing-include",
        "bad-call",
    ],
)
def test_a_failing_template_is_one_line_naming_its_file(cli_run, with_history, templates, source, expected):
    (templates / "_footer.html").write_text(source)
    code, out, err = run_with(cli_run, templates)
    assert_one_line_error(code, out, err, "_footer.html", expected)


def test_the_error_names_the_line(cli_run, with_history, templates):
    (templates / "_footer.html").write_text("<footer>\n\n{{ no_such_variable }}</footer>\n")
    code, out, err = run_with(cli_run, templates)
    assert_one_line_error(code, out, err, f"template {templates / '_footer.html'} line 3:")


def test_a_template_that_is_not_utf8(cli_run, with_history, templates):
    (templates / "_footer.md").write_bytes("Rapport réalisé\n".encode("latin-1"))
    code, out, err = run_with(cli_run, templates, "--format", "md")
    assert_one_line_error(code, out, err, str(templates / "_footer.md"), "not UTF-8")


def test_a_template_that_extends_itself(cli_run, with_history, templates):
    (templates / "report.html").write_text('{% extends "report.html" %}{% block title %}Mine{% endblock %}\n')
    code, out, err = run_with(cli_run, templates)
    assert_one_line_error(code, out, err, "report.html", "extends or includes itself")


def test_templates_that_include_each_other(cli_run, with_history, templates):
    (templates / "_footer.html").write_text('{% include "_extra.html" %}\n')
    (templates / "_extra.html").write_text('{% include "_footer.html" %}\n')
    code, out, err = run_with(cli_run, templates)
    assert_one_line_error(code, out, err, "extends or includes itself")


@pytest.mark.parametrize(
    "expression",
    [
        "''.__class__.__mro__",
        "report.__class__.__init__.__globals__",
        "cycler.__init__.__globals__.os",
        "report.providers.__class__.__subclasses__()",
        "report.warnings.append('x')",
    ],
)
def test_a_template_cannot_reach_python_internals(cli_run, with_history, templates, expression):
    (templates / "_footer.html").write_text(f"<footer>{{{{ {expression} }}}}</footer>\n")
    code, out, err = run_with(cli_run, templates)
    assert_one_line_error(code, out, err, "_footer.html", "unsafe")
    assert "<class" not in out and "<footer>" not in out


def test_the_built_in_templates_run_in_the_sandbox():
    import jinja2.sandbox

    from seatkeeper.reports.render import environment

    for markdown in (False, True):
        assert isinstance(environment(None, markdown=markdown), jinja2.sandbox.ImmutableSandboxedEnvironment)
