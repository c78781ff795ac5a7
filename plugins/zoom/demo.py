"""The Zoom demo: a fictional company's account over five monthly snapshots, served by :class:`FakeZoom`.

The demo syncs with ``fetch_addons`` on, and its account reports plan usage, so its history shows add-ons and
its reports purchased against assigned seats.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

from seatkeeper import DemoSnapshot

from .fake_server import FakeZoom

DATA_FILE = "zoom_demo.json"
#: Sample monthly list prices per licence type for the demo's reports (USD, monthly billing; not a quote).
DEMO_PRICES = {"Licensed": 15.99}
#: Credentials of the demo's fake account: not anybody's secret.
DEMO_CREDENTIALS = {
    "account_id": "demo-account-tidewater",
    "client_id": "demo-client-id",
    "client_secret": "demo-client-secret-not-a-real-one",
}
#: Settings of the demo connection besides the server's URLs and credentials.
DEMO_SETTINGS = {"fetch_addons": "true"}
TIME_FIELDS = ("user_created_at", "last_login_time")
_RELATIVE = re.compile(r"^@(\d+)-(\d+(?:\.\d+)?)$")


def load_demo_data() -> dict[str, Any]:
    """The bundled demo account (see ``demo_data/generate.py`` for its format)."""
    text = resources.files(__package__).joinpath("demo_data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def snapshot_dates(now: datetime, count: int) -> list[datetime]:
    """``count`` dates, oldest first: 09:00 UTC on the 2nd day of each of the previous ``count - 1`` months,
    then ``now``."""
    now = now.astimezone(UTC).replace(microsecond=0)
    dates = []
    for months_back in range(count - 1, 0, -1):
        year, month = divmod(now.year * 12 + now.month - 1 - months_back, 12)
        dates.append(datetime(year, month + 1, 2, 9, 0, tzinfo=UTC))
    dates.append(now)
    return dates


def resolve_time(value: str, dates: Sequence[datetime]) -> str:
    """Turn ``"@K-D"`` (D days before snapshot K) into Zoom's ``YYYY-MM-DDTHH:MM:SSZ``."""
    match = _RELATIVE.match(value)
    if match is None:
        return value
    when = dates[int(match.group(1))] - timedelta(days=float(match.group(2)))
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def account_snapshots(data: dict[str, Any], dates: Sequence[datetime]) -> list[list[dict[str, Any]]]:
    """The raw Zoom users of each snapshot, with times resolved against ``dates``."""
    snapshots: list[list[dict[str, Any]]] = []
    for index in range(data["snapshots"]):
        users = []
        for user in data["users"]:
            state = user["states"][index]
            if state is None:
                continue
            raw = {key: value for key, value in user.items() if key != "states"}
            raw.update(state)
            raw["created_at"] = raw["user_created_at"]
            for field in TIME_FIELDS + ("created_at",):
                if isinstance(raw.get(field), str):
                    raw[field] = resolve_time(raw[field], dates)
            users.append(raw)
        snapshots.append(users)
    return snapshots


@contextlib.contextmanager
def demo_snapshots(now: datetime | None = None) -> Iterator[list[DemoSnapshot]]:
    """Start the fake Zoom server with the demo account and yield one :class:`DemoSnapshot` per month."""
    data = load_demo_data()
    dates = snapshot_dates(now or datetime.now(UTC), data["snapshots"])
    with FakeZoom(account_snapshots(data, dates), plans=data["plans"], **DEMO_CREDENTIALS) as server:
        yield [
            DemoSnapshot(
                at=at, settings={**server.settings(index), **DEMO_SETTINGS}, prices=DEMO_PRICES, currency="USD"
            )
            for index, at in enumerate(dates)
        ]
