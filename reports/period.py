"""Report months: parsing ``YYYY-MM``, the last full month, and the instant a month's figures stand for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from seatkeeper.errors import ConfigError

MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")
ONE_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, order=True)
class ReportMonth:
    """A calendar month in UTC."""

    year: int
    month: int

    @property
    def label(self) -> str:
        """``YYYY-MM``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def title(self) -> str:
        """``February 2026``."""
        return self.start.strftime("%B %Y")

    @property
    def start(self) -> datetime:
        """The first instant of the month."""
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant of the next month (exclusive end)."""
        return self.shifted(1).start

    @property
    def last_instant(self) -> datetime:
        """The last instant of the month: seats "held at month end" are those valid then."""
        return self.end - ONE_MICROSECOND

    def shifted(self, months: int) -> ReportMonth:
        """The month ``months`` later (earlier when negative)."""
        index = self.year * 12 + (self.month - 1) + months
        return ReportMonth(index // 12, index % 12 + 1)

    def cutoff(self, now: datetime) -> datetime:
        """The instant this month's report describes: its last instant, or ``now`` while the month is running."""
        return min(self.last_instant, now)


def parse_month(text: str, option: str = "--month") -> ReportMonth:
    """``YYYY-MM`` as a month, or a ConfigError saying how to write one."""
    match = MONTH_PATTERN.fullmatch(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
        raise ConfigError(f"{option} {text!r} is not a month: use YYYY-MM, e.g. 2026-02")
    return ReportMonth(int(match.group(1)), int(match.group(2)))


def month_of(when: datetime) -> ReportMonth:
    """The month ``when`` falls in (UTC)."""
    when = when.astimezone(UTC)
    return ReportMonth(when.year, when.month)


def last_full_month(now: datetime) -> ReportMonth:
    """The month before the one ``now`` falls in: the default report month."""
    return month_of(now).shifted(-1)


def check_not_future(month: ReportMonth, now: datetime, option: str = "--month") -> None:
    """Raise a ConfigError when ``month`` has not started yet at ``now``."""
    if month.start > now:
        raise ConfigError(
            f"{option} {month.label} is in the future: the latest month with data is {month_of(now).label}"
        )
