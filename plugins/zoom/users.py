"""Listing every Zoom user: the three status lists, page by page, fetched concurrently and streamed.

``GET /users`` lists one status at a time (``active`` by default!), so a full inventory follows three
``next_page_token`` chains. They run in a thread each, feeding a small queue each; the consumer takes the
pages in a fixed order (page 1 of each list, then page 2, ...) and maps each one, so memory holds a handful of
pages whatever the account's size, and the order of the users never depends on thread timing.
"""

from __future__ import annotations

import math
import queue
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from seatkeeper import FetchContext, Rejected, SeatRecord
from seatkeeper.errors import BadProviderData

from .client import ZoomClient
from .mapping import USER_TYPES, map_user, user_type_of

ALL_STATUSES = ("active", "inactive", "pending")

#: Seconds between checks of the stop flag while a thread waits for room in the queue.
_POLL = 0.05
#: Pages a list may run past the count its first page announced (users added during the sync), at least.
PAGE_MARGIN = 3
#: Pages a list may have when its first page announces neither ``page_count`` nor ``total_records``.
UNANNOUNCED_PAGE_LIMIT = 10_000


@dataclass(frozen=True)
class Page:
    """One page of one status list: its users and, on the first page, the list's ``total_records``."""

    status: str
    number: int
    users: list
    total_records: int | None


def _ordinal_page(number: int, status: str) -> str:
    return f"page {number} of the {status} users (GET /users?status={status})"


