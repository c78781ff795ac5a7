"""The Microsoft 365 demo: a fictional company's tenant over five monthly snapshots, served by :class:`FakeGraph`.

The tenant is generated here from a fixed seed: about sixty people in five departments, Microsoft 365 E3 for
staff, Business Premium for the shop floor, Copilot, Power BI Pro and Visio for some, free Power Automate and
Fabric sign-ups, a few guests (one still invited), people joining and leaving (disabled, then deleted) from one
month to the next, and some seats nobody has used for months.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from seatkeeper import DemoSnapshot

from .server import FakeGraph, Tenant

SNAPSHOTS = 5
CLIENT_ID = "7d3c1a52-9b1e-4c55-8f0e-2a6d4e8b9c01"
#: The demo's fake credentials: not anybody's secret.
CLIENT_SECRET = "demo-client-secret-not-a-real-one"
DOMAIN = "harborpine.example"
#: Sample monthly list prices per licence type for the demo's reports (USD, annual commitment; not a quote).
DEMO_PRICES = {
    "Microsoft 365 E3": 36.00,
    "Microsoft 365 Business Premium": 22.00,
    "Microsoft Copilot for Microsoft 365": 30.00,
    "Power BI Pro": 14.00,
    "Visio Plan 2": 15.00,
}
SKUS = {
    "SPE_E3": "05e9a617-0261-4cee-bb44-138d3ef5d965",
    "SPB": "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
    "Microsoft_365_Copilot": "639dec6b-bb19-468b-871c-c5c441c4b0cb",
    "POWER_BI_PRO": "f8a1db68-be16-40ed-86d5-cb42ce701560",
    "VISIOCLIENT": "c5928f49-12ba-48f7-ada3-0d743a3601d5",
    "FLOW_FREE": "f30db892-07e9-47e9-837c-80727f46fd3d",
    "POWER_BI_STANDARD": "a403ebcc-fae0-4ca2-8c8c-7a907fd6c235",
}
#: Seats bought per SKU (prepaidUnits.enabled); the free ones come with 10,000 as Microsoft's do.
PURCHASED = {"SPE_E3": 45, "SPB": 20, "Microsoft_365_Copilot": 10, "POWER_BI_PRO": 8, "VISIOCLIENT": 3}
DEPARTMENTS = {
    "Engineering": ("Software engineer", "Staff engineer", "Engineering manager"),
    "Sales": ("Account executive", "Sales manager"),
    "Finance": ("Accountant", "Controller"),
    "Operations": ("Warehouse lead", "Logistics coordinator", "Shift supervisor"),
    "IT": ("IT administrator", "IT lead"),
}
FIRST_NAMES = [
    "Ana",
    "Ben",
    "Chloé",
    "Dev",
    "Elif",
    "Farid",
    "Grete",
    "Hiro",
    "Inés",
    "Jonas",
    "Kai",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tomás",
]
LAST_NAMES = [
    "Adeyemi",
    "Becker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lund",
    "Müller",
    "Novak",
]


def snapshot_dates(now: datetime, count: int = SNAPSHOTS) -> list[datetime]:
    """``count`` dates, oldest first: 09:00 UTC on the 2nd of each of the previous ``count - 1`` months, then ``now``."""
    now = now.astimezone(UTC).replace(microsecond=0)
    dates = []
    for months_back in range(count - 1, 0, -1):
        year, month = divmod(now.year * 12 + now.month - 1 - months_back, 12)
        dates.append(datetime(year, month + 1, 2, 9, 0, tzinfo=UTC))
    dates.append(now)
    return dates


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _people(rng: random.Random) -> list[dict[str, Any]]:
    """The company's people: who they are, which SKUs they hold, when they join, leave, and how often they sign in."""
    people = []
    used = set()
    for index in range(60):
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if (first, last) not in used:
                used.add((first, last))
                break
        department = rng.choice(list(DEPARTMENTS))
        skus = ["SPB"] if department == "Operations" else ["SPE_E3"]
        if department in ("Engineering", "Sales") and rng.random() < 0.3:
            skus.append("Microsoft_365_Copilot")
        if department in ("Finance", "Sales") and rng.random() < 0.4:
            skus.append("POWER_BI_PRO")
        if department == "Engineering" and (rng.random() < 0.1 or index < 12):
            skus.append("VISIOCLIENT")
        if rng.random() < 0.15:
            skus.append("FLOW_FREE")
        if rng.random() < 0.1:
            skus.append("POWER_BI_STANDARD")
        joins = 0 if index < 48 else rng.randint(1, SNAPSHOTS - 1)
        leaves = rng.randint(joins + 1, SNAPSHOTS + 2) if rng.random() < 0.12 else None
        alias = (first + "." + last).lower().replace("é", "e").replace("ü", "u").replace("í", "i").replace("á", "a")
        people.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "first": first,
                "last": last,
                "alias": f"{alias}{index}",
                "department": department,
                "title": rng.choice(DEPARTMENTS[department]),
                "cost_center": f"CC-{list(DEPARTMENTS).index(department) + 1:02d}0",
                "skus": skus,
                "joins": joins,
                "leaves": leaves,  # disabled from this snapshot on, deleted (gone from /users) the one after
                "idle": rng.random() < 0.15,  # holds a seat, has not signed in for months
                "never": rng.random() < 0.04,  # never signed in
            }
        )
    return people


