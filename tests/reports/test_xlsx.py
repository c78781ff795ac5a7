"""``--format xlsx``: the workbook read back with openpyxl against the report model, the JSON and the CSV."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
import time
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from seatkeeper.output import safe_cell
from seatkeeper.reports.build import build_report
from seatkeeper.reports.generate import ReportFormat, write_report
from seatkeeper.reports.period import parse_month
from seatkeeper.reports.settings import report_settings
from seatkeeper.reports.xlsx import write_xlsx
from tests.reports import company, history
from tests.reports.conftest import FORMULA
from tests.reports.test_golden import GOLDEN, REGENERATE

MARCH = parse_month(history.REPORT_MONTH)
REPO = Path(__file__).resolve().parents[2]

SHEETS = [
    "Summary",
    "Seats",
    "Savings",
    "Savings by category",
    "Savings by application",
    "Changes",
    "Change counts",
    "Renewals",
    "Contracts",
    "Trend",
]
HEADERS = {
    "Summary": ["Figure", "Value"],
    "Applications": [
        "Application",
        "Providers",
        "Connections",
        "Seats",
        "Billable",
        "Free",
        "Unused",
        "Without a price",
        "Monthly cost",
        "Annual cost",
    ],
    "Alerts": ["Kind", "Alert"],
    "Savings": [
        "Category",
        "Application",
        "Provider",
        "Connection",
        "Account",
        "Name",
        "Licence type",
        "Seats",
        "Monthly cost",
        "Annual cost",
    ],
    "SavingsByCategory": ["Category", "Key", "Seats", "Monthly cost", "Annual cost", "Without a price"],
    "Changes": [
        "Change",
        "Provider",
        "Connection",
        "Seat key",
        "Email",
        "Name",
        "Department",
        "Licence type before",
        "Billable before",
        "Licence type after",
        "Billable after",
        "Cost change a month",
    ],
    "ChangeCounts": ["Change", "Seats"],
    "Trend": ["Month", "Seats", "Billable", "Monthly cost", "Held seats' cost", "Without a price", "Newly tracked"],
}

#: Beta's Team seats under a contract in US dollars (the report is in euros), renewing on May 1, 2026: its
#: notice deadline (April 1) falls a day after the March cut-off. The note looks like a formula.
CONTRACT_TOML = """
[contracts.beta]
license_type = "Team"
seats = 5
unit_price = 120
billing_cycle = "annual"
currency = "USD"
term_start = 2025-05-01
term_end = 2026-04-30
notice_days = 30
auto_renew = true
note = '=HYPERLINK("https://example.com","renew")'

[exchange_rates.USD]
2026-01-01 = 0.92
"""


@pytest.fixture
def contract_settings(tmp_path):
    return report_settings(history.config(tmp_path, history.PRICES_TOML + CONTRACT_TOML))


def xlsx_bytes(engine, settings, now=history.GENERATED_AT, month=MARCH) -> bytes:
    out = io.BytesIO()
    write_report(engine, ReportFormat.xlsx, out, month, settings, now=now)
    return out.getvalue()


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def table_rows(book: openpyxl.Workbook, name: str) -> tuple[list[str], list[tuple]]:
    """The header and the rows of the Excel table ``name`` (its empty rows left out)."""
    for sheet in book.worksheets:
        if name in sheet.tables:
            rows = [tuple(cell.value for cell in row) for row in sheet[sheet.tables[name].ref]]
            return list(rows[0]), [row for row in rows[1:] if any(value is not None for value in row)]
    raise KeyError(name)


def table_cells(book: openpyxl.Workbook, name: str) -> list[tuple]:
    """The cells (not values) of the table ``name``'s rows under its header."""
    for sheet in book.worksheets:
        if name in sheet.tables:
            return [tuple(row) for row in sheet[sheet.tables[name].ref]][1:]
    raise KeyError(name)


def money(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(Decimal("0.01")))


def summary(book: openpyxl.Workbook) -> dict[str, object]:
    return dict(table_rows(book, "Summary")[1])


# ---- the workbook's shape --------------------------------------------------------------------------------------


