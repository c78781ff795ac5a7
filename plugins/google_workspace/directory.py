"""Directory API: the customer's id, and every user page by page (``users.list``, full projection)."""

from __future__ import annotations

from collections.abc import Iterator

from seatkeeper.errors import BadProviderData

from .client import GoogleClient
from .pages import iter_pages

#: ``users.list`` allows ``maxResults`` 1..500.
MAX_PAGE_SIZE = 500
#: The user fields a sync reads: a partial response keeps pages small (``projection=full`` adds custom schemas).
USER_FIELDS = (
    "id,primaryEmail,name/fullName,aliases,nonEditableAliases,suspended,suspensionReason,archived,isAdmin,"
    "isDelegatedAdmin,agreedToTerms,lastLoginTime,creationTime,orgUnitPath,organizations,relations,isGuestUser"
)


def users_url(client: GoogleClient) -> str:
    """``users.list``'s URL."""
    return f"{client.admin_url}/admin/directory/v1/users"


def customer_id(client: GoogleClient) -> str:
    """The customer's id (``C0...``) from ``customers.get(my_customer)``, for the Licensing and Reports APIs.

    :raises BadProviderData: the answer has no id.
    """
    body = client.get(
        f"{client.admin_url}/admin/directory/v1/customers/my_customer", what="the customer (customers/my_customer)"
    )
    value = body.get("id")
    if not isinstance(value, str) or not value.strip():
        raise BadProviderData("Google answered customers/my_customer without the customer's id")
    return value.strip()


def iter_user_pages(client: GoogleClient, *, page_size: int = MAX_PAGE_SIZE, max_pages: int = 10_000) -> Iterator[list]:
    """The pages of every user of the customer (live users; deleted ones are a separate list)."""
    params = {
        "customer": "my_customer",
        "maxResults": page_size,
        "projection": "full",
        "orderBy": "email",
        "fields": f"nextPageToken,users({USER_FIELDS})",
    }
    yield from iter_pages(
        client, users_url(client), params, items_key="users", what="the Directory users", max_pages=max_pages
    )
