"""The HTML report printed: headless Chromium applies the print style to a real report and prints it to PDF;
pdftotext (Debian package ``poppler-utils``) reads the PDF back.

Skipped without Chromium or pdftotext, except in CI (``CI`` set), where either missing fails the run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.reports.browser import Chromium, tool_missing
from tests.reports.test_browser import ARTIFACTS, chromium_path, report_file  # noqa: F401 - shared fixtures

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

#: A4's width less the @page rule's side margins (12 mm each), in CSS pixels (96 a inch): the printed line.
PRINTED_WIDTH = round((210 - 2 * 12) / 25.4 * 96)

#: For every element the print style keeps on one line, whether its text sits on one line; and the style
#: of the elements the print rules set.
PRINT_CHECKS = r"""(() => {
    const lines = (element) => {
        const range = document.createRange();
        range.selectNodeContents(element);
        // Boxes of one line overlap vertically (a <small> in a line has its own, shorter box).
        const boxes = [...range.getClientRects()].filter(r => r.width > 0).sort((a, b) => a.top - b.top);
        let count = 0, bottom = -Infinity;
        for (const box of boxes) {
            if (box.top >= bottom - 1) count += 1;
            bottom = Math.max(bottom, box.bottom);
        }
        return count;
    };
    const style = (element) => getComputedStyle(element);
    const all = (selector) => [...document.querySelectorAll(selector)];
    const kept = all('td.num, tbody th.num, tfoot th.num, time').filter(e => e.textContent.trim() && e.getClientRects().length);
    const links = all('a[href]').filter(a => a.getClientRects().length);
    return {
        kept: kept.length,
        keptWrapping: kept.filter(e => style(e).whiteSpace !== 'nowrap').map(e => e.textContent.trim()),
        keptOnSeveralLines: kept.filter(e => lines(e) > 1).map(e => e.textContent.trim()),
        money: all('td.num').map(e => e.textContent.trim()).filter(t => / EUR$/.test(t)),
        headings: all('h2, h3, h4').map(h => ({text: h.textContent.trim(), after: style(h).breakAfter})),
        captions: all('caption').map(c => style(c).breakAfter),
        shaded: all('thead th, .warnings').filter(e => style(e).backgroundColor !== 'rgba(0, 0, 0, 0)').length,
        links: links.length,
        linkNoise: links.filter(a => style(a).textDecorationLine !== 'none'
            || style(a).color !== style(a.parentElement).color).length,
        contentsShown: all('nav.contents').filter(n => style(n).display !== 'none').length,
        page: document.documentElement.scrollWidth,
        widestTable: Math.max(...all('table').map(t => t.getBoundingClientRect().right)),
    };
})()"""


@pytest.fixture(scope="module")
def pdftotext():
    """pdftotext's path; skip (fail in CI) without it."""
    path = shutil.which("pdftotext")
    if path is None:
        tool_missing("pdftotext is not installed (apt-get install poppler-utils)")
    return path


def test_the_print_style_keeps_figures_on_one_line_headings_with_their_text_and_ink_on_white(
    chromium_path,  # noqa: F811 - the imported fixture
    report_file,  # noqa: F811
):
    with Chromium(chromium_path) as browser:
        browser.open_page(width=PRINTED_WIDTH, height=1000)
        assert browser.load(report_file.as_uri()).console_errors == []
        screen = browser.evaluate(PRINT_CHECKS)
        browser.emulate_media("print")
        printed = browser.evaluate(PRINT_CHECKS)
    assert screen["contentsShown"] == 1 and screen["shaded"] > 0  # the checks see what the print style changes
    assert printed["kept"] > 50 and printed["money"], printed
    assert printed["keptWrapping"] == [] and printed["keptOnSeveralLines"] == []
    assert {heading["after"] for heading in printed["headings"]} == {"avoid"}
    assert len(printed["headings"]) > 5 and set(printed["captions"]) == {"avoid"}
    assert printed["shaded"] == 0
    assert printed["links"] == 0 or printed["linkNoise"] == 0
    assert printed["contentsShown"] == 0
    # Nothing kept on one line pushes a table past the printed line.
    assert printed["page"] <= PRINTED_WIDTH and printed["widestTable"] <= PRINTED_WIDTH, printed


#: Heights of a block the test puts above the report before printing again: spread over a page, so that
#: without the print style's break rules some heading lands at a page's foot.
SHIFTS_MM = range(30, 270, 30)
#: The tables' width in the last print: squeezed, as in a narrow user template, so a price could only wrap.
SQUEEZED_TABLE = "120mm"


def printed_pages(browser: Chromium, pdftotext: str, name: str) -> list[str]:
    """Print the page to ``tests/artifacts/NAME.pdf`` and read it back: the text of each page, as laid out."""
    pdf = browser.print_to_pdf(ARTIFACTS / f"{name}.pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(
        [pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return [re.sub(r" {2,}", "  ", page) for page in text.split("\f") if page.strip()]


def check_pages(pages: list[str], headings: set[str]) -> None:
    """Each page ends with its number ("Page 2 of 9"), and above it, the last line of a page is no heading."""
    for number, page in enumerate(pages, 1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert lines[-1] == f"Page {number} of {len(pages)}", lines[-3:]
        if number < len(pages) and len(lines) > 1:
            assert lines[-2] not in headings, f"page {number} ends with the heading {lines[-2]!r}"


def split_prices(pages: list[str], money: list[str]) -> list[str]:
    """The prices of table cells not printed whole on one line ("1,234.50 EUR", never "1,234.50" then "EUR")."""
    printed = "\n".join(pages)
    return sorted(price for price in set(money) if printed.count(price) < money.count(price))


def add_style(browser: Chromium, css: str) -> None:
    """Add ``css`` to the page (the test's change, to print the report again under other conditions)."""
    browser.evaluate(
        f"(() => {{ const s = document.createElement('style'); s.textContent = {json.dumps(css)}; "
        "document.head.append(s); })()"
    )


def test_the_printed_report_has_numbered_pages_whole_prices_and_no_heading_at_a_page_foot(
    chromium_path,  # noqa: F811 - the imported fixture
    report_file,  # noqa: F811
    pdftotext,
):
    with Chromium(chromium_path) as browser:
        browser.open_page()
        assert browser.load(report_file.as_uri()).console_errors == []
        browser.emulate_media("print")
        checks = browser.evaluate(PRINT_CHECKS)
        headings = {heading["text"] for heading in checks["headings"]}
        pages = printed_pages(browser, pdftotext, "report-print")
        assert len(pages) >= 3, len(pages)
        check_pages(pages, headings)
        assert split_prices(pages, checks["money"]) == []
        browser.evaluate("document.body.prepend(Object.assign(document.createElement('div'), {id: 'shift'}))")
        for shift in SHIFTS_MM:
            add_style(browser, f"#shift {{ height: {shift}mm; }}")
            check_pages(printed_pages(browser, pdftotext, "report-print-shifted"), headings)
        add_style(browser, f"#shift {{ height: 0; }} table {{ width: {SQUEEZED_TABLE} !important; }}")
        squeezed = printed_pages(browser, pdftotext, "report-print-squeezed")
        assert split_prices(squeezed, checks["money"]) == []
