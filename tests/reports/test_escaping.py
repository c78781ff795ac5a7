"""Hostile names stay text in every format: HTML autoescaped, Markdown escaped, CSV formula-safe.

The Markdown is rendered with markdown-it-py (CommonMark plus GFM tables) to check what a reader would see.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from seatkeeper.reports.generate import ReportFormat, write_report
from seatkeeper.reports.markdown import code, escape_markdown
from seatkeeper.reports.period import parse_month
from tests.reports.conftest import FORMULA, HOSTILE, LINK, PIPE, SCRIPT


def render(engine, settings, fmt):
    """The March 2026 report in ``fmt``, as text."""
    out = io.StringIO()
    write_report(engine, fmt, out, parse_month("2026-03"), settings, now=datetime(2026, 4, 1, tzinfo=UTC))
    return out.getvalue()


class ElementCollector(HTMLParser):
    """Collects start tags and attributes, and the page's text."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_shows_hostile_names_as_text(hostile_engine, hostile_settings):
    page = render(hostile_engine, hostile_settings, ReportFormat.html)
    parsed = ElementCollector()
    parsed.feed(page)
    tags = {tag for tag, _ in parsed.tags}
    assert "script" not in tags and "b" not in tags
    assert not any(attrs.get("href", "").startswith("javascript") for _, attrs in parsed.tags)
    text = "".join(parsed.text)
    assert SCRIPT in text  # shown, as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;conn&lt;/b&gt;|x" in page  # connection names too
    assert LINK in text


def test_markdown_escapes_table_cells_and_inline_markup(hostile_engine, hostile_settings):
    text = render(hostile_engine, hostile_settings, ReportFormat.md)
    assert SCRIPT not in text and "<b>" not in text
    rendered = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text)
    assert "<script>" not in rendered and "<b>" not in rendered
    assert 'href="javascript' not in rendered and "<a " not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered  # the name still reads as typed
    assert "[link](javascript:x)" in rendered
    assert "| pipe \\ backslash new | line" in rendered  # one cell: pipes kept, newline folded
    # Every table row has as many cells as its header: no name split a cell or started a row.
    for table in rendered.split("<table>")[1:]:
        body = table.split("</table>")[0]
        header_cells = len(re.findall(r"<th[ >]", body.split("</tr>")[0]))
        for row in body.split("</tr>")[1:-1]:
            assert len(re.findall(r"<td[ >]", row)) == header_cells, row


def test_csv_neutralises_formulas(hostile_engine, hostile_settings):
    rows = list(csv.DictReader(io.StringIO(render(hostile_engine, hostile_settings, ReportFormat.csv))))
    cells = [value for row in rows for value in row.values() if value]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    names = {row["name"] for row in rows}
    assert "'" + FORMULA in names and "'@SUM(A1)" in names
    assert {row["email"] for row in rows} >= {"'+1@example.com", "'-2@example.com"}
    assert PIPE in names  # the newline stays inside a quoted cell


def test_json_keeps_names_verbatim(hostile_engine, hostile_settings):
    data = json.loads(render(hostile_engine, hostile_settings, ReportFormat.json))
    names = {seat["name"] for seat in data["unused"]["seats"]}
    assert set(HOSTILE) <= names


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines\r\nhere", "two lines here"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
        ("*bold* _it_ `code` ~~s~~", "\\*bold\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~"),
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("1. item", "1\\. item"),
        ("AT&T", "AT&amp;T"),
        (None, ""),
        (12, "12"),
    ],
)
def test_escape_markdown(raw, escaped):
    assert escape_markdown(raw) == escaped


@given(st.text())
def test_escaped_markdown_stays_in_one_cell(value):
    rendered = MarkdownIt("commonmark").enable("table").render(f"| a |\n| --- |\n| {escape_markdown(value)} |\n")
    body = rendered.split("<tbody>")[1] if "<tbody>" in rendered else ""
    assert len(re.findall(r"<td[ >]", body)) <= 1
    assert "<a " not in rendered and "<img" not in rendered and "<script" not in rendered.lower()


def test_code_spans_survive_backticks_and_pipes():
    assert code("a`b|c") == "``a`b\\|c``"


def test_warnings_show_bidi_controls_instead_of_obeying_them(layout_engine, settings):
    from tests.reports.conftest import RLO_NAME

    page = render(layout_engine, settings, ReportFormat.html)
    data = json.loads(render(layout_engine, settings, ReportFormat.json))
    (unpriced,) = [warning for warning in data["warnings"] if warning.startswith("alpha: no price")]
    assert "<U+202E>evil" in unpriced
    assert not [warning for warning in data["warnings"] if RLO_NAME in warning]
    assert "&lt;U+202E&gt;evil" in page


def test_user_text_in_html_is_isolated(layout_engine, settings):
    """Every name, email, department, licence type and connection sits in its own <bdi> (HTML-parsed)."""
    from tests.reports.conftest import RLO_NAME

    class Isolation(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open: list[str] = []
            self.loose: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag not in ("br", "meta", "link"):
                self.open.append(tag)

        def handle_endtag(self, tag):
            while self.open and self.open.pop() != tag:
                pass

        def handle_data(self, data):
            # In a chart, a label is a <text> of its own, and descriptions isolate it with FSI ... PDI.
            in_chart = "svg" in self.open and (data == RLO_NAME or f"\u2068{RLO_NAME}\u2069" in data)
            if RLO_NAME in data and "bdi" not in self.open and not in_chart:
                self.loose.append(data)

    page = render(layout_engine, settings, ReportFormat.html)
    parser = Isolation()
    parser.feed(page.split("<body>", 1)[1])
    assert page.count(RLO_NAME) >= 5
    assert parser.loose == []
