"""Odd input and transport edges a black-box attacker tries, each answered as the contract says.

Characters PostgreSQL cannot store (NUL) and other control characters are refused at the edge as 400 naming the
field, never a 500 (a login with one would otherwise leave no audit row); invisible characters do not count as
a name; a route that takes no body refuses one; a body declared as anything but JSON is 415; no API answer may be
cached; the OpenAPI document asks for a token exactly where one is needed.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from service.db.pool import Database
from tests.api.conftest import MakeStaff, Staff, login
from tests.api.contract import NOT_VALID, assert_problem
from tests.probes import probes

API = "/api/v1"
CONTROL = "must not contain control characters"


@pytest.mark.parametrize(
    ("path", "method", "body", "field"),
    [
        ("/users", "POST", {"name": "Ann\x00Lee", "email": "ann.nul@test.example", "role": "nurse"}, "name"),
        ("/users", "POST", {"name": "Ann Lee", "email": "ann\x00@test.example", "role": "nurse"}, "email"),
        (
            "/users",
            "POST",
            {"name": "Ann Lee", "email": "ann.lic@test.example", "role": "nurse", "licenseNumber": "L\x001"},
            "licenseNumber",
        ),
        ("/hospital", "PATCH", {"address": "1 Main St\x00"}, "address"),
        ("/hospital/departments", "POST", {"name": "Ward\x07B", "code": "WB"}, "name"),
    ],
)
async def test_a_control_character_in_text_is_400_naming_the_field(
    client: httpx.AsyncClient, admin: Staff, path: str, method: str, body: dict[str, Any], field: str
) -> None:
    response = await client.request(method, f"{API}{path}", json=body, headers=admin.headers)
    message = "is not an email address" if field == "email" else CONTROL
    assert_problem(response, 400, NOT_VALID, [(field, message)])


async def test_a_line_break_in_an_address_is_kept(client: httpx.AsyncClient, admin: Staff) -> None:
    response = await client.patch(f"{API}/hospital", json={"address": "1 Main St\nSpringfield"}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["address"] == "1 Main St\nSpringfield"


async def test_a_control_character_in_a_search_is_400(client: httpx.AsyncClient, admin: Staff) -> None:
    response = await client.get(f"{API}/users", params={"search": "a\x00b"}, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [("search", CONTROL)])


async def test_a_login_with_a_nul_in_the_email_is_400_and_counts_nothing(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, make_staff: MakeStaff
) -> None:
    nurse = await make_staff("nurse", logged_in=False)
    response = await login(client, nurse.email + "\x00")
    assert_problem(response, 400, NOT_VALID, [("email", "is not an email address")])
    async with db.transaction() as conn:
        secrets = await probes().probe.user_secrets.one(conn, hospital_id, nurse.id)
    assert secrets is not None and secrets.failed_login_attempts == 0


@pytest.mark.parametrize("name", ["\u200b\u200b", " \ufeff ", "\u2060"])
async def test_a_name_of_invisible_characters_is_empty(client: httpx.AsyncClient, admin: Staff, name: str) -> None:
    body = {"name": name, "email": f"ghost.{uuid.uuid4().hex[:8]}@test.example", "role": "nurse"}
    response = await client.post(f"{API}/users", json=body, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [("name", "must be at least 2 characters")])


async def test_invisible_characters_around_a_name_are_trimmed(client: httpx.AsyncClient, admin: Staff) -> None:
    body = {"name": "\u200bAnn Lee\ufeff", "email": f"ann.{uuid.uuid4().hex[:8]}@test.example", "role": "nurse"}
    response = await client.post(f"{API}/users", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    assert response.json()["user"]["name"] == "Ann Lee"


# --- routes that take no body -------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["deactivate", "activate", "unlock"])
@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b'{"isActive": true, "role": "admin"}', "this route takes no body: send none, or {}"),
        (b"[1, 2]", "this route takes no body: send none, or {}"),
        (b"not json at all", "the body is not valid JSON"),
    ],
)
async def test_a_body_on_a_route_that_takes_none_is_400_and_changes_nothing(
    client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff, action: str, content: bytes, detail: str
) -> None:
    nurse = await make_staff("nurse")
    before = (await client.get(f"{API}/users/{nurse.id}", headers=admin.headers)).json()
    headers = {**admin.headers, "Content-Type": "application/json"}
    response = await client.post(f"{API}/users/{nurse.id}/{action}", content=content, headers=headers)
    assert_problem(response, 400, detail)
    assert (await client.get(f"{API}/users/{nurse.id}", headers=admin.headers)).json() == before


@pytest.mark.parametrize("content", [b"", b"{}", b" { } "])
async def test_no_body_or_an_empty_object_is_accepted(
    client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff, content: bytes
) -> None:
    nurse = await make_staff("nurse")
    headers = {**admin.headers, "Content-Type": "application/json"}
    response = await client.post(f"{API}/users/{nurse.id}/deactivate", content=content, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["isActive"] is False


@pytest.mark.parametrize("path", ["/auth/logout", "/auth/2fa/setup"])
async def test_the_own_account_routes_that_take_no_body_refuse_one(
    client: httpx.AsyncClient, make_staff: MakeStaff, path: str
) -> None:
    nurse = await make_staff("nurse")
    response = await client.post(f"{API}{path}", json={"anything": 1}, headers=nurse.headers)
    assert_problem(response, 400, "this route takes no body: send none, or {}")
    assert (await client.get(f"{API}/auth/me", headers=nurse.headers)).status_code == 200  # not logged out


# --- media types and caching --------------------------------------------------------------------------------

UNSUPPORTED = "the body must be JSON: send it with Content-Type: application/json"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
async def test_a_body_declared_as_anything_but_json_is_415(
    client: httpx.AsyncClient, make_staff: MakeStaff, content_type: str
) -> None:
    nurse = await make_staff("nurse", logged_in=False)
    body = b'{"email": "%s", "password": "correct horse battery staple"}' % nurse.email.encode()
    response = await client.post(f"{API}/auth/login", content=body, headers={"Content-Type": content_type})
    assert_problem(response, 415, UNSUPPORTED)


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", None]
)
async def test_json_with_or_without_parameters_or_no_type_at_all_is_accepted(
    client: httpx.AsyncClient, make_staff: MakeStaff, content_type: str | None
) -> None:
    nurse = await make_staff("nurse", logged_in=False)
    body = b'{"email": "%s", "password": "correct horse battery staple"}' % nurse.email.encode()
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = await client.post(f"{API}/auth/login", content=body, headers=headers)
    assert response.status_code == 200, response.text


async def test_no_api_answer_may_be_cached(client: httpx.AsyncClient, admin: Staff) -> None:
    for response in (
        await client.get(f"{API}/auth/me", headers=admin.headers),
        await client.get(f"{API}/users/{uuid.uuid4()}", headers=admin.headers),
        await client.get(f"{API}/hospital"),
    ):
        assert response.headers["cache-control"] == "no-store", response.request.url


# --- lock state, pages ---------------------------------------------------------------------------------------


async def test_an_expired_lock_shows_no_lockout_time(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, make_staff: MakeStaff
) -> None:
    nurse = await make_staff("nurse", logged_in=False)
    settings = {"settings": {"lockoutThreshold": 3}}
    assert (await client.patch(f"{API}/hospital", json=settings, headers=admin.headers)).status_code == 200
    for _ in range(3):
        assert (await login(client, nurse.email, "a wrong password!")).status_code == 401
    locked = (await client.get(f"{API}/users/{nurse.id}", headers=admin.headers)).json()
    assert locked["isLocked"] is True and locked["lockoutUntil"] is not None
    async with db.transaction() as conn:
        await probes().probe.age_user.rows(conn, hospital_id, nurse.id, timedelta(minutes=16))
    expired = (await client.get(f"{API}/users/{nurse.id}", headers=admin.headers)).json()
    assert (expired["isLocked"], expired["lockoutUntil"]) == (False, None)


async def test_a_page_far_past_the_end_is_empty_with_the_true_total(client: httpx.AsyncClient, admin: Staff) -> None:
    for page in (1_000_001, 10**17):
        response = await client.get(f"{API}/users", params={"page": page, "limit": 100}, headers=admin.headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"users": [], "total": 1, "page": page, "totalPages": 1}


# --- the OpenAPI document ------------------------------------------------------------------------------------


async def test_only_the_login_routes_need_no_token_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    open_routes: set[str] = set()
    guarded: set[str] = set()
    for path, operations in paths.items():
        if not path.startswith(API):
            continue
        for method, operation in operations.items():
            (guarded if operation.get("security") == [{"bearer": []}] else open_routes).add(f"{method} {path}")
            if f"{method} {path}" in guarded:
                assert "403" in operation["responses"] or path in _NEVER_403, (method, path)
    assert open_routes == {"post /api/v1/auth/login", "post /api/v1/auth/login/2fa"}
    assert len(guarded) >= 15


# Routes a user with a temporary password may still use, whose role is never refused either.
_NEVER_403 = {"/api/v1/auth/me", "/api/v1/auth/password", "/api/v1/auth/logout"}
