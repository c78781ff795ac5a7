"""Every user of the tenant, page by page, with their last sign-in when the tenant allows reading it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from seatkeeper import FetchContext
from seatkeeper.errors import BadProviderData

from .client import Forbidden, GraphClient
from .mapping import SIGN_IN_FIELD, USER_FIELDS

PAGE_SIZE = 999  # Graph's largest page of users ("Must be between 1 and 999 inclusive")
#: Graph's largest page when signInActivity is selected: 500 in the List users docs since mid-2025
#: (microsoftgraph/microsoft-graph-docs-contrib#9591; 120 before). Asking for more is not worth a refusal.
SIGN_IN_PAGE_SIZE = 500
USERS_PERMISSION = "User.Read.All"
SIGN_IN_PERMISSION = "AuditLog.Read.All"
#: Graph's answers to $select=signInActivity without AuditLog.Read.All or without an Entra ID P1/P2 licence.
SIGN_IN_REFUSALS = frozenset({"Authentication_RequestFromNonPremiumTenantOrB2CTenant", "Authorization_RequestDenied"})
NO_SIGN_IN_WARNING = (
    "Graph refused to read sign-in activity ({code}): last activity is unknown for this sync. It needs the "
    "application permission AuditLog.Read.All and an Entra ID P1 or P2 licence in the tenant; set "
    'sign_in_activity = "false" to stop asking'
)


def user_params(*, sign_in: bool, page_size: int = PAGE_SIZE) -> dict[str, str]:
    """The query of the first ``/users`` page (the next ones come verbatim in ``@odata.nextLink``)."""
    fields = USER_FIELDS + ((SIGN_IN_FIELD,) if sign_in else ())
    top = min(page_size, SIGN_IN_PAGE_SIZE) if sign_in else page_size
    return {"$select": ",".join(fields), "$top": str(top)}


def list_users(
    client: GraphClient, context: FetchContext, *, sign_in: bool, page_size: int = PAGE_SIZE
) -> Iterator[dict[str, Any]]:
    """Yield each user object once.

    With ``sign_in``, ``signInActivity`` is asked for; when Graph refuses it (no AuditLog.Read.All, no P1/P2, or
    the intermittent refusals reported on P1 tenants), a warning says so once and the listing starts again without
    it, skipping the users already yielded. A refusal without ``signInActivity`` is a missing User.Read.All.
    """
    seen: set[str] = set()
    while True:
        try:
            for page in client.pages(
                "/users",
                user_params(sign_in=sign_in, page_size=page_size),
                what="/users",
                permission=USERS_PERMISSION if not sign_in else f"{USERS_PERMISSION} (and {SIGN_IN_PERMISSION})",
            ):
                for user in page:
                    if not isinstance(user, dict):
                        raise BadProviderData("Graph's /users page holds an entry that is not a user object")
                    user_id = user.get("id")
                    if isinstance(user_id, str):
                        if user_id in seen:
                            continue
                        seen.add(user_id)
                    yield user
                context.progress(advance=len(page))
            return
        except Forbidden as error:
            if not sign_in or error.code not in SIGN_IN_REFUSALS:
                raise
            context.warn(NO_SIGN_IN_WARNING.format(code=error.code))
            sign_in = False
