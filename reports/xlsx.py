"""The report as an Excel workbook (``--format xlsx``): Excel tables on named sheets, for a finance team to pivot.

Sheets: Summary (headline figures, then the applications and the alerts), Seats (the per-seat CSV's columns
and values), Savings (what could be reclaimed, line by line), Savings by category, Savings by application,
Changes (seats since the previous month), Change counts, Renewals, Contracts (contract vs actual) and Trend
(the twelve months' cost, as the report's trend shows it).

Each table is an Excel table (its own autofilter, one header row) starting in column A; the first one's header
row is frozen. Money is a number in cents with its currency in the number format, dates and times are real
dates (times in UTC), counts are whole numbers. Text from providers and the config file is always written as
text, so a name such as ``=HYPERLINK(...)`` can never become a formula; characters XML cannot hold are written
out (``<U+001B>``). The file depends only on the report: its properties and the zip entries' times are the
report's generation time, so the same report gives the same bytes.
"""

from __future__ import annotations

import itertools
import re
import shutil
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, BinaryIO, NamedTuple

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter

from seatkeeper.errors import ConfigError
from seatkeeper.output import FORMULA_PREFIXES

from .exports import CENT, CSV_COLUMNS
from .model import CHANGE_KINDS, Report

TEXT, MONEY, INT, BOOL, DATE, TIME, ANY = "text", "money", "int", "bool", "date", "time", "any"

#: Characters an XML 1.0 document (and so a worksheet) cannot hold.
ILLEGAL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: The most characters an Excel cell holds.
CELL_LIMIT = 32767
#: The most rows an Excel sheet holds: the Seats sheet's header and one row per seat must fit.
SHEET_ROWS = 1_048_576
#: Rows read ahead of writing a table, to size its columns.
WIDTH_SAMPLE = 200
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
TABLE_STYLE = "TableStyleLight9"


class Money(NamedTuple):
    """An amount in a currency other than the report's (a contract's own currency)."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Column:
    """One column of a table: its header and the kind of value it holds (which sets the cell's type and format)."""

    header: str
    kind: str = TEXT


@dataclass(frozen=True)
class SheetTable:
    """A table to write: its Excel name, columns and rows (tuples in column order)."""

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]


#: Kinds of the per-seat CSV's columns (the rest are text).
SEAT_KINDS = {
    "billable": BOOL,
    "external": BOOL,
    "idle_days": INT,
    "last_activity_at": TIME,
    "left_at": TIME,
    "monthly_price": MONEY,
}


def write_xlsx(report: Report, seat_rows: Iterable[Mapping[str, Any]], out: BinaryIO) -> None:
    """Write ``report`` as an XLSX workbook to ``out``.

    :param report: the report, with its lists complete (built with ``list_limit=None``).
    Raises ConfigError when the seats would not fit one sheet (Excel's row limit).

    :param seat_rows: one mapping per seat held, of :data:`seatkeeper.reports.exports.CSV_COLUMNS` as
        :func:`seatkeeper.reports.exports.seat_values` makes them (streamed: read once, in order).
    """
    if report.totals.seats >= SHEET_ROWS:
        raise ConfigError(
            f"the report holds {report.totals.seats:,} seats, more than an XLSX sheet's {SHEET_ROWS - 1:,} rows: "
            "use --format csv for the seat list, or narrow the report with --application or --provider"
        )
    book = Workbook(write_only=True)
    generated = _utc(report.generated_at)
    book.properties.creator = "seatkeeper"
    book.properties.title = f"Licence report — {report.month_title}"
    book.properties.created = book.properties.modified = generated
    currency = report.currency
    sheets: list[tuple[str, list[SheetTable]]] = [
        ("Summary", _summary(report)),
        ("Seats", [SheetTable("Seats", [Column(c, SEAT_KINDS.get(c, TEXT)) for c in CSV_COLUMNS], _seats(seat_rows))]),
        ("Savings", [_savings_items(report)]),
        ("Savings by category", [_savings_by_category(report)]),
        ("Savings by application", [_savings_by_application(report)]),
        ("Changes", [_changes(report)]),
        ("Change counts", [_change_counts(report)]),
        ("Renewals", [_renewals(report)]),
        ("Contracts", [_contracts(report)]),
        ("Trend", [_trend(report)]),
    ]
    for title, tables in sheets:
        _write_sheet(book, title, tables, currency)
    # As openpyxl's Workbook.save, but keeping the modified time (save sets the clock's) and the entries' times.
    with _FixedTimeZip(out, generated) as archive:
        ExcelWriter(book, archive).save()


# ---- the sheets ---------------------------------------------------------------------------------------------------