def _guests(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "mail": "lee@contractor.example.net",
            "state": "Accepted",
        },
        {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "mail": "sam@auditors.example.org",
            "state": "PendingAcceptance",
        },
    ]


def tenant_users(snapshot: int, dates: list[datetime], seed: int = 365) -> list[dict[str, Any]]:
    """The Graph user objects of snapshot ``snapshot`` (0 = oldest)."""
    rng = random.Random(seed)
    people, guests = _people(rng), _guests(rng)
    at = dates[snapshot]
    users = []
    for person in people:
        if snapshot < person["joins"] or (person["leaves"] is not None and snapshot > person["leaves"]):
            continue
        mail = f"{person['alias']}@{DOMAIN}"
        joined = dates[person["joins"]] - timedelta(days=30 if person["joins"] else 400)
        if person["never"]:
            activity = None
        else:
            idle_days = 75 + snapshot * 30 if person["idle"] else int(person["id"][:2], 16) % 5
            seen = max(joined, at - timedelta(days=idle_days, hours=3))
            activity = {"lastSignInDateTime": _stamp(seen), "lastSuccessfulSignInDateTime": _stamp(seen)}
        users.append(
            {
                "id": person["id"],
                "userPrincipalName": mail,
                "mail": mail,
                "displayName": f"{person['first']} {person['last']}",
                "accountEnabled": person["leaves"] is None or snapshot < person["leaves"],
                "assignedLicenses": [{"skuId": SKUS[sku], "disabledPlans": []} for sku in person["skus"]],
                "department": person["department"],
                "jobTitle": person["title"],
                "createdDateTime": _stamp(joined),
                "userType": "Member",
                "externalUserState": None,
                "proxyAddresses": [f"SMTP:{mail}", f"smtp:{person['alias']}@harborpine.onmicrosoft.com"],
                "otherMails": [],
                "employeeOrgData": {"costCenter": person["cost_center"], "division": None},
                "deletedDateTime": None,
                "signInActivity": activity,
            }
        )
    for guest in guests:
        local, domain = guest["mail"].split("@")
        users.append(
            {
                "id": guest["id"],
                "userPrincipalName": f"{local}_{domain}#EXT#@harborpine.onmicrosoft.com",
                "mail": guest["mail"],
                "displayName": guest["mail"],
                "accountEnabled": True,
                "assignedLicenses": [{"skuId": SKUS["SPE_E3"], "disabledPlans": []}],
                "department": None,
                "jobTitle": None,
                "createdDateTime": _stamp(dates[0] - timedelta(days=20)),
                "userType": "Guest",
                "externalUserState": guest["state"],
                "proxyAddresses": [],
                "otherMails": [guest["mail"]],
                "employeeOrgData": None,
                "deletedDateTime": None,
                "signInActivity": None
                if guest["state"] == "PendingAcceptance"
                else {"lastSignInDateTime": _stamp(at - timedelta(days=12))},
            }
        )
    return users


def tenant_skus(snapshot: int) -> list[dict[str, Any]]:
    """The subscribedSkus of a snapshot (consumedUnits are counted by the server); Copilot grows in month three."""
    skus = []
    for part, sku_id in SKUS.items():
        enabled = PURCHASED.get(part, 10000)
        if part == "Microsoft_365_Copilot" and snapshot >= 2:
            enabled = 15
        skus.append(
            {
                "skuId": sku_id,
                "skuPartNumber": part,
                "appliesTo": "User",
                "capabilityStatus": "Enabled",
                "prepaidUnits": {"enabled": enabled, "suspended": 0, "warning": 0, "lockedOut": 0},
                "servicePlans": [],
            }
        )
    return skus


@contextlib.contextmanager
def demo_snapshots(now: datetime | None = None) -> Iterator[list[DemoSnapshot]]:
    """Start the local Graph server with one tenant per snapshot and yield one :class:`DemoSnapshot` per month."""
    dates = snapshot_dates(now or datetime.now(UTC))
    tenants = [
        Tenant(
            tenant_id=f"harborpine-{index}.onmicrosoft.com",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            users=tenant_users(index, dates),
            skus=tenant_skus(index),
        )
        for index in range(len(dates))
    ]
    with FakeGraph(tenants) as server:
        yield [
            DemoSnapshot(at=at, settings=server.settings(tenants[index].tenant_id), prices=DEMO_PRICES, currency="USD")
            for index, at in enumerate(dates)
        ]
