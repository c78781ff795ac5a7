"""Microsoft 365 sync against the local Graph server: seatkeeper against a floor of bare ``requests``.

A tenant of ``--users`` users (default 100,000) with two SKUs each (E3 and Copilot: 200,000 seats) is served by
``seatkeeper_microsoft365.server.FakeGraph`` in a process of its own. Each scenario runs in a fresh process,
which reports its wall time and peak RSS (``ru_maxrss``: interpreter and imports included):

- floor: a token POST, then the same ``/users`` pages (the same ``$top`` and ``$select``) with bare
  ``requests``, each page parsed with ``json``, plus ``/subscribedSkus``: the least any client must do;
- provider fetch only: the provider's ``authenticate`` and every item of ``fetch`` (MSAL token, paging, mapping to
  seats, people and plans), nothing stored: the plugin's own cost;
- seatkeeper: a full sync through the real engine into a fresh SQLite file;
- both again with 50 ms of latency added by the server to every request.

Ratios are to the floor measured in the same run. Usage::

    python benchmarks/microsoft365_benchmark.py              # 100,000 users
    python benchmarks/microsoft365_benchmark.py --users 10000
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965"
COPILOT = "639dec6b-bb19-468b-871c-c5c441c4b0cb"
SECRET = "benchmark-secret-not-a-real-one"


def tenant(users: int):
    """The benchmark tenant."""
    from seatkeeper_microsoft365.server import Tenant

    made = []
    for index in range(users):
        mail = f"user{index}@bench.example"
        made.append(
            {
                "id": f"00000000-0000-4000-8000-{index:012d}",
                "userPrincipalName": mail,
                "mail": mail,
                "displayName": f"User {index}",
                "accountEnabled": index % 10 != 0,
                "assignedLicenses": [{"skuId": E3, "disabledPlans": []}, {"skuId": COPILOT, "disabledPlans": []}],
                "department": ("Engineering", "Sales", "Finance")[index % 3],
                "jobTitle": "Engineer",
                "createdDateTime": "2024-01-01T00:00:00Z",
                "userType": "Member",
                "externalUserState": None,
                "proxyAddresses": [f"SMTP:{mail}"],
                "otherMails": [],
                "employeeOrgData": {"costCenter": "CC-1", "division": None},
                "deletedDateTime": None,
                "signInActivity": {"lastSuccessfulSignInDateTime": "2026-11-30T08:00:00Z"},
            }
        )
    skus = [
        {
            "skuId": sku,
            "skuPartNumber": part,
            "prepaidUnits": {"enabled": users, "warning": 0, "suspended": 0, "lockedOut": 0},
        }
        for sku, part in ((E3, "SPE_E3"), (COPILOT, "Microsoft_365_Copilot"))
    ]
    return Tenant("bench.onmicrosoft.com", "7d3c1a52-9b1e-4c55-8f0e-2a6d4e8b9c01", SECRET, users=made, skus=skus)


def serve(users: int, latency: float, pipe) -> None:
    """The server process: serve the tenant until told to stop."""
    from seatkeeper_microsoft365.server import FakeGraph

    with FakeGraph([tenant(users)]) as server:
        if latency:

            def slow(_request, _server):
                time.sleep(latency)

            server.intercepts.append(slow)
        pipe.send(server.settings())
        pipe.recv()


def floor(settings: dict) -> int:
    """Token, SKUs and every users page with bare requests; returns the users read."""
    import json

    import requests

    from seatkeeper_microsoft365.users import user_params

    session = requests.Session()
    session.verify = settings["ca_bundle"]
    base = settings["authority_url"] + "/" + settings["tenant_id"]
    token = session.post(
        base + "/oauth2/v2.0/token",
        data={
            "client_id": settings["client_id"],
            "client_secret": settings["client_secret"],
            "grant_type": "client_credentials",
            "scope": settings["authority_url"] + "/.default",
        },
        verify=settings["ca_bundle"],
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    session.get(settings["graph_url"] + "/subscribedSkus", headers=headers, verify=settings["ca_bundle"]).json()
    url, params, count = settings["graph_url"] + "/users", user_params(sign_in=True), 0
    while url:
        page = json.loads(session.get(url, params=params, headers=headers, verify=settings["ca_bundle"]).content)
        count += len(page["value"])
        url, params = page.get("@odata.nextLink"), None
    return count


def seatkeeper_fetch(settings: dict) -> int:
    """The provider alone: authenticate and consume every item of ``fetch`` (no engine, nothing stored)."""
    from seatkeeper import FetchContext, SeatRecord
    from seatkeeper_microsoft365 import Microsoft365Provider

    provider = Microsoft365Provider()
    session = provider.authenticate(settings)
    try:
        return sum(isinstance(item, SeatRecord) for item in provider.fetch(session, FetchContext("m365", settings)))
    finally:
        session.close()


def seatkeeper_sync(settings: dict) -> int:
    """A full sync through the engine into a fresh SQLite file; returns the seats seen."""
    from seatkeeper import db
    from seatkeeper.config import ConnectionConfig
    from seatkeeper.sync import sync_connection
    from seatkeeper_microsoft365 import Microsoft365Provider

    provider = Microsoft365Provider()
    with tempfile.TemporaryDirectory() as directory:
        engine = db.open_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        try:
            result = sync_connection(engine, ConnectionConfig("m365", provider.name), provider, settings)
        finally:
            engine.dispose()
    assert result.ok, result.error
    return result.counts["seen"]


def scenario(name: str, settings: dict, queue) -> None:
    """Run one scenario in this (fresh) process and report wall time, count and peak RSS."""
    started = time.perf_counter()
    count = {"floor": floor, "fetch": seatkeeper_fetch, "sync": seatkeeper_sync}[name](settings)
    wall = time.perf_counter() - started
    queue.put((wall, count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def run(name: str, settings: dict) -> tuple[float, int, float]:
    """One scenario in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=scenario, args=(name, settings, queue))
    process.start()
    outcome = queue.get()
    process.join()
    return outcome


LABELS = {
    "floor": "floor: bare requests",
    "fetch": "provider fetch only (no engine)",
    "sync": "seatkeeper sync into SQLite",
}


def main() -> None:
    """Run the scenarios and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request (0: skip)")
    arguments = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    print(f"{arguments.users:,} users x 2 SKUs; pages of 500 (signInActivity selected)")
    print(f"{'scenario':<52} {'wall':>8} {'count':>9} {'vs floor':>9} {'peak RSS':>9}")
    for latency in (0.0, arguments.latency) if arguments.latency else (0.0,):
        parent, child = context.Pipe()
        server = context.Process(target=serve, args=(arguments.users, latency, child))
        server.start()
        settings = parent.recv()
        try:
            suffix = f", {latency * 1000:.0f} ms per request" if latency else ""
            floor_wall = None
            for name in ("floor", "fetch", "sync"):
                wall, count, rss = run(name, settings)
                floor_wall = floor_wall or wall
                ratio = "" if name == "floor" else f"{wall / floor_wall:.2f}x"
                label = LABELS[name] + suffix
                print(f"{label:<52} {wall:>7.2f}s {count:>9,} {ratio:>9} {rss:>6.0f} MiB")
        finally:
            parent.send("stop")
            server.join()


if __name__ == "__main__":
    main()