def _summary(report: Report) -> list[SheetTable]:
    totals, savings, changes = report.totals, report.savings, report.changes
    figures: list[tuple[str, Any]] = [
        ("Month", report.month),
        ("Cut-off (UTC)", _utc(report.as_of).replace(microsecond=0)),
        ("Generated (UTC)", _utc(report.generated_at).replace(microsecond=0)),
        ("Month in progress", report.in_progress),
        ("Currency", report.currency),
    ]
    filters = (
        ("Provider", report.provider_filter),
        ("Connection", report.connection_filter),
        ("Application", report.application_filter),
    )
    figures += [(f"Only {what}", value) for what, value in filters if value is not None]
    figures += [
        ("Monthly cost", _money(totals.monthly_cost)),
        ("Annual cost", _money(report.annual_cost)),
        ("Reclaimable a month", _money(savings.monthly_cost)),
        ("Reclaimable a year", _money(savings.annual_cost)),
        ("Reclaimable seats", savings.seats),
        ("Seats held", totals.seats),
        ("Billable seats", totals.billable),
        ("Free seats", totals.free),
        ("Unused billable seats", totals.unused),
        ("Unused seats' cost a month", _money(totals.unused_cost)),
        ("Billable seats without a price", totals.unpriced_seats),
        (f"Billable seats since {changes.previous_month}", changes.billable_change if changes.compared else None),
        (f"Cost change since {changes.previous_month}", _money(changes.cost_change) if changes.compared else None),
    ]
    applications = [
        (
            app.application,
            ", ".join(app.providers),
            ", ".join(app.connections),
            app.totals.seats,
            app.totals.billable,
            app.totals.free,
            app.totals.unused,
            app.totals.unpriced_seats,
            _money(app.totals.monthly_cost),
            _money(app.totals.monthly_cost * 12),
        )
        for app in report.applications
    ]
    return [
        SheetTable("Summary", [Column("Figure"), Column("Value", ANY)], figures),
        SheetTable(
            "Applications",
            [
                Column("Application"),
                Column("Providers"),
                Column("Connections"),
                Column("Seats", INT),
                Column("Billable", INT),
                Column("Free", INT),
                Column("Unused", INT),
                Column("Without a price", INT),
                Column("Monthly cost", MONEY),
                Column("Annual cost", MONEY),
            ],
            applications,
        ),
        SheetTable("Alerts", [Column("Kind"), Column("Alert")], [(alert.kind, alert.text) for alert in report.alerts]),
    ]


def _seats(rows: Iterable[Mapping[str, Any]]) -> Iterable[tuple[Any, ...]]:
    for row in rows:
        yield tuple(row.get(column) for column in CSV_COLUMNS)


def _savings_items(report: Report) -> SheetTable:
    columns = [
        Column("Category"),
        Column("Application"),
        Column("Provider"),
        Column("Connection"),
        Column("Account"),
        Column("Name"),
        Column("Licence type"),
        Column("Seats", INT),
        Column("Monthly cost", MONEY),
        Column("Annual cost", MONEY),
    ]
    rows = [
        (
            item.category_label,
            item.application,
            item.provider,
            item.connection,
            item.email,
            item.name,
            item.license_type,
            item.seats,
            _money(item.monthly_cost),
            _money(None if item.monthly_cost is None else item.monthly_cost * 12),
        )
        for item in report.savings.items
    ]
    return SheetTable("Savings", columns, rows)


def _savings_by_category(report: Report) -> SheetTable:
    columns = [
        Column("Category"),
        Column("Key"),
        Column("Seats", INT),
        Column("Monthly cost", MONEY),
        Column("Annual cost", MONEY),
        Column("Without a price", INT),
    ]
    rows = [
        (
            line.label,
            line.category,
            line.seats,
            _money(line.monthly_cost),
            _money(line.monthly_cost * 12),
            line.unpriced_seats,
        )
        for line in report.savings.by_category
    ]
    return SheetTable("SavingsByCategory", columns, rows)


def _savings_by_application(report: Report) -> SheetTable:
    columns = [
        Column("Application"),
        Column("Unused seats", INT),
        Column("Unused cost", MONEY),
        Column("Bought, unheld seats", INT),
        Column("Bought, unheld cost", MONEY),
        Column("Leavers' seats", INT),
        Column("Leavers' cost", MONEY),
        Column("Seats", INT),
        Column("Monthly cost", MONEY),
        Column("Annual cost", MONEY),
        Column("Without a price", INT),
    ]
    rows = [
        (
            line.application,
            line.unused_seats,
            _money(line.unused_cost),
            line.unassigned_seats,
            _money(line.unassigned_cost),
            line.leaver_seats,
            _money(line.leaver_cost),
            line.seats,
            _money(line.monthly_cost),
            _money(line.annual_cost),
            line.unpriced_seats,
        )
        for line in report.savings.by_application
    ]
    return SheetTable("SavingsByApplication", columns, rows)


