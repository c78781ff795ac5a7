"""Helpers shared by the Google Workspace tests: a throwaway RSA key, the reference pack's data, a local server."""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from seatkeeper import FetchContext, Person, Rejected, SeatPlan, SeatRecord
from seatkeeper_google_workspace import GoogleWorkspaceProvider
from seatkeeper_google_workspace.fake_server import FakeGoogle, Snapshot

#: Tests of the local server lift --block-network for 127.0.0.1 only.
LOCALHOST_ONLY = pytest.mark.block_network(allowed_hosts=[r"^127\.0\.0\.1$"])
PACK = Path(__file__).resolve().parents[2] / ".." / "shared" / "google-workspace-api"
SERVICE_ACCOUNT = "seatkeeper-test@seatkeeper-test.iam.gserviceaccount.com"
CLIENT_ID = "109876543210987654321"
SUBJECT = "ana.nunez@example.com"  # an admin in the pack's examples
#: The Reports day the pack's usage example is for; tests run "now" three days later.
USAGE_DAY = date(2026, 11, 28)
NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def pack_file(*parts: str) -> Path:
    """A file of the reference pack; fails (not skips) when the pack is missing."""
    path = PACK.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"the Google Workspace reference pack is missing: {path} (CI copies shared/ beside the clone)")
    return path


def pack_json(name: str) -> Any:
    """An example page of the pack."""
    return json.loads(pack_file("examples", name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ServiceAccountKey:
    """A service-account key made for one test run: never a real one."""

    info: dict[str, Any]
    public_pem: str

    @property
    def private_key(self) -> str:
        return self.info["private_key"]

    def text(self) -> str:
        """The key file's JSON text."""
        return json.dumps(self.info)

    def write(self, folder: Path) -> Path:
        """Write the key file into ``folder``; returns its path."""
        path = folder / "service-account.json"
        path.write_text(self.text(), encoding="utf-8")
        return path


def make_key(token_uri: str = "https://oauth2.googleapis.com/token") -> ServiceAccountKey:
    """A fresh 2048-bit RSA service-account key (generated, so no private key is ever committed)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    info = {
        "type": "service_account",
        "project_id": "seatkeeper-test",
        "private_key_id": secrets.token_hex(20),
        "private_key": private_pem,
        "client_email": SERVICE_ACCOUNT,
        "client_id": CLIENT_ID,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }
    return ServiceAccountKey(info, public_pem)


_KEY: ServiceAccountKey | None = None


def shared_key() -> ServiceAccountKey:
    """One key per test session (RSA generation takes a moment)."""
    global _KEY
    if _KEY is None:
        _KEY = make_key()
    return _KEY


def pack_users() -> list[dict[str, Any]]:
    """The users of the pack's three Directory pages."""
    users: list[dict[str, Any]] = []
    for number in (1, 2, 3):
        users += pack_json(f"directory-users-list-page{number}.json")["users"]
    return users


def pack_assignments() -> list[tuple[str, str, str, str]]:
    """The licence assignments of the pack's two Licensing pages."""
    rows = []
    for number in (1, 2):
        for item in pack_json(f"licensing-list-for-product-page{number}.json")["items"]:
            rows.append((item["userId"], item["productId"], item["skuId"], item["skuName"]))
    return rows


def pack_usage() -> dict[str, int]:
    """The counters of the pack's customer usage example."""
    report = pack_json("reports-customer-usage-accounts.json")["usageReports"][0]
    return {
        parameter["name"].removeprefix("accounts:"): int(parameter["intValue"]) for parameter in report["parameters"]
    }


def pack_snapshot(**changes: Any) -> Snapshot:
    """The pack's customer as one snapshot of the local server."""
    values = {
        "users": pack_users(),
        "assignments": pack_assignments(),
        "usage": pack_usage(),
        "usage_date": USAGE_DAY,
        "customer_id": pack_json("directory-customer-my_customer.json")["id"],
    }
    values.update(changes)
    return Snapshot(**values)


@contextlib.contextmanager
def fake_google(
    snapshots: Iterable[Snapshot] | None = None, key: ServiceAccountKey | None = None, **kwargs: Any
) -> Iterator[FakeGoogle]:
    """The local Google-compatible server, knowing ``key``'s public half."""
    key = key or shared_key()
    snapshots = list(snapshots) if snapshots is not None else [pack_snapshot()]
    with FakeGoogle(
        snapshots, client_email=key.info["client_email"], public_key=key.public_pem, client_id=CLIENT_ID, **kwargs
    ) as server:
        yield server


def server_settings(
    server: FakeGoogle, snapshot: int | None = None, key: ServiceAccountKey | None = None, **extra: str
) -> dict[str, str]:
    """Settings for a connection to ``server`` with the key given inline (as ``key_json_env`` would)."""
    key = key or shared_key()
    return {**server.settings(snapshot), "key_json": key.text(), "subject": SUBJECT, **extra}


class Waits(list):
    """An injectable ``sleep`` that records the waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def provider(**kwargs: Any) -> GoogleWorkspaceProvider:
    """A provider that records its waits instead of sleeping, at the pack's date."""
    kwargs.setdefault("sleep", Waits())
    kwargs.setdefault("now", lambda: NOW)
    return GoogleWorkspaceProvider(**kwargs)


@dataclass
class Fetched:
    """What one authenticate + fetch yielded, with the warnings and progress calls."""

    items: list[Any]
    warnings: list[str] = field(default_factory=list)
    progress: list[dict] = field(default_factory=list)

    @property
    def seats(self) -> list[SeatRecord]:
        return [item for item in self.items if isinstance(item, SeatRecord)]

    @property
    def people(self) -> list[Person]:
        return [item for item in self.items if isinstance(item, Person)]

    @property
    def plans(self) -> list[SeatPlan]:
        return [item for item in self.items if isinstance(item, SeatPlan)]

    @property
    def rejected(self) -> list[Rejected]:
        return [item for item in self.items if isinstance(item, Rejected)]


def fetch(google: GoogleWorkspaceProvider, settings: dict[str, str]) -> Fetched:
    """Authenticate and fetch everything, as the engine would (the session is closed after)."""
    fetched = Fetched([])
    context = FetchContext(
        "google-test", settings, progress=lambda **kw: fetched.progress.append(kw), warnings=fetched.warnings
    )
    session = google.authenticate(settings)
    try:
        fetched.items = list(google.fetch(session, context))
    finally:
        session.close()
    return fetched
