"""The ``csv`` provider: reads a tool's exported user list, mapped to seats by a few settings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from seatkeeper import FetchContext, Provider, Rejected, SeatPlan, SeatRecord, Setting
from seatkeeper.errors import BadProviderData, ConfigError

from .columns import map_columns
from .mapping import RowMapper
from .options import CsvOptions, parse_options
from .people import people
from .reader import check_readable, numbered_rows, read_text, sniff_delimiter

AUTO = "found by its header when not set (see README)"


def _column(field: str, what: str) -> Setting:
    return Setting(f"{field}_column", f"column holding {what}; {AUTO}", required=False)


@dataclass(frozen=True)
class CsvSource:
    """What ``authenticate`` hands ``fetch``: the checked options (there is no remote session)."""

    options: CsvOptions
    kind: str = "seats"


class CsvProvider(Provider):
    """Seats from a CSV export; a connection per tool (``[connections.figma] provider = "csv"``)."""

    name = "csv"
    title = "CSV export (any tool)"
    application = None  # one provider, many tools: each connection names its own (application = "Figma")
    exports = True  # an export may be a few days old: `sync figma --as-of 2026-10-31` dates it
    directory = True  # with kind = "people", an HR export lists the organisation's people
    settings = (
        Setting("path", "the exported CSV file"),
        Setting(
            "kind",
            '"seats" (a tool\'s user list, the default) or "people" (an HR export: a directory)',
            required=False,
            default="seats",
        ),
        _column("email", "the login email"),
        _column("user_id", "the tool's user id (default: the email identifies the user)"),
        _column("name", "the display name (or First name + Last name columns)"),
        _column("license", "the licence or seat type"),
        _column("status", "the account status"),
        _column("last_activity", "the last activity date"),
        _column("created", "the date the user was added"),
        _column("department", "the department"),
        _column("role", "the role"),
        Setting("billable_column", "column saying yes/no whether the seat is paid", required=False),
        Setting("extra_columns", "comma-separated columns kept as extras", required=False),
        Setting("license_type", "licence type when the file has none", required=False, default="Licensed"),
        Setting("billable_types", "comma-separated licence types that cost money", required=False),
        Setting("free_types", "comma-separated licence types that are free", required=False),
        Setting("status_map", 'extra status words, e.g. "Deactivated=inactive, Invited=pending"', required=False),
        Setting("date_format", "strptime format of dates, e.g. %d/%m/%Y (default ISO 8601)", required=False),
        Setting("timezone", "zone of dates without one, e.g. Europe/Berlin", required=False, default="UTC"),
        Setting("delimiter", "field separator: , ; tab | (default: guessed from the header)", required=False),
        Setting("encoding", "text encoding of the file", required=False, default="utf-8"),
    )

    def authenticate(self, settings: Mapping[str, str]) -> CsvSource:
        """Check the settings and that the file exists (there are no credentials to check)."""
        kind = (settings.get("kind") or "seats").strip().lower()
        if kind not in ("seats", "people"):
            raise ConfigError(f'csv: kind must be "seats" or "people", not {settings.get("kind")!r}')
        options = parse_options(settings)
        check_readable(options.path)
        return CsvSource(options, kind)

    def fetch(self, session: CsvSource, context: FetchContext) -> Iterator[SeatRecord | Rejected | SeatPlan]:
        """Yield one seat per data row; a row that cannot be read fails the whole sync with its line number."""
        options = session.options
        text = read_text(options.path, options.encoding)
        rows = list(numbered_rows(text, options.delimiter or sniff_delimiter(text), options.label))
        if not rows:
            raise BadProviderData(f"{options.label} is empty: expected a header line naming the columns")
        if session.kind == "people":
            context.progress(total=len(rows) - 1)
            yield from people(options, rows)
            return
        _, header = rows[0]
        columns = map_columns(header, options.columns, options.extra_columns, options.label)
        mapper = RowMapper(options, columns, width=len(header), warn=context.warn)
        context.progress(total=len(rows) - 1)
        for line, fields in rows[1:]:
            yield mapper.map(line, fields)
            context.progress(advance=1)
        mapper.finish()
