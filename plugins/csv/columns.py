"""Which column of the export holds which seat field: configured names, or well-known header names."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from seatkeeper.errors import BadProviderData

NONE = "none"  # a *_column set to this maps nothing, even when a well-known header exists

#: Header names recognised for each field when its ``<field>_column`` setting is not given, in order of
#: preference. Compared after normalizing: case, surrounding space, and ``_``/``-``/``.`` as spaces.
ALIASES: dict[str, tuple[str, ...]] = {
    "user_id": ("user id", "userid", "member id", "uid", "id"),
    "email": ("email", "email address", "e mail", "e mail address", "user email", "primary email", "mail"),
    "name": ("name", "full name", "display name", "fullname", "real name"),
    "license": ("license type", "licence type", "license", "licence", "seat type", "seat", "plan", "account type"),
    "status": ("status", "account status", "user status", "member status", "state"),
    "last_activity": (
        "last activity",
        "last active",
        "last activity at",
        "last active at",
        "last seen",
        "last login",
        "last login at",
        "last sign in",
        "last signed in",
        "last used",
    ),
    "created": ("created", "created at", "date created", "creation date", "joined", "date joined", "date added"),
    "department": ("department", "dept", "division"),
    "role": ("role", "user role", "member role"),
    "billable": (),  # only when billable_column names it: a guessed "paid" column would override billable_types
}
FIRST_NAMES = ("first name", "given name")
LAST_NAMES = ("last name", "surname", "family name")


def normalize(header: str) -> str:
    """The form header names are compared in: lower case, ``_ - .`` as spaces, spaces collapsed."""
    return " ".join(re.sub(r"[_\-.]+", " ", header.strip().lower()).split())


@dataclass(frozen=True)
class ColumnMap:
    """Column positions for each mapped field, for a name split in two, and for extras."""

    positions: dict[str, int]
    name_parts: tuple[int, int] | None = None
    extras: dict[str, int] = field(default_factory=dict)


class HeaderIndex:
    """Looks up header names the way users write them in the config."""

    def __init__(self, header: list[str], label: str) -> None:
        self.header = [cell.strip() for cell in header]
        self.label = label
        self._positions: dict[str, list[int]] = {}
        for position, cell in enumerate(self.header):
            if cell:
                self._positions.setdefault(normalize(cell), []).append(position)

    def find(self, name: str) -> int | None:
        """Position of the column called ``name`` (normalized), None when absent; ambiguous names fail."""
        positions = self._positions.get(normalize(name))
        if not positions:
            return None
        if len(positions) > 1:
            numbers = " and ".join(str(p + 1) for p in positions)
            raise BadProviderData(f"{self.label}: columns {numbers} are both called {name!r}; rename one in the file")
        return positions[0]

    def missing(self, name: str, setting: str) -> BadProviderData:
        """The error for a configured column the file does not have, naming the columns it does have."""
        existing = ", ".join(repr(cell) for cell in self.header if cell) or "none"
        return BadProviderData(f"{self.label}: no column {name!r} ({setting}); the file's columns are {existing}")


def map_columns(
    header: list[str], configured: dict[str, str | None], extra_columns: tuple[str, ...], label: str
) -> ColumnMap:
    """Resolve every field's column: the configured name (must exist), else the first well-known header."""
    index = HeaderIndex(header, label)
    positions: dict[str, int] = {}
    for field_name, aliases in ALIASES.items():
        wanted = configured.get(field_name)
        if wanted is not None and normalize(wanted) == NONE:
            continue
        if wanted is not None:
            position = index.find(wanted)
            if position is None:
                raise index.missing(wanted, f"{field_name}_column")
            positions[field_name] = position
            continue
        for alias in aliases:
            position = index.find(alias)
            if position is not None:
                positions[field_name] = position
                break
    if "email" not in positions and "user_id" not in positions:
        existing = ", ".join(repr(cell) for cell in index.header if cell) or "none"
        raise BadProviderData(
            f"{label}: no email or user id column found; set email_column (the file's columns are {existing})"
        )
    name_parts = None
    if "name" not in positions and configured.get("name") is None:
        first = next((p for a in FIRST_NAMES if (p := index.find(a)) is not None), None)
        last = next((p for a in LAST_NAMES if (p := index.find(a)) is not None), None)
        if first is not None and last is not None:
            name_parts = (first, last)
    extras: dict[str, int] = {}
    for name in extra_columns:
        position = index.find(name)
        if position is None:
            raise index.missing(name, "extra_columns")
        extras[index.header[position]] = position
    return ColumnMap(positions, name_parts, extras)
