"""The fast path of :class:`~seatkeeper.schema.SeatRecord`: records whose values are already settled.

Private to the schema: most of a big sync's records come from providers that hand over clean values (text
trimmed, times in UTC, the status a :class:`~seatkeeper.schema.SeatStatus`). For those, a few checks tell that
pydantic's validation would change nothing, and the record is set up as ``model_construct`` does, in about two
thirds of the time. tests/core/test_fast_paths.py checks that both paths agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from . import schema  # read at call time: schema imports this module while it is being defined


def _settled_text(value: Any) -> bool:
    """Whether validation would keep ``value`` as it is: text, not empty, storable, nothing to strip or cut.

    Python's ``str.strip`` removes every character pydantic's whitespace stripping removes (and a few more), so
    text it leaves alone, pydantic leaves alone too.
    """
    if type(value) is not str or not 0 < len(value) <= schema.MAX_TEXT or "\x00" in value or value.strip() != value:
        return False
    if value.isascii():
        return True
    try:
        value.encode("utf-8")  # lone surrogates cannot be stored
    except UnicodeEncodeError:
        return False
    return True


def settled_fields(data: dict[str, Any]) -> dict[str, Any] | None:
    """The field values validation would give ``data``, when they are what ``data`` holds already; else None.

    This is the common case of a provider that hands over clean values (text trimmed, times in UTC, the status
    a :class:`schema.SeatStatus`), worked out in a few checks. Anything else (None here) takes pydantic's full validation,
    which cleans, converts, or explains what is wrong. tests/core/test_fast_paths.py checks that both agree.
    """
    if not schema.SEAT_FIELD_SET.issuperset(data):
        return None
    get = data.get
    user_id, email, name, department, role = get("user_id"), get("email"), get("name"), get("department"), get("role")
    for text in (user_id, email, name, department, role):
        if text is not None and not _settled_text(text):
            return None
    license_type, billable, status = get("license_type"), get("billable"), get("status", schema.SeatStatus.ACTIVE)
    if not _settled_text(license_type) or type(billable) is not bool or type(status) is not schema.SeatStatus:
        return None
    last_activity_at, created_at = get("last_activity_at"), get("created_at")
    for moment in (last_activity_at, created_at):
        if moment is not None and (type(moment) is not datetime or moment.tzinfo is not UTC):
            return None
    extras = get("extras")
    if extras is None:
        if "extras" in data:
            return None  # None is not a dict: the full validation says so
        extras = {}
    elif type(extras) is not dict or (extras := schema._plain_extras(extras)) is None:
        return None
    if email is not None:
        if "@" not in email:
            return None  # not an address: the full validation says so
        email = email.lower()[: schema.MAX_TEXT]  # lower() can lengthen text ("İ" is two characters lower-cased)
    elif user_id is None:
        return None  # neither id nor email: the full validation rejects it
    return {
        "user_id": user_id,
        "email": email,
        "name": name,
        "license_type": license_type,
        "billable": billable,
        "status": status,
        "department": department,
        "role": role,
        "last_activity_at": last_activity_at,
        "created_at": created_at,
        "extras": extras,
    }