def test_sheets_tables_headers_frozen_and_filtered(history_engine, settings):
    book = load(xlsx_bytes(history_engine, settings))
    assert book.sheetnames == SHEETS
    for name, expected in HEADERS.items():
        assert table_rows(book, name)[0] == expected, name
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.tables, sheet.title
        for table in sheet.tables.values():
            assert table.autoFilter.ref == table.ref  # each table filters its own rows
            assert [column.name for column in table.tableColumns] == [cell.value for cell in sheet[table.ref][0]]
    # Columns are sized to what they hold: the email column is wider than the seat count.
    seats = book["Savings"]
    assert seats.column_dimensions["E"].width > seats.column_dimensions["H"].width >= 8


def test_the_summary_headline_is_the_models_and_the_jsons(history_engine, settings):
    report = build_report(history_engine, MARCH, settings, now=history.GENERATED_AT, list_limit=None)
    data = json.loads(render(history_engine, settings, ReportFormat.json))
    book = load(xlsx_bytes(history_engine, settings))
    figures = summary(book)
    assert figures["Monthly cost"] == money(report.totals.monthly_cost) == data["totals"]["monthly_cost"] == 320.0
    assert figures["Annual cost"] == money(report.annual_cost) == 3840.0
    assert figures["Reclaimable a month"] == money(report.savings.monthly_cost)
    assert figures["Reclaimable a year"] == money(report.savings.annual_cost)
    assert figures["Billable seats"] == report.totals.billable and isinstance(figures["Billable seats"], int)
    assert figures["Free seats"] == report.totals.free
    assert figures["Unused billable seats"] == report.totals.unused
    assert figures["Month"] == "2026-03" and figures["Currency"] == "EUR"
    assert figures["Cut-off (UTC)"] == datetime(2026, 3, 31, 23, 59, 59)
    cells = dict((row[0].value, row[1]) for row in table_cells(book, "Summary"))
    assert cells["Monthly cost"].number_format == '#,##0.00 "EUR"' and cells["Monthly cost"].data_type == "n"
    assert cells["Cut-off (UTC)"].is_date
    apps = {row[0]: row for row in table_rows(book, "Applications")[1]}
    assert {name: row[8] for name, row in apps.items()} == {
        app.application: money(app.totals.monthly_cost) for app in report.applications
    }
    assert sum(row[8] for row in apps.values()) == pytest.approx(320.0)
    alerts = table_rows(book, "Alerts")[1]
    assert alerts == [(alert.kind, alert.text) for alert in report.alerts] and alerts


def render(engine, settings, fmt: ReportFormat, now=history.GENERATED_AT) -> str:
    out = io.StringIO()
    write_report(engine, fmt, out, MARCH, settings, now=now)
    return out.getvalue()


# ---- the Seats sheet is the CSV ----------------------------------------------------------------------------------


def as_csv_text(value: object, column: str) -> str:
    """A Seats cell as the CSV writes the same value."""
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC)
    if column == "monthly_price" and value is not None:
        return f"{value:.2f}"
    return safe_cell(value)


def assert_seats_are_the_csv(engine, settings, now) -> int:
    out = io.StringIO()
    write_report(engine, ReportFormat.csv, out, MARCH, settings, now=now)
    header, *lines = list(csv.reader(io.StringIO(out.getvalue())))
    book = load(xlsx_bytes(engine, settings, now=now))
    columns, rows = table_rows(book, "Seats")
    assert columns == header
    assert len(rows) == len(lines) > 0
    for row, line in zip(rows, lines, strict=True):
        assert [as_csv_text(value, column) for value, column in zip(row, header, strict=True)] == line
    # Typed, not text: the price a number in the report's currency, times real dates, days whole numbers.
    first = dict(zip(header, table_cells(book, "Seats")[0], strict=True))
    assert first["monthly_price"].data_type == "n" and settings.currency in first["monthly_price"].number_format
    assert first["billable"].data_type == "b"
    assert first["last_activity_at"].is_date and isinstance(first["idle_days"].value, int)
    return len(rows)


def test_the_seats_sheet_has_the_csvs_rows_and_values(history_engine, settings):
    assert assert_seats_are_the_csv(history_engine, settings, history.GENERATED_AT) == 23


