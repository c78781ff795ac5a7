"""How fast seatkeeper syncs a large Google Workspace customer, against the floor of fetching the same pages.

Starts the local Google server (tests/google_server, in a process of its own) with N generated users, each
holding two SKUs (a Workspace edition and a Gemini add-on, two Licensing products), then runs each scenario in a
fresh process and prints wall time, its ratio to the floor measured in the same run, and peak memory
(``ru_maxrss`` of that process, interpreter and imports included):

- floor: bare ``requests`` fetching the same pages one after the other (one token, the customer, both products'
  assignment pages at 1000 a page, the Directory at 500 a page, the usage report) and decoding their JSON;
- fetch: the provider's ``authenticate`` + ``fetch``, every item built and dropped (seats, people, plans);
- sync: the same through seatkeeper's sync engine into a fresh SQLite file;
- with ``--latency`` (default 50 ms per request) the floor and the fetch again (the provider lists its two
  products at once; the floor is sequential).

A benchmark that prints figures, not a test::

    python benchmarks/google_workspace_benchmark.py                 # 100,000 users
    python benchmarks/google_workspace_benchmark.py --users 10000 --repeat 1
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICE_ACCOUNT = "bench@seatkeeper-bench.iam.gserviceaccount.com"


def make_key(folder: Path) -> tuple[Path, Path]:
    """A throwaway service-account key file and its public key file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    info = {
        "type": "service_account",
        "private_key": private.decode(),
        "client_email": SERVICE_ACCOUNT,
        "client_id": "1",
        "private_key_id": "bench",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    key_file, public_file = folder / "key.json", folder / "public.pem"
    key_file.write_text(json.dumps(info), encoding="utf-8")
    public_file.write_bytes(public)
    return key_file, public_file


@contextmanager
def google_server(users: int, public_file: Path, latency: float = 0.0):
    """The local server in a child process; yields its settings. It stops when its stdin closes."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.google_server",
            "--users",
            str(users),
            "--latency",
            str(latency),
            "--client-email",
            SERVICE_ACCOUNT,
            "--public-key-file",
            str(public_file),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield json.loads(server.stdout.readline())
    finally:
        server.stdin.close()
        server.wait(timeout=60)


def measure(scenario: str, settings: dict) -> dict:
    """Run one scenario in a fresh process; its figures."""
    done = subprocess.run(
        [sys.executable, __file__, "--scenario", scenario, json.dumps(settings)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"scenario {scenario} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- scenarios (each in its own process) ----------------------------------------------------------------


def _provider():
    from seatkeeper_google_workspace import GoogleWorkspaceProvider

    return GoogleWorkspaceProvider(workers=2)


def scenario_floor(settings: dict) -> dict:
    """Bare requests: the same pages one after the other, JSON decoded, nothing kept."""
    import requests

    from seatkeeper_google_workspace.auth import TokenSource, build_credentials, load_key, scopes_for
    from seatkeeper_google_workspace.transport import Transport

    started = time.perf_counter()
    info = load_key(settings)
    credentials = build_credentials(info, settings["subject"], scopes_for(True), settings["token_uri"])
    token = TokenSource(credentials, Transport(), settings["subject"], token_uri=settings["token_uri"]).token()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    admin, licensing = settings["admin_url"], settings["licensing_url"]
    customer = session.get(f"{admin}/admin/directory/v1/customers/my_customer").json()["id"]
    pages = items = 0

    def chain(url: str, params: dict, key: str) -> None:
        """Follow one nextPageToken chain."""
        nonlocal pages, items
        while True:
            body = session.get(url, params=params).json()
            pages += 1
            items += len(body.get(key, []))
            if not body.get("nextPageToken"):
                return
            params = {**params, "pageToken": body["nextPageToken"]}

    for product in ("Google-Apps", "101047", "101068", "101031", "101037"):
        chain(
            f"{licensing}/apps/licensing/v1/product/{product}/users",
            {"customerId": customer, "maxResults": 1000},
            "items",
        )
    chain(
        f"{admin}/admin/directory/v1/users",
        {"customer": "my_customer", "maxResults": 500, "projection": "full"},
        "users",
    )
    session.get(f"{admin}/admin/reports/v1/usage/dates/2026-11-28", params={"customerId": customer}).json()
    return {"seconds": time.perf_counter() - started, "pages": pages, "items": items}


def scenario_fetch(settings: dict) -> dict:
    """The provider: authenticate and fetch, every item built and dropped."""
    from collections import Counter

    from seatkeeper import FetchContext
    from seatkeeper.testing import resolve

    google = _provider()
    resolved = resolve(google, settings)
    started = time.perf_counter()
    session = google.authenticate(resolved)
    kinds = Counter(type(item).__name__ for item in google.fetch(session, FetchContext("bench", resolved)))
    session.close()
    return {"seconds": time.perf_counter() - started, **kinds}


def scenario_sync(settings: dict) -> dict:
    """The provider through the sync engine into a fresh SQLite file."""
    from seatkeeper.testing import open_database, sync

    with tempfile.TemporaryDirectory() as folder:
        engine = open_database(Path(folder) / "bench.db")
        started = time.perf_counter()
        result = sync(engine, _provider(), settings)
        seconds = time.perf_counter() - started
        engine.dispose()
    assert result.ok, result.error
    return {"seconds": seconds, "seats": result.counts["seen"]}


def run_scenario(name: str, settings: dict) -> None:
    """Run one scenario in this process and print its figures (with peak RSS) as JSON."""
    figures = globals()[f"scenario_{name}"](settings)
    figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


# ---- the run ----------------------------------------------------------------------------------------------


def best(scenario: str, settings: dict, repeat: int) -> dict:
    """The fastest of ``repeat`` runs of a scenario, each in a fresh process."""
    runs = [measure(scenario, settings) for _ in range(repeat)]
    return min(runs, key=lambda figures: figures["seconds"])


def main() -> None:
    """Run the benchmark, or one scenario when called by it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario; the fastest counts")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("settings", nargs="?", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.scenario:
        run_scenario(options.scenario, json.loads(options.settings))
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        key_file, public_file = make_key(Path(folder))
        runs = [(0.0, ("floor", "fetch", "sync"))]
        if options.latency:
            runs.append((options.latency, ("floor", "fetch")))
        for latency, scenarios in runs:
            with google_server(options.users, public_file, latency) as server:
                settings = {**server, "key_file": str(key_file)}
                figures = {name: best(name, settings, options.repeat if not latency else 1) for name in scenarios}
            floor = figures["floor"]["seconds"]
            for name, result in figures.items():
                rows.append(
                    (
                        f"{name}{f' ({latency * 1000:.0f} ms latency)' if latency else ''}",
                        result,
                        result["seconds"] / floor,
                    )
                )
    print(f"{options.users:,} users, two SKUs each ({2 * options.users:,} seats)")
    print(f"{'scenario':<28} {'seconds':>8} {'x floor':>8} {'peak RSS MiB':>13}")
    for name, result, ratio in rows:
        print(f"{name:<28} {result['seconds']:>8.2f} {ratio:>8.2f} {result['peak_rss_mib']:>13.0f}")


if __name__ == "__main__":
    main()
