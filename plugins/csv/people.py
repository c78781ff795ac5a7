"""An HR export read as a directory (``kind = "people"``): one Person per row, columns found by their headers."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import ValidationError

from seatkeeper import Person, PersonStatus, Rejected
from seatkeeper.errors import BadProviderData

from .columns import HeaderIndex
from .options import CsvOptions

#: Header names recognised for each person field, compared as the seat columns are (case, spaces, ``_-.``).
PEOPLE_HEADERS: dict[str, tuple[str, ...]] = {
    "email": ("email", "work email", "email address", "primary email", "e mail"),
    "person_id": ("employee id", "employee number", "person id", "worker id", "id"),
    "aliases": ("aliases", "other emails", "alternate emails", "alias emails"),
    "name": ("name", "full name", "display name", "employee name"),
    "status": ("status", "employment status", "employee status", "state"),
    "status_since": ("termination date", "leaving date", "left at", "end date", "status since", "status date"),
    "department": ("department", "dept", "division"),
    "cost_center": ("cost center", "cost centre", "cost center code", "cost centre code"),
    "job_title": ("job title", "title", "position", "role"),
    "manager_email": ("manager email", "manager", "line manager email", "reports to"),
}
#: HR status words, folded, and what they mean.
PERSON_STATUSES: dict[str, PersonStatus] = {
    "active": PersonStatus.ACTIVE,
    "employed": PersonStatus.ACTIVE,
    "current": PersonStatus.ACTIVE,
    "on leave": PersonStatus.SUSPENDED,
    "suspended": PersonStatus.SUSPENDED,
    "inactive": PersonStatus.SUSPENDED,
    "terminated": PersonStatus.TERMINATED,
    "left": PersonStatus.TERMINATED,
    "leaver": PersonStatus.TERMINATED,
    "former": PersonStatus.TERMINATED,
    "deleted": PersonStatus.DELETED,
}


def people(options: CsvOptions, rows: list[tuple[int, list[str]]]) -> Iterator[Person | Rejected]:
    """One Person per data row of an HR export; ``rows`` are the numbered rows, header first."""
    _, header = rows[0]
    index = HeaderIndex(header, options.label)
    positions = {}
    for field, names in PEOPLE_HEADERS.items():
        found = next((p for p in (index.find(name) for name in names) if p is not None), None)
        if found is not None:
            positions[field] = found
    if "email" not in positions:
        raise BadProviderData(
            f"{options.label}: no email column found for the people export (a header such as 'Email')"
        )
    for line, fields in rows[1:]:
        where = f"{options.label} line {line}"

        def cell(field: str, fields: list[str] = fields) -> str:
            position = positions.get(field)
            return fields[position].strip() if position is not None and position < len(fields) else ""

        word = " ".join(cell("status").lower().split())
        status = PERSON_STATUSES.get(word, PersonStatus.ACTIVE if not word else None)
        if status is None:
            known = ", ".join(sorted(PERSON_STATUSES))
            raise BadProviderData(f"{where}: status {cell('status')!r} is none of the known words ({known})")
        try:
            yield Person(
                person_id=cell("person_id") or None,
                email=cell("email"),
                aliases=[alias for alias in cell("aliases").replace(";", ",").split(",") if alias.strip()],
                name=cell("name") or None,
                status=status,
                status_since=options.dates.parse(cell("status_since"), "status date", where),
                department=cell("department") or None,
                cost_center=cell("cost_center") or None,
                job_title=cell("job_title") or None,
                manager_email=cell("manager_email") if "@" in cell("manager_email") else None,
            )
        except ValidationError as error:
            reason = error.errors()[0].get("msg", "invalid").removeprefix("Value error, ")
            yield Rejected(reason=f"{where}: {reason}")
