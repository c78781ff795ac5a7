"""What each measured process of sync_benchmark.py runs: one scenario, then one JSON line of figures.

Run by sync_benchmark.py as ``python benchmarks/sync_scenarios.py SCENARIO '{...options...}'``, each in a
fresh process, so ``ru_maxrss`` (peak resident memory of the whole process, interpreter and imports included)
belongs to that scenario alone.

- ``floor``: the least any tool must do: ``requests`` fetching the same pages one after the other, and a raw
  ``sqlite3`` (or psycopg) ``executemany`` of the same seat and activity rows into seatkeeper's tables.
- ``fetch``: the same pages, fetched one after the other and parsed, nothing stored (the page-chain floor).
- ``sync``: seatkeeper's real sync (Zoom plugin and engine) of one or more connections.
"""

from __future__ import annotations

import functools
import json
import resource
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

STATUSES = ("active", "inactive", "pending")
LICENCES = {
    1: ("Basic", False),
    2: ("Licensed", True),
    3: ("On-prem", True),
    4: ("Unassigned without Meetings Basic", False),
}
ROLES = {"0": "Owner", "1": "Admin", "2": "Member"}
EXTRA_FIELDS = ("plan_united_type", "employee_unique_id", "group_ids")


def peak_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pages(session, settings: dict, page_size: int):
    """Every page of every status list, one request after the other, parsed."""
    token = session.post(
        settings["oauth_url"],
        data={"grant_type": "account_credentials", "account_id": settings["account_id"]},
        auth=(settings["client_id"], settings["client_secret"]),
        timeout=60,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for status in STATUSES:
        params: dict[str, Any] = {"status": status, "page_size": page_size}
        while True:
            body = session.get(settings["api_url"] + "/users", params=params, headers=headers, timeout=60).json()
            yield status, body["users"]
            if not body.get("next_page_token"):
                break
            params = {"status": status, "page_size": page_size, "next_page_token": body["next_page_token"]}


def sqlite_time(text: str | None) -> str | None:
    """Zoom's ``2026-01-31T12:00:00Z`` as seatkeeper stores it in SQLite (``2026-01-31 12:00:00.000000``)."""
    return f"{text[:10]} {text[11:19]}.000000" if text else None


def seat_rows(users: list[dict], status: str, now: Any, as_json, as_time) -> tuple[list[tuple], list[tuple]]:
    """The seat and activity rows seatkeeper writes for a page (same values), with no validation at all."""
    seats, activity = [], []
    for user in users:
        key = user.get("id") or "email:" + user["email"].lower()
        licence, billable = LICENCES.get(user["type"], ("None", False))
        login = as_time(user.get("last_login_time"))
        extras = {"zoom_type": user["type"]}
        for name in EXTRA_FIELDS:
            if user.get(name):
                extras[name] = user[name]
        seats.append(
            (
                1,
                key,
                user.get("id"),
                user["email"].lower(),
                user.get("display_name"),
                licence,
                billable,
                user.get("status", status),
                user.get("dept") or None,
                ROLES.get(user.get("role_id"), user.get("role_id")),
                as_time(user.get("user_created_at")),
                as_json(extras),
                login,
                now,
                1,
            )
        )
        if login:
            activity.append((1, key, "2026-11", login))
    return seats, activity


SEAT_INSERT = (
    "insert into seat (connection_id, seat_key, user_id, email, name, license_type, billable, status, department,"
    " role, created_at, extras, last_activity_at, seen_from, opened_by_run)"
    " values ({marks})"
)
ACTIVITY_INSERT = "insert into seat_activity (connection_id, seat_key, month, last_activity_at) values ({marks})"


def floor(options: dict) -> dict:
    """Fetch every page with ``requests`` and insert the rows with the bare database driver."""
    import requests

    from seatkeeper import db

    url = options["database_url"]
    db.open_engine(url).dispose()  # seatkeeper's schema, outside the timing
    started, cpu_started = time.perf_counter(), time.process_time()
    if url.startswith("sqlite"):
        import sqlite3

        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        connection.execute("pragma journal_mode=wal")
        connection.execute("pragma synchronous=normal")
        marks, as_json, as_time = "?", functools.partial(json.dumps, sort_keys=True), sqlite_time
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    else:
        import psycopg
        from psycopg.types.json import Json

        connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        marks, as_json, now = "%s", Json, datetime.now(UTC)

        def as_time(text: str | None) -> datetime | None:
            return datetime.fromisoformat(text) if text else None

    connection.execute(
        "insert into connection (name, provider, created_at) values ('floor', 'zoom', current_timestamp)"
    )
    connection.execute(
        "insert into sync_run (connection_id, started_at, outcome, seen, added, changed, removed, unchanged,"
        " rejected, duplicates, notes) values (1, current_timestamp, 'running', 0, 0, 0, 0, 0, 0, 0, '[]')"
    )
    users = 0
    cursor = connection.cursor()
    with requests.Session() as session:
        for status, page in pages(session, options["settings"], options["page_size"]):
            seats, activity = seat_rows(page, status, now, as_json, as_time)
            cursor.executemany(SEAT_INSERT.format(marks=", ".join([marks] * 15)), seats)
            cursor.executemany(ACTIVITY_INSERT.format(marks=", ".join([marks] * 4)), activity)
            users += len(page)
    connection.commit()
    connection.close()
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "users": users,
        "peak_mib": peak_mib(),
    }


