"""How fast seatkeeper syncs a large Zoom account, against the floor of what any tool must do.

Starts the test Zoom server (tests/zoom_server, in a process of its own) with N generated users in the three
statuses, then runs each scenario in a fresh process and prints wall time, users per second and peak memory
(``ru_maxrss`` of that process: interpreter and imports included, about 70 MiB of it):

- floor: ``requests`` fetching the same pages one after the other plus a raw ``sqlite3`` (psycopg)
  ``executemany`` of the same seat and activity rows; seatkeeper's ratio to it is the figure to watch (on SQLite
  the run checks that both databases end up holding the same values);
- seatkeeper's first sync (max page size, 2000) into SQLite and PostgreSQL, then a second, unchanged sync;
- with latency on every request (50 ms): the page chains fetched one after the other (the sequential floor)
  against seatkeeper's sync, which fetches the three status lists at once, and against several connections
  synced at once.

A benchmark that prints figures, not a test::

    python benchmarks/sync_benchmark.py                       # 100,000 users (about 4 minutes)
    python benchmarks/sync_benchmark.py --users 10000         # quicker
    python benchmarks/sync_benchmark.py --no-postgres --no-latency --repeat 1
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = Path(__file__).with_name("sync_scenarios.py")
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def zoom_server(users: int, *, latency: float = 0.0, seed: int = 1):
    """A SeededZoom in a child process; yields its connection settings. It stops when its stdin closes."""
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.zoom_server", "--users", str(users), "--latency", str(latency)]
        + ["--seed", str(seed)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield json.loads(server.stdout.readline())
    finally:
        server.stdin.close()
        server.wait(timeout=30)


@contextmanager
def postgres_database(admin_url: str):
    """A new, empty PostgreSQL database for the benchmark, dropped afterwards."""
    import sqlalchemy as sa

    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"seatkeeper_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'create database "{name}"'))
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


def measure(scenario: str, **options) -> dict:
    """Run one scenario in a fresh process and return its figures."""
    done = subprocess.run(
        [sys.executable, str(SCENARIOS), scenario, json.dumps(options)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{scenario} failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def median_of(runs: tuple[dict, ...]) -> dict:
    """The run with the median wall time, its peak memory replaced by the highest of all runs."""
    ordered = sorted(runs, key=lambda figures: figures.get("seconds", 0))
    middle = dict(ordered[len(ordered) // 2])
    if "peak_mib" in middle:
        middle["peak_mib"] = max(figures["peak_mib"] for figures in runs)
    return middle


def line(label: str, figures: dict, floor: dict | None = None, pairs: tuple = ()) -> None:
    """One row of the results table. With ``pairs`` (each attempt's run and the floor of the same attempt), the
    ratio is the median of the attempts' own ratios, each of them listed: the machine's load varies between
    attempts more than within one."""
    rate = figures["users"] / figures["seconds"]
    ratio = f"{figures['seconds'] / floor['seconds']:>8.2f}x" if floor else f"{'':>9}"
    if len(pairs) > 1:
        ratio = f"{statistics.median(run['seconds'] / own['seconds'] for run, own in pairs):>8.2f}x"
    # CPU time of the whole process, every thread (the test servers run in processes of their own): a wall time
    # close to it means the run waited for Python's interpreter lock, not for the network.
    extra = f"  CPU {figures['cpu_seconds']:.2f} s" if "cpu_seconds" in figures else ""
    if "new_seat_rows" in figures:
        extra += f", new seat rows: {figures['new_seat_rows']}, RSS after imports: {figures['import_mib']:.0f} MiB"
    if len(pairs) > 1:
        extra += "; each run: " + ", ".join(f"{run['seconds'] / own['seconds']:.2f}x" for run, own in pairs)
    print(
        f"{label:<46}{figures['seconds']:>8.2f} s{rate:>11,.0f}/s{ratio}{figures['peak_mib']:>9.0f} MiB{extra}",
        flush=True,
    )


def main() -> None:
    """Parse the options, run the scenarios, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000, help="users in the Zoom account (default 100,000)")
    parser.add_argument("--page-size", type=int, default=2000, help="users per page (Zoom's maximum: 2000)")
    parser.add_argument("--latency-ms", type=float, default=50, help="latency per request in the latency runs")
    parser.add_argument("--latency-page-size", type=int, default=300, help="page size in the latency runs")
    parser.add_argument("--connections", type=int, default=4, help="connections synced at once (latency runs)")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="PostgreSQL server to benchmark on")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each scenario; the median is shown (default 3)")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL runs")
    parser.add_argument("--no-latency", action="store_true", help="skip the latency runs")
    parser.add_argument("--latency-only", action="store_true", help="only the latency runs")
    options = parser.parse_args()
    n = options.users
    if options.latency_only:
        latency_runs(n, options.latency_ms / 1000, options.latency_page_size, options.connections)
        return

    print(
        f"seatkeeper sync benchmark: {n:,} Zoom users (70% active, 20% inactive, 10% pending), "
        f"median of {options.repeat} runs"
    )
    print(f"{'scenario':<46}{'wall':>10}{'users/s':>13}{'vs floor':>9}{'peak RSS':>13}")
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seatkeeper-bench-")))
        settings = stack.enter_context(zoom_server(n))
        page = {"page_size": options.page_size}
        runs = options.repeat

        def sqlite_runs(attempt: int) -> tuple[dict, dict, dict, dict]:
            floor_db, seatkeeper_db = work / f"floor-{attempt}.db", work / f"seatkeeper-{attempt}.db"
            floor = measure("floor", settings=settings, database_url=f"sqlite:///{floor_db}", **page)
            first = measure("sync", connections=[settings], database_url=f"sqlite:///{seatkeeper_db}", **page)
            again = measure("sync", connections=[settings], database_url=f"sqlite:///{seatkeeper_db}", **page)
            same = measure("compare", floor=str(floor_db), seatkeeper=str(seatkeeper_db))
            return floor, first, again, same

        floors, firsts, agains, sames = zip(*map(sqlite_runs, range(runs)), strict=True)
        floor, first, again = median_of(floors), median_of(firsts), median_of(agains)
        line(f"floor: requests + sqlite3 executemany ({options.page_size}/page)", floor)
        line("seatkeeper sync into SQLite, first", first, floor, tuple(zip(firsts, floors, strict=True)))
        line("seatkeeper sync into SQLite, unchanged", again, floor, tuple(zip(agains, floors, strict=True)))
        same = all(figures["same_seats"] and figures["same_activity"] for figures in sames)
        print(f"{'':<4}same seat and activity values as the floor, in every run: {same}")

        if not options.no_postgres:

            def postgres_runs(_attempt: int) -> tuple[dict, dict, dict]:
                with postgres_database(options.postgres_url) as floor_url:
                    floor = measure("floor", settings=settings, database_url=floor_url, **page)
                with postgres_database(options.postgres_url) as postgres:
                    first = measure("sync", connections=[settings], database_url=postgres, **page)
                    again = measure("sync", connections=[settings], database_url=postgres, **page)
                return floor, first, again

            pg_floors, pg_firsts, pg_agains = zip(*map(postgres_runs, range(runs)), strict=True)
            pg_floor, first, again = median_of(pg_floors), median_of(pg_firsts), median_of(pg_agains)
            line("floor: requests + psycopg executemany", pg_floor)
            line(
                "seatkeeper sync into PostgreSQL, first", first, pg_floor, tuple(zip(pg_firsts, pg_floors, strict=True))
            )
            line(
                "seatkeeper sync into PostgreSQL, unchanged",
                again,
                pg_floor,
                tuple(zip(pg_agains, pg_floors, strict=True)),
            )

    if not options.no_latency:
        latency_runs(n, options.latency_ms / 1000, options.latency_page_size, options.connections)


