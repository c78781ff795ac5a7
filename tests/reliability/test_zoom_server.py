"""The Zoom-compatible test server itself: seeded users of every type and status, Zoom's paging, its faults."""

from __future__ import annotations

import time

import pytest
import requests

from seatkeeper_zoom.mapping import USER_TYPES
from tests.zoom_server import SeededZoom, generate_users, retry_after_header

from .kit import LOCALHOST_ONLY, VirtualClock, seeded_zoom

pytestmark = LOCALHOST_ONLY


def token(zoom: SeededZoom) -> str:
    settings = zoom.settings()
    answer = requests.post(
        settings["oauth_url"],
        data={"grant_type": "account_credentials", "account_id": settings["account_id"]},
        auth=(settings["client_id"], settings["client_secret"]),
        timeout=5,
    )
    return answer.json()["access_token"]


def list_all(zoom: SeededZoom, status: str, page_size: int) -> list[dict]:
    """Every user of one status list, following next_page_token."""
    headers = {"Authorization": f"Bearer {token(zoom)}"}
    params: dict = {"status": status, "page_size": page_size}
    users = []
    while True:
        body = requests.get(zoom.api_url() + "/users", params=params, headers=headers, timeout=5).json()
        users += body["users"]
        if not body["next_page_token"]:
            return users
        params = {"status": status, "page_size": page_size, "next_page_token": body["next_page_token"]}


def test_generated_users_are_seeded_and_hold_every_type_and_status():
    users = generate_users(500, seed=7)
    assert users == generate_users(500, seed=7)
    assert users != generate_users(500, seed=8)
    assert {user["type"] for user in users} == set(USER_TYPES)
    assert {user["status"] for user in users} == {"active", "inactive", "pending"}
    assert len({user["id"] for user in users}) == len({user["email"] for user in users}) == 500
    assert {user["status"] for user in generate_users(3)} == {"active", "inactive", "pending"}


def test_pages_follow_zoom_envelope_and_pending_users_have_no_id():
    with seeded_zoom(50) as zoom:
        by_status = {status: list_all(zoom, status, page_size=7) for status in ("active", "inactive", "pending")}
        first = requests.get(
            zoom.api_url() + "/users",
            params={"status": "active", "page_size": 7},
            headers={"Authorization": f"Bearer {token(zoom)}"},
            timeout=5,
        ).json()

    expected = {status: [u for u in zoom.users if u["status"] == status] for status in by_status}
    for status, users in by_status.items():
        assert [u["email"] for u in users] == [u["email"] for u in expected[status]]
    assert all("id" not in user for user in by_status["pending"])
    assert all(user["id"] for user in by_status["active"] + by_status["inactive"])
    assert set(first) == {"page_count", "page_number", "page_size", "total_records", "next_page_token", "users"}
    assert (first["page_size"], first["total_records"], len(first["users"])) == (7, len(expected["active"]), 7)


def test_page_size_is_capped_at_2000_and_unknown_page_tokens_are_refused():
    with seeded_zoom(2500, seed=3) as zoom:
        headers = {"Authorization": f"Bearer {token(zoom)}"}
        page = requests.get(
            zoom.api_url() + "/users", params={"status": "active", "page_size": 5000}, headers=headers, timeout=5
        )
        stale = requests.get(zoom.api_url() + "/users", params={"next_page_token": "nope"}, headers=headers, timeout=5)
    assert len(page.json()["users"]) == 1750 and page.json()["page_size"] == 2000
    assert stale.status_code == 400 and stale.json()["code"] == 300


def test_replacing_the_users_serves_the_new_ones():
    with seeded_zoom(10) as zoom:
        before = list_all(zoom, "active", 100)
        zoom.set_users(generate_users(4, seed=99))
        after = list_all(zoom, "active", 100)
    assert len(before) == 7 and len(after) == 2


def test_latency_delays_every_answer():
    with seeded_zoom(5, latency=0.05) as zoom:
        started = time.perf_counter()
        list_all(zoom, "active", 100)  # a token request and one page
        elapsed = time.perf_counter() - started
    assert elapsed >= 0.1


@pytest.mark.parametrize("form", ["seconds", "http-date", "iso"])
def test_retry_after_is_written_in_each_form_and_logged(form):
    clock = VirtualClock(start=1_780_000_000.4)
    with seeded_zoom(5, timer=clock.now) as zoom:
        zoom.faults.retry_after(form, 3)
        answer = requests.get(zoom.api_url() + "/users", headers={"Authorization": f"Bearer {token(zoom)}"}, timeout=5)
    value = answer.headers["Retry-After"]
    assert answer.status_code == 429 and answer.headers["X-RateLimit-Type"] == "QPS"
    assert value == {"seconds": "3", "http-date": "Thu, 28 May 2026 20:26:43 GMT", "iso": "2026-05-28T20:26:43Z"}[form]
    [throttle] = zoom.faults.throttles
    assert throttle.not_before == retry_after_header(form, 3, 1_780_000_000.4)[1]
    assert zoom.faults.arrivals[throttle.number] == 1_780_000_000.4


def test_a_user_missing_fields_is_served_without_them():
    with seeded_zoom(30) as zoom:
        zoom.faults.users_missing_fields(["type", "dept"], index=1)
        page = list_all(zoom, "active", 100)
    assert "type" not in page[1] and "dept" not in page[1]
    assert page[0] == {k: v for k, v in zoom.users[0].items()}


def test_unknown_user_types_replace_every_nth_type():
    with seeded_zoom(30) as zoom:
        zoom.faults.unknown_user_types(42, every=10)
        page = list_all(zoom, "active", 100)
    assert [user["type"] for user in page[::10]] == [42, 42, 42]
    assert all(user["type"] in USER_TYPES for index, user in enumerate(page) if index % 10)


def test_duplicates_repeat_the_last_user_of_the_previous_page():
    with seeded_zoom(30) as zoom:
        zoom.faults.duplicates_across_pages()
        users = list_all(zoom, "active", 5)
    emails = [user["email"] for user in users]
    assert len(emails) == 21 + 4  # 5 pages: each after the first starts with a repeat
    assert emails[5] == emails[4] and len(set(emails)) == 21
