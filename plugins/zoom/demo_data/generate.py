"""Generate ``zoom_demo.json``: a fictional company's Zoom account over five monthly snapshots.

Run ``python plugins/zoom/demo_data/generate.py`` to rewrite the file; the output is deterministic (a fixed
seed), and a test checks that the file matches this script.

Format: every user has static fields and ``states``, one per snapshot (``null`` = not in the account at
that snapshot). A state's ``feature`` is the user's add-ons, as ``GET /users/{userId}/settings`` gives them.
``plans`` holds the account's plan usage (``GET /accounts/me/plans/usage``) at each snapshot: seats bought
against seats used, with some bought seats left unused. Times are written ``"@K-D"``: D days before snapshot K. The demo resolves them against
the snapshot dates of the day it runs, so "no sign-in for 90 days" means the same whenever it runs.
Snapshot gaps are at least 26 days (the shortest: 2 February to a "now" early on 1 March), so an event
``"@K-D"`` with D < 26 (K > 0) falls between snapshots K-1 and K.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

SEED = 20240602
SNAPSHOTS = 5
DOMAIN = "tidewater-kites.example"
OUTPUT = Path(__file__).with_name("zoom_demo.json")

FIRST = [
    "Amara",
    "Ben",
    "Carla",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Noor",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zara",
    "Aisha",
    "Bruno",
    "Chidi",
    "Dana",
    "Emil",
    "Fatima",
    "Gabriel",
    "Hana",
    "Ivan",
    "Julia",
    "Kofi",
    "Lena",
    "Marco",
    "Nadia",
    "Oskar",
    "Paula",
    "Rafael",
    "Sofia",
    "Tom",
    "Valeria",
    "Will",
    "Yara",
]
LAST = [
    "Adams",
    "Baker",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ibrahim",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Osei",
    "Patel",
    "Quispe",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Umarov",
    "Varga",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Brennan",
    "Costa",
    "Diallo",
    "Evans",
    "Foster",
    "Gupta",
    "Hughes",
    "Ito",
    "Jovanovic",
    "Kim",
    "Lopez",
    "Mensah",
    "Novak",
    "Ortiz",
    "Park",
    "Reyes",
    "Silva",
    "Thompson",
    "Walsh",
]
#: Names that must survive every layer (storage, reports, HTML): (first, last, email local part).
SPECIAL_NAMES = (
    ("Zoë", "Åkesson", "zoe.akesson"),
    ("José", "Núñez", "jose.nunez"),
    ("Łukasz", "Wróbel", "lukasz.wrobel"),
    ("美咲", "田中", "misaki.tanaka"),
    ("Анна", "Петрова", "anna.petrova"),
    ("Chloé", "Lefèvre-O'Brien", "chloe.lefevre-obrien"),
)
DEPARTMENTS = {
    "Engineering": 36,
    "Sales": 22,
    "Customer Support": 18,
    "Marketing": 12,
    "Operations": 9,
    "Design": 7,
    "Finance": 7,
    "People": 5,
    "Legal": 3,
    "Executive": 4,
}
CUSTOM_ROLE = "r7NXbnLcSXaBWkaXGsSBCw"  # a custom "Billing viewer" role: shown by its raw id
CLIENTS = ("6.0.11.39959(mac)", "6.0.10.39647(win)", "5.17.11.34827(android)", "6.0.2.33403(iphone)")
HABITS = {"daily": 0.55, "weekly": 0.25, "monthly": 0.1, "dormant": 0.1}
PRIVATE = ("state", "habit", "dormant_since", "never_accepts")  # simulation state, not Zoom fields
ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#: Add-ons are chosen with a generator of their own, so the people and their history stay as they were.
ADDON_SEED = SEED + 5
#: Seats bought at each snapshot: the base plan trued up twice as the company hires, always ahead of use.
BASE_SEATS = (85, 90, 90, 105, 110)
LARGE_MEETING_SEATS = 4
WEBINAR_500_SEATS = 3
WEBINAR_1000_SEATS = (0, 0, 1, 1, 1)  # bought at snapshot 2, for a marketing lead's launch events
UNITED_SEATS = 10
ROOMS = (6, (4, 4, 4, 5, 5))  # rooms bought, rooms set up per snapshot


class Company:
    """The simulation: people join, leave, change plans and sign in between snapshots."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.users: list[dict] = []
        self.emails: set[str] = set()
        self.groups = {dept: self._id() for dept in DEPARTMENTS}
        self.name_pool = [(first, last) for first in FIRST for last in LAST]
        self.rng.shuffle(self.name_pool)

    # ---- people ----

    def _id(self) -> str:
        return "".join(self.rng.choice(ID_ALPHABET) for _ in range(22))

    def _email(self, local: str) -> str:
        email, number = f"{local}@{DOMAIN}", 2
        while email in self.emails:
            email, number = f"{local}{number}@{DOMAIN}", number + 1
        self.emails.add(email)
        return email

    def person(
        self,
        created: str,
        *,
        first: str | None = None,
        last: str | None = None,
        local: str | None = None,
        display: str | None = None,
        dept: str | None = None,
        zoom_type: int = 2,
        status: str = "active",
        role: str = "2",
        habit: str | None = None,
        sso: bool | None = None,
    ) -> dict:
        """Add someone to the account (a random name and department unless given); returns the user."""
        if first is None or last is None:
            first, last = self.name_pool.pop()
        local = local or f"{first}.{last}".lower()
        dept = dept or self.rng.choices(list(DEPARTMENTS), weights=list(DEPARTMENTS.values()))[0]
        user = {
            "id": self._id(),
            "email": self._email(local),
            "first_name": first,
            "last_name": last,
            "display_name": display or f"{first} {last}",
            "pmi": self.rng.randrange(2_000_000_000, 9_999_999_999),
            "timezone": self.rng.choice(("Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo")),
            "language": "en-US",
            "verified": 1,
            "user_created_at": created,
            "habit": habit or self.rng.choices(list(HABITS), weights=list(HABITS.values()))[0],
            "state": {"status": status, "type": zoom_type, "dept": dept, "role_id": role, "last_login_time": None},
            "states": [],
        }
        if sso is None:
            sso = self.rng.random() < 0.5
        if sso:
            user["employee_unique_id"] = f"E{self.rng.randrange(10000, 99999)}"
        self.users.append(user)
        return user

    def present(self, status: str | None = None) -> list[dict]:
        """The users in the account now, optionally only those with one status."""
        return [u for u in self.users if u["state"] is not None and (status is None or u["state"]["status"] == status)]

    # ---- the story ----

    def founding(self) -> None:
        """Snapshot 0: the account as it has grown over the years."""
        self.person("@0-2190.4", first="Maren", last="Holt", dept="Executive", role="0", habit="daily", sso=False)
        for first, last, dept in (
            ("Ravi", "Shankar", "Operations"),
            ("Ellen", "Marsh", "People"),
            ("Tomasz", "Nowak", "Engineering"),
        ):
            self.person(self._old(), first=first, last=last, dept=dept, role="1", habit="daily")
        self.person(self._old(), first="Greta", last="Lind", dept="Finance", role=CUSTOM_ROLE, habit="weekly")
        for first, last, local in SPECIAL_NAMES:
            self.person(self._old(), first=first, last=last, local=local, zoom_type=self._plan())
        self.person(
            self._old(),
            first="<b>Bold</b>",
            last="& Co",
            local="bold-and-co",
            display="<b>Bold</b> & Co",
            dept="Marketing",
            zoom_type=1,
            habit="monthly",
            sso=False,
        )
        for _ in range(108):
            self.person(self._old(), zoom_type=self._plan())
        for _ in range(4):  # licensed seats nobody has used for months
            user = self.person(self._old(), zoom_type=2, habit="dormant")
            user["dormant_since"] = f"@0-{self.rng.uniform(95, 300):.3f}"
        self.person(self._old(), zoom_type=2, habit="dormant")  # licensed, never signed in
        for dept in ("Customer Support", "Customer Support", "Operations"):  # Zoom Phone-only agents
            self.person(self._old(), dept=dept, zoom_type=4, habit="weekly")
        for _ in range(3):  # contractors created by SSO without a plan
            self.person(self._old(), dept="Engineering", zoom_type=99, habit="monthly")
        for zoom_type in (2, 1, 2, 1):  # people who left earlier: deactivated, still listed
            user = self.person(self._old(), zoom_type=zoom_type, status="inactive", habit="dormant")
            user["state"]["last_login_time"] = f"@0-{self.rng.uniform(40, 400):.3f}"
        for zoom_type in (2, 1):  # open invitations
            self.person(f"@0-{self.rng.uniform(2, 20):.3f}", zoom_type=zoom_type, status="pending")
        never = self.person(f"@0-{self.rng.uniform(2, 20):.3f}", zoom_type=2, status="pending")
        never["never_accepts"] = True
        for user in self.present():
            if user["state"]["type"] == 2 and user["state"]["dept"] == "Sales" and self.rng.random() < 0.4:
                user["plan_united_type"] = "512"  # Biz-United with Zoom Phone Pro

    def month(self, snapshot: int) -> None:
        """What happens between snapshot ``snapshot - 1`` and ``snapshot``."""
        rng = self.rng
        for user in self.present("pending"):  # invitations accepted, most within a month
            if not user.get("never_accepts") and rng.random() < 0.85:
                user["state"]["status"] = "active"
        active = [u for u in self.present("active") if u["state"]["role_id"] not in ("0", "1")]
        for user in rng.sample(active, 2):  # leavers: removed from the account
            user["state"] = None
        for user in rng.sample([u for u in self.present("active") if u["state"]["role_id"] == "2"], 1):
            user["state"]["status"] = "inactive"  # a leaver deactivated rather than deleted
            user["habit"] = "dormant"
        basics = [u for u in self.present("active") if u["state"]["type"] == 1 and u["habit"] != "dormant"]
        for user in rng.sample(basics, 3):  # upgrades
            user["state"]["type"] = 2
        idle = [
            u
            for u in self.present("active")
            if u["state"]["type"] == 2
            and u["habit"] in ("monthly", "dormant")
            and u["state"]["role_id"] == "2"
            and "dormant_since" not in u
        ]
        for user in rng.sample(idle, min(1, len(idle))):  # downgrade of an idle licence
            user["state"]["type"] = 1
        mover = rng.choice([u for u in self.present("active") if u["state"]["role_id"] == "2"])
        mover["state"]["dept"] = rng.choice([d for d in DEPARTMENTS if d != mover["state"]["dept"]])
        if snapshot == 1:
            for user in rng.sample(
                [
                    u
                    for u in self.present("active")
                    if u["state"]["type"] == 2 and u["habit"] == "daily" and u["state"]["role_id"] == "2"
                ],
                2,
            ):
                user["habit"] = "stopped"  # licensed users who stop using Zoom: 90+ days idle by the last snapshot
        if snapshot == 2:
            self.person(
                f"@2-{rng.uniform(3, 20):.3f}",
                first="Lobby",
                last="Kiosk",
                local="lobby-kiosk",
                dept="Operations",
                zoom_type=7,
                habit="daily",
                sso=False,
            )  # a type seatkeeper does not know
        for _ in range(rng.randint(6, 8)):  # hires: invited this month
            self.person(f"@{snapshot}-{rng.uniform(1, 25):.3f}", zoom_type=rng.choice((2, 2, 2, 1)), status="pending")

    def sign_ins(self, snapshot: int) -> None:
        """Last sign-in times as Zoom reports them at ``snapshot`` (they lag, and only move forward)."""
        rng = self.rng
        for user in self.present():
            state = user["state"]
            if state["status"] != "active":
                continue
            habit = user["habit"]
            if habit == "stopped" and snapshot > 1:
                continue
            if habit == "dormant":
                state["last_login_time"] = state["last_login_time"] or user.get("dormant_since")
                continue
            chance = {"daily": 1.0, "weekly": 0.95, "monthly": 0.6, "stopped": 1.0}[habit]
            if rng.random() < chance or state["last_login_time"] is None:  # activating an account signs in
                ceiling = {"daily": 3, "weekly": 8, "monthly": 25, "stopped": 20}[habit]
                if snapshot == 0 and habit == "monthly":
                    ceiling = 60
                state["last_login_time"] = f"@{snapshot}-{rng.uniform(0.1, ceiling):.3f}"
                state["last_client_version"] = rng.choice(CLIENTS)

    def record(self, snapshot: int) -> None:
        """Append every user's current state (``None`` if absent) as their state at ``snapshot``."""
        for user in self.users:
            state = user["state"]
            user["states"].extend([None] * (snapshot - len(user["states"])))  # not yet hired before
            user["states"].append(None if state is None else {**state, "group_ids": [self.groups[state["dept"]]]})

    def _old(self) -> str:
        return f"@0-{self.rng.uniform(30, 2000):.3f}"

    def _plan(self) -> int:
        return self.rng.choices((2, 1), weights=(60, 40))[0]


