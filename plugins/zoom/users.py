"""Listing every Zoom user: the three status lists, page by page, fetched concurrently and streamed.

``GET /users`` lists one status at a time (``active`` by default!), so a full inventory follows three
``next_page_token`` chains. They run in a few threads feeding a bounded queue; the consumer maps each page
as it arrives, so memory holds a handful of pages whatever the account's size.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Page:
    """One page of one status list: its users and, on the first page, the list's ``total_records``."""

    status: str
    number: int
    users: list
    total_records: int | None


def _ordinal_page(number: int, status: str) -> str:
    return f"page {number} of the {status} users (GET /users?status={status})"


def iter_pages(client: ZoomClient, status: str, page_size: int) -> Iterator[Page]:
    """Yield the pages of one status list, following ``next_page_token`` until it is empty or absent.

    :raises BadProviderData: a page is not a user-list envelope, or Zoom repeats a page token.
    """
    params: dict[str, object] = {"status": status, "page_size": page_size}
    seen_tokens: set[str] = set()
    number = 0
    while True:
        number += 1
        what = _ordinal_page(number, status)
        body = client.get("/users", params, what=what)
        users = body.get("users")
        total = body.get("total_records")
        total = total if isinstance(total, int) and not isinstance(total, bool) else None
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
        seen_tokens.add(token)
        params = {"status": status, "page_size": page_size, "next_page_token": token}


def stream_pages(client: ZoomClient, statuses: Sequence[str], page_size: int, workers: int = 3) -> Iterator[Page]:
    """Yield the pages of all ``statuses`` as they arrive, fetching up to ``workers`` lists at once.

    A failure in any list stops the others and is raised here. Closing the generator early stops the
    threads (each finishes at most the request it is in).
    """
    workers = max(1, min(workers, len(statuses)))
    if workers == 1:
        for status in statuses:
            yield from iter_pages(client, status, page_size)
        return

    pages: queue.Queue = queue.Queue(maxsize=2 * workers)
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for status in statuses:
        todo.put(status)
    stop = threading.Event()
    done = object()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                pages.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            while not stop.is_set():
                try:
                    status = todo.get_nowait()
                except queue.Empty:
                    break
                for page in iter_pages(client, status, page_size):
                    if not offer(page):
                        return
        except BaseException as error:  # handed to the consumer, which re-raises it
            offer(error)
            return
        offer(done)

    threads = [threading.Thread(target=work, name=f"seatkeeper-zoom-{index}", daemon=True) for index in range(workers)]
    for thread in threads:
        thread.start()
    try:
        finished = 0
        while finished < workers:
            try:
                item = pages.get(timeout=_POLL)
            except queue.Empty:
                continue
            if item is done:
                finished += 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        stop.set()
        while True:  # free the threads blocked on a full queue
            try:
                pages.get_nowait()
            except queue.Empty:
                break
        for thread in threads:
            thread.join(timeout=2.0)


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
