"""The CSV provider's settings (all strings, as the config file gives them) turned into typed options.

Anything wrong here is a ConfigError raised before the file is read: the config must change, not the file.
"""

from __future__ import annotations

import codecs
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from seatkeeper.errors import BadProviderData, ConfigError
from seatkeeper.schema import SeatStatus

from .columns import ALIASES

EMPTY_VALUES = {"", "-", "--", "—", "n/a", "na", "none", "null", "never"}
TRUE_VALUES = {"true", "yes", "y", "1", "paid", "billable"}
FALSE_VALUES = {"false", "no", "n", "0", "free", "unpaid", ""}
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}

#: Status words understood without a ``status_map``; lower case.
DEFAULT_STATUSES: dict[str, SeatStatus] = {
    **dict.fromkeys(("active", "enabled", "activated"), SeatStatus.ACTIVE),
    **dict.fromkeys(
        ("inactive", "deactivated", "disabled", "suspended", "deleted", "removed", "archived", "blocked", "locked"),
        SeatStatus.INACTIVE,
    ),
    **dict.fromkeys(("pending", "invited", "invitation sent", "invite pending", "unconfirmed"), SeatStatus.PENDING),
}


def split_list(value: str | None) -> tuple[str, ...]:
    """``"Editor, Admin"`` → ``("Editor", "Admin")``; empty items dropped."""
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


def folded(value: str) -> str:
    """Case- and space-insensitive form used to compare licence types and statuses."""
    return " ".join(value.lower().split())


@dataclass(frozen=True)
class Billing:
    """Decides whether a licence type costs money.

    Only ``billable_types``: those cost money, the rest are free. Only ``free_types``: those are free, the
    rest cost money. Both: a type in neither list is an error (a new licence type should not go unnoticed).
    Neither: every seat costs money (an export of paid seats).
    """

    billable_types: frozenset[str] | None = None
    free_types: frozenset[str] | None = None

    def billable(self, license_type: str, where: str) -> bool:
        """Whether ``license_type`` costs money; ``where`` (file and line) prefixes errors."""
        kind = folded(license_type)
        if self.billable_types is not None and kind in self.billable_types:
            return True
        if self.free_types is not None and kind in self.free_types:
            return False
        if self.billable_types is not None and self.free_types is not None:
            raise BadProviderData(
                f"{where}: licence type {license_type!r} is in neither billable_types nor free_types; add it to one"
            )
        return self.billable_types is None


def parse_flag(value: str, where: str) -> bool:
    """A billable column's cell: yes/no, true/false, 1/0, paid/free (empty is free)."""
    kind = folded(value)
    if kind in TRUE_VALUES:
        return True
    if kind in FALSE_VALUES:
        return False
    raise BadProviderData(f"{where}: billable value {value!r} is not yes/no, true/false or 1/0")


@dataclass(frozen=True)
class Dates:
    """Parses the export's dates: ISO 8601 by default, else ``date_format`` (strptime; ``|`` between
    alternatives; ``unix`` for epoch seconds). Dates without a zone are taken in ``zone``."""

    formats: tuple[str, ...] = ()
    zone: tzinfo = UTC

    def parse(self, value: str, what: str, where: str) -> datetime | None:
        """The date in ``value`` (None when empty or "never"); ``what`` names the column in errors."""
        if folded(value) in EMPTY_VALUES:
            return None
        parsed = self._parse(value.strip())
        if parsed is None:
            wanted = " or ".join(self.formats) if self.formats else "ISO 8601 (e.g. 2026-01-31); set date_format"
            raise BadProviderData(f"{where}: {what} {value!r} does not match date format {wanted}")
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=self.zone)

    def _parse(self, value: str) -> datetime | None:
        if not self.formats:
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                return None
        for date_format in self.formats:
            try:
                if date_format == "unix":
                    return datetime.fromtimestamp(float(value), UTC)
                return datetime.strptime(value, date_format)
            except (ValueError, OverflowError, OSError):
                continue
        return None


@dataclass(frozen=True)
class CsvOptions:
    """Everything the provider needs to read one export."""

    path: Path
    columns: dict[str, str | None]
    extra_columns: tuple[str, ...]
    license_type: str
    billing: Billing
    statuses: dict[str, SeatStatus]
    dates: Dates
    delimiter: str | None
    encoding: str
    status_map: str | None = None  # the setting as written, for hints that keep its entries

    @property
    def label(self) -> str:
        """How messages name the file: its base name, as in ``figma.csv line 17: ...``."""
        return self.path.name


def parse_options(settings: Mapping[str, str]) -> CsvOptions:
    """Check and convert the string settings; raises ConfigError naming the setting at fault."""
    columns = {field: settings.get(f"{field}_column") for field in ALIASES}
    billable_types, free_types = split_list(settings.get("billable_types")), split_list(settings.get("free_types"))
    if columns["billable"] and (billable_types or free_types):
        raise ConfigError("csv: set either billable_column or billable_types/free_types, not both")
    return CsvOptions(
        path=Path(settings["path"]).expanduser(),
        columns=columns,
        extra_columns=split_list(settings.get("extra_columns")),
        license_type=settings.get("license_type") or "Licensed",
        billing=Billing(
            frozenset(map(folded, billable_types)) if billable_types else None,
            frozenset(map(folded, free_types)) if free_types else None,
        ),
        statuses=parse_status_map(settings.get("status_map")),
        dates=Dates(_date_formats(settings.get("date_format")), _zone(settings.get("timezone"))),
        delimiter=_delimiter(settings.get("delimiter")),
        encoding=_encoding(settings.get("encoding")),
        status_map=settings.get("status_map"),
    )


def parse_status_map(value: str | None) -> dict[str, SeatStatus]:
    """The built-in status words, extended by ``status_map = "Deactivated=inactive, Invited=pending"``."""
    statuses = dict(DEFAULT_STATUSES)
    for entry in split_list(value):
        label, sep, target = entry.rpartition("=")
        if not sep or not label.strip():
            raise ConfigError(f"csv: status_map entry {entry!r} should read 'Export status=active'")
        try:
            statuses[folded(label)] = SeatStatus(target.strip().lower())
        except ValueError:
            choices = ", ".join(status.value for status in SeatStatus)
            raise ConfigError(f"csv: status_map entry {entry!r}: {target.strip()!r} is not one of {choices}") from None
    return statuses


def _date_formats(value: str | None) -> tuple[str, ...]:
    if not value or value.strip().lower() in ("iso", "iso8601"):
        return ()
    formats = tuple(part.strip() for part in value.split("|") if part.strip())
    for date_format in formats:
        if date_format != "unix" and "%" not in date_format:
            raise ConfigError(f"csv: date_format {date_format!r} has no % directive; write e.g. %d/%m/%Y")
    return formats


def _zone(value: str | None) -> tzinfo:
    if not value or value.upper() == "UTC":
        return UTC
    try:
        return zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"csv: timezone {value!r} is not a time zone name such as Europe/Berlin") from None


def _delimiter(value: str | None) -> str | None:
    if not value:
        return None
    delimiter = DELIMITER_NAMES.get(value.lower(), value)
    if len(delimiter) != 1:
        raise ConfigError(f"csv: delimiter {value!r} must be one character (or tab, comma, semicolon, pipe)")
    return delimiter


def _encoding(value: str | None) -> str:
    try:
        return codecs.lookup(value or "utf-8").name
    except LookupError:
        raise ConfigError(f"csv: unknown encoding {value!r}; use e.g. utf-8, cp1252 or latin-1") from None