def give_addons(users: list[dict], seed: int = ADDON_SEED) -> None:
    """Write each recorded state's ``feature`` (add-ons): large meetings and webinars for a few licensed people,
    Zoom Phone for the Zoom United sales people and the phone-only agents.

    A paid add-on needs a Licensed user: whoever is downgraded, deactivated or leaves frees it.
    """
    rng = random.Random(seed)
    first = [
        u for u in users if u["states"][0] and u["states"][0]["status"] == "active" and u["states"][0]["type"] == 2
    ]
    marketing = [u for u in first if u["states"][0]["dept"] == "Marketing"]
    owner = next(u for u in first if u["states"][0]["role_id"] == "0")
    large = [owner, *rng.sample([u for u in first if u["states"][0]["dept"] in ("Sales", "Executive")], 2)]
    webinar = rng.sample(marketing, 2)
    for user in users:
        for index, state in enumerate(user["states"]):
            if state is None or state["status"] == "pending":
                continue
            feature: dict = {}
            licensed = state["type"] == 2 and state["status"] == "active"
            if licensed and user in large:
                feature.update(large_meeting=True, large_meeting_capacity=500)
            if licensed and user in webinar:
                capacity = 1000 if user is webinar[0] and index >= 2 else 500  # the upgrade: a new history interval
                feature.update(webinar=True, webinar_capacity=capacity)
            if (licensed and user.get("plan_united_type")) or state["type"] == 4:
                feature["zoom_phone"] = True
            if feature:
                state["feature"] = feature


