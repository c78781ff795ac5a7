"""Writes tests/cassettes/test_google_cassettes/*.yaml from the reference pack's example pages.

The cassettes are hand-made (no live tenant here): this script is how, so a reader can see where each answer
comes from. Run ``python -m tests.google_workspace.cassette_source`` after changing it; the YAML is committed.
Every body is the pack's example (``_request``/``_note`` keys removed) or one of its ``error-samples.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import yaml

from tests.conftest import CASSETTES, SCRUBBED
from tests.google_workspace.kit import pack_json

OUT = CASSETTES / "test_google_cassettes"
ADMIN = "https://admin.googleapis.com"
LICENSING = "https://licensing.googleapis.com"
TOKEN_URI = "https://oauth2.googleapis.com/token"
CUSTOMER = "C01abc234"
USER_FIELDS = (
    "nextPageToken,users(id,primaryEmail,name/fullName,aliases,nonEditableAliases,suspended,suspensionReason,archived,"
    "isAdmin,isDelegatedAdmin,agreedToTerms,lastLoginTime,creationTime,orgUnitPath,organizations,relations,isGuestUser)"
)
JSON = {"Content-Type": ["application/json; charset=UTF-8"]}


def example(name: str) -> dict:
    body = pack_json(name)
    return {key: value for key, value in body.items() if not key.startswith("_")}


def error_sample(group: str, index: int) -> tuple[int, dict]:
    sample = pack_json("error-samples.json")[group][index]
    return sample["http"], sample["body"]


def exchange(method: str, uri: str, status: int, body, headers: dict | None = None, request_body: str | None = None):
    text = body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False)
    request_headers = {"Accept": ["application/json"]}
    if method == "POST":
        request_headers["Content-Type"] = ["application/x-www-form-urlencoded"]
    else:
        request_headers["Authorization"] = [SCRUBBED]
    return {
        "request": {"body": request_body, "headers": request_headers, "method": method, "uri": uri},
        "response": {
            "body": {"string": text},
            "headers": headers or JSON,
            "status": {
                "code": status,
                "message": {
                    200: "OK",
                    400: "Bad Request",
                    401: "Unauthorized",
                    403: "Forbidden",
                    429: "Too Many Requests",
                }.get(status, "Error"),
            },
        },
    }


def token(status: int = 200, body: dict | None = None):
    answer = body if body is not None else {**example("token-response.json"), "access_token": SCRUBBED}
    form = "assertion=SCRUBBED&grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
    return exchange("POST", TOKEN_URI, status, answer, request_body=form)


def customer(status: int = 200, body: dict | None = None):
    return exchange(
        "GET",
        f"{ADMIN}/admin/directory/v1/customers/my_customer",
        status,
        body or example("directory-customer-my_customer.json"),
    )


def licenses(page: int, status: int = 200, body: dict | None = None, page_size: int = 4):
    query = {"customerId": CUSTOMER, "maxResults": page_size}
    if page == 2:
        query["pageToken"] = "bGljZW5zZS1wYWdlLTI"
    uri = f"{LICENSING}/apps/licensing/v1/product/Google-Apps/users?{urlencode(query)}"
    return exchange("GET", uri, status, body or example(f"licensing-list-for-product-page{page}.json"))


USER_TOKENS = {2: "Q0FFU0JnaUJnQmNSRUdB", 3: "Q0FFU0JnaUJnQmNSRUdC"}


def users(page: int, status: int = 200, body=None, headers=None, page_size: int = 4):
    query = {
        "customer": "my_customer",
        "maxResults": page_size,
        "projection": "full",
        "orderBy": "email",
        "fields": USER_FIELDS,
    }
    if page in USER_TOKENS:
        query["pageToken"] = USER_TOKENS[page]
    uri = f"{ADMIN}/admin/directory/v1/users?{urlencode(query)}"
    return exchange(
        "GET", uri, status, body if body is not None else example(f"directory-users-list-page{page}.json"), headers
    )


PARAMETERS = (
    "accounts:gsuite_basic_total_licenses,accounts:gsuite_basic_used_licenses,accounts:gsuite_unlimited_total_licenses,"
    "accounts:gsuite_unlimited_used_licenses,accounts:gsuite_enterprise_total_licenses,"
    "accounts:gsuite_enterprise_used_licenses,accounts:apps_total_licenses,accounts:apps_used_licenses"
)


def usage(day: str, available: bool):
    uri = f"{ADMIN}/admin/reports/v1/usage/dates/{day}?{urlencode({'customerId': CUSTOMER, 'parameters': PARAMETERS})}"
    if available:
        body = example("reports-customer-usage-accounts.json")
        body["usageReports"][0]["date"] = day
        # Google answers only the parameters asked for: the example asked for num_* counters too.
        asked = set(PARAMETERS.split(","))
        body["usageReports"][0]["parameters"] = [p for p in body["usageReports"][0]["parameters"] if p["name"] in asked]
    else:
        body = example("reports-customer-usage-not-yet-available.json")
        text = json.dumps(body).replace("2026-11-30", day)
        body = json.loads(text)
    return exchange("GET", uri, 200, body)


def cassettes() -> dict[str, tuple[str, list]]:
    not_admin = error_sample("api", 1)
    no_scope = error_sample("api", 2)
    quota = error_sample("api", 3)
    exhausted = error_sample("api", 4)
    disabled = {
        "error": {
            "code": 403,
            "message": "Admin SDK API has not been used in project 123456789012 before or it is disabled. Enable it by visiting the Cloud console then retry.",
            "errors": [
                {
                    "message": "Admin SDK API has not been used in project 123456789012 before or it is disabled.",
                    "domain": "usageLimits",
                    "reason": "accessNotConfigured",
                }
            ],
            "status": "PERMISSION_DENIED",
        }
    }
    html = "<!DOCTYPE html><html><head><title>Error 502 (Server Error)!!1</title></head><body><p>That's an error.</p></body></html>"
    full = [
        token(),
        customer(),
        licenses(1),
        licenses(2),
        users(1),
        users(2),
        users(3),
        usage("2026-11-30", False),
        usage("2026-11-29", False),
        usage("2026-11-28", True),
    ]
    return {
        "test_full_sync_from_pack_pages": (
            "A customer's whole inventory: the pack's pages, in paging order; the usage report walks back two days.",
            full,
        ),
        "test_delegation_not_set_up": (
            "The token endpoint refuses: no domain-wide delegation for the scopes.",
            [token(*error_sample("token_endpoint", 0))],
        ),
        "test_unknown_subject": (
            "The token endpoint refuses: the subject is not a user of the domain.",
            [token(*error_sample("token_endpoint", 1))],
        ),
        "test_revoked_key": (
            "The token endpoint refuses: the key was deleted.",
            [token(*error_sample("token_endpoint", 2))],
        ),
        "test_subject_not_admin": (
            "A token for a subject who is not an admin: every Admin SDK call is refused.",
            [token(), customer(*not_admin)],
        ),
        "test_missing_licensing_scope": (
            "The token lacks the Licensing scope.",
            [token(), customer(), licenses(1, *no_scope)],
        ),
        "test_api_not_enabled": (
            "The Admin SDK API is not enabled in the Cloud project.",
            [token(), customer(403, disabled)],
        ),
        "test_quota_403_then_success": (
            "Licensing answers the per-minute quota with 403 rateLimitExceeded, then serves the page.",
            [
                token(),
                customer(),
                licenses(1, *quota),
                licenses(1),
                licenses(2),
                users(1),
                users(2),
                users(3),
                usage("2026-11-30", True),
            ],
        ),
        "test_quota_429_exhausted": (
            "429 RESOURCE_EXHAUSTED on every try.",
            [token(), customer()] + [licenses(1, *exhausted)] * 3,
        ),
        "test_html_instead_of_json": (
            "A proxy answers a Directory page with HTML.",
            [
                token(),
                customer(),
                licenses(1),
                licenses(2),
                users(1, 200, html, {"Content-Type": ["text/html; charset=UTF-8"]}),
            ],
        ),
    }


def live_cassettes() -> dict[str, tuple[str, list]]:
    """What a recording of test_google_live.py holds: default page sizes, so the pack's pages merged into one."""
    every_user = []
    for page in (1, 2, 3):
        every_user += example(f"directory-users-list-page{page}.json")["users"]
    one_user_page = {"kind": "admin#directory#users", "etag": '"etag-users"', "users": every_user}
    every_item = []
    for page in (1, 2):
        every_item += example(f"licensing-list-for-product-page{page}.json")["items"]
    one_license_page = {"kind": "licensing#licenseAssignmentList", "etag": '"etag-lal"', "items": every_item}
    return {
        "test_live_inventory": (
            "A whole inventory at the default page sizes (shaped like a recording; re-record with real credentials).",
            [
                token(),
                customer(),
                licenses(1, 200, one_license_page, page_size=1000),
                users(1, 200, one_user_page, page_size=500),
                usage("2026-11-30", False),
                usage("2026-11-29", True),
            ],
        ),
        "test_live_token": ("One token request (shaped like a recording).", [token()]),
    }


def write(folder: Path, made: dict[str, tuple[str, list]]) -> None:
    """Write each cassette of ``made`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (comment, interactions) in made.items():
        document = {"interactions": interactions, "version": 1}
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=200)
        header = f"# {comment}\n# Generated by tests/google_workspace/cassette_source.py from the reference pack (no live tenant).\n"
        (folder / f"{name}.yaml").write_text(header + text, encoding="utf-8")


def main() -> None:
    write(OUT, cassettes())
    write(CASSETTES / "test_google_live", live_cassettes())


if __name__ == "__main__":
    main()
