"""Per-user add-ons (large meeting, webinar, Zoom Phone ...) from ``GET /users/{userId}/settings``.

Optional (setting ``fetch_addons``): one request per user with an id, in the Medium rate-limit category. The
requests run in a small thread pool over a bounded window of the user stream, so memory stays flat and the
records come out in the order they went in. Throttling is the transport's job: every 429 is retried after its
``Retry-After``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from seatkeeper import Rejected, SeatRecord, SeatStatus
from seatkeeper.errors import ConfigError, PermissionDenied

from .client import USER_NOT_FOUND_CODE, ZoomApiError, ZoomClient

SETTINGS_SCOPE = "user:read:settings:admin"
#: Zoom's answer for a user whose invitation expired: its id is no longer valid.
INVITATION_NOT_FOUND_CODE = 1120
#: ``feature`` flags that are settings, not licences (hosting meetings in China or India).
NOT_ADDONS = frozenset({"cn_meeting", "in_meeting"})
#: Old names of a licence, mapped to the current one so a rename in Zoom's answer is no change.
ALIASES = {"zoom_iq_for_sales": "zoom_revenue_accelerator"}
#: Add-ons whose capacity Zoom gives, and the field it is in.
CAPACITY_FIELDS = {
    "large_meeting": "large_meeting_capacity",
    "webinar": "webinar_capacity",
    "zoom_events": "zoom_events_capacity",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TRUE, FALSE = "true", "false"


def addons_enabled(settings: Mapping[str, str]) -> bool:
    """The ``fetch_addons`` setting as a bool (absent means off).

    :raises ConfigError: it is neither "true" nor "false".
    """
    value = str(settings.get("fetch_addons") or FALSE).strip().lower()
    if value not in (TRUE, FALSE):
        shown = str(settings.get("fetch_addons"))[:40]
        raise ConfigError(
            f'the Zoom setting fetch_addons must be "true" or "false", not {shown!r}: check ZOOM_FETCH_ADDONS '
            "or the connection's fetch_addons"
        )
    return value == TRUE


def addons_of(feature: Mapping[str, Any]) -> tuple[list[str], dict[str, int]]:
    """The add-ons a ``feature`` block grants (sorted names) and the capacities Zoom gives for them.

    Every flag that is ``true`` counts, so licences Zoom adds later show up without a code change.
    """
    names = set()
    for key, value in feature.items():
        if value is True and key not in NOT_ADDONS and _NAME.match(key):
            names.add(ALIASES.get(key, key))
    if feature.get("concurrent_meeting") == "Plus":
        names.add("concurrent_meeting_plus")
    capacities = {}
    for name, capacity_field in CAPACITY_FIELDS.items():
        capacity = feature.get(capacity_field)
        if name in names and isinstance(capacity, int) and not isinstance(capacity, bool) and capacity > 0:
            capacities[name] = capacity
    return sorted(names), capacities


def needs_settings(item: object) -> bool:
    """Whether an item is a user whose settings can be asked for (a record with an id, not an invitation)."""
    return isinstance(item, SeatRecord) and bool(item.user_id) and item.status is not SeatStatus.PENDING


def read_addons(client: ZoomClient, record: SeatRecord) -> SeatRecord | Rejected:
    """``record`` with its add-ons in ``extras`` (``addons``, ``addon_capacities``), from the user's settings.

    A user Zoom no longer knows (deleted during the sync) comes back as :class:`Rejected` with its key, so its
    stored seat is kept as it is until the next sync.

    :raises PermissionDenied: the app lacks the settings scope (every user would fail the same way).
    """
    what = f"the settings of user {record.user_id} (GET /users/{{userId}}/settings)"
    try:
        body = client.get(f"/users/{quote(record.user_id or '', safe='')}/settings", what=what)
    except PermissionDenied:
        raise PermissionDenied(
            f"fetch_addons is on but the Zoom app lacks the scope {SETTINGS_SCOPE}: add it to the Zoom app "
            '(Zoom App Marketplace > Manage > your app > Scopes), or set fetch_addons to "false"'
        ) from None
    except ZoomApiError as error:
        if error.code in (USER_NOT_FOUND_CODE, INVITATION_NOT_FOUND_CODE):
            return Rejected(
                reason=f"Zoom user {record.email or record.user_id}: its add-ons could not be read ({error.detail}); "
                "kept as it was, the next sync will catch up",
                key=record.key,
            )
        raise
    feature = body.get("feature")
    if feature is None:
        feature = {}
    if not isinstance(feature, Mapping):
        return Rejected(
            reason=f"Zoom user {record.email or record.user_id}: its settings hold a feature block that is not an "
            "object; kept as it was",
            key=record.key,
        )
    names, capacities = addons_of(feature)
    extras = {k: v for k, v in record.extras.items() if k not in ("addons", "addon_capacities")}
    # Written only when there is something: users without add-ons keep the extras they had before the setting
    # was switched on, so switching it on does not open a history interval for every user.
    if names:
        extras["addons"] = names
    if capacities:
        extras["addon_capacities"] = capacities
    return SeatRecord.model_validate({**record.model_dump(), "extras": extras})


def with_addons(
    client: ZoomClient, items: Iterable[Any], *, workers: int = 3, window: int | None = None
) -> Iterator[Any]:
    """Yield ``items`` in order, each user record with its add-ons read from Zoom.

    Up to ``workers`` settings requests run at once (1: one after the other, in the calling thread), over a
    window of at most ``window`` items (default ``4 * workers``) read ahead of the one yielded. Closing the
    generator early cancels what has not started.
    """
    if workers <= 1:
        for item in items:
            yield read_addons(client, item) if needs_settings(item) else item
        return
    window = window or 4 * workers
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seatkeeper-zoom-addons")
    ahead: deque[tuple[Any, Future | None]] = deque()
    try:
        for item in items:
            ahead.append((item, pool.submit(read_addons, client, item) if needs_settings(item) else None))
            while len(ahead) >= window:
                yield _finished(ahead.popleft())
        while ahead:
            yield _finished(ahead.popleft())
    finally:
        for _, future in ahead:
            if future is not None:
                future.cancel()
        pool.shutdown(wait=False, cancel_futures=True)


def _finished(entry: tuple[Any, Future | None]) -> Any:
    item, future = entry
    return item if future is None else future.result()
