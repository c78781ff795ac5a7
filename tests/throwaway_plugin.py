"""A throwaway provider plugin used by the tests: a module with a hookimpl, as any third-party plugin.

Its users come from an in-memory list the test controls; it can fail part way through a fetch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from seatkeeper import (
    AuthenticationError,
    FetchContext,
    Provider,
    ProviderUnavailable,
    Rejected,
    SeatPlan,
    SeatRecord,
    Setting,
    hookimpl,
)

SECRET = "listprovider-secret-value"


class ListProvider(Provider):
    """Serves ``self.users`` (dicts of SeatRecord fields, or ready items); ``fail_after`` breaks the fetch part way."""

    name = "listprovider"
    title = "List provider (tests)"
    settings = (
        Setting("token", "API token", secret=True, env="LISTPROVIDER_TOKEN"),
        Setting("region", "Region", required=False, default="eu"),
    )

    def __init__(self) -> None:
        self.users: list[dict[str, Any] | Rejected | SeatPlan] = []
        self.fail_after: int | None = None
        self.fetches = 0

    def authenticate(self, settings):
        """Accept only the test secret."""
        if settings["token"] != SECRET:
            raise AuthenticationError("listprovider rejected the token")
        return {"region": settings.get("region")}

    def fetch(self, session, context: FetchContext) -> Iterator[SeatRecord | Rejected | SeatPlan]:
        """Yield the configured users, failing after ``fail_after`` of them when set."""
        self.fetches += 1
        context.progress(total=len(self.users))
        for index, user in enumerate(self.users):
            if self.fail_after is not None and index >= self.fail_after:
                raise ProviderUnavailable(f"listprovider dropped the connection after {index} users")
            context.progress(advance=1)
            yield SeatRecord(**user) if isinstance(user, dict) else user


provider = ListProvider()


@hookimpl
def register_providers(register):
    """Register the list provider."""
    register(provider)


def user(n: int, **fields: Any) -> dict[str, Any]:
    """A plausible user record number ``n``; ``fields`` override."""
    record = {
        "user_id": f"u{n}",
        "email": f"User{n}@Example.com",
        "name": f"User {n}",
        "license_type": "Licensed",
        "billable": True,
        "status": "active",
        "department": "Sales" if n % 2 else "Engineering",
        "last_activity_at": datetime(2026, 1, 1, tzinfo=UTC),
    }
    record.update(fields)
    return record
