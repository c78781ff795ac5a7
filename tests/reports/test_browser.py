"""The HTML report in a real browser: headless Chromium loads it with no console error and no network
request, the accessibility basics hold, and screenshots (screen and print) land in tests/artifacts/.

Needs Chromium (Debian package ``chromium``): skipped when it is missing, except in CI (``CI`` set), where
a missing browser fails the run.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from seatkeeper.reports.generate import ReportFormat, write_report
from seatkeeper.reports.period import parse_month
from tests.reports import history
from tests.reports.browser import Chromium, find_chromium, tool_missing
from tests.reports.conftest import SCRIPT

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium_path():
    """Chromium's path; skip (fail in CI) without it."""
    path = find_chromium()
    if path is None:
        tool_missing("headless Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture
def report_file(history_engine, settings, tmp_path):
    """The March report of the synthetic history as an HTML file."""
    out = io.StringIO()
    write_report(history_engine, ReportFormat.html, out, parse_month("2026-03"), settings, now=history.GENERATED_AT)
    path = tmp_path / "report.html"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_report_renders_in_chromium(chromium_path, report_file):
    with Chromium(chromium_path) as browser:
        browser.open_page(width=1280, height=900)
        load = browser.load(report_file.as_uri())
        assert load.console_errors == []
        assert load.failed_requests == []
        assert load.requests == [report_file.as_uri()]  # self-contained: nothing else fetched

        checks = browser.evaluate(
            """(() => ({
                lang: document.documentElement.lang,
                title: document.title,
                h1: document.querySelectorAll('h1').length,
                headersWithoutScope: [...document.querySelectorAll('th')].filter(
                    th => !th.getAttribute('scope') && th.closest('thead, tbody, tfoot')).length,
                charts: document.querySelectorAll('svg[role=img]').length,
                chartsUnlabelled: [...document.querySelectorAll('svg')].filter(svg => {
                    const ids = (svg.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean);
                    return ids.length < 2 || ids.some(id => !document.getElementById(id)?.textContent.trim());
                }).length,
                scripts: document.scripts.length,
                summaryCost: document.querySelector('#summary .figure dd').firstChild.textContent.trim(),
                width: document.documentElement.scrollWidth,
            }))()"""
        )
        assert checks["lang"] == "en"
        assert checks["title"] == "Licence report 2026-03 — seatkeeper"
        assert checks["h1"] == 1
        assert checks["headersWithoutScope"] == 0
        assert checks["charts"] == 3 and checks["chartsUnlabelled"] == 0
        assert checks["scripts"] == 0
        assert checks["summaryCost"] == "320.00 EUR"
        assert checks["width"] <= 1280  # no horizontal scrolling at desktop width

        screen = browser.screenshot(ARTIFACTS / "report-screen.png")
        printed = browser.screenshot(ARTIFACTS / "report-print.png", media="print")
    for png in (screen, printed):
        data = png.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 20_000


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_report_fits_a_phone_screen(chromium_path, report_file):
    with Chromium(chromium_path) as browser:
        browser.open_page(width=390, height=844)
        assert browser.load(report_file.as_uri()).console_errors == []
        # Wide tables scroll inside their own box; the page itself does not scroll sideways.
        assert browser.evaluate("document.documentElement.scrollWidth") <= 390
        browser.screenshot(ARTIFACTS / "report-phone.png", max_height=3000)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_hostile_names_stay_text_in_the_browser(chromium_path, hostile_engine, hostile_settings, tmp_path):
    out = io.StringIO()
    write_report(
        hostile_engine, ReportFormat.html, out, parse_month("2026-03"), hostile_settings, now=history.GENERATED_AT
    )
    page = tmp_path / "hostile.html"
    page.write_text(out.getvalue(), encoding="utf-8")
    with Chromium(chromium_path) as browser:
        browser.open_page()
        load = browser.load(page.as_uri())
        assert load.console_errors == [] and load.requests == [page.as_uri()]
        assert not [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]
        assert browser.evaluate("document.scripts.length") == 0
        assert browser.evaluate("document.querySelectorAll('a[href^=javascript], b').length") == 0
        assert SCRIPT in browser.evaluate("document.body.innerText")


#: Texts the report prints right after a user-provided value that starts a right-to-left override (see the
#: layout_engine fixture): a licence type in the people table, the list of unpriced licence types, and warnings.
AFTER_OVERRIDE = ("(free)", "those seats are left out of the costs.", "their seats are left out of the costs")
#: For each occurrence of those texts in the page: whether the first character of its first word is laid out
#: to the left of the word's last (left to right), told by the characters' bounding boxes.
LAID_OUT = r"""((needles) => {
    const found = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const box = (node, index) => {
        const range = document.createRange();
        range.setStart(node, index);
        range.setEnd(node, index + 1);
        return range.getBoundingClientRect();
    };
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const needle of needles) {
            const at = node.data.indexOf(needle);
            if (at < 0) continue;
            const [a, b] = [box(node, at), box(node, at + needle.split(' ')[0].length - 1)];
            found.push({text: needle, leftToRight: a.left < b.left, sameLine: Math.abs(a.top - b.top) < 1});
        }
    }
    return found;
})"""


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [1280, 390])
def test_an_override_or_a_long_name_keeps_the_layout(chromium_path, layout_engine, settings, tmp_path, width):
    out = io.StringIO()
    write_report(layout_engine, ReportFormat.html, out, parse_month("2026-03"), settings, now=history.GENERATED_AT)
    page = tmp_path / "layout.html"
    page.write_text(out.getvalue(), encoding="utf-8")
    with Chromium(chromium_path) as browser:
        browser.open_page(width=width, height=900)
        assert browser.load(page.as_uri()).console_errors == []
        laid_out = browser.evaluate(f"{LAID_OUT}({json.dumps(AFTER_OVERRIDE)})")
        assert {item["text"] for item in laid_out} == set(AFTER_OVERRIDE), laid_out
        assert [item for item in laid_out if not (item["leftToRight"] and item["sameLine"])] == []
        # The 500-character names wrap inside their cells: no cell grows past the screen, nor does the page,
        # nor, at desktop width, any table (on a phone, wide tables scroll inside their own box by design).
        widths = browser.evaluate(
            """(() => {
                const cells = [...document.querySelectorAll('th, td')].filter(c => c.textContent.includes('WWWWWWWWWW'));
                const right = (elements) => Math.max(...elements.map(e => e.getBoundingClientRect().right));
                return {
                    page: document.documentElement.scrollWidth,
                    tables: right([...document.querySelectorAll('table')]),
                    cells: cells.length,
                    widest_cell: Math.max(...cells.map(c => c.getBoundingClientRect().width)),
                };
            })()"""
        )
        assert widths["cells"] >= 8, widths  # seats, unused, people, departments, freshness of both accounts
        assert widths["page"] <= width and widths["widest_cell"] <= width, widths
        if width >= 1000:
            assert widths["tables"] <= width, widths
        browser.screenshot(ARTIFACTS / f"report-layout-{width}.png", max_height=4000)
