"""A seeded generator of Zoom user records, as ``GET /v2/users`` lists them: every user type and status.

The same ``(count, seed)`` always gives the same users, so a test or the benchmark can rebuild the account a
server holds and compare what a sync stored with it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

#: Zoom user types and how often each occurs: mostly Licensed and Basic, a few of the rare ones.
TYPE_WEIGHTS: Mapping[int, float] = {2: 0.55, 1: 0.35, 4: 0.05, 3: 0.03, 99: 0.02}
#: Share of users in each status list (a real account is mostly active).
STATUS_MIX: Mapping[str, float] = {"active": 0.70, "inactive": 0.20, "pending": 0.10}

FIRST_NAMES = ("Ada", "Bo", "Chloé", "Dmitri", "Eun-ji", "Farah", "Gonzalo", "Hana", "Ivo", "Jürgen", "李", "Zoë")
LAST_NAMES = ("Okafor", "Lindqvist", "García", "Nguyễn", "O'Brien", "Smith", "Tanaka", "Wójcik", "王", "Müller")
DEPARTMENTS = ("Engineering", "Sales", "Support", "Finance", "Marketing", "Legal", "", None)
ROLES = ("2", "2", "2", "2", "1", "0", "BXY7kCDbQ8mWg3V0aGsF2A")  # member, admin, owner, a custom role id
EPOCH = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate_users(
    count: int,
    *,
    seed: int = 1,
    status_mix: Mapping[str, float] = STATUS_MIX,
    type_weights: Mapping[int, float] = TYPE_WEIGHTS,
) -> list[dict[str, Any]]:
    """``count`` raw Zoom users: every type of ``type_weights`` and every status of ``status_mix``.

    Users come grouped by status (as many of each as the mix says, at least one when ``count`` allows), each
    with a unique id and email. Pending users keep their ``id`` here; the server drops it when listing them,
    as Zoom does.
    """
    rng = random.Random(seed)
    statuses = _status_sequence(count, status_mix)
    types, weights = list(type_weights), list(type_weights.values())
    users = []
    for number, status in enumerate(statuses, start=1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        # Cycle through the types first so even a tiny account holds each one.
        zoom_type = types[number - 1] if number <= len(types) else rng.choices(types, weights)[0]
        created = EPOCH - timedelta(days=rng.randrange(1, 2000), seconds=rng.randrange(86_400))
        user: dict[str, Any] = {
            "id": f"z{seed:x}u{number:07d}{rng.getrandbits(40):010x}",
            "first_name": first,
            "last_name": last,
            "display_name": f"{first} {last}",
            "email": f"{_ascii(first)}.{number}@example-{seed}.com",
            "type": zoom_type,
            "pmi": 1_000_000_000 + number,
            "timezone": "Europe/Berlin",
            "verified": 1,
            "dept": rng.choice(DEPARTMENTS),
            "created_at": _iso(created),
            "user_created_at": _iso(created),
            "language": "en-US",
            "status": status,
            "role_id": rng.choice(ROLES),
        }
        if user["dept"] is None:
            del user["dept"]
        if status != "pending":
            user["last_login_time"] = _iso(EPOCH - timedelta(minutes=rng.randrange(0, 200_000)))
            user["last_client_version"] = "6.3.1.44231(mac)"
        if rng.random() < 0.3:
            user["group_ids"] = sorted(f"grp{rng.randrange(20):02d}" for _ in range(rng.randrange(1, 3)))
        if rng.random() < 0.2:
            user["employee_unique_id"] = f"E{number:06d}"
        if zoom_type == 2 and rng.random() < 0.1:
            user["plan_united_type"] = "1"
        users.append(user)
    return users


def _ascii(name: str) -> str:
    return name.encode("ascii", "ignore").decode().lower() or "user"


def _status_sequence(count: int, mix: Mapping[str, float]) -> list[str]:
    total = sum(mix.values())
    sizes = {status: int(count * share / total) for status, share in mix.items()}
    for status in mix:  # every status present when there is room for it
        if sizes[status] == 0 and count >= len(mix):
            sizes[status] = 1
    leftover = count - sum(sizes.values())
    first = next(iter(mix))
    sizes[first] += leftover
    return [status for status, size in sizes.items() for _ in range(size)]
