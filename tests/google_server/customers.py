"""Generated customers for the local server: any number of users, each with a Workspace edition and an add-on."""

from __future__ import annotations

from datetime import date
from typing import Any

from seatkeeper_google_workspace.fake_server import Snapshot

EDITION = ("Google-Apps", "1010020028", "Google Workspace Business Standard")
ADDON = ("101047", "1010470008", "Google AI Ultra for Business")
ADMIN = "admin@bench.example"


def generated_user(index: int, domain: str) -> dict[str, Any]:
    """A Directory user as ``users.list`` with ``projection=full`` shows one."""
    email = ADMIN if index == 0 else f"user{index:06d}@{domain}"
    return {
        "kind": "admin#directory#user",
        "id": f"{200000000000000000000 + index}",
        "etag": f'"etag-{index}"',
        "primaryEmail": email,
        "name": {"givenName": f"User{index}", "familyName": "Example", "fullName": f"User{index} Example"},
        "isAdmin": index == 0,
        "isDelegatedAdmin": False,
        "lastLoginTime": "2026-11-28T09:14:03.000Z",
        "creationTime": "2021-03-02T10:00:00.000Z",
        "agreedToTerms": True,
        "suspended": index % 50 == 7,
        "archived": False,
        "emails": [{"address": email, "primary": True}],
        "aliases": [f"u{index}@{domain}"] if index % 10 == 3 else [],
        "customerId": "C0bench",
        "orgUnitPath": f"/Team{index % 20}",
        "isMailboxSetup": True,
        "organizations": [
            {"primary": True, "department": f"Dept {index % 12}", "costCenter": f"CC{index % 7}", "title": "Engineer"}
        ],
        "relations": [{"type": "manager", "value": ADMIN}],
    }


def generate_snapshot(count: int, *, domain: str = "bench.example", skus=(EDITION, ADDON)) -> Snapshot:
    """A customer of ``count`` users, each holding every SKU of ``skus``."""
    users = [generated_user(index, domain) for index in range(count)]
    assignments = [(user["primaryEmail"], *sku) for sku in skus for user in users]
    usage = {"apps_total_licenses": count + 10, "apps_used_licenses": count}
    return Snapshot(users, assignments, usage, date(2026, 11, 28), customer_id="C0bench", domain=domain)
