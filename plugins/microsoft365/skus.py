"""The tenant's licence SKUs (``/subscribedSkus``): friendly names, which are billable, purchased against assigned.

Graph names a SKU only by ``skuPartNumber`` (``SPE_E3``); the friendly name ("Microsoft 365 E3") comes from
Microsoft's "Product names and service plan identifiers for licensing" table, shipped as
``data/sku-friendly-names.json``.

Billable or not is decided per SKU, in this order:

1. the connection's ``free_skus`` / ``paid_skus`` settings (part numbers or SKU ids) win;
2. a SKU whose part number or product name says free, trial, viral or developer (``FLOW_FREE``,
   ``POWERAPPS_VIRAL``, "Microsoft Teams Trial", "Power Apps for Developer"...) or that is on the short list of
   known free SKUs below is **not billable**;
3. any other SKU found in Microsoft's table is **billable**;
4. a SKU neither rule decides (not in the table, e.g. newer than the shipped copy) is counted billable and named
   in a warning, so a wrong guess shows instead of silently changing costs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from seatkeeper import SeatPlan
from seatkeeper.errors import BadProviderData

#: Part numbers of free SKUs whose names do not say so (self-service and viral sign-ups).
KNOWN_FREE = frozenset(
    {
        "POWER_BI_STANDARD",  # Microsoft Fabric (Free)
        "TEAMS_EXPLORATORY",
        "STREAM",
        "WINDOWS_STORE",
        "POWERAPPS_INDIVIDUAL_USER",  # Power Apps and Logic Flows (self-service)
        "MCOPSTNEAU",  # Teams phone service for Exchange UM migration: no charge
        "RIGHTSMANAGEMENT_ADHOC",  # Rights Management ad hoc (free sign-up)
        "CCIBOTS_PRIVPREV_VIRAL",
        "FORMS_PRO",  # Dynamics 365 Customer Voice Trial
        "MS_TEAMS_IW",  # Microsoft Teams Trial
    }
)
_FREE_PART = re.compile(r"(FREE|VIRAL|TRIAL|EXPLORATORY|_DEV\b|_DEV_|DEVELOPER)", re.IGNORECASE)
_FREE_NAME = re.compile(r"\b(free|trial|vtrial|viral|for developers?)\b|\(free\)", re.IGNORECASE)


@cache
def friendly_names() -> Mapping[str, Mapping[str, str]]:
    """skuId (lower-case) -> ``{"skuPartNumber", "productDisplayName"}`` from the shipped table."""
    text = resources.files(__package__).joinpath("data").joinpath("sku-friendly-names.json").read_text(encoding="utf-8")
    return {sku_id.lower(): entry for sku_id, entry in json.loads(text)["skus"].items()}


@dataclass(frozen=True)
class Sku:
    """One SKU of the tenant: ``name`` is its licence type in seats and plans; ``billable`` None = undecided."""

    sku_id: str
    part_number: str
    name: str
    billable: bool | None
    subscribed: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def counted_billable(self) -> bool:
        """Billable as seats record it: an undecided SKU counts as billable (and is named in a warning)."""
        return True if self.billable is None else self.billable


def _words(value: str | None) -> set[str]:
    return {word.strip().lower() for word in (value or "").split(",") if word.strip()}


def decide_billable(
    part_number: str,
    display_name: str | None,
    *,
    known: bool,
    free: Collection[str] = (),
    paid: Collection[str] = (),
    sku_id: str = "",
) -> bool | None:
    """Whether a SKU costs money (see the module docstring); None when nothing decides it."""
    keys = {part_number.lower(), sku_id.lower()}
    if keys & set(free):
        return False
    if keys & set(paid):
        return True
    if part_number.upper() in KNOWN_FREE or _FREE_PART.search(part_number) or _FREE_NAME.search(display_name or ""):
        return False
    return True if known else None


class SkuCatalog:
    """The tenant's SKUs by id, with friendly, unique names and billing decided.

    :param subscribed: the ``value`` of ``/subscribedSkus``.
    :param free_skus, paid_skus: the connection's settings (comma-separated part numbers or SKU ids).
    """

    def __init__(
        self, subscribed: Iterable[Any], *, free_skus: str | None = None, paid_skus: str | None = None
    ) -> None:
        self.free = _words(free_skus)
        self.paid = _words(paid_skus)
        self.skus: dict[str, Sku] = {}
        self.unsubscribed: set[str] = set()
        names: dict[str, int] = {}
        rows = []
        for index, row in enumerate(subscribed):
            if not isinstance(row, dict) or not isinstance(row.get("skuId"), str) or not row["skuId"]:
                raise BadProviderData(f"Graph's /subscribedSkus entry {index + 1} has no skuId")
            rows.append(row)
        for row in rows:
            sku = self._sku(row["skuId"], row.get("skuPartNumber"), row)
            names[sku.name] = names.get(sku.name, 0) + 1
            self.skus[sku.sku_id] = sku
        for sku_id, sku in list(self.skus.items()):
            if names[sku.name] > 1:  # two SKUs with one product name: tell them apart by part number
                self.skus[sku_id] = Sku(
                    sku.sku_id, sku.part_number, f"{sku.name} ({sku.part_number})", sku.billable, sku.subscribed
                )

    def _sku(self, sku_id: str, part_number: Any, row: dict[str, Any]) -> Sku:
        sku_id = sku_id.lower()
        entry = friendly_names().get(sku_id)
        part = part_number if isinstance(part_number, str) and part_number.strip() else None
        part = part or (entry or {}).get("skuPartNumber") or sku_id
        display = (entry or {}).get("productDisplayName")
        billable = decide_billable(
            part, display, known=entry is not None, free=self.free, paid=self.paid, sku_id=sku_id
        )
        return Sku(sku_id, part, display or part, billable, row)

    def get(self, sku_id: str) -> Sku:
        """The SKU ``sku_id``; one a user holds but ``/subscribedSkus`` did not list is looked up in the table."""
        sku_id = sku_id.lower()
        sku = self.skus.get(sku_id)
        if sku is None:
            sku = self._sku(sku_id, None, {})
            self.unsubscribed.add(sku_id)
            self.skus[sku_id] = sku
        return sku

    def undecided(self) -> list[Sku]:
        """SKUs whose billing no rule decided (counted billable)."""
        return sorted((sku for sku in self.skus.values() if sku.billable is None), key=lambda sku: sku.part_number)

    def plans(self) -> tuple[list[SeatPlan], list[str]]:
        """One :class:`SeatPlan` per subscribed SKU, and warnings for units that are suspended, in grace or locked.

        purchased = ``prepaidUnits.enabled`` (units in warning, suspended or locked out are not available to
        assign, so they are not counted, only reported); assigned = ``consumedUnits``. A SKU that is not billable
        (free, trial, viral) has no purchased seats: its units (10,000 for a viral sign-up) stay in
        ``extras["enabled_units"]``, so they never read as thousands of unassigned paid seats.
        """
        plans, warnings = [], []
        for sku in self.skus.values():
            if not sku.subscribed:
                continue
            row = sku.subscribed
            prepaid = row.get("prepaidUnits")
            if not isinstance(prepaid, dict):
                raise BadProviderData(f"Graph's /subscribedSkus entry {sku.part_number} has no prepaidUnits object")
            units = {
                name: _units(prepaid.get(name, 0), sku, f"prepaidUnits.{name}")
                for name in ("enabled", "warning", "suspended", "lockedOut")
            }
            # Absent consumedUnits is "not said", not zero.
            consumed = None if row.get("consumedUnits") is None else _units(row["consumedUnits"], sku, "consumedUnits")
            parked = {name: count for name, count in units.items() if name != "enabled" and count}
            if parked:
                described = ", ".join(f"{count} {_UNIT_WORDS[name]}" for name, count in parked.items())
                warnings.append(
                    f"{sku.name} ({sku.part_number}): {described}; these are not counted as purchased seats"
                )
            plans.append(
                SeatPlan(
                    plan=sku.name,
                    license_type=sku.name,
                    purchased=units["enabled"] if sku.counted_billable else None,
                    assigned=consumed,
                    extras={
                        "sku_id": sku.sku_id,
                        "sku_part_number": sku.part_number,
                        "capability_status": str(row.get("capabilityStatus") or ""),
                        "applies_to": str(row.get("appliesTo") or ""),
                        "billable": sku.counted_billable,
                        "enabled_units": units["enabled"],
                        "warning_units": units["warning"],
                        "suspended_units": units["suspended"],
                        "locked_out_units": units["lockedOut"],
                    },
                )
            )
        return plans, warnings


_UNIT_WORDS = {
    "warning": "in warning (expired, in the grace period)",
    "suspended": "suspended",
    "lockedOut": "locked out",
}


def _units(value: Any, sku: Sku, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadProviderData(f"Graph's /subscribedSkus gives {sku.part_number} a {name} of {value!r}, not a count")
    return value