def page_limit(first: dict, page_size: int) -> int:
    """How many pages a list may have, from what its first page announces (``page_count``, ``total_records``).

    The margin lets users added during the sync through; without any announcement the limit is generous.
    """
    estimates = []
    if (pages := _count(first.get("page_count"))) is not None:
        estimates.append(pages)
    if (total := _count(first.get("total_records"))) is not None:
        estimates.append(math.ceil(total / (_count(first.get("page_size")) or page_size)))
    if not estimates:
        return UNANNOUNCED_PAGE_LIMIT
    pages = max(estimates)  # the larger, should one of them be off
    return pages + max(PAGE_MARGIN, pages // 10)


def iter_pages(client: ZoomClient, status: str, page_size: int) -> Iterator[Page]:
    """Yield the pages of one status list, following ``next_page_token`` until it is empty or absent.

    :raises BadProviderData: a page is not a user-list envelope, Zoom repeats a page token, or it keeps giving
        new tokens well past the number of pages its first page announced.
    """
    params: dict[str, object] = {"status": status, "page_size": page_size}
    seen_tokens: set[str] = set()
    number = 0
    limit = UNANNOUNCED_PAGE_LIMIT
    while True:
        number += 1
        what = _ordinal_page(number, status)
        body = client.get("/users", params, what=what)
        users = body.get("users")
        total = _count(body.get("total_records"))
        if number == 1:
            limit = page_limit(body, page_size)
        if users is None and total == 0:
            users = []
        if not isinstance(users, list):
            raise BadProviderData(f"Zoom answered {what} without a users list")
        yield Page(status, number, users, total)
        token = body.get("next_page_token")
        if token in (None, ""):
            return
        if not isinstance(token, str):
            raise BadProviderData(f"Zoom answered {what} with a next_page_token that is not text")
        if token in seen_tokens:
            raise BadProviderData(f"Zoom answered {what} with a next_page_token it had already given")
        if number >= limit:
            raise BadProviderData(
                f"Zoom kept sending a next_page_token after {number} pages of the {status} users (GET "
                f"/users?status={status}), more than its first page announced: the sync stopped instead of "
                "paging forever; try again later"
            )
        seen_tokens.add(token)
        params = {"status": status, "page_size": page_size, "next_page_token": token}


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def stream_pages(client: ZoomClient, statuses: Sequence[str], page_size: int, workers: int = 3) -> Iterator[Page]:
    """Yield the pages of all ``statuses``, fetching up to ``workers`` lists at once.

    The order does not depend on thread timing: the lists go in groups of ``workers``, and within a group
    page 1 of each list comes in the order of ``statuses``, then page 2 of each, and so on (a list that has
    ended drops out). A failure in any list stops the others and is raised here. Closing the generator early
    stops the threads (each finishes at most the request it is in).
    """
    workers = max(1, min(workers, len(statuses)))
    for start in range(0, len(statuses), workers):
        group = statuses[start : start + workers]
        if len(group) == 1:
            yield from iter_pages(client, group[0], page_size)
        else:
            yield from _interleaved(client, group, page_size)


def _interleaved(client: ZoomClient, statuses: Sequence[str], page_size: int) -> Iterator[Page]:
    """The pages of ``statuses`` fetched in a thread each, yielded round-robin by page number."""
    feeds: list[queue.Queue] = [queue.Queue(maxsize=2) for _ in statuses]
    stop = threading.Event()
    failures: list[BaseException] = []
    done = object()

    def offer(feed: queue.Queue, item: object) -> bool:
        while not stop.is_set():
            try:
                feed.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def work(status: str, feed: queue.Queue) -> None:
        try:
            for page in iter_pages(client, status, page_size):
                if not offer(feed, page):
                    return
        except BaseException as error:  # handed to the consumer, which re-raises it
            failures.append(error)
            stop.set()
            return
        offer(feed, done)

    threads = [
        threading.Thread(target=work, args=(status, feed), name=f"seatkeeper-zoom-{status}", daemon=True)
        for status, feed in zip(statuses, feeds, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        running = list(feeds)
        while running:
            for feed in list(running):
                item = _next(feed, failures)
                if item is done:
                    running.remove(feed)
                else:
                    yield item
    finally:
        stop.set()
        for feed in feeds:  # free the threads blocked on a full queue
            while True:
                try:
                    feed.get_nowait()
                except queue.Empty:
                    break
        for thread in threads:
            thread.join(timeout=2.0)


def _next(feed: queue.Queue, failures: list[BaseException]) -> object:
    """The next item of ``feed``; raises the first failure of any thread as soon as there is one."""
    while True:
        if failures:
            raise failures[0]
        try:
            return feed.get(timeout=_POLL)
        except queue.Empty:
            continue


class _Tally:
    """Per-fetch bookkeeping for progress and end-of-fetch warnings."""

    def __init__(self, context: FetchContext) -> None:
        self.context = context
        self.total = 0
        self.expected: dict[str, int] = {}
        self.listed: Counter[str] = Counter()
        self.unknown_types: Counter[int] = Counter()

    def page(self, page: Page) -> None:
        """Count a page; on a list's first page, grow the progress total by its ``total_records``."""
        if page.number == 1 and page.total_records is not None:
            self.expected[page.status] = page.total_records
            self.total += page.total_records
            self.context.progress(total=self.total)
        self.listed[page.status] += len(page.users)

    def user(self, raw: object, item: SeatRecord | Rejected) -> None:
        """Note a mapped user whose Zoom type is unknown."""
        zoom_type = user_type_of(raw)
        if isinstance(item, SeatRecord) and zoom_type is not None and zoom_type not in USER_TYPES:
            self.unknown_types[zoom_type] += 1

    def warn_at_end(self) -> None:
        """Warn once per unknown user type, and once per list whose length differs from its total."""
        for zoom_type, count in sorted(self.unknown_types.items()):
            users = "1 Zoom user has" if count == 1 else f"{count} Zoom users have"
            self.context.warn(
                f"{users} user type {zoom_type}, which seatkeeper does not know: recorded as licence type "
                f"'Unknown (type {zoom_type})' and counted as free; check them in the Zoom admin portal"
            )
        for status, expected in self.expected.items():
            if self.listed[status] != expected:
                self.context.warn(
                    f"Zoom announced {expected} {status} users but listed {self.listed[status]}: users changed "
                    "during the sync; the next sync will catch up"
                )


def fetch_users(
    client: ZoomClient,
    context: FetchContext,
    *,
    page_size: int = 300,
    statuses: Sequence[str] = ALL_STATUSES,
    workers: int = 3,
) -> Iterator[SeatRecord | Rejected]:
    """Yield a :class:`SeatRecord` (or :class:`Rejected`) for every user of every status, page by page.

    Calls ``context.progress`` with the announced total as each list starts and with ``advance`` per page,
    and ``context.warn`` once per unknown user type and per list whose length differs from its total.
    """
    tally = _Tally(context)
    for page in stream_pages(client, statuses, page_size, workers):
        tally.page(page)
        status = page.status
        for raw in page.users:
            item = map_user(raw, status)
            zoom_type = raw.get("type") if type(raw) is dict else None
            if type(zoom_type) is not int or zoom_type not in USER_TYPES:  # rare: only these can be unknown types
                tally.user(raw, item)
            yield item
        context.progress(advance=len(page.users))
    tally.warn_at_end()