def fetch(options: dict) -> dict:
    """Fetch and parse every page of every connection's account, strictly one request after the other."""
    import requests

    started, cpu_started = time.perf_counter(), time.process_time()
    users = requests_sent = 0
    with requests.Session() as session:
        for settings in options["connections"]:
            for _status, page in pages(session, settings, options["page_size"]):
                users += len(page)
                requests_sent += 1
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "users": users,
        "pages": requests_sent,
        "peak_mib": peak_mib(),
    }


def provider_fetch(options: dict) -> dict:
    """The Zoom provider's own fetch of each connection (several at once in threads), records thrown away.

    The floor of a sync under latency: the same requests, as concurrent as the sync makes them, with no database.
    """
    from seatkeeper.provider import FetchContext, provider_items
    from seatkeeper_zoom import ZoomProvider

    provider = ZoomProvider(page_size=options["page_size"])
    counts: list[int] = []

    def run(index: int, settings: dict) -> None:
        seen = 0
        with provider_items(provider, settings, FetchContext(f"zoom-{index}", settings)) as items:
            for _item in items:
                seen += 1
        counts.append(seen)

    started, cpu_started = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=run, args=item) for item in enumerate(options["connections"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "users": sum(counts),
        "peak_mib": peak_mib(),
    }


def sync(options: dict) -> dict:
    """seatkeeper's sync of each connection (several at once in threads when there are several)."""
    from seatkeeper import db, queries
    from seatkeeper.config import ConnectionConfig
    from seatkeeper.sync import sync_connection
    from seatkeeper_zoom import ZoomProvider

    engine = db.open_engine(options["database_url"])  # schema upgrade outside the timing
    rows_before = queries.seat_row_count(engine)
    baseline = peak_mib()
    provider = ZoomProvider(page_size=options["page_size"])
    results: list = []

    def run(index: int, settings: dict) -> None:
        connection = ConnectionConfig(f"zoom-{index}", "zoom")
        results.append(sync_connection(engine, connection, provider, settings))

    started, cpu_started = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=run, args=item) for item in enumerate(options["connections"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    failed = [result.error for result in results if not result.ok]
    if failed:
        raise SystemExit(f"sync failed: {failed[0]}")
    rows_after = queries.seat_row_count(engine)
    engine.dispose()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "users": sum(result.counts["seen"] for result in results),
        "added": sum(result.counts["added"] for result in results),
        "unchanged": sum(result.counts["unchanged"] for result in results),
        "new_seat_rows": rows_after - rows_before,
        "peak_mib": peak_mib(),
        "import_mib": baseline,
    }


COMPARED = (
    "seat_key, user_id, email, name, license_type, billable, status, department, role, created_at, extras,"
    " last_activity_at"
)


def compare(options: dict) -> dict:
    """Whether two SQLite databases hold the same seat and activity values (the floor's and seatkeeper's)."""
    import sqlite3

    def values(path: str) -> tuple[set, set]:
        with sqlite3.connect(path) as connection:
            seats = set(connection.execute(f"select {COMPARED} from seat"))
            activity = set(connection.execute("select seat_key, last_activity_at from seat_activity"))
        return seats, activity

    floor_values, seatkeeper_values = values(options["floor"]), values(options["seatkeeper"])
    return {
        "same_seats": floor_values[0] == seatkeeper_values[0],
        "same_activity": floor_values[1] == seatkeeper_values[1],
        "seats": len(seatkeeper_values[0]),
    }


SCENARIOS = {"floor": floor, "fetch": fetch, "provider_fetch": provider_fetch, "sync": sync, "compare": compare}


def main() -> None:
    """``sync_scenarios.py SCENARIO OPTIONS_JSON``: run one scenario and print its figures as JSON."""
    scenario, options = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(SCENARIOS[scenario](options)))


if __name__ == "__main__":
    main()