def _changes(report: Report) -> SheetTable:
    columns = [
        Column("Change"),
        Column("Provider"),
        Column("Connection"),
        Column("Seat key"),
        Column("Email"),
        Column("Name"),
        Column("Department"),
        Column("Licence type before"),
        Column("Billable before", BOOL),
        Column("Licence type after"),
        Column("Billable after", BOOL),
        Column("Cost change a month", MONEY),
    ]
    rows = [
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
            _money(change.cost_change),
        )
        for change in report.changes.seats
    ]
    return SheetTable("Changes", columns, rows)


def _change_counts(report: Report) -> SheetTable:
    counts = report.changes.counts
    rows = [(kind, counts.get(kind, 0)) for kind in CHANGE_KINDS] if report.changes.compared else []
    return SheetTable("ChangeCounts", [Column("Change"), Column("Seats", INT)], rows)


def _renewals(report: Report) -> SheetTable:
    columns = [
        Column("Application"),
        Column("Contract"),
        Column("Licence type"),
        Column("Renewal date", DATE),
        Column("Days to renewal", INT),
        Column("Notice deadline", DATE),
        Column("Days to notice", INT),
        Column("Notice days", INT),
        Column("Auto-renew", BOOL),
        Column("Bought", INT),
        Column("Assigned", INT),
        Column("Used", INT),
        Column("Suggested seats", INT),
        Column("Annual value", MONEY),
        Column("Annual value (contract currency)", MONEY),
        Column("Contract currency"),
        Column("Annual saving", MONEY),
        Column("Verdict"),
        Column("Note"),
    ]
    rows = [
        (
            renewal.application,
            renewal.name,
            renewal.license_type,
            renewal.renewal_date,
            renewal.days_to_renewal,
            renewal.notice_deadline,
            renewal.days_to_notice,
            renewal.notice_days,
            renewal.auto_renew,
            renewal.bought,
            renewal.assigned,
            renewal.used,
            renewal.suggested_seats,
            _money(renewal.annual_value),
            Money(renewal.annual_value_in_currency.quantize(CENT), renewal.currency),
            renewal.currency,
            _money(renewal.annual_saving),
            renewal.verdict,
            renewal.note,
        )
        for renewal in report.renewals
    ]
    return SheetTable("Renewals", columns, rows)


def _contracts(report: Report) -> SheetTable:
    columns = [
        Column("Application"),
        Column("Licence type"),
        Column("Source"),
        Column("Name"),
        Column("Bought", INT),
        Column("Assigned", INT),
        Column("Unassigned", INT),
        Column("Over-assigned", INT),
        Column("Unit price a month", MONEY),
        Column("Unassigned cost a month", MONEY),
        Column("Over-assigned cost a month", MONEY),
        Column("Contract currency"),
        Column("Billing cycle"),
        Column("Term start", DATE),
        Column("Term end", DATE),
        Column("Note"),
    ]
    rows = [
        (
            line.application,
            line.license_type,
            line.source,
            line.name,
            line.bought,
            line.assigned,
            line.unassigned,
            line.over_assigned,
            _money(line.unit_price),
            _money(line.unassigned_cost),
            _money(line.over_assigned_cost),
            line.currency,
            line.billing_cycle,
            line.term_start,
            line.term_end,
            line.note,
        )
        for line in report.contracts
    ]
    return SheetTable("Contracts", columns, rows)


def _trend(report: Report) -> SheetTable:
    columns = [
        Column("Month"),
        Column("Seats", INT),
        Column("Billable", INT),
        Column("Monthly cost", MONEY),
        Column("Held seats' cost", MONEY),
        Column("Without a price", INT),
        Column("Newly tracked"),
    ]
    rows = [
        (point.month, None, None, None, None, None, None)  # before the first sync: no figures, not zeros
        if not point.has_data
        else (
            point.month,
            point.seats,
            point.billable,
            _money(point.monthly_cost),
            _money(point.seat_cost),
            point.unpriced_seats,
            ", ".join(point.newly_tracked),
        )
        for point in report.trend
    ]
    return SheetTable("Trend", columns, rows)


# ---- writing ------------------------------------------------------------------------------------------------------


