"""Mapping a Directory user to a :class:`Person` and, per SKU they hold, to a :class:`SeatRecord`.

- Seat key: ``<Directory user id>/<product id>/<SKU id>``, unique per user and SKU and stable across renames.
- ``license_type``: the SKU's name as the Licensing API gives it (``skuName``).
- ``billable``: from the SKU catalogue (:mod:`.skus`): free editions and previews are not billable; unknown SKUs
  are (and a warning names them). Suspended and archived users keep their assignment and Google keeps billing it.
- Seat ``status``: ``inactive`` for a suspended or archived user; ``pending`` for one who never signed in and has
  not accepted the terms (``agreedToTerms`` false); else ``active``.
- Person ``status``: ``suspended`` for a suspended user; ``deleted`` for an archived one (archived users are
  former employees kept for retention: the schema counts archived as deleted).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from seatkeeper import Person, PersonStatus, Rejected, SeatRecord, SeatStatus

from .skus import Sku

NEVER = "1970-01-01T00:00:00"  # what Google shows as lastLoginTime for a user who never signed in


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time as Google writes it (``2026-11-28T09:14:03.000Z``), None for absent, unreadable or 1970."""
    if not isinstance(value, str) or not value or value.startswith(NEVER):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def primary_organization(user: dict) -> dict:
    """The user's ``organizations`` entry marked primary, else the first one, else an empty dict."""
    organizations = user.get("organizations")
    if not isinstance(organizations, list):
        return {}
    entries = [entry for entry in organizations if isinstance(entry, dict)]
    for entry in entries:
        if entry.get("primary") is True:
            return entry
    return entries[0] if entries else {}


def manager_of(user: dict) -> str | None:
    """The e-mail in the user's ``relations`` entry of type ``manager``, if any."""
    relations = user.get("relations")
    if isinstance(relations, list):
        for relation in relations:
            if isinstance(relation, dict) and relation.get("type") == "manager":
                value = relation.get("value")
                if isinstance(value, str) and "@" in value:
                    return value
    return None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def emails_of(user: dict) -> list[str]:
    """The user's primary e-mail then its aliases (editable and not), lower-cased, without repeats."""
    found: list[str] = []
    for value in [user.get("primaryEmail"), *_list(user.get("aliases")), *_list(user.get("nonEditableAliases"))]:
        if isinstance(value, str) and "@" in value:
            email = value.strip().lower()
            if email not in found:
                found.append(email)
    return found


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def identity_problem(user: Any) -> str | None:
    """Why a Directory entry cannot be mapped, or None when it has an id and a primary e-mail."""
    if not isinstance(user, dict):
        return "a Directory entry that is not a user object"
    if not isinstance(user.get("id"), str) or not user["id"]:
        return "a Directory user without an id"
    email = user.get("primaryEmail")
    if not isinstance(email, str) or "@" not in email:
        return f"Directory user {user['id'][:64]} has no primary e-mail"
    return None


def person_of(user: dict, emails: list[str] | None = None) -> Person:
    """The :class:`Person` of a Directory user (checked with :func:`identity_problem` first).

    :param emails: :func:`emails_of` the user, when the caller has them already.
    """
    organization = primary_organization(user)
    name = user.get("name") if isinstance(user.get("name"), dict) else {}
    if user.get("archived") is True:
        status = PersonStatus.DELETED
    elif user.get("suspended") is True:
        status = PersonStatus.SUSPENDED
    else:
        status = PersonStatus.ACTIVE
    emails = emails or emails_of(user)
    return Person(
        person_id=user["id"],
        email=emails[0],
        aliases=tuple(emails[1:]),
        name=_text(name.get("fullName")),
        status=status,
        department=_text(organization.get("department")),
        cost_center=_text(organization.get("costCenter")),
        job_title=_text(organization.get("title")),
        manager_email=manager_of(user),
    )


def seat_status(user: dict) -> SeatStatus:
    """The seat status of a Directory user (see the module docstring)."""
    if user.get("suspended") is True or user.get("archived") is True:
        return SeatStatus.INACTIVE
    if user.get("agreedToTerms") is False and parse_time(user.get("lastLoginTime")) is None:
        return SeatStatus.PENDING
    return SeatStatus.ACTIVE


def role_of(user: dict) -> str:
    """``super admin``, ``delegated admin`` or ``user``."""
    if user.get("isAdmin") is True:
        return "super admin"
    if user.get("isDelegatedAdmin") is True:
        return "delegated admin"
    return "user"


def seats_of(user: dict, skus: tuple[Sku, ...]) -> list[SeatRecord | Rejected]:
    """One :class:`SeatRecord` per SKU the user holds."""
    name = user.get("name") if isinstance(user.get("name"), dict) else {}
    organization = primary_organization(user)
    base = {
        "email": user["primaryEmail"].strip(),
        "name": _text(name.get("fullName")),
        "status": seat_status(user),
        "department": _text(organization.get("department")),
        "role": role_of(user),
        "last_activity_at": parse_time(user.get("lastLoginTime")),
        "created_at": parse_time(user.get("creationTime")),
    }
    extras: dict[str, Any] = {"org_unit": _text(user.get("orgUnitPath"))}
    if user.get("suspended") is True:
        extras["suspension_reason"] = _text(user.get("suspensionReason"))
    if user.get("archived") is True:
        extras["archived"] = True
    if user.get("isGuestUser") is True:
        extras["guest"] = True
    seats: list[SeatRecord | Rejected] = []
    for sku in skus:
        key = f"{user['id']}/{sku.product_id}/{sku.sku_id}"
        try:
            seats.append(
                SeatRecord(
                    user_id=key,
                    license_type=sku.name,
                    billable=sku.billable,
                    extras={**extras, "product_id": sku.product_id, "sku_id": sku.sku_id},
                    **base,
                )
            )
        except ValueError as error:
            seats.append(Rejected(reason=f"user {user['id']}: {str(error).splitlines()[0]}", key=key))
    return seats


def orphan_seats(email: str, skus: tuple[Sku, ...]) -> list[SeatRecord]:
    """Seats of an e-mail the Licensing API lists but the Directory does not (status unknown)."""
    return [
        SeatRecord(
            user_id=f"email:{email}/{sku.product_id}/{sku.sku_id}",
            email=email,
            license_type=sku.name,
            billable=sku.billable,
            status=SeatStatus.UNKNOWN,
            extras={"product_id": sku.product_id, "sku_id": sku.sku_id, "in_directory": False},
        )
        for sku in skus
    ]