def plan_usage(users: list[dict], snapshot: int) -> dict:
    """The account's ``GET /accounts/me/plans/usage`` answer at ``snapshot``: bought seats against the users."""
    states = [(user, user["states"][snapshot]) for user in users if user["states"][snapshot] is not None]
    listed = [(user, state) for user, state in states if state["status"] != "pending"]

    def using(addon: str, capacity: int | None = None) -> int:
        return sum(
            1
            for _, state in listed
            if state.get("feature", {}).get(addon)
            and (capacity is None or state["feature"].get(f"{addon}_capacity") == capacity)
        )

    licensed = [state for _, state in listed if state["type"] == 2]
    webinars = [{"type": "webinar500_yearly", "hosts": WEBINAR_500_SEATS, "usage": using("webinar", 500), "pending": 0}]
    if WEBINAR_1000_SEATS[snapshot]:
        webinars.append(
            {"type": "webinar1000_monthly", "hosts": WEBINAR_1000_SEATS[snapshot], "usage": using("webinar", 1000)}
        )
    return {
        "plan_base": {
            "type": "yearly",
            "hosts": BASE_SEATS[snapshot],
            "usage": len(licensed),
            "active_hosts": sum(1 for state in licensed if state["status"] == "active"),
            "pending": sum(1 for _, state in states if state["status"] == "pending" and state["type"] == 2),
        },
        "plan_large_meeting": [
            {"type": "large500_yearly", "hosts": LARGE_MEETING_SEATS, "usage": using("large_meeting"), "pending": 0}
        ],
        "plan_webinar": webinars,
        "plan_united": {
            "name": "Zoom Meetings Business and Zoom Phone Pro Annual",
            "type": "biz_zpp_yearly",
            "hosts": UNITED_SEATS,
            "usage": sum(1 for user, state in listed if user.get("plan_united_type") and state["type"] == 2),
            "pending": 0,
        },
        "plan_zoom_rooms": {"type": "zroom_yearly", "hosts": ROOMS[0], "usage": ROOMS[1][snapshot]},
        "plan_recording": {
            "type": "cmr_yearly_commitment_100",
            "plan_storage": "100 GB",
            "plan_storage_usage": f"{31 + 4 * snapshot} GB",
            "plan_storage_exceed": "0",
            "free_storage": "0 GB",
            "free_storage_usage": "0 GB",
        },
    }


