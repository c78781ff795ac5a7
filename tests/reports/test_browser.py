"""The HTML report in a real browser: headless Chromium loads it with no console error and no network
request, the accessibility basics hold, and screenshots (screen and print) land in tests/artifacts/.

Needs Chromium (Debian package ``chromium``): skipped when it is missing, except in CI (``CI`` set), where
a missing browser fails the run.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from seatkeeper.reports.generate import ReportFormat, write_report
from seatkeeper.reports.period import parse_month
from tests.reports import history
from tests.reports.browser import Chromium, find_chromium
from tests.reports.conftest import SCRIPT

ARTIFACTS = Path(__file__).parents[1] / "artifacts"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium_path():
    """Chromium's path; skip (fail in CI) without it."""
    path = find_chromium()
    if path is None:
        message = "headless Chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI requires it")
        pytest.skip(message)
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
