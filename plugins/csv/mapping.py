"""One export row → a SeatRecord (or a Rejected row), with file-and-line errors."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from seatkeeper.errors import BadProviderData
from seatkeeper.schema import Rejected, SeatRecord, SeatStatus

from .columns import ColumnMap
from .options import EMPTY_VALUES, CsvOptions, folded, parse_flag


class RowMapper:
    """Maps the rows of one file, given its header's column map."""

    def __init__(self, options: CsvOptions, columns: ColumnMap, width: int, warn: Callable[[str], None]) -> None:
        self.options = options
        self.columns = columns
        self.width = width
        self.warn = warn
        self._unknown_statuses: dict[str, str] = {}  # folded -> as written, in the order met
        self.rows = 0

    def map(self, line: int, fields: list[str]) -> SeatRecord | Rejected:
        """The seat in ``fields`` (the record starting at ``line``)."""
        where = f"{self.options.label} line {line}"
        self.rows += 1
        if len(fields) > self.width and any(value.strip() for value in fields[self.width :]):
            raise BadProviderData(
                f"{where}: {len(fields)} fields but the header has {self.width} "
                "(a value with an unquoted delimiter? quote it, or set delimiter)"
            )

        def cell(field: str) -> str:
            position = self.columns.positions.get(field)
            return fields[position].strip() if position is not None and position < len(fields) else ""

        user_id = cell("user_id") or None
        email = cell("email")
        if folded(email) in EMPTY_VALUES:
            email = ""
        license_type = cell("license") or self.options.license_type
        values = {
            "user_id": user_id,
            "email": email or None,
            "name": self._name(fields, cell),
            "license_type": license_type,
            "billable": self._billable(cell, license_type, where),
            "status": self._status(cell("status")),
            "department": cell("department") or None,
            "role": cell("role") or None,
            "last_activity_at": self.options.dates.parse(cell("last_activity"), "last activity", where),
            "created_at": self.options.dates.parse(cell("created"), "created", where),
            "extras": {name: fields[p].strip() if p < len(fields) else "" for name, p in self.columns.extras.items()},
        }
        try:
            return SeatRecord(**values)
        except ValidationError as error:
            first = error.errors()[0]
            reason = first.get("msg", "invalid").removeprefix("Value error, ")
            key = user_id or (f"email:{email.lower()}" if email else None)
            return Rejected(reason=f"{where}: {reason}", key=key)

    def _name(self, fields: list[str], cell: Callable[[str], str]) -> str | None:
        if self.columns.name_parts is None:
            return cell("name") or None
        parts = [fields[p].strip() for p in self.columns.name_parts if p < len(fields)]
        return " ".join(part for part in parts if part) or None

    def _billable(self, cell: Callable[[str], str], license_type: str, where: str) -> bool:
        if "billable" in self.columns.positions:
            return parse_flag(cell("billable"), where)
        return self.options.billing.billable(license_type, where)

    def _status(self, value: str) -> SeatStatus:
        if not value:
            return SeatStatus.ACTIVE
        status = self.options.statuses.get(folded(value))
        if status is None:
            self._unknown_statuses.setdefault(folded(value), value)
            return SeatStatus.UNKNOWN
        return status

    def finish(self) -> None:
        """Say, once for the file, what the rows left unsaid: unknown status words, seats all counted as paid."""
        label = self.options.label
        if self._unknown_statuses:
            words = list(self._unknown_statuses.values())
            # The whole setting, the entries already written kept: copied as it stands, it maps every word.
            kept = [entry.strip() for entry in (self.options.status_map or "").split(",") if entry.strip()]
            mapping = ", ".join([*kept, *(f"{word}=inactive" for word in words)])
            self.warn(
                f"{label}: status {'words' if len(words) > 1 else 'word'} {', '.join(map(repr, words))} "
                f"{'are' if len(words) > 1 else 'is'} not known, so those seats were stored as unknown; map them, "
                f'e.g. status_map = "{mapping}" (each target one of active, inactive, pending, unknown)'
            )
        billing = self.options.billing
        no_rule = (
            "billable" not in self.columns.positions and billing.billable_types is None and billing.free_types is None
        )
        if self.rows and "license" not in self.columns.positions and no_rule:
            self.warn(
                f"{label}: no licence column was found or mapped, so every seat counted as a paid "
                f"{self.options.license_type!r} seat; set license_column (or billable_types/free_types) if some are free"
            )