def build(seed: int = SEED) -> dict:
    """The demo account: static user fields plus one state per snapshot, and plan usage per snapshot."""
    company = Company(seed)
    company.founding()
    for snapshot in range(SNAPSHOTS):
        if snapshot:
            company.month(snapshot)
        company.sign_ins(snapshot)
        company.record(snapshot)
    give_addons(company.users)
    users = []
    for user in company.users:
        entry = {key: value for key, value in user.items() if key not in PRIVATE}
        entry["states"] = [_clean(state) for state in user["states"]]
        users.append(entry)
    return {
        "about": "Tidewater Kites Ltd., a fictional company; generated by generate.py (do not edit by hand)",
        "snapshots": SNAPSHOTS,
        "plans": [plan_usage(users, snapshot) for snapshot in range(SNAPSHOTS)],
        "users": users,
    }


def _clean(state: dict | None) -> dict | None:
    if state is None:
        return None
    return {key: value for key, value in state.items() if value is not None}


def dumps(data: dict) -> str:
    """JSON with one user per line: small, and readable in a diff."""
    lines = [f'  "about": {json.dumps(data["about"])},', f'  "snapshots": {data["snapshots"]},', '  "plans": [']
    lines.append(",\n".join("    " + json.dumps(plans, ensure_ascii=False) for plans in data["plans"]))
    lines += ["  ],", '  "users": [']
    lines.append(",\n".join("    " + json.dumps(user, ensure_ascii=False) for user in data["users"]))
    lines.append("  ]")
    return "{\n" + "\n".join(lines) + "\n}\n"


def main() -> int:
    """Write zoom_demo.json next to this script."""
    OUTPUT.write_text(dumps(build()), encoding="utf-8")
    print(f"wrote {OUTPUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
