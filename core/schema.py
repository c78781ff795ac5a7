"""The normalized licence schema every provider maps its users to.

A provider yields :class:`SeatRecord` objects (one per user holding, or invited to, a seat) and, for
records it could not map, :class:`Rejected`. The engine adds the provider and connection names and
stores them as :class:`Seat` rows.
"""

from __future__ import annotations

import enum
import json
import math
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_TEXT = 512  # longer provider strings are cut, not rejected: a 10 kB display name is still a user


class SeatStatus(enum.StrEnum):
    """Where a seat stands in its provider's lifecycle."""

    ACTIVE = "active"
    INACTIVE = "inactive"  # deactivated/suspended but still listed (may still cost money)
    PENDING = "pending"  # invited, not yet accepted
    UNKNOWN = "unknown"


MAX_EXTRAS_JSON = 10_000  # characters of JSON per record's extras


def clean_text(value: str) -> str:
    """Text every database can store: no NUL characters, no lone surrogates (they are replaced)."""
    value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)[:MAX_TEXT]
    if isinstance(value, dict):
        return {clean_text(str(k))[:MAX_TEXT]: _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return clean_text(str(value))[:MAX_TEXT]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date is out of range") from None


class SeatRecord(BaseModel):
    """One user's seat as a provider reports it, in provider-neutral terms."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    user_id: str | None = Field(None, description="The provider's stable user id; absent e.g. for pending invitations.")
    email: str | None = Field(None, description="Login email, stored lower-cased.")
    name: str | None = Field(None, description="Display name.")
    license_type: str = Field(description="Licence type as the provider names it, e.g. 'Licensed', 'Basic'.")
    billable: bool = Field(description="Whether this seat costs money.")
    status: SeatStatus = SeatStatus.ACTIVE
    department: str | None = None
    role: str | None = None
    last_activity_at: datetime | None = Field(None, description="Last sign-in or use, as the provider reports it.")
    created_at: datetime | None = None
    extras: dict[str, Any] = Field(default_factory=dict, description="Provider-specific fields, JSON-serialisable.")

    @field_validator("user_id", "email", "name", "department", "role", "license_type", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        # Before validation: one stray surrogate or NUL in a name should not reject the whole user.
        return clean_text(value)[:MAX_TEXT] if isinstance(value, str) else value

    @field_validator("email")
    @classmethod
    def _lower_email(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        return value.lower()[:MAX_TEXT]  # lower() can lengthen text ("İ" is two characters lower-cased)

    @field_validator("extras", mode="before")
    @classmethod
    def _storable_extras(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        value = _clean_json(value)
        if len(json.dumps(value)) > MAX_EXTRAS_JSON:
            raise ValueError(f"extras are larger than {MAX_EXTRAS_JSON} characters of JSON")
        return value

    @field_validator("user_id", "name", "department", "role")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("license_type")
    @classmethod
    def _license_required(cls, value: str) -> str:
        if not value:
            raise ValueError("licence type is empty")
        return value

    @field_validator("last_activity_at", "created_at")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)

    @model_validator(mode="after")
    def _identified(self) -> SeatRecord:
        if not self.user_id and not self.email:
            raise ValueError("a seat needs a user id or an email")
        return self

    @property
    def key(self) -> str:
        """Identity of the seat within its connection: the user id, else the email (pending users)."""
        return self.user_id if self.user_id else f"email:{self.email}"


class SeatPlan(BaseModel):
    """Seats bought under one plan against seats in use, when the provider reports it (e.g. Zoom plan usage).

    ``license_type`` names the licence type the plan's seats appear as in :class:`SeatRecord` (e.g. "Licensed"),
    so reports can set purchased against assigned; None for add-ons that are not a seat type of their own.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan: str = Field(description="The plan as the provider names it, e.g. 'Business' or 'Large meeting 500'.")
    license_type: str | None = None
    purchased: int | None = Field(None, ge=0, description="Seats bought; None when the provider does not say.")
    assigned: int | None = Field(None, ge=0, description="Seats in use as the provider counts them.")
    extras: dict[str, Any] = Field(default_factory=dict)


class Rejected(BaseModel):
    """A provider record that could not be mapped; counted and reported by the sync, never stored as a seat.

    ``key`` (when the provider can tell whose record it was) keeps that user's stored seat as it is instead
    of marking it removed.
    """

    reason: str
    key: str | None = None
