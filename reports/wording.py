"""How figures and labels are written: the formatting shared by the templates, notifications and alerts.

Kept apart from :mod:`~seatkeeper.reports.render` so that building a report or a message loads no Jinja2.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from .model import Totals

CHANGE_LABELS = {
    "added": "Added",
    "removed": "Removed",
    "upgraded": "Upgraded",
    "downgraded": "Downgraded",
    "changed": "Changed type",
}
STATUS_LABELS = {"ok": "OK", "stale": "Stale", "failed": "Latest sync failed", "never": "Never synced"}
ALERT_LABELS = {"notice": "Notice deadline", "sync": "Sync", "leaver": "Leavers"}
VERDICT_LABELS = {"justified": "use justifies it", "reduce": "fewer seats would do", "true-up": "more held than bought"}


def format_count(value: int | None) -> str:
    """``1234`` as ``1,234``; None as a dash."""
    return "—" if value is None else f"{value:,}"


def format_day(value: datetime | None) -> str:
    """A date as ``YYYY-MM-DD``; None as a dash."""
    return "—" if value is None else value.strftime("%Y-%m-%d")


def format_when(value: datetime | None) -> str:
    """A time as ``YYYY-MM-DD HH:MM UTC``; None as a dash."""
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def format_money(value: Decimal | None, currency: str | None) -> str:
    """``1,234.50 EUR``; None (no price) as ``not priced``; a dash when no prices are configured at all."""
    if currency is None:
        return "—"
    if value is None:
        return "not priced"
    amount = f"{value.quantize(Decimal('0.01')):,.2f}"
    return f"{amount} {currency}" if currency else amount


def format_cost(value: Decimal, unpriced: int, currency: str | None) -> str:
    """A summed cost that may leave out unpriced seats: ``120.00 EUR``, ``120.00 EUR + 3 unpriced``, ``not priced``."""
    if currency is None:
        return "—"
    if unpriced and not value:
        return "not priced"
    money = format_money(value, currency)
    return f"{money} + {unpriced:,} unpriced" if unpriced else money


def total_cost(totals: Totals, field: str, currency: str | None) -> str:
    """One money field of :class:`Totals`, noting seats left out because their type has no price."""
    unpriced = {"monthly_cost": totals.unpriced_seats, "seat_cost": totals.unpriced_seats}.get(field, 0)
    if field == "unused_cost":
        unpriced = totals.unused_unpriced_seats
    return format_cost(getattr(totals, field), unpriced, currency)


def format_signed(value: int) -> str:
    """``+3``, ``−2`` or ``0``."""
    return f"+{value:,}" if value > 0 else (f"−{-value:,}" if value < 0 else "0")


def format_signed_money(value: Decimal | None, currency: str | None) -> str:
    """A cost change with its sign: ``+15.99 EUR``, ``−20.00 EUR``."""
    if currency is None:
        return "—"
    if value is None:
        return "not priced"
    if value < 0:
        return "−" + format_money(-value, currency)
    return ("+" if value > 0 else "") + format_money(value, currency)
