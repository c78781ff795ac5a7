"""The Google Workspace demo: a fictional company over five monthly snapshots, served by :class:`FakeGoogle`.

The company is generated from a fixed seed (so every demo shows the same people). The demo makes a fresh RSA key
for its service account and writes it to a temporary key file for the connection's ``key_file``: the local
server checks the JWT's signature with its public half, as Google would.
"""

from __future__ import annotations

import contextlib
import json
import random
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from seatkeeper import DemoSnapshot

from .fake_server import FakeGoogle, Snapshot

DOMAIN = "fernhill.example"
CUSTOMER_ID = "C04fernhill"
SERVICE_ACCOUNT = "seatkeeper-demo@fernhill-demo.iam.gserviceaccount.com"
ADMIN = f"ines.admin@{DOMAIN}"
MONTHS = 5
#: Sample monthly list prices of one seat (USD, flexible plan; not a quote).
DEMO_PRICES = {
    "Google Workspace Business Starter": 8.40,
    "Google Workspace Business Standard": 16.80,
    "Google Workspace Business Plus": 26.40,
    "Google AI Ultra for Business": 30.00,
}
SKUS = {
    "starter": ("Google-Apps", "1010020027", "Google Workspace Business Starter"),
    "standard": ("Google-Apps", "1010020028", "Google Workspace Business Standard"),
    "plus": ("Google-Apps", "1010020025", "Google Workspace Business Plus"),
    "ai": ("101047", "1010470008", "Google AI Ultra for Business"),
}
DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "People", "Support")
FIRST = (
    "Ana",
    "Ben",
    "Chloé",
    "Dev",
    "Elif",
    "Femi",
    "Greta",
    "Hiro",
    "Ivana",
    "Jonas",
    "Kofi",
    "Lena",
    "Maya",
    "Nils",
)
LAST = ("Okafor", "Petrov", "Quinn", "Rossi", "Sato", "Tanaka", "Úlfarsson", "Varga", "Weber", "Xu", "Yilmaz", "Zhou")


def snapshot_dates(now: datetime, count: int = MONTHS) -> list[datetime]:
    """``count`` dates, oldest first: 09:00 UTC on the 2nd of each previous month, then ``now``."""
    now = now.astimezone(UTC).replace(microsecond=0)
    dates = []
    for back in range(count - 1, 0, -1):
        year, month = divmod(now.year * 12 + now.month - 1 - back, 12)
        dates.append(datetime(year, month + 1, 2, 9, 0, tzinfo=UTC))
    return dates + [now]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def company(dates: list[datetime], seed: int = 7) -> list[Snapshot]:
    """The company's Directory users, licence assignments and usage counters at each date."""
    rng = random.Random(seed)
    people: list[dict[str, Any]] = []
    for index in range(36):
        first, last = FIRST[index % len(FIRST)], LAST[(index * 5) % len(LAST)]
        local = f"{first}.{last}{index}".lower().replace("é", "e").replace("ú", "u")
        people.append(
            {
                "id": f"1180000000000000{index:05d}",
                "email": f"{local}@{DOMAIN}",
                "name": f"{first} {last}",
                "department": DEPARTMENTS[index % len(DEPARTMENTS)],
                "sku": rng.choice(("standard", "standard", "standard", "starter", "plus")),
                "joins": 0 if index < 28 else 1 + (index - 28) % (MONTHS - 1),  # the last ones join later
                "suspended_from": 2 if index in (5, 17) else None,
                "archived_from": 4 if index == 5 else None,
                "idle": index in (3, 11, 22),
                "ai_from": 3 if index % 9 == 0 else None,
            }
        )
    people[0].update(email=ADMIN, name="Inès Admin", department="IT", sku="plus")
    snapshots = []
    for month, at in enumerate(dates):
        users, assignments = [], []
        for person in people:
            if person["joins"] > month:
                continue
            created = dates[person["joins"]] - timedelta(days=20)
            suspended = person["suspended_from"] is not None and month >= person["suspended_from"]
            archived = person["archived_from"] is not None and month >= person["archived_from"]
            last_login = at - timedelta(days=75 if person["idle"] else 1 + (int(person["id"][-2:]) % 5))
            if suspended or archived:  # nobody signs in to a blocked account
                last_login = dates[person["suspended_from"]] - timedelta(days=4)
            elif person["joins"] == month and month > 0 and int(person["id"][-1]) % 2:
                last_login = None  # invited this month, not signed in yet
            user = {
                "kind": "admin#directory#user",
                "id": person["id"],
                "primaryEmail": person["email"],
                "name": {"fullName": person["name"]},
                "isAdmin": person["email"] == ADMIN,
                "isDelegatedAdmin": False,
                "suspended": suspended and not archived,
                "archived": archived,
                "agreedToTerms": last_login is not None,
                "lastLoginTime": _stamp(last_login) if last_login else "1970-01-01T00:00:00.000Z",
                "creationTime": _stamp(created),
                "orgUnitPath": f"/{person['department']}",
                "organizations": [
                    {
                        "primary": True,
                        "department": person["department"],
                        "costCenter": f"CC-{100 + DEPARTMENTS.index(person['department']) if person['department'] in DEPARTMENTS else 900}",
                    }
                ],
                "aliases": [person["email"].replace("@", ".alias@")] if int(person["id"][-1]) == 4 else [],
                "relations": [] if person["email"] == ADMIN else [{"type": "manager", "value": ADMIN}],
            }
            if suspended and not archived:
                user["suspensionReason"] = "ADMIN"
            users.append(user)
            sku = "plus" if person["sku"] == "standard" and month >= 3 and int(person["id"][-1]) == 7 else person["sku"]
            assignments.append((person["email"], *SKUS[sku]))
            if person["ai_from"] is not None and month >= person["ai_from"]:
                assignments.append((person["email"], *SKUS["ai"]))
        assigned = sum(1 for row in assignments if row[1] == "Google-Apps")
        usage = {"apps_total_licenses": assigned + 4, "apps_used_licenses": assigned}
        snapshots.append(Snapshot(users, assignments, usage, usage_lag_days=3, customer_id=CUSTOMER_ID, domain=DOMAIN))
    return snapshots


def _demo_key() -> tuple[dict[str, Any], str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    info = {
        "type": "service_account",
        "project_id": "fernhill-demo",
        "private_key_id": "demo",
        "private_key": private.decode(),
        "client_email": SERVICE_ACCOUNT,
        "client_id": "100000000000000000042",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    return info, public.decode()


@contextlib.contextmanager
def demo_snapshots(now: datetime | None = None) -> Iterator[list[DemoSnapshot]]:
    """Start the local server with the demo company and yield one :class:`DemoSnapshot` per month."""
    dates = snapshot_dates(now or datetime.now(UTC))
    info, public_key = _demo_key()
    with tempfile.TemporaryDirectory(prefix="seatkeeper-google-demo-") as folder:
        key_file = Path(folder) / "demo-service-account.json"
        key_file.write_text(json.dumps(info), encoding="utf-8")
        key_file.chmod(0o600)
        with FakeGoogle(
            company(dates), client_email=SERVICE_ACCOUNT, public_key=public_key, client_id=info["client_id"]
        ) as server:
            yield [
                DemoSnapshot(
                    at=at,
                    settings={**server.settings(index), "key_file": str(key_file), "subject": ADMIN},
                    prices=DEMO_PRICES,
                    currency="USD",
                )
                for index, at in enumerate(dates)
            ]
