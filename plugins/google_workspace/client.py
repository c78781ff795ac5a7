"""Authenticated GET requests to Google's Admin SDK and Licensing APIs, Google's error bodies made seatkeeper errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

import requests

from seatkeeper.errors import (
    AuthenticationError,
    BadProviderData,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)

from .auth import DELEGATION_PAGE, TokenSource
from .transport import Transport, host_of

#: ``errors[].reason`` values Google uses for throttling (answered with 403 or 429).
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"})
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
DISABLED_REASONS = frozenset({"accessNotConfigured", "SERVICE_DISABLED"})


class FetchCancelled(ProviderError):
    """The client was closed while a fetch was still using it."""


class GoogleApiError(ProviderError):
    """Google refused a request for a reason other than the token, permissions, throttling or a server failure.

    :param status: the HTTP status; :param reason: the first ``errors[].reason`` of the body, if any.
    """

    def __init__(self, message: str, *, status: int, reason: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class GoogleClient:
    """What :meth:`GoogleWorkspaceProvider.authenticate` returns: an authenticated session on one customer.

    :param transport: the HTTP session with retries.
    :param tokens: the delegated service account's access tokens.
    :param admin_url: base URL of the Directory and Reports APIs (``https://admin.googleapis.com``).
    :param licensing_url: base URL of the Licensing API (``https://licensing.googleapis.com``).
    :param requests_per_minute: pace requests to at most this many a minute (None: no pacing).
    """

    def __init__(
        self,
        transport: Transport,
        tokens: TokenSource,
        admin_url: str,
        licensing_url: str,
        *,
        requests_per_minute: float | None = None,
    ) -> None:
        self.transport = transport
        self.policy = transport.policy
        self.tokens = tokens
        self.admin_url = admin_url.rstrip("/")
        self.licensing_url = licensing_url.rstrip("/")
        self.interval = 60.0 / requests_per_minute if requests_per_minute else 0.0
        self.cancelled = threading.Event()
        self._pace = threading.Lock()
        self._next_slot = 0.0
        self.customer_id: str | None = None

    def __repr__(self) -> str:
        return f"<GoogleClient admin_url={self.admin_url!r} subject={self.tokens.subject!r}>"

    def close(self) -> None:
        """Stop any fetch still running on this client and close its connections."""
        self.cancelled.set()
        self.transport.close()

    def _wait_for_slot(self) -> None:
        if not self.interval:
            return
        with self._pace:
            now = self.policy.clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        if slot > now:
            self.policy.sleep(slot - now)

    def get(self, url: str, params: Mapping[str, Any] | None = None, *, what: str) -> dict:
        """GET ``url`` and return the JSON object Google answered.

        A refused token (401) is replaced once; a 403/429 that says ``rateLimitExceeded`` is retried with
        exponential backoff until the policy's retries or deadline run out.

        :param what: how to name this request in messages, e.g. ``"page 3 of the Directory users"``.
        :raises AuthenticationError: the token is refused even after a new one.
        :raises PermissionDenied: a scope, an admin privilege or the API itself is missing (the message says which).
        :raises RateLimited, ProviderUnavailable: throttling or failures outlasting the retries.
        :raises BadProviderData: the answer is not a JSON object (e.g. an HTML page).
        :raises GoogleApiError: any other refusal, with Google's message.
        """
        started = self.policy.clock()
        renewed = False
        throttled = 0
        while True:
            if self.cancelled.is_set():
                raise FetchCancelled(f"the Google Workspace session was closed before {what}")
            token = self.tokens.token()
            self._wait_for_slot()
            response = self.transport.request("GET", url, params=params, headers={"Authorization": f"Bearer {token}"})
            status = response.status_code
            if status == 401 and not renewed:
                renewed = True
                self.tokens.invalidate(token)
                continue
            reason, message, domain = _error(response)
            # Google puts "API not enabled" under the usageLimits domain too: only its reason tells them apart.
            limited = reason in RATE_LIMIT_REASONS or (domain == "usageLimits" and reason not in DISABLED_REASONS)
            if status == 429 or (status == 403 and limited):
                throttled += 1
                wait = self.policy.backoff(throttled)
                out_of_time = self.policy.clock() + wait - started > self.policy.deadline
                if (
                    status == 429
                    or throttled > self.policy.max_retries
                    or out_of_time
                    or reason == "dailyLimitExceeded"
                ):
                    raise RateLimited(
                        f"Google kept answering 'rate limit exceeded' to {what} ({host_of(url)}); the quota is per "
                        "Cloud project and per user: try again later, or raise it in Cloud console > IAM & Admin > Quotas"
                    )
                self.policy.sleep(wait)
                continue
            return self._read(response, url, what, reason, message, renewed=renewed)

    def _read(
        self, response: requests.Response, url: str, what: str, reason: str | None, message: str, *, renewed: bool
    ) -> dict:
        status = response.status_code
        if status == 200:
            if _looks_like_html(response):
                raise BadProviderData(f"Google answered {what} with an HTML page instead of JSON: check the API URLs")
            try:
                body = json.loads(response.content)
            except (ValueError, UnicodeDecodeError):
                raise BadProviderData(f"Google answered {what} with malformed JSON") from None
            if not isinstance(body, dict):
                raise BadProviderData(f"Google answered {what} with JSON that is not an object")
            return body
        if status >= 500:
            retries = getattr(response.raw, "retries", None)
            tries = len(getattr(retries, "history", ())) + 1
            raise ProviderUnavailable(
                f"could not reach {host_of(url)}: {what} kept failing with HTTP {status} after {tries} "
                f"{'try' if tries == 1 else 'tries'}; try again later"
            )
        if status == 401:
            again = " even after a new one was issued" if renewed else ""
            raise AuthenticationError(
                f"Google refused the access token for {what}{again} ({message or 'HTTP 401'}): check the "
                "service account's key and the subject"
            )
        if status == 403:
            raise PermissionDenied(self._denied(url, what, reason, message))
        if _looks_like_html(response):
            raise BadProviderData(f"Google answered {what} with HTTP {status} and an HTML page: check the API URLs")
        detail = f"{message} ({reason})" if message and reason else message or reason or "no explanation"
        raise GoogleApiError(f"Google refused {what} with HTTP {status}: {detail}", status=status, reason=reason)

    def _denied(self, url: str, what: str, reason: str | None, message: str) -> str:
        scope = scope_of(url)
        subject = self.tokens.subject
        if reason in SCOPE_REASONS or "scope" in message.lower():
            return (
                f"the token lacks the scope {scope} for {what}: in the {DELEGATION_PAGE}, give the service account's "
                f"client ID the scope {scope} (each scope exactly as written)"
            )
        if reason in DISABLED_REASONS or "has not been used" in message or "is disabled" in message:
            api = "Enterprise License Manager API" if "licensing" in scope else "Admin SDK API"
            return (
                f"the {api} is not enabled in the service account's Cloud project: enable it in "
                "Cloud console > APIs & Services > Library, then sync again"
            )
        privilege = {
            "licensing": "License Management",
            "reports": "Reports",
            "customer": "Domain Settings (read)",
        }
        needed = next((name for key, name in privilege.items() if key in scope), "Users > Read")
        return (
            f"the subject {subject} may not read {what} ({message or reason or 'HTTP 403'}): make the subject a super "
            f"admin, or give it an admin role with the {needed} privilege (Admin console > Account > Admin roles)"
        )


def scope_of(url: str) -> str:
    """The OAuth scope a request to ``url`` needs."""
    from .auth import DIRECTORY_CUSTOMER_SCOPE, DIRECTORY_USERS_SCOPE, LICENSING_SCOPE, REPORTS_USAGE_SCOPE

    if "/apps/licensing/" in url:
        return LICENSING_SCOPE
    if "/admin/reports/" in url:
        return REPORTS_USAGE_SCOPE
    if "/customers/" in url:
        return DIRECTORY_CUSTOMER_SCOPE
    return DIRECTORY_USERS_SCOPE


def _looks_like_html(response: requests.Response) -> bool:
    content_type = response.headers.get("Content-Type", "").lower()
    return "html" in content_type or response.content[:200].lstrip()[:1] == b"<"


def _error(response: requests.Response) -> tuple[str | None, str, str | None]:
    """``(reason, message, domain)`` of a Google error body (the first ``errors[]`` entry); blanks when absent."""
    if response.status_code < 400:
        return None, "", None
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None, "", None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, "", None
    message = error.get("message") if isinstance(error.get("message"), str) else ""
    errors = error.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    reason = first.get("reason") if isinstance(first.get("reason"), str) else None
    domain = first.get("domain") if isinstance(first.get("domain"), str) else None
    details = error.get("details")
    if reason is None and isinstance(details, list):
        for detail in details:
            if isinstance(detail, dict) and isinstance(detail.get("reason"), str):
                reason = detail["reason"]
                break
    status = error.get("status")
    if reason is None and status == "RESOURCE_EXHAUSTED":
        reason = "rateLimitExceeded"
    return reason, " ".join(message.split())[:300], domain
