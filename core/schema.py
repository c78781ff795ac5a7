"""The normalized licence schema every provider maps its users to.

A provider yields :class:`SeatRecord` objects (one per user holding, or invited to, a seat) and, for
records it could not map, :class:`Rejected`. The engine adds the provider and connection names and
stores them as :class:`Seat` rows.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import _settled

MAX_TEXT = 512  # longer provider strings are cut, not rejected: a 10 kB display name is still a user


#: The fields of a seat, in the order listings show them: the state of a seat is all of them but
#: ``last_activity_at`` (which moves with every login) and ``extras`` is kept beside them.
SEAT_FIELDS = (
    "user_id",
    "email",
    "name",
    "license_type",
    "billable",
    "status",
    "department",
    "role",
    "last_activity_at",
    "created_at",
    "extras",
)
SEAT_FIELD_SET = frozenset(SEAT_FIELDS)


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


_TEXT_FIELDS = ("user_id", "email", "name", "department", "role", "license_type")
_INT_BOUND = 10**15  # integers within it take at most 16 characters of JSON


class _TooLarge(dict):
    """Extras found too large by :meth:`SeatRecord._storable`; :meth:`SeatRecord._extras_size` rejects them."""


def _plain(text: str) -> bool:
    return type(text) is str and text.isascii() and "\x00" not in text and len(text) <= MAX_TEXT


def _plain_extras(value: dict) -> dict | None:
    """A copy of ``value`` when cleaning would change nothing and its JSON surely fits, else None.

    The size is an upper bound of ``len(json.dumps(value))``: ASCII text takes at most 6 characters a
    character (control characters become \\u00XX), plus quotes and separators.
    """
    size = 2
    copy = {}
    for key, item in value.items():
        if not _plain(key) or key.strip() != key:  # pydantic strips the keys (text), not the values (any)
            return None
        kind = type(item)
        if kind is int:
            if not -_INT_BOUND < item < _INT_BOUND:
                return None
            size += 16
        elif kind is str:
            if not _plain(item):
                return None
            size += 6 * len(item) + 2
        elif item is None or kind is bool:
            size += 5
        elif kind is list:
            size += 2
            for element in item:
                if not _plain(element):
                    return None
                size += 6 * len(element) + 4
            item = list(item)
        else:
            return None
        size += 6 * len(key) + 6
        copy[key] = item
    return copy if size <= MAX_EXTRAS_JSON else None


def _storable_extras(value: dict) -> dict:
    """``value`` with its text cleaned (see :func:`_clean_json`); a :class:`_TooLarge` when its JSON is too long."""
    plain = _plain_extras(value)
    if plain is not None:
        return plain
    value = _clean_json(value)
    if len(json.dumps(value)) > MAX_EXTRAS_JSON:
        return _TooLarge(value)
    return value


_set_attribute = object.__setattr__  # the model is frozen


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

    if not TYPE_CHECKING:  # type checkers keep the signature pydantic gives them, with every field's name

        def __init__(self, /, **data: Any) -> None:
            fields = _settled.settled_fields(data) if type(self) is SeatRecord else None
            if fields is None:
                super().__init__(**data)
                return
            # Values already as validation would leave them (most of a sync's records): set them as
            # model_construct does, at a fraction of the cost of validating them.
            _set_attribute(self, "__dict__", fields)
            _set_attribute(self, "__pydantic_fields_set__", set(data))
            _set_attribute(self, "__pydantic_extra__", None)
            _set_attribute(self, "__pydantic_private__", None)

        # Marks the __init__ as pydantic's own (as pydantic's RootModel does), so model_validate keeps going
        # straight to the validator: a dict with a key that is not text is then a validation error, not a TypeError.
        __init__.__pydantic_base_init__ = True

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        # Before validation, in one pass: one stray surrogate or NUL in a name should not reject the whole
        # user, and over-long text is cut. Text that is ASCII without NUL is already storable.
        if not isinstance(data, Mapping):
            return data
        cleaned = None
        for name in _TEXT_FIELDS:
            value = data.get(name)
            if isinstance(value, str):
                if type(value) is str and value.isascii() and "\x00" not in value:
                    if len(value) <= MAX_TEXT:
                        continue
                    value = value[:MAX_TEXT]
                else:
                    value = clean_text(value)[:MAX_TEXT]
                if cleaned is None:
                    cleaned = dict(data)
                cleaned[name] = value
        extras = data.get("extras")
        if isinstance(extras, dict):
            if cleaned is None:
                cleaned = dict(data)
            cleaned["extras"] = _storable_extras(extras)
        return data if cleaned is None else cleaned

    @field_validator("extras", mode="before")
    @classmethod
    def _extras_size(cls, value: Any) -> Any:
        # Raised here, not in _storable, so the error is the field's and other fields' errors are still reported.
        if type(value) is _TooLarge:
            raise ValueError(f"extras are larger than {MAX_EXTRAS_JSON} characters of JSON")
        return value

    @field_validator("license_type")
    @classmethod
    def _license_required(cls, value: str) -> str:
        if not value:
            raise ValueError("licence type is empty")
        return value

    @field_validator("last_activity_at", "created_at")
    @classmethod
    def _to_utc(cls, value: datetime | None) -> datetime | None:
        if value is None or value.tzinfo is UTC:
            return value
        return _utc(value)

    @model_validator(mode="after")
    def _identified(self) -> SeatRecord:
        # After whitespace stripping: empty text is None, the email lower-cased. These never fail, so they are
        # done here, once, rather than in one validator call per field (the model is frozen: set in __dict__).
        fields = self.__dict__
        for name in ("user_id", "name", "department", "role"):
            if fields[name] == "":
                fields[name] = None
        email = fields["email"]
        if email is not None:
            # lower() can lengthen text ("İ" is two characters lower-cased)
            fields["email"] = None if email.strip() == "" else email.lower()[:MAX_TEXT]
        if fields["email"] is not None and "@" not in fields["email"]:
            # One rule for every provider: text that cannot be an address never stands in for one.
            raise ValueError(f"email {fields['email']!r} is not an address")
        if not fields["user_id"] and not fields["email"]:
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

    @field_validator("reason", "key")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        # The key is kept beside the run's staged seats and the reason in its notes: both must be storable text.
        return None if value is None else clean_text(value)[:MAX_TEXT]


class PersonStatus(enum.StrEnum):
    """Where a person stands with the organisation, as a directory tells it."""

    ACTIVE = "active"
    SUSPENDED = "suspended"  # account blocked or disabled, person may come back
    DELETED = "deleted"  # account deleted (or archived) in the directory
    TERMINATED = "terminated"  # left the organisation (an HR system's word)
    UNKNOWN = "unknown"


class Person(BaseModel):
    """One person of the organisation as a directory lists them (a provider with ``directory = True``).

    seatkeeper matches each tool's accounts to people by ``email`` and ``aliases``; the rest tells who left,
    since when, and where their seats' cost belongs.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    person_id: str | None = Field(None, description="The directory's stable id of the person, if it has one.")
    email: str = Field(description="Primary email, stored lower-cased.")
    aliases: tuple[str, ...] = Field((), description="Other emails that reach the person, lower-cased.")
    name: str | None = None
    status: PersonStatus = PersonStatus.ACTIVE
    status_since: datetime | None = Field(None, description="When the status began (left, suspended), when known.")
    department: str | None = None
    cost_center: str | None = None
    job_title: str | None = None
    manager_email: str | None = Field(None, description="The manager's primary email, when cheap to get.")

    @field_validator("email", "manager_email")
    @classmethod
    def _lower_email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = clean_text(value).strip().lower()[:MAX_TEXT]
        if "@" not in value:
            raise ValueError(f"{value!r} is not an email address")
        return value

    @field_validator("aliases", mode="before")
    @classmethod
    def _lower_aliases(cls, value: Any) -> Any:
        if isinstance(value, list | tuple | set | frozenset):
            cleaned = (clean_text(str(alias)).strip().lower()[:MAX_TEXT] for alias in value)
            return tuple(sorted({alias for alias in cleaned if "@" in alias}))
        return value

    @field_validator("person_id", "name", "department", "cost_center", "job_title")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return clean_text(value)[:MAX_TEXT] or None if value is not None else None

    @field_validator("status_since")
    @classmethod
    def _since_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)
