"""Following Google's ``pageToken`` / ``nextPageToken`` chains, with a bound on their length."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from seatkeeper.errors import BadProviderData

from .client import GoogleClient


def iter_pages(
    client: GoogleClient,
    url: str,
    params: Mapping[str, Any],
    *,
    items_key: str,
    what: str,
    max_pages: int,
) -> Iterator[list]:
    """Yield the ``items_key`` list of each page (an absent key is an empty page, as Google omits empty lists).

    :raises BadProviderData: a page without a list where one belongs, a repeated page token, or more than
        ``max_pages`` pages (a chain that never ends).
    """
    query = dict(params)
    seen: set[str] = set()
    for number in range(1, max_pages + 1):
        page_what = f"page {number} of {what}"
        body = client.get(url, query, what=page_what)
        items = body.get(items_key, [])
        if not isinstance(items, list):
            raise BadProviderData(f"Google answered {page_what} with '{items_key}' that is not a list")
        yield items
        token = body.get("nextPageToken")
        if token in (None, ""):
            return
        if not isinstance(token, str):
            raise BadProviderData(f"Google answered {page_what} with a nextPageToken that is not text")
        if token in seen:
            raise BadProviderData(f"Google answered {page_what} with a nextPageToken it had already given")
        seen.add(token)
        query["pageToken"] = token
    raise BadProviderData(f"{what} went on for more than {max_pages} pages: the sync stopped rather than loop")