@pytest.mark.block_network(allowed_hosts=[r"^127\.0\.0\.1$"])  # the Zoom demo's fake server
def test_the_seats_sheet_names_each_seats_person_as_the_csv_does(company_engine, tmp_path):
    engine = company_engine
    settings = company.settings(tmp_path)
    assert_seats_are_the_csv(engine, settings, company.GENERATED_AT)
    book = load(xlsx_bytes(engine, settings, now=company.GENERATED_AT))
    header, rows = table_rows(book, "Seats")
    leaver = [dict(zip(header, row, strict=True)) for row in rows if row[header.index("email")] == company.LEAVER]
    assert {row["left_at"] for row in leaver} == {company.LEFT_AT.replace(tzinfo=None)}
    # The leaver's seats are in the savings list, each with its monthly and annual cost.
    report = build_report(engine, MARCH, settings, now=company.GENERATED_AT, list_limit=None)
    assert_savings_are_the_models(book, report)
    assert any(item.category == "leaver" for item in report.savings.items)


# ---- savings, changes, renewals, contracts -------------------------------------------------------------------------


def assert_savings_are_the_models(book, report) -> None:
    assert table_rows(book, "Savings")[1] == [
        (
            item.category_label,
            item.application,
            item.provider or None,
            item.connection,
            item.email,
            item.name,
            item.license_type,
            item.seats,
            money(item.monthly_cost),
            money(None if item.monthly_cost is None else item.monthly_cost * 12),
        )
        for item in report.savings.items
    ]
    assert table_rows(book, "SavingsByCategory")[1] == [
        (
            line.label,
            line.category,
            line.seats,
            money(line.monthly_cost),
            money(line.monthly_cost * 12),
            line.unpriced_seats,
        )
        for line in report.savings.by_category
    ]
    assert table_rows(book, "SavingsByApplication")[1] == [
        (
            line.application,
            line.unused_seats,
            money(line.unused_cost),
            line.unassigned_seats,
            money(line.unassigned_cost),
            line.leaver_seats,
            money(line.leaver_cost),
            line.seats,
            money(line.monthly_cost),
            money(line.annual_cost),
            line.unpriced_seats,
        )
        for line in report.savings.by_application
    ]
    items = table_rows(book, "Savings")[1]
    assert sum(row[8] for row in items if row[8] is not None) == pytest.approx(float(report.savings.monthly_cost))


def test_savings_and_changes_are_the_models(history_engine, settings):
    report = build_report(history_engine, MARCH, settings, now=history.GENERATED_AT, list_limit=None)
    book = load(xlsx_bytes(history_engine, settings))
    assert report.savings.items and report.changes.seats
    assert_savings_are_the_models(book, report)
    assert table_rows(book, "Changes")[1] == [
        (
            change.kind,
            change.provider,
            change.connection,
            change.seat_key,
            change.email,
            change.name,
            change.department,
            change.before_license_type,
            change.before_billable,
            change.after_license_type,
            change.after_billable,
            money(change.cost_change),
        )
        for change in report.changes.seats
    ]
    assert (
        dict(table_rows(book, "ChangeCounts")[1])
        == report.changes.counts
        == {
            "added": 4,
            "removed": 1,
            "upgraded": 1,
            "downgraded": 2,
            "changed": 1,
        }
    )


