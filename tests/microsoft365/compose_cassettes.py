"""Compose the cassettes of tests/cassettes/test_m365_cassettes/ and test_m365_live/ from the pack's example answers.

No tenant is reachable from where these were written, so each exchange is the pack's documented answer (token
response, /subscribedSkus, the three /users pages, the error samples) put where a real sync would meet it.
Run ``python -m tests.microsoft365.compose_cassettes`` to write them again; real recordings replace them as
plugins/microsoft365/README.md explains.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from urllib.parse import quote, urlencode

import yaml

from seatkeeper_microsoft365.users import user_params

from .m365_testkit import PACK, TENANT_ID

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
LOGIN = f"https://login.microsoftonline.com/{TENANT_ID}"
GRAPH = "https://graph.microsoft.com/v1.0"
SCRUBBED = "SCRUBBED"
JSON = {"Content-Type": ["application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8"]}


def example(name: str) -> dict:
    data = json.loads((PACK / "examples" / name).read_text(encoding="utf-8"))
    return {key: value for key, value in data.items() if not key.startswith("_")}


def errors(kind: str, code: str) -> dict:
    samples = json.loads((PACK / "examples" / "error-samples.json").read_text(encoding="utf-8"))[kind]
    for sample in samples:
        body = sample["body"]
        if body.get("error") == code or (isinstance(body.get("error"), dict) and body["error"].get("code") == code):
            return sample
    raise KeyError(code)


def exchange(
    method: str, uri: str, status: int, body: dict | str, headers: dict | None = None, request_body: str | None = None
) -> dict:
    text = body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False)
    return {
        "request": {
            "body": request_body,
            "headers": {"Authorization": [SCRUBBED]} if method == "GET" and "graph" in uri else {},
            "method": method,
            "uri": uri,
        },
        "response": {
            "body": {"string": text},
            "headers": {**JSON, **{name: [value] for name, value in (headers or {}).items()}},
            "status": {
                "code": status,
                "message": {200: "OK", 401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests"}.get(status, ""),
            },
        },
    }


def discovery() -> dict:
    return exchange(
        "GET",
        f"{LOGIN}/v2.0/.well-known/openid-configuration",
        200,
        {
            "token_endpoint": f"{LOGIN}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "authorization_endpoint": f"{LOGIN}/oauth2/v2.0/authorize",
            "issuer": f"https://login.microsoftonline.com/{TENANT_ID}/v2.0",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        },
    )


def token(status: int = 200, body: dict | None = None) -> dict:
    answer = body if body is not None else {**example("token-response.json"), "access_token": SCRUBBED}
    form = "client_id=4d856d1f-8648-456c-9bb2-f36273bbe4e3&grant_type=client_credentials&client_info=1&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret=SCRUBBED"
    return exchange("POST", f"{LOGIN}/oauth2/v2.0/token", status, answer, request_body=form)


def skus(status: int = 200, body: dict | None = None) -> dict:
    return exchange(
        "GET", f"{GRAPH}/subscribedSkus", status, body if body is not None else example("subscribedSkus.json")
    )


def first_users_uri(sign_in: bool = True) -> str:
    return f"{GRAPH}/users?" + urlencode(user_params(sign_in=sign_in), safe="$,", quote_via=quote)


def user_pages(sign_in: bool = True) -> list[tuple[str, dict]]:
    """(uri, body) of the three pages: the first at the provider's query, the next ones at the previous nextLink."""
    pages, uri = [], first_users_uri(sign_in)
    for number in (1, 2, 3):
        page = copy.deepcopy(example(f"users-page{number}.json"))
        if not sign_in:
            for user in page["value"]:
                user.pop("signInActivity", None)
            if "@odata.nextLink" in page:
                page["@odata.nextLink"] = page["@odata.nextLink"].replace(",signInActivity", "")
        pages.append((uri, page))
        uri = page.get("@odata.nextLink", "")
    return pages


def users(sign_in: bool = True) -> list[dict]:
    return [exchange("GET", uri, 200, body) for uri, body in user_pages(sign_in)]


def cassettes() -> dict[str, tuple[str, list[dict]]]:
    bad_secret = errors("token_endpoint", "invalid_client")
    premium = errors("api", "Authentication_RequestFromNonPremiumTenantOrB2CTenant")
    denied = errors("api", "Authorization_RequestDenied")
    expired = errors("api", "InvalidAuthenticationToken")
    throttled = errors("api", "TooManyRequests")
    pages = users()
    return {
        "test_m365_live/test_sample_tenant": (
            "A sync of the pack's sample tenant: discovery, token, SKUs, three pages.",
            [discovery(), token(), skus(), *pages],
        ),
        "test_m365_cassettes/test_wrong_secret": (
            "The secret's ID given instead of its value.",
            [discovery(), token(401, bad_secret["body"])],
        ),
        "test_m365_cassettes/test_tenant_without_premium": (
            "signInActivity refused (no Entra ID P1/P2): the listing again without it.",
            [
                discovery(),
                token(),
                skus(),
                exchange("GET", first_users_uri(), 403, premium["body"]),
                *users(sign_in=False),
            ],
        ),
        "test_m365_cassettes/test_missing_permission": (
            "Organization.Read.All not granted: /subscribedSkus refused.",
            [discovery(), token(), skus(403, denied["body"])],
        ),
        "test_m365_cassettes/test_throttled_with_decimal_retry_after": (
            "A 429 with Retry-After: 2.128 on the second page, then the page.",
            [
                discovery(),
                token(),
                skus(),
                pages[0],
                exchange("GET", pages[1]["request"]["uri"], 429, throttled["body"], throttled["headers"]),
                *pages[1:],
            ],
        ),
        "test_m365_cassettes/test_token_expired_mid_paging": (
            "The token expires after the first page: a new token, then the rest.",
            [
                discovery(),
                token(),
                skus(),
                pages[0],
                exchange("GET", pages[1]["request"]["uri"], 401, expired["body"]),
                token(),
                *pages[1:],
            ],
        ),
    }


class _Dumper(yaml.SafeDumper):
    """Bodies as readable blocks, no anchors."""

    def ignore_aliases(self, data):
        return True


_Dumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None),
)


def main() -> None:
    """Write every cassette."""
    for name, (what, interactions) in cassettes().items():
        text = yaml.dump(
            {"interactions": interactions, "version": 1}, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120
        )
        header = f"# {what}\n# Composed from the reference pack's example answers (tests/microsoft365/compose_cassettes.py).\n"
        path = CASSETTES / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + text, encoding="utf-8")


if __name__ == "__main__":
    main()
