"""The report for pipelines: JSON (the report's figures as data) and CSV (one row per seat held).

JSON keys are the field names of :mod:`seatkeeper.reports.model` under a versioned ``schema`` key; money is
a number in the report's currency rounded to cents, times are ISO 8601 UTC strings. CSV cells go through
:func:`seatkeeper.output.safe_cell`, so a name starting with ``=`` cannot run as a spreadsheet formula.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from seatkeeper.output import jsonable, safe_cell

from .model import Report
from .settings import ReportSettings

SCHEMA = "seatkeeper.report/2"
CENT = Decimal("0.01")

CSV_COLUMNS = (
    "month",
    "provider",
    "connection",
    "seat_key",
    "user_id",
    "email",
    "name",
    "department",
    "role",
    "license_type",
    "billable",
    "status",
    "usage",
    "usage_label",
    "last_activity_at",
    "idle_days",
    "monthly_price",
    "currency",
    "application",  # added in this schema version: last, so columns read by position keep their place
    # The person the account belongs to, by the directory (empty without one): for leavers and chargeback.
    "person_email",
    "person_status",
    "left_at",
    "cost_center",
    "external",
)


def report_data(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data with stable keys (see docs/reports.md for the shape)."""
    return {"schema": SCHEMA, **_plain(report)}


def write_json(report: Report, out: TextIO) -> None:
    """Write the report as an indented JSON document to ``out``, piece by piece."""
    for chunk in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(report_data(report)):
        out.write(chunk)
    out.write("\n")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return float(value.quantize(CENT))
    if isinstance(value, datetime):
        return jsonable(value)
    if isinstance(value, date):  # contract days: "2026-05-01"
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def write_seats_csv(
    rows: Iterable[Mapping[str, Any]],
    out: TextIO,
    *,
    month: str,
    observed_at: Mapping[int, datetime],
    labels: Mapping[str, str],
    settings: ReportSettings,
) -> int:
    """Write one formula-safe CSV row per seat to ``out`` (header first); returns the number of seats.

    The keyword arguments are :func:`seat_values`'.
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    written = 0
    for row in rows:
        values = seat_values(row, month=month, observed_at=observed_at, labels=labels, settings=settings)
        writer.writerow([safe_cell(values.get(column)) for column in CSV_COLUMNS])
        written += 1
    return written


def seat_values(
    row: Mapping[str, Any],
    *,
    month: str,
    observed_at: Mapping[int, datetime],
    labels: Mapping[str, str],
    settings: ReportSettings,
) -> dict[str, Any]:
    """One seat's :data:`CSV_COLUMNS` as values (the CSV and the XLSX Seats sheet write these).

    ``row`` is a seat with its person as the report matches them (``person_email``, ``person_status``,
    ``person_status_since``, ``cost_center``, ``charged_department``: the tool's department, else the
    person's; ``external``). ``monthly_price`` is a Decimal in cents (None: no price), times are datetimes,
    ``billable`` and ``external`` bools, ``idle_days`` an int; other columns are text or None.

    :param observed_at: per connection id, the time idle days count up to (its last sync before the cut-off).
    """
    activity = row["last_activity_at"]
    price = settings.price(row["provider"], row["connection"], row["license_type"]) if row["billable"] else Decimal(0)
    values = {
        **row,
        "month": month,
        "application": settings.applications.get(row["connection"], row["provider"]),
        "billable": bool(row["billable"]),
        "usage_label": labels.get(row["usage"], row["usage"]),
        "idle_days": (observed_at[row["connection_id"]] - activity).days if activity else None,
        "monthly_price": None if price is None else price.quantize(CENT),
        "currency": settings.currency,
        "external": bool(row["external"]),
    }
    if row["person_email"] is not None:
        status = row["person_status"]
        values |= {
            "left_at": row["person_status_since"] if status != "active" else None,
            "department": row["charged_department"],
        }
    return {column: values.get(column) for column in CSV_COLUMNS}
