"""One Graph user -> one :class:`SeatRecord` per assigned licence SKU, and one :class:`Person`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from seatkeeper import Person, PersonStatus, Rejected, SeatRecord, SeatStatus
from seatkeeper.errors import BadProviderData

from .skus import SkuCatalog

#: The user properties the sync reads ($select: most are returned only when asked for).
USER_FIELDS = (
    "id",
    "userPrincipalName",
    "mail",
    "displayName",
    "accountEnabled",
    "assignedLicenses",
    "department",
    "jobTitle",
    "createdDateTime",
    "userType",
    "externalUserState",
    "proxyAddresses",
    "otherMails",
    "employeeOrgData",
    "deletedDateTime",
)
SIGN_IN_FIELD = "signInActivity"


def parse_time(value: Any) -> datetime | None:
    """A Graph timestamp (``2026-11-30T08:01:00Z``) as an aware UTC datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def primary_email(user: dict[str, Any]) -> str | None:
    """``mail``, else ``userPrincipalName`` (a guest's UPN is ``name_domain#EXT#@tenant``: mail is their address)."""
    return _text(user.get("mail")) or _text(user.get("userPrincipalName"))


def last_activity(user: dict[str, Any]) -> datetime | None:
    """``lastSuccessfulSignInDateTime`` (since December 2023), else ``lastSignInDateTime``; None without sign-ins."""
    activity = user.get(SIGN_IN_FIELD)
    if not isinstance(activity, dict):
        return None
    return parse_time(activity.get("lastSuccessfulSignInDateTime")) or parse_time(activity.get("lastSignInDateTime"))


def seat_status(user: dict[str, Any]) -> SeatStatus:
    """Disabled -> inactive; an invited guest who has not accepted -> pending; enabled -> active; else unknown."""
    enabled = user.get("accountEnabled")
    if enabled is False:
        return SeatStatus.INACTIVE
    if user.get("externalUserState") == "PendingAcceptance":
        return SeatStatus.PENDING
    return SeatStatus.ACTIVE if enabled is True else SeatStatus.UNKNOWN


def seats_of(user: dict[str, Any], catalog: SkuCatalog) -> list[SeatRecord | Rejected]:
    """The user's seats, one per SKU in ``assignedLicenses`` (keyed ``"<user id>:<skuId>"``); [] without licences.

    :raises BadProviderData: ``assignedLicenses`` is not a list of objects with a ``skuId`` (an unknown shape
        must not read as "no licence", which would remove the user's seats).
    """
    user_id = user.get("id")
    licenses = user.get("assignedLicenses")
    if not isinstance(user_id, str) or not user_id.strip():
        return [Rejected(reason="a Graph user without an id")] if licenses else []
    if licenses is None:
        licenses = []
    if not isinstance(licenses, list) or not all(
        isinstance(item, dict) and isinstance(item.get("skuId"), str) for item in licenses
    ):
        raise BadProviderData(f"Graph's user {user_id} has assignedLicenses of an unknown shape (not a list of skuIds)")
    guest = user.get("userType") == "Guest"
    job_title = _text(user.get("jobTitle"))
    common = {
        "email": primary_email(user),
        "name": _text(user.get("displayName")),
        "status": seat_status(user),
        "department": _text(user.get("department")),
        "role": "Guest" if guest else job_title,
        "last_activity_at": last_activity(user),
        "created_at": parse_time(user.get("createdDateTime")),
    }
    seats: list[SeatRecord | Rejected] = []
    seen: set[str] = set()
    for item in licenses:
        sku = catalog.get(item["skuId"])
        if sku.sku_id in seen:
            continue  # the same SKU directly and through a group is one seat
        seen.add(sku.sku_id)
        key = f"{user_id}:{sku.sku_id}"
        disabled = item.get("disabledPlans")
        extras: dict[str, Any] = {
            "user_id": user_id,
            "sku_id": sku.sku_id,
            "sku_part_number": sku.part_number,
            "user_type": str(user.get("userType") or ""),
            "guest": guest,
        }
        if job_title and guest:
            extras["job_title"] = job_title
        if isinstance(disabled, list) and disabled:
            extras["disabled_plans"] = sorted(str(plan) for plan in disabled)
        try:
            seats.append(
                SeatRecord(user_id=key, license_type=sku.name, billable=sku.counted_billable, extras=extras, **common)
            )
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem.get("loc", ())) or "record"
            seats.append(Rejected(reason=f"Graph user {user_id}: {where}: {problem.get('msg')}", key=key))
    return seats


def _addresses(user: dict[str, Any]) -> list[str]:
    found = []
    for address in user.get("proxyAddresses") or []:
        if isinstance(address, str) and address[:5].lower() == "smtp:":
            found.append(address[5:])  # SIP:, X500: and other kinds are not email addresses
    found += [address for address in user.get("otherMails") or [] if isinstance(address, str)]
    upn = _text(user.get("userPrincipalName"))
    if upn and "#EXT#" not in upn.upper():
        found.append(upn)
    return found


def person_of(user: dict[str, Any]) -> Person | None:
    """The user as a directory :class:`Person`; None when it has no id or no address at all."""
    user_id = _text(user.get("id"))
    email = primary_email(user)
    if user_id is None or email is None:
        return None
    deleted = parse_time(user.get("deletedDateTime"))
    if deleted is not None:
        status = PersonStatus.DELETED
    elif user.get("accountEnabled") is False:
        status = PersonStatus.SUSPENDED
    elif user.get("accountEnabled") is True:
        status = PersonStatus.ACTIVE
    else:
        status = PersonStatus.UNKNOWN
    org = user.get("employeeOrgData")
    cost_center = _text(org.get("costCenter")) if isinstance(org, dict) else None
    email_lower = email.lower()
    try:
        return Person(
            person_id=user_id,
            email=email,
            aliases=[address for address in _addresses(user) if address.lower() != email_lower],
            name=_text(user.get("displayName")),
            status=status,
            status_since=deleted,
            department=_text(user.get("department")),
            cost_center=cost_center,
            job_title=_text(user.get("jobTitle")),
        )
    except ValidationError:
        return None