def test_renewals_and_contracts_are_the_models_in_both_currencies(history_engine, contract_settings):
    report = build_report(history_engine, MARCH, contract_settings, now=history.GENERATED_AT, list_limit=None)
    book = load(xlsx_bytes(history_engine, contract_settings))
    [renewal] = report.renewals
    header, rows = table_rows(book, "Renewals")
    assert rows == [
        (
            "Beta (tests)",
            "beta",
            "Team",
            datetime(2026, 5, 1),  # openpyxl reads a date cell back as midnight
            renewal.days_to_renewal,
            datetime(2026, 4, 1),
            1,
            30,
            True,
            5,
            renewal.assigned,
            renewal.used,
            renewal.suggested_seats,
            money(renewal.annual_value),
            600.0,
            "USD",
            money(renewal.annual_saving),
            renewal.verdict,
            '=HYPERLINK("https://example.com","renew")',
        )
    ]
    assert renewal.renewal_date == date(2026, 5, 1) and renewal.annual_value == Decimal("552.00")
    cells = dict(zip(header, table_cells(book, "Renewals")[0], strict=True))
    assert cells["Annual value"].number_format == '#,##0.00 "EUR"'
    assert cells["Annual value (contract currency)"].number_format == '#,##0.00 "USD"'
    assert cells["Renewal date"].is_date and cells["Notice deadline"].number_format == "yyyy-mm-dd"
    assert cells["Note"].data_type == "s"  # the config file's note is text, not a formula
    assert table_rows(book, "Contracts")[1] == [
        (
            line.application,
            line.license_type,
            line.source,
            line.name,
            line.bought,
            line.assigned,
            line.unassigned,
            line.over_assigned,
            money(line.unit_price),
            money(line.unassigned_cost),
            money(line.over_assigned_cost),
            line.currency,
            line.billing_cycle,
            None if line.term_start is None else datetime.combine(line.term_start, datetime.min.time()),
            None if line.term_end is None else datetime.combine(line.term_end, datetime.min.time()),
            line.note,
        )
        for line in report.contracts
    ]
    assert any(line.source == "contract" for line in report.contracts)
    assert any(alert.kind == "notice" for alert in report.alerts)
    assert ("notice", next(a.text for a in report.alerts if a.kind == "notice")) in table_rows(book, "Alerts")[1]


@pytest.mark.block_network(allowed_hosts=[r"^127\.0\.0\.1$"])  # the Zoom demo's fake server
def test_contracts_in_two_currencies_show_the_same_figures_as_the_other_formats(company_engine, tmp_path):
    """The company's contracts (test_contracts.py): USD report, Figma's contract in EUR, a price rise on Jan 1."""
    engine = company_engine
    settings = company.contracts_settings(tmp_path)
    march = build_report(engine, MARCH, settings, now=company.GENERATED_AT, list_limit=None)
    data = json.loads(render(engine, settings, ReportFormat.json, now=company.GENERATED_AT))
    book = load(xlsx_bytes(engine, settings, now=company.GENERATED_AT))
    figures = summary(book)
    assert figures["Monthly cost"] == money(march.totals.monthly_cost) == data["totals"]["monthly_cost"] == 2231.45
    assert figures["Annual cost"] == money(march.annual_cost) == data["annual_cost"]
    assert figures["Reclaimable a month"] == money(march.savings.monthly_cost) == data["savings"]["monthly_cost"]
    assert figures["Reclaimable a year"] == money(march.savings.annual_cost)
    trend = [(row[0], row[3]) for row in table_rows(book, "Trend")[1] if row[1] is not None]
    assert trend == [(t["month"], t["monthly_cost"]) for t in data["trend"] if t["has_data"]]
    assert len(trend) == 5 and trend[-1] == ("2026-03", 2231.45)
    header, rows = table_rows(book, "Renewals")
    renewals = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    figma = renewals["Figma"]
    assert (figma["Renewal date"], figma["Notice deadline"], figma["Days to notice"]) == (
        datetime(2026, 5, 1),
        datetime(2026, 4, 17),
        17,
    )
    assert figma["Annual value"] == money(12 * 12 * 14 * Decimal("1.10")) and figma["Contract currency"] == "EUR"
    assert figma["Annual value (contract currency)"] == 12 * 12 * 14 and figma["Verdict"] == "reduce"
    assert renewals["Zoom"]["Notice deadline"] == datetime(2026, 3, 3) and renewals["Zoom"]["Days to notice"] == -28
    cells = dict(zip(header, table_cells(book, "Renewals")[[row[0] for row in rows].index("Figma")], strict=True))
    assert cells["Annual value"].number_format == '#,##0.00 "USD"'
    assert cells["Annual value (contract currency)"].number_format == '#,##0.00 "EUR"'
    header, rows = table_rows(book, "Contracts")
    lines = {(row[0], row[1]): dict(zip(header, row, strict=True)) for row in rows}
    full = lines[("Figma", "Full seat")]
    assert (full["Bought"], full["Assigned"], full["Unassigned"], full["Contract currency"]) == (12, 4, 8, "EUR")
    assert full["Unassigned cost a month"] == money(8 * 14 * Decimal("1.10"))
    assert [row[0] for row in table_rows(book, "Alerts")[1]] == ["notice", "leaver"]
    assert_savings_are_the_models(book, march)
    values = cell_values(book)
    path = GOLDEN / f"company-contracts-{company.REPORT_MONTH}.xlsx.json"
    if REGENERATE:
        path.write_text(golden_text(values), encoding="utf-8")
    assert values == json.loads(path.read_text(encoding="utf-8")), f"{path.name} differs: regenerate and review"


