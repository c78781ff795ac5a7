"""How long a monthly report takes for a large account: 100k seats, 12 months of history, 5 providers.

Builds the history straight into a SQLite database (bulk inserts of the rows the sync engine would have
written: one run per connection per month, seat intervals with churn and licence changes, one activity row
per seat per month, plan usage), then writes the last month's report in every format and prints the time
and peak Python memory of each. A benchmark that prints figures, not a test::

    python benchmarks/report_benchmark.py                 # 100,000 seats x 12 months
    python benchmarks/report_benchmark.py --seats 20000   # quicker
    python benchmarks/report_benchmark.py --keep bench.db # keep the database to look at it
    python benchmarks/report_benchmark.py --database bench.db  # report over a kept database (peak RSS: report only)
    python benchmarks/report_benchmark.py --database bench.db --format html  # just that format
    python benchmarks/report_benchmark.py --directory      # with an HR directory (all but 0.1%, 2% left)
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sqlite3
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from seatkeeper import db
from seatkeeper.config import Config
from seatkeeper.people import stored_folded_name
from seatkeeper.reports.build import build_report
from seatkeeper.reports.generate import ReportFormat, write_report
from seatkeeper.reports.period import ReportMonth
from seatkeeper.reports.settings import report_settings

REPORT_MONTH = ReportMonth(2026, 3)
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a UTCDateTime in SQLite

#: provider -> (connections, share of seats, licence types as (name, billable, monthly price))
PROVIDERS = {
    "zoom": (("zoom-emea", "zoom-us"), 0.30, (("Licensed", True, 15.99), ("Basic", False, None))),
    "slack": (("slack",), 0.25, (("Pro", True, 8.75), ("Business+", True, 15.0), ("Guest", False, None))),
    "github": (("github",), 0.15, (("Enterprise", True, 21.0), ("Outside collaborator", False, None))),
    "atlassian": (("atlassian",), 0.20, (("Standard", True, 7.75), ("Premium", True, 15.25))),
    "figma": (("figma",), 0.10, (("Professional", True, 15.0), ("Organization", True, 45.0), ("Viewer", False, None))),
}
DEPARTMENTS = ("Sales", "Engineering", "Finance", "HR", "Marketing", "Support", "Legal", "Operations", None)


@dataclass
class OpenSeat:
    """A seat's current interval while the history is generated."""

    row: int
    person: int
    license_index: int
    status: str
    department: str | None
    activity_age: int | None  # days before each sync; None: never signed in


def stamp(when: datetime) -> str:
    """A time as SQLite holds it."""
    return when.astimezone(UTC).replace(tzinfo=None).strftime(SQLITE_TIME)