def latency_runs(n: int, latency: float, page_size: int, connections: int) -> None:
    """Each request waits ``latency``: the sequential page chain against seatkeeper's concurrent fetching."""
    print(f"\nwith {latency * 1000:.0f} ms per request, {page_size} users per page")
    page = {"page_size": page_size}
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seatkeeper-bench-")))
        one = [stack.enter_context(zoom_server(n, latency=latency))]
        chain = measure("fetch", connections=one, **page)
        line(f"sequential page chain: 1 account, {chain['pages']} requests", chain)
        fetched = measure("provider_fetch", connections=one, **page)
        line("the provider's own fetch, no database (the floor)", fetched, chain)
        synced = measure("sync", connections=one, database_url=f"sqlite:///{work / 'one.db'}", **page)
        line("seatkeeper sync, 3 status lists at once", synced, fetched)

        several = [
            stack.enter_context(zoom_server(n // connections, latency=latency, seed=index + 2))
            for index in range(connections)
        ]
        chains = measure("fetch", connections=several, **page)
        line(f"sequential page chains: {connections} accounts, {chains['pages']} requests", chains)
        fetched = measure("provider_fetch", connections=several, **page)
        line(f"the provider's fetch of {connections} accounts at once, no database (the floor)", fetched, chains)
        synced = measure("sync", connections=several, database_url=f"sqlite:///{work / 'many.db'}", **page)
        line(f"seatkeeper, {connections} connections synced at once", synced, fetched)


if __name__ == "__main__":
    main()
