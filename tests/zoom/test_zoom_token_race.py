"""Token renewal across threads: a request that raced another thread's renewal does not use up its own."""

from __future__ import annotations

import pytest

from seatkeeper import AuthenticationError
from seatkeeper_zoom.provider import ZoomProvider
from seatkeeper_zoom.transport import RetryPolicy

from .zoom_testkit import LOCALHOST_ONLY, Waits, account, fake_zoom


def stale_first(tokens, stale: str):
    """Make the next ``tokens.token()`` hand out ``stale``, as if read just before another thread renewed it."""
    real = tokens.token
    calls = iter([stale])
    tokens.token = lambda: next(calls, None) or real()


@LOCALHOST_ONLY
def test_a_request_with_an_already_replaced_token_retries_with_the_new_one_and_keeps_its_renewal():
    with fake_zoom([account(active=3)]) as zoom:
        client = ZoomProvider(policy=RetryPolicy(sleep=Waits())).authenticate(zoom.settings())
        stale = client.tokens.token()
        zoom.expire_tokens()  # Zoom expires the first token ...
        client.tokens.invalidate(stale)  # ... and another thread has already fetched a new one
        client.tokens.token()
        token_requests = len(zoom.requests_to("/oauth/token"))

        stale_first(client.tokens, stale)
        zoom.faults.expire_tokens(after=1)  # and the new token expires too, after this request's retry
        assert client.get("users", {"status": "active"})["total_records"] == 3
        # The stale try cost no renewal, so when the second token expired the request could still renew once.
        stale_first(client.tokens, client.tokens.token())
        assert client.get("users", {"status": "active"})["total_records"] == 3
        assert len(zoom.requests_to("/oauth/token")) == token_requests + 1


@LOCALHOST_ONLY
def test_a_token_refused_right_after_renewal_still_fails_after_one_renewal():
    with fake_zoom([account(active=3)]) as zoom:
        client = ZoomProvider(policy=RetryPolicy(sleep=Waits())).authenticate(zoom.settings())
        zoom.faults.expire_tokens(after=0)  # the first try's token expires ...
        zoom.faults.expire_tokens(after=1)  # ... and so does the renewed one
        with pytest.raises(AuthenticationError, match="even after a new one was issued"):
            client.get("users", {"status": "active"})