def build_history(path: Path, seats: int, months: int, seed: int = 7) -> dict[str, int]:
    """Write ``months`` monthly syncs ending in REPORT_MONTH into a fresh database at ``path``."""
    random.seed(seed)
    db.open_engine(f"sqlite:///{path}").dispose()  # schema through the real migrations
    connection = sqlite3.connect(path)
    counts = {"seat rows": 0, "activity rows": 0, "runs": 0}
    people = list(range(int(seats * 0.8)))
    connection_rows: list[tuple] = []
    layout = []
    first = REPORT_MONTH.shifted(-(months - 1))
    for provider, (names, share, types) in PROVIDERS.items():
        for name in names:
            connection_rows.append((len(connection_rows) + 1, name, provider, stamp(first.start)))
            layout.append((len(connection_rows), provider, share / len(names), types))
    connection.executemany(
        "INSERT INTO connection (id, name, provider, created_at) VALUES (?, ?, ?, ?)", connection_rows
    )

    seat_sql = (
        "INSERT INTO seat (id, connection_id, seat_key, user_id, email, name, license_type, billable, status, "
        "department, extras, seen_from, opened_by_run, seen_until, closed_by_run) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?)"
    )
    next_row = 1
    run_id = 0
    open_seats: dict[int, dict[str, OpenSeat]] = {cid: {} for cid, *_ in layout}
    for index in range(months):
        month = first.shifted(index)
        when = month.start + timedelta(days=14)
        target = int(seats * (0.85 + 0.15 * index / max(months - 1, 1)))
        seat_rows, closes, activity_rows, runs, plans = [], [], [], [], []
        for cid, _provider, share, types in layout:
            run_id += 1
            runs.append((run_id, cid, stamp(when), stamp(when + timedelta(minutes=3)), "succeeded", "[]"))
            current = open_seats[cid]
            opening: dict[str, OpenSeat] = {}  # seats this run opens an interval for, by key
            if index:
                for key in random.sample(sorted(current), k=len(current) // 50):  # 2% leave
                    closes.append((stamp(when), run_id, current.pop(key).row))
                for key in random.sample(sorted(current), k=len(current) // 100):  # 1% change licence
                    seat = current[key]
                    closes.append((stamp(when), run_id, seat.row))
                    seat.license_index = (seat.license_index + 1) % len(types)
                    opening[key] = seat
                for key in random.sample(sorted(current), k=len(current) // 200):  # 0.5% deactivated
                    seat = current[key]
                    if seat.status == "active":
                        if key not in opening:  # one run closes a seat's interval once, and opens its final state
                            closes.append((stamp(when), run_id, seat.row))
                        seat.status = "inactive"
                        opening[key] = seat
            held = {seat.person for seat in current.values()}
            candidates = (p for p in random.sample(people, k=len(people)) if p not in held)
            while len(current) < int(target * share):
                person = next(candidates)
                status = "pending" if random.random() < 0.01 else "active"
                key = f"email:person{person}@example.com" if status == "pending" else f"u{cid}-{person}"
                seat = OpenSeat(0, person, _weighted_type(types), status, random.choice(DEPARTMENTS), _age())
                current[key] = opening[key] = seat
            # As the sync writes them: a run's new intervals, and its activity, in seat-key order.
            for key in sorted(opening):
                seat = opening[key]
                seat.row, next_row = next_row, next_row + 1
                seat_rows.append(_seat_row(seat, cid, key, types, when, run_id))
            for key in sorted(current):
                seat = current[key]
                if random.random() < 0.3:
                    seat.activity_age = _age()  # some people's habits change from month to month
                if seat.activity_age is not None and seat.status != "pending":
                    activity_rows.append((cid, key, month.label, stamp(when - timedelta(days=seat.activity_age))))
            if _provider == "zoom":
                licensed = sum(1 for s in current.values() if types[s.license_index][0] == "Licensed")
                plans.append((cid, run_id, stamp(when), "Business", "Licensed", licensed + 40, licensed))
        connection.executemany(
            "INSERT INTO sync_run (id, connection_id, started_at, finished_at, outcome, seen, added, changed, removed, "
            "unchanged, rejected, duplicates, notes) VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, ?)",
            runs,
        )
        # Earlier rows are closed before this month's open (the database allows one open interval per seat).
        connection.executemany("UPDATE seat SET seen_until = ?, closed_by_run = ? WHERE id = ?", closes)
        connection.executemany(seat_sql, [(*row, None, None) for row in seat_rows])
        connection.executemany(
            "INSERT INTO seat_activity (connection_id, seat_key, month, last_activity_at) VALUES (?, ?, ?, ?)",
            activity_rows,
        )
        connection.executemany(
            "INSERT INTO plan_usage (connection_id, run_id, observed_at, plan, license_type, purchased, assigned, extras) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, '{}')",
            plans,
        )
        connection.commit()
        counts["seat rows"] += len(seat_rows)
        counts["activity rows"] += len(activity_rows)
        counts["runs"] += len(runs)
    counts["seats held at the end"] = sum(len(current) for current in open_seats.values())
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()
    return counts


def add_directory(path: Path, seats: int, seed: int = 11) -> int:
    """An HR directory connection holding every person of the history but one in a thousand (their accounts are
    unmatched, and the report looks for people of the same name), 2% of them terminated; the people count."""
    random.seed(seed)
    connection = sqlite3.connect(path)
    if connection.execute("SELECT 1 FROM connection WHERE name = 'hr'").fetchone():
        connection.close()
        return 0
    when = REPORT_MONTH.start + timedelta(days=14)
    cid = connection.execute("SELECT max(id) + 1 FROM connection").fetchone()[0]
    run_id = connection.execute("SELECT max(id) + 1 FROM sync_run").fetchone()[0]
    connection.execute(
        "INSERT INTO connection (id, name, provider, created_at) VALUES (?, 'hr', 'csv', ?)", (cid, stamp(when))
    )
    connection.execute(
        "INSERT INTO sync_run (id, connection_id, started_at, finished_at, outcome, seen, added, changed, removed, "
        "unchanged, rejected, duplicates, notes) VALUES (?, ?, ?, ?, 'succeeded', 0, 0, 0, 0, 0, 0, 0, '[]')",
        (run_id, cid, stamp(when), stamp(when + timedelta(minutes=1))),
    )
    people = int(seats * 0.8)
    rows = []
    for person in range(people):
        if person % 1000 == 999:
            continue
        left = random.random() < 0.02
        rows.append((
            cid, f"person{person}@example.com", f"person{person}@example.com", f"Person {person}",
            stored_folded_name(f"Person {person}"),
            "terminated" if left else "active", stamp(when - timedelta(days=3)) if left else None,
            random.choice(DEPARTMENTS), f"CC-{person % 40:02d}", stamp(when), run_id,
        ))  # fmt: skip
    connection.executemany(
        "INSERT INTO person (connection_id, person_key, email, aliases, name, folded_name, status, status_since, "
        "department, cost_center, state_hash, seen_from, opened_by_run) VALUES (?, ?, ?, '[]', ?, ?, ?, ?, ?, ?, '', ?, ?)",
        rows,
    )
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()
    return len(rows)


def _seat_row(seat: OpenSeat, cid: int, key: str, types, when: datetime, run_id: int) -> tuple:
    name, billable, _ = types[seat.license_index]
    user_id = None if key.startswith("email:") else key
    email = f"person{seat.person}@example.com"
    return (seat.row, cid, key, user_id, email, f"Person {seat.person}", name, int(billable), seat.status,
            seat.department, stamp(when), run_id)  # fmt: skip


def _weighted_type(types) -> int:
    return 0 if random.random() < 0.7 else random.randrange(len(types))


def _age() -> int | None:
    """Days since a person's last activity: mostly recent, some idle, a few never signed in."""
    roll = random.random()
    if roll < 0.04:
        return None
    if roll < 0.79:
        return random.randrange(0, 7)
    if roll < 0.93:
        return random.randrange(7, 30)
    if roll < 0.97:
        return random.randrange(30, 90)
    return random.randrange(90, 400)


def settings():
    """USD list prices for every billable licence type."""
    prices = {p: {name: price for name, _, price in types if price} for p, (_, _, types) in PROVIDERS.items()}
    return report_settings(Config(path=Path("benchmark.toml"), raw={"prices": {"currency": "USD", **prices}}))


def floor(path: Path, cutoff: datetime, month: str, directory: bool) -> float:
    """Seconds (best of two) for the least any report must do, with the bare driver: read every seat held at
    ``cutoff`` with its last activity as of ``month`` (and, with a directory, its person by email), and count
    them by connection, licence type and status."""
    person = (
        " LEFT JOIN person p ON p.email = s.email"
        " AND p.seen_from <= :cutoff AND (p.seen_until IS NULL OR p.seen_until > :cutoff)"
    )
    sql = (
        "SELECT s.connection_id, s.license_type, s.billable, s.status, count(*), count((SELECT a.last_activity_at"
        " FROM seat_activity a WHERE a.connection_id = s.connection_id AND a.seat_key = s.seat_key"
        " AND a.month <= :month ORDER BY a.month DESC LIMIT 1))"
        + (", count(p.id)" if directory else "")
        + " FROM seat s"
        + (person if directory else "")
        + " WHERE s.seen_from <= :cutoff AND (s.seen_until IS NULL OR s.seen_until > :cutoff) GROUP BY 1, 2, 3, 4"
    )
    timings = []
    for _ in range(2):
        connection = sqlite3.connect(path)
        start = time.perf_counter()
        connection.execute(sql, {"cutoff": stamp(cutoff), "month": month}).fetchall()
        timings.append(time.perf_counter() - start)
        connection.close()
    return min(timings)


def measure(label: str, action) -> tuple[float, float]:
    """Seconds for ``action`` (best of two), then its peak traced Python memory in MiB (a third, traced run)."""
    timings = []
    for _ in range(2):
        gc.collect()
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    gc.collect()
    tracemalloc.start()
    action()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return min(timings), peak


def main() -> None:
    """Build the history, then time each format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seats", type=int, default=100_000, help="seats held at the end (default 100,000)")
    parser.add_argument("--months", type=int, default=12, help="months of history (default 12)")
    parser.add_argument("--keep", type=Path, help="write the database here and keep it")
    parser.add_argument("--database", type=Path, help="use this database from an earlier --keep run (no history built)")
    parser.add_argument(
        "--format",
        dest="formats",
        action="append",
        type=ReportFormat,
        choices=list(ReportFormat),
        help="time only this format (repeatable; default: the figures, then every format)",
    )
    parser.add_argument(
        "--directory",
        action="store_true",
        help="add an HR directory of all but one person in a thousand (to a --database too)",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="seatkeeper-bench-"))
    if args.database:
        path = args.database
    else:
        path = args.keep or workdir / "bench.db"
        path.unlink(missing_ok=True)
        start = time.perf_counter()
        counts = build_history(path, args.seats, args.months)
        print(
            f"history built in {time.perf_counter() - start:.1f} s: "
            + ", ".join(f"{v:,} {k}" for k, v in counts.items())
        )
    if args.directory:
        seats = sqlite3.connect(path).execute("SELECT count(*) FROM seat WHERE seen_until IS NULL").fetchone()[0]
        added = add_directory(path, seats)
        print(f"directory: {added:,} people added" if added else "directory: already there")
    print(f"database: {path} ({path.stat().st_size / 2**20:.0f} MiB)")

    engine = db.open_engine(f"sqlite:///{path}")
    config = settings()
    now = REPORT_MONTH.end + timedelta(days=2)
    report = build_report(engine, REPORT_MONTH, config, now=now, list_limit=config.list_limit)
    print(
        f"report {REPORT_MONTH.label}: {report.totals.seats:,} seats, {report.totals.billable:,} billable, "
        f"{report.totals.unused:,} unused, {report.changes.seats_total:,} changes, "
        f"{report.people.people_total:,} people in several providers, monthly cost {report.totals.monthly_cost:,.2f} USD"
    )
    print(f"reports written to {workdir}")
    has_directory = sqlite3.connect(path).execute("SELECT 1 FROM person LIMIT 1").fetchone() is not None
    floor_seconds = floor(path, report.as_of, REPORT_MONTH.label, has_directory)
    print(f"\n{'step':<34}{'seconds':>9}{'vs floor':>9}{'peak MiB':>10}{'output':>12}")
    print(f"{'floor (bare sqlite3, one query)':<34}{floor_seconds:>9.2f}")
    steps = [
        (
            "figures (build_report, lists cut)",
            lambda: build_report(engine, REPORT_MONTH, config, now=now, list_limit=200),
        ),
        ("figures (build_report, full lists)", lambda: build_report(engine, REPORT_MONTH, config, now=now)),
    ]
    for label, action in [] if args.formats else steps:
        seconds, peak = measure(label, action)
        print(f"{label:<34}{seconds:>9.2f}{seconds / floor_seconds:>8.1f}x{peak:>10.1f}{'':>12}")
    for fmt in args.formats or ReportFormat:
        target = workdir / f"report.{fmt.value}"

        def write(fmt=fmt, target=target):
            modes = {"mode": "wb"} if fmt.binary else {"mode": "w", "encoding": "utf-8", "newline": ""}
            with target.open(**modes) as out:
                write_report(engine, fmt, out, REPORT_MONTH, config, now=now)

        seconds, peak = measure(fmt.value, write)
        size = f"{target.stat().st_size / 2**10:,.0f} KiB"
        print(f"{'write ' + fmt.value:<34}{seconds:>9.2f}{seconds / floor_seconds:>8.1f}x{peak:>10.1f}{size:>12}")
    engine.dispose()
    included = "" if args.database else " (history generation included)"
    print(f"\nprocess peak RSS{included}: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:,.0f} MiB")


if __name__ == "__main__":
    main()