def _write_sheet(book: Workbook, title: str, tables: Sequence[SheetTable], currency: str | None) -> None:
    """Tables one below the other (a blank row between); the first one's header row frozen."""
    sheet = book.create_sheet(title)
    # A write-only sheet takes its column widths before its first row: size them on the first rows.
    rows = [iter(table.rows) for table in tables]
    heads = [list(itertools.islice(table_rows, WIDTH_SAMPLE)) for table_rows in rows]
    widths: dict[int, int] = {}
    for table, head in zip(tables, heads, strict=True):
        for index, column in enumerate(table.columns):
            shown = max((_shown_length(row[index], column.kind) for row in head), default=0)
            widths[index] = max(widths.get(index, 0), len(column.header), shown)
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    top = 1
    for position, (table, head, rest) in enumerate(zip(tables, heads, rows, strict=True)):
        if position:
            sheet.append([])
            top += 1
        sheet.append([_cell(sheet, column.header, TEXT, currency) for column in table.columns])
        count = 0
        for row in itertools.chain(head, rest):
            sheet.append(
                [_cell(sheet, value, column.kind, currency) for column, value in zip(table.columns, row, strict=True)]
            )
            count += 1
        if not count:  # an Excel table needs a row under its header
            sheet.append([])
        bottom = top + max(count, 1)
        _add_table(sheet, table, f"A{top}:{get_column_letter(len(table.columns))}{bottom}")
        top = bottom + 1


def _add_table(sheet, table: SheetTable, ref: str) -> None:
    excel_table = Table(displayName=table.name, ref=ref)
    excel_table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    excel_table._initialise_columns()  # a write-only sheet cannot be read back for the header names
    for column, excel_column in zip(table.columns, excel_table.tableColumns, strict=True):
        excel_column.name = column.header
    with warnings.catch_warnings():  # openpyxl warns on every write-only table: "add table columns manually" (done)
        warnings.simplefilter("ignore", UserWarning)
        sheet.add_table(excel_table)


def _cell(sheet, value: Any, kind: str, currency: str | None) -> WriteOnlyCell | None:
    if value is None or value == "":
        return None
    if kind == ANY:
        kind = _kind_of(value)
    cell = WriteOnlyCell(sheet)
    if kind == TEXT:
        text = _text(value)
        cell.value = text
        cell.data_type = "s"  # never a formula (=…) or an error value (#N/A)
        if text.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True  # Excel keeps it text when the cell is edited
    elif kind == MONEY:
        amount, code = (value.amount, value.currency) if isinstance(value, Money) else (value, currency)
        cell.value = amount
        cell.number_format = _money_format(code)
    elif kind == TIME:
        cell.value = _utc(value)
        cell.number_format = TIME_FORMAT
    elif kind == DATE:
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif kind == INT:
        cell.value = int(value)
    elif kind == BOOL:
        cell.value = bool(value)
    else:
        raise ValueError(f"unknown column kind {kind!r}")
    return cell


def _kind_of(value: Any) -> str:
    kinds: list[tuple[type | tuple[type, ...], str]] = [
        (bool, BOOL),
        (int, INT),
        ((Decimal, Money), MONEY),
        (datetime, TIME),
        (date, DATE),
    ]
    return next((kind for types, kind in kinds if isinstance(value, types)), TEXT)


def _shown_length(value: Any, kind: str) -> int:
    if value is None:
        return 0
    if kind == ANY:
        kind = _kind_of(value)
    lengths: dict[str, Callable[[Any], int]] = {
        MONEY: lambda v: len(f"{(v.amount if isinstance(v, Money) else v):,.2f}") + 4,
        TIME: lambda v: len(TIME_FORMAT),
        DATE: lambda v: len(DATE_FORMAT),
        BOOL: lambda v: 5,
        INT: lambda v: len(str(v)),
    }
    return lengths.get(kind, lambda v: len(str(v)))(value)


def _text(value: Any) -> str:
    text = ILLEGAL_CHARACTERS.sub(lambda match: f"<U+{ord(match.group()):04X}>", str(value))
    return text if len(text) <= CELL_LIMIT else text[: CELL_LIMIT - 1] + "…"


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


def _money_format(currency: str | None) -> str:
    return f'#,##0.00 "{currency}"' if currency else "#,##0.00"


def _utc(value: datetime) -> datetime:
    """A naive UTC datetime (Excel has no time zones); a naive one is taken as UTC already."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


class _FixedTimeZip(zipfile.ZipFile):
    """A zip archive for writing whose entries all carry one time (zip's default is the clock's, or a file's)."""

    def __init__(self, file: BinaryIO, when: datetime) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        self._stamp = max(when, datetime(1980, 1, 1)).timetuple()[:6]  # zip times start in 1980

    def _entry(self, name: str) -> zipfile.ZipInfo:
        entry = zipfile.ZipInfo(name, date_time=self._stamp)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        return entry

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs) -> None:  # type: ignore[override]
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = self._entry(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs) -> None:  # type: ignore[override]
        # A write-only sheet is a temporary file: copied in as it is read, under the fixed time.
        with (
            open(filename, "rb") as source,
            self.open(self._entry(arcname or filename), "w", force_zip64=True) as target,
        ):
            shutil.copyfileobj(source, target)