def test_a_table_without_rows_keeps_its_header(history_engine, settings):
    book = load(xlsx_bytes(history_engine, settings))  # no contracts: nothing renews
    header, rows = table_rows(book, "Renewals")
    assert header[:4] == ["Application", "Contract", "Licence type", "Renewal date"] and rows == []
    assert book["Renewals"].tables["Renewals"].ref == "A1:S2"  # an Excel table needs a row under its header


# ---- nothing from a provider runs ------------------------------------------------------------------------------------


def test_a_formula_looking_name_stays_text(hostile_engine, hostile_settings):
    data = xlsx_bytes(hostile_engine, hostile_settings, now=datetime(2026, 4, 2, tzinfo=UTC))
    book = load(data)
    header, _ = table_rows(book, "Seats")
    cells = [dict(zip(header, row, strict=True)) for row in table_cells(book, "Seats")]
    names = {row["name"].value: row["name"] for row in cells}
    for text in (FORMULA, "@SUM(A1)"):
        assert names[text].data_type == "s" and names[text].value == text
        assert names[text].quotePrefix  # stays text when someone edits the cell
    emails = {row["email"].value for row in cells}
    assert {"+1@example.com", "-2@example.com"} <= emails
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/sheet")]
    assert not [sheet for sheet in sheets if b"<f>" in sheet or b"<f " in sheet]  # no formula anywhere


def test_characters_a_worksheet_cannot_hold_are_written_out(history_engine, settings):
    report = build_report(history_engine, MARCH, settings, now=history.GENERATED_AT, list_limit=None)
    seat = {"name": "esc\x1b[31mred", "email": "#N/A", "monthly_price": Decimal("1.5")}
    out = io.BytesIO()
    write_xlsx(report, [seat], out)
    header, rows = table_rows(load(out.getvalue()), "Seats")
    row = dict(zip(header, rows[0], strict=True))
    assert row["name"] == "esc<U+001B>[31mred"
    assert row["email"] == "#N/A"  # text, not Excel's "not available" error value
    assert row["monthly_price"] == 1.5


# ---- deterministic ---------------------------------------------------------------------------------------------------


def test_the_same_report_is_the_same_file(history_engine, settings):
    first = xlsx_bytes(history_engine, settings)
    assert xlsx_bytes(history_engine, settings) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(2026, 4, 2, 9, 0, 0)}
    properties = load(first).properties
    assert properties.created == properties.modified == datetime(2026, 4, 2, 9, 0)
    assert properties.creator == "seatkeeper" and properties.title == "Licence report — March 2026"


def cell_values(book: openpyxl.Workbook) -> dict[str, list[list]]:
    """Every sheet's rows of values as JSON holds them (times as ISO strings; a row's empty cells at its end cut)."""

    def plain(row):
        values = [value.isoformat() if isinstance(value, datetime | date) else value for value in row]
        while values and values[-1] is None:
            values.pop()
        return values

    return {sheet.title: [plain(row) for row in sheet.iter_rows(values_only=True)] for sheet in book}


def golden_text(values: dict[str, list[list]]) -> str:
    """The cell values as JSON, one row a line (so a changed cell is a one-line diff)."""
    sheets = [
        f"  {json.dumps(title)}: [\n"
        + ",\n".join(f"    {json.dumps(row, ensure_ascii=False)}" for row in rows)
        + "\n  ]"
        for title, rows in values.items()
    ]
    return "{\n" + ",\n".join(sheets) + "\n}\n"


