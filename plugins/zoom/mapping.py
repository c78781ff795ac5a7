"""Mapping of one Zoom user (a ``users[]`` entry of ``GET /users``) to a :class:`SeatRecord`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from pydantic import ValidationError

from seatkeeper import Rejected, SeatRecord, SeatStatus


class UserType(NamedTuple):
    """What a Zoom user ``type`` means for seats."""

    license_type: str
    billable: bool


#: Zoom's user ``type`` values. 3 (On-prem) is historical; 4 was called "No Meeting License" earlier.
USER_TYPES: dict[int, UserType] = {
    1: UserType("Basic", False),
    2: UserType("Licensed", True),
    3: UserType("On-prem", True),
    4: UserType("Unassigned without Meetings Basic", False),
    99: UserType("None", False),
}

ROLES = {"0": "Owner", "1": "Admin", "2": "Member"}

STATUSES = {status.value: status for status in (SeatStatus.ACTIVE, SeatStatus.INACTIVE, SeatStatus.PENDING)}

#: Stable fields kept in ``extras``. Volatile ones (last_client_version, pic_url, ...) would open a new
#: history interval at every sync, so they are left out.
EXTRA_FIELDS = ("plan_united_type", "employee_unique_id", "group_ids")


class Unmappable(ValueError):
    """A user entry that cannot become a seat; the message says why."""


def user_type_of(raw: Any) -> int | None:
    """The user's ``type`` when it is an integer (``None`` otherwise)."""
    if not isinstance(raw, dict):
        return None
    value = raw.get("type")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def user_key(raw: Any) -> str | None:
    """The seat key this entry would have (the user id, else ``email:<address>``), if it can be told."""
    if not isinstance(raw, dict):
        return None
    user_id = raw.get("id")
    if isinstance(user_id, str) and user_id.strip():
        return user_id.strip()[:512]
    email = raw.get("email")
    if isinstance(email, str) and email.strip():
        return f"email:{email.strip().lower()}"
    return None


def map_user(raw: Any, listed_status: str) -> SeatRecord | Rejected:
    """Map one Zoom user to a :class:`SeatRecord`, or a :class:`Rejected` saying why it cannot be.

    :param listed_status: the ``status`` filter of the list the user came from; used when the user's own
        ``status`` is missing or unknown.
    Never raises for bad data.
    """
    try:
        return _record(raw, listed_status)
    except Unmappable as error:
        return Rejected(reason=f"Zoom user {_who(raw)}: {error}", key=user_key(raw))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'record'}: {item['msg']}" for item in error.errors()
        )
        return Rejected(reason=f"Zoom user {_who(raw)}: {problems}", key=user_key(raw))


def _record(raw: Any, listed_status: str) -> SeatRecord:
    if not isinstance(raw, dict):
        raise Unmappable(f"expected an object, got {type(raw).__name__}")
    user_id = _text(raw, "id")
    email = _text(raw, "email")
    if not user_id and not email:
        raise Unmappable("it has neither an id nor an email")
    zoom_type = raw.get("type")
    if zoom_type is None:
        raise Unmappable("it has no user type")
    if isinstance(zoom_type, bool) or not isinstance(zoom_type, int):
        raise Unmappable(f"its user type {zoom_type!r} is not a number")
    license_type, billable = USER_TYPES.get(zoom_type) or UserType(f"Unknown (type {zoom_type})", False)
    return SeatRecord(
        user_id=user_id,
        email=email,
        name=_name(raw),
        license_type=license_type,
        billable=billable,
        status=STATUSES.get(_text(raw, "status") or "", STATUSES.get(listed_status, SeatStatus.UNKNOWN)),
        department=_text(raw, "dept"),
        role=_role(raw),
        last_activity_at=_time(raw, "last_login_time"),
        created_at=_time(raw, "user_created_at") or _time(raw, "created_at"),
        extras=_extras(raw, zoom_type),
    )


def _text(raw: dict, field: str) -> str | None:
    value = raw.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Unmappable(f"{field} is {type(value).__name__}, not text")
    return value.strip() or None


def _name(raw: dict) -> str | None:
    display = _text(raw, "display_name")
    if display:
        return display
    parts = [_text(raw, "first_name"), _text(raw, "last_name")]
    return " ".join(part for part in parts if part) or None


def _role(raw: dict) -> str | None:
    role_id = raw.get("role_id")
    if role_id is None or role_id == "":
        return None
    if isinstance(role_id, bool) or not isinstance(role_id, str | int):
        raise Unmappable(f"role_id is {type(role_id).__name__}, not text")
    role_id = str(role_id).strip()
    return ROLES.get(role_id, role_id)


def _time(raw: dict, field: str) -> datetime | None:
    value = _text(raw, field)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise Unmappable(f"{field} {value[:40]!r} is not a date") from None


def _extras(raw: dict, zoom_type: int) -> dict[str, Any]:
    extras: dict[str, Any] = {"zoom_type": zoom_type}
    for field in EXTRA_FIELDS:
        value = raw.get(field)
        if value in (None, "", []):
            continue
        if field == "group_ids":
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise Unmappable("group_ids is not a list of ids")
            # Zoom does not promise an order; sorting keeps an unchanged membership from looking changed.
            value = sorted(value)
        elif not isinstance(value, str | int) or isinstance(value, bool):
            raise Unmappable(f"{field} is {type(value).__name__}, not text")
        extras[field] = value
    return extras


def _who(raw: Any) -> str:
    key = user_key(raw)
    if key is None:
        return "without id or email"
    return key.removeprefix("email:")[:120]