def test_the_workbook_matches_the_golden_cell_values(history_engine, settings):
    values = cell_values(load(xlsx_bytes(history_engine, settings)))
    path = GOLDEN / f"report-{history.REPORT_MONTH}.xlsx.json"
    if REGENERATE:
        path.write_text(golden_text(values), encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert values == expected, (
        f"{path.name} differs: regenerate with SEATKEEPER_REGENERATE_GOLDEN=1 and review the diff"
    )


# ---- the command line ------------------------------------------------------------------------------------------------


def test_cli_writes_the_workbook_to_a_file_and_the_default_path(cli_run, with_history, tmp_path):
    target = tmp_path / "f.xlsx"
    code, out, err = cli_run("report", "--month", "2026-03", "--format", "xlsx", "--output", str(target))
    assert code == 0, err
    assert out.strip() == str(target)
    assert "warning: alpha-us: the latest sync (2026-03-28) failed" in err
    assert summary(load(target.read_bytes()))["Monthly cost"] == 320.0
    assert oct(target.stat().st_mode & 0o777) == "0o600"  # owner only, as every new report
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    code, out, err = cli_run("report", "--month", "2026-03", "--format", "xlsx")
    assert code == 0, err
    assert out.strip().endswith("seatkeeper-2026-03.xlsx") and load(Path(out.strip()).read_bytes()).sheetnames == SHEETS


def test_more_seats_than_a_sheet_holds_is_refused_naming_csv(cli_run, with_history, tmp_path, monkeypatch):
    from seatkeeper.reports import xlsx

    monkeypatch.setattr(xlsx, "SHEET_ROWS", 23)  # the March history holds 23 seats: one too many with the header
    target = tmp_path / "f.xlsx"
    target.write_bytes(b"an earlier workbook")
    code, out, err = cli_run("report", "--month", "2026-03", "--format", "xlsx", "--output", str(target))
    assert code == 2 and out == ""
    assert "the report holds 23 seats, more than an XLSX sheet's 22 rows: use --format csv" in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert target.read_bytes() == b"an earlier workbook"  # nothing half-written over it


def child(args: list[str], **streams) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "seatkeeper", *args], env=environment, cwd=REPO, **streams)


def test_cli_writes_the_workbook_to_a_pipe(with_history, tmp_path):
    args = ["report", "--month", "2026-03", "--format", "xlsx", "--output"]
    for output in ("-", "/dev/stdout"):
        process = child([*args, output], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
        assert summary(load(out))["Monthly cost"] == 320.0


@pytest.mark.parametrize("output", ["-", "/dev/stdout"])
def test_cli_refuses_to_write_the_workbook_to_a_terminal(with_history, output, tmp_path):
    terminal, side = pty.openpty()
    errors = tmp_path / "stderr"
    try:
        with errors.open("wb") as stderr:
            process = child(
                ["report", "--month", "2026-03", "--format", "xlsx", "--output", output],
                stdout=side,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
            )
        os.close(side)
        written = read_terminal(terminal, process)
    finally:
        os.close(terminal)
    assert process.returncode == 2
    lines = errors.read_text().splitlines()
    assert len(lines) == 1 and "--output" in lines[0] and "binary" in lines[0], lines
    assert written == b""  # not a byte of the zip on the screen


def read_terminal(terminal: int, process: subprocess.Popen) -> bytes:
    """What ``process`` writes to the terminal until it exits (read as it goes, so a full terminal never blocks it)."""
    written = b""
    deadline = time.monotonic() + 120  # a hung child fails the test instead of hanging the run
    while time.monotonic() < deadline:
        if select.select([terminal], [], [], 0.1)[0]:
            try:
                chunk = os.read(terminal, 65536)
            except OSError:  # every process holding the other side has closed it
                chunk = b""
            written += chunk
            if chunk:
                continue
        if process.poll() is not None:
            return written
    process.kill()
    raise AssertionError(f"seatkeeper did not exit; it wrote {len(written)} bytes to the terminal")
