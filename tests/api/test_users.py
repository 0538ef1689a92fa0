"""The Users section of API.md over HTTP, as an admin (and a head doctor for the reads).

Covers the user object's shape, GET /users (pagination, order, search, filters, parameter limits), GET /users/{id},
POST /users and /users/bulk (validation limits, trimming, departments, taken emails, all-or-nothing batches,
temporary passwords), PATCH /users/{id}, PUT /users/{id}/role, deactivate / activate / unlock (sessions, the last
active admin, lockout counters), tenancy (another hospital's user is 404 for every route and never changes), and
the audit row each mutation writes (docs/api.md's vocabulary; never a temporary password in the metadata).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from service.audit.schemas import CLI_ACTOR
from service.db.pool import Database
from service.hospital.tenants import create_department
from tests.api.conftest import MakeStaff, Staff, login
from tests.api.contract import LOGIN_FAILED, NOT_VALID, RFC3339, USER_KEYS, assert_problem
from tests.api.contract import TOKEN_REFUSED as TOKEN_REVOKED
from tests.probes import AuditRow, probes

USERS = "/api/v1/users"
USER_NOT_VALID = "the user is not valid"
USERS_NOT_VALID = "the users are not valid; nothing was created"
NO_SUCH_USER = "no such user"
LAST_ADMIN = "this is the hospital's last active admin: make another admin first"
INACTIVE_DEPARTMENT = "is not an active department of this hospital"
SHIFT = {"day": 0, "start": "08:00", "end": "16:00"}
HH_MM = "Expected str matching regex '^([01][0-9]|2[0-3]):[0-5][0-9]$'"


# --- helpers -----------------------------------------------------------------------------------------------


def assert_timestamp(value: Any) -> datetime:
    assert isinstance(value, str) and RFC3339.match(value), value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None
    return parsed


def assert_user(user: dict[str, Any], **expected: Any) -> None:
    """The user object of API.md: exactly its keys (never a secret), well-formed values, and ``expected``."""
    assert set(user) == USER_KEYS
    uuid.UUID(user["id"])
    uuid.UUID(user["hospitalId"])
    assert user["department"] is None or set(user["department"]) == {"id", "name", "code"}
    assert isinstance(user["isActive"], bool) and isinstance(user["isLocked"], bool)
    assert isinstance(user["twoFactorEnabled"], bool)
    assert_timestamp(user["createdAt"])
    assert_timestamp(user["updatedAt"])
    for optional in ("lockoutUntil", "lastLoginAt"):
        if user[optional] is not None:
            assert_timestamp(user[optional])
    for key, value in expected.items():
        assert user[key] == value, (key, user[key], value)


def case_id(value: Any) -> str | None:
    """Readable ids for (body, errors) cases: the fields sent, then the first error's message."""
    if isinstance(value, dict):
        return "+".join(value) or "empty"
    if isinstance(value, list) and value and isinstance(value[0], tuple):
        return str(value[0][1])[:40]
    return None


def new_user(**fields: Any) -> dict[str, Any]:
    """A valid POST /users body with a fresh email; ``fields`` override or add."""
    body: dict[str, Any] = {"name": "New Nurse", "email": f"new.{uuid.uuid4().hex[:12]}@test.example", "role": "nurse"}
    body.update(fields)
    return body


def department_ref(department_id: uuid.UUID) -> dict[str, str]:
    """The department fixture as the user object shows it."""
    return {"id": str(department_id), "name": "Emergency", "code": "ER"}


async def create(client: httpx.AsyncClient, admin: Staff, **fields: Any) -> dict[str, Any]:
    """POST /users; the 201 body {user, temporaryPassword}."""
    response = await client.post(USERS, json=new_user(**fields), headers=admin.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def get_user(client: httpx.AsyncClient, caller: Staff, user_id: uuid.UUID | str) -> dict[str, Any]:
    response = await client.get(f"{USERS}/{user_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()
    return user


async def list_users(client: httpx.AsyncClient, caller: Staff, **params: Any) -> dict[str, Any]:
    response = await client.get(USERS, params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"users", "total", "page", "totalPages"}
    for user in body["users"]:
        assert_user(user)
    return body


async def audit_rows(db: Database, hospital_id: uuid.UUID, prefix: str = "user.") -> list[AuditRow]:
    """The hospital's audit rows whose action starts with ``prefix``, oldest first."""
    async with db.transaction() as conn:
        rows = await probes().probe.audit_rows.many(conn, hospital_id)
    return [row for row in rows if row.action.startswith(prefix)]


async def admin_audit_rows(db: Database, admin: Staff) -> list[AuditRow]:
    """The user.* rows written by ``admin`` (make_staff's own user.create rows have no user)."""
    return [row for row in await audit_rows(db, admin.hospital_id) if row.user_id == admin.id]


def assert_audit(row: AuditRow, action: str, admin: Staff, target: uuid.UUID | str, metadata: dict[str, Any]) -> None:
    assert row.action == action
    assert row.outcome == "success"
    assert row.user_id == admin.id
    assert row.resource == "user"
    assert row.resource_id == str(target)
    assert row.session_id is not None
    assert row.metadata == metadata


async def secrets_of(db: Database, hospital_id: uuid.UUID, user_id: uuid.UUID | str) -> Any:
    async with db.transaction() as conn:
        return await probes().probe.user_secrets.one(conn, hospital_id, uuid.UUID(str(user_id)))


async def sessions_of(db: Database, hospital_id: uuid.UUID, user_id: uuid.UUID | str) -> list[Any]:
    async with db.transaction() as conn:
        return await probes().probe.user_sessions.many(conn, hospital_id, uuid.UUID(str(user_id)))


async def department_of(db: Database, hospital_id: uuid.UUID, code: str = "OTH") -> uuid.UUID:
    """A new active department of ``hospital_id``."""
    new_id = uuid.uuid4()
    async with db.transaction() as conn:
        await create_department(conn, CLI_ACTOR, hospital_id, new_id, f"Department {code}", code)
    return new_id


async def me_status(client: httpx.AsyncClient, staff: Staff) -> httpx.Response:
    return await client.get("/api/v1/auth/me", headers=staff.headers)


async def lock_by_wrong_passwords(client: httpx.AsyncClient, staff: Staff, attempts: int) -> None:
    for _ in range(attempts):
        assert_problem(await login(client, staff.email, "a wrong password, surely"), 401, LOGIN_FAILED)


# --- the user object and reads -----------------------------------------------------------------------------


async def test_get_user_is_the_user_object(
    client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff, department_id: uuid.UUID
) -> None:
    nurse = await make_staff("nurse", department_id=department_id, logged_in=False, name="Nina Nurse")
    user = await get_user(client, admin, nurse.id)
    assert_user(
        user,
        id=str(nurse.id),
        hospitalId=str(nurse.hospital_id),
        email=nurse.email,
        name="Nina Nurse",
        role="nurse",
        department=department_ref(department_id),
        licenseNumber=None,
        specialization=None,
        shiftSchedule=None,
        isActive=True,
        isLocked=False,
        lockoutUntil=None,
        twoFactorEnabled=False,
        lastLoginAt=None,
    )


async def test_last_login_is_shown_after_a_login(client: httpx.AsyncClient, admin: Staff) -> None:
    user = await get_user(client, admin, admin.id)
    assert_user(user, department=None, role="admin")
    assert assert_timestamp(user["lastLoginAt"]) <= datetime.now(UTC) + timedelta(seconds=5)


async def test_head_doctor_reads_users(
    client: httpx.AsyncClient, make_staff: MakeStaff, admin: Staff, department_id: uuid.UUID
) -> None:
    head = await make_staff("head_doctor", department_id=department_id)
    page = await list_users(client, head)
    assert {u["id"] for u in page["users"]} == {str(admin.id), str(head.id)}
    assert page["total"] == 2
    assert_user(await get_user(client, head, admin.id), id=str(admin.id), role="admin")


async def test_an_unknown_id_is_404(client: httpx.AsyncClient, admin: Staff) -> None:
    assert_problem(await client.get(f"{USERS}/{uuid.uuid4()}", headers=admin.headers), 404, NO_SUCH_USER)


# --- GET /users --------------------------------------------------------------------------------------------


async def test_pages_split_the_users_and_a_page_past_the_end_is_empty(
    client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff
) -> None:
    names = ["Bravo One", "Charlie Two", "Delta Three", "Echo Four"]  # the admin, "Admin ...", sorts first
    staff = [await make_staff("nurse", logged_in=False, name=name) for name in names]
    expected = [str(admin.id)] + [str(s.id) for s in staff]
    first = await list_users(client, admin, limit=2)
    assert (first["total"], first["page"], first["totalPages"]) == (5, 1, 3)
    second = await list_users(client, admin, limit=2, page=2)
    third = await list_users(client, admin, limit=2, page=3)
    assert [u["id"] for u in first["users"] + second["users"] + third["users"]] == expected
    assert len(third["users"]) == 1
    past = await list_users(client, admin, limit=2, page=4)
    assert past == {"users": [], "total": 5, "page": 4, "totalPages": 3}
    default = await list_users(client, admin)
    assert (default["page"], default["totalPages"], len(default["users"])) == (1, 1, 5)


async def test_no_match_has_zero_pages(client: httpx.AsyncClient, admin: Staff) -> None:
    assert await list_users(client, admin, search="nobody-is-called-this") == {
        "users": [],
        "total": 0,
        "page": 1,
        "totalPages": 0,
    }


async def test_order_is_name_then_id(client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff) -> None:
    twins = [await make_staff("doctor", logged_in=False, name="Same Name") for _ in range(4)]
    first = await make_staff("doctor", logged_in=False, name="Aaron First")
    last = await make_staff("doctor", logged_in=False, name="Zed Last")
    page = await list_users(client, admin, role="doctor")
    # PostgreSQL orders uuids by their bytes: the order of their lower-case hex text.
    by_id = sorted(str(t.id) for t in twins)
    assert [u["id"] for u in page["users"]] == [str(first.id), *by_id, str(last.id)]
    # The tie-break holds across page boundaries too.
    paged = [
        u["id"] for p in (1, 2, 3) for u in (await list_users(client, admin, role="doctor", limit=2, page=p))["users"]
    ]
    assert paged == [str(first.id), *by_id, str(last.id)]


async def test_search_matches_name_or_email_case_insensitively(
    client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff
) -> None:
    alice = await make_staff("nurse", logged_in=False, name="Alice Wonder")
    bob = await make_staff("nurse", logged_in=False, name="Bob Builder")
    marker = bob.email.split("@")[0].split(".")[1]  # the random part of the email, in no name

    async def found(search: str) -> set[str]:
        return {u["id"] for u in (await list_users(client, admin, search=search))["users"]}

    assert await found("WONDER") == {str(alice.id)}
    assert await found("ce wo") == {str(alice.id)}
    assert await found(marker.upper()) == {str(bob.id)}
    assert await found("TEST.EXAMPLE") == {str(admin.id), str(alice.id), str(bob.id)}
    assert await found("   alice   ") == {str(alice.id)}  # trimmed
    assert await found("   ") == {str(admin.id), str(alice.id), str(bob.id)}  # blank: no filter
    page = await list_users(client, admin, search="builder")
    assert (page["total"], page["totalPages"]) == (1, 1)


async def test_search_wildcards_are_literal(client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff) -> None:
    percent = await make_staff("nurse", logged_in=False, name="Done 100% Here")
    underscore = await make_staff("nurse", logged_in=False, name="Under_score")
    await make_staff("nurse", logged_in=False, name="Underxscore")
    await make_staff("nurse", logged_in=False, name="Done 1000 Here")

    async def found(search: str) -> list[str]:
        return [u["id"] for u in (await list_users(client, admin, search=search))["users"]]

    assert await found("%") == [str(percent.id)]
    assert await found("0%") == [str(percent.id)]
    assert await found("_") == [str(underscore.id)]
    assert await found("r_s") == [str(underscore.id)]
    assert await found("\\") == []


async def test_search_of_100_characters_is_accepted(client: httpx.AsyncClient, admin: Staff) -> None:
    assert (await list_users(client, admin, search="x" * 100))["total"] == 0


async def test_filters_by_role_department_and_active_state(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff, department_id: uuid.UUID
) -> None:
    other_department = await department_of(db, admin.hospital_id)
    er_nurse = await make_staff("nurse", department_id=department_id, logged_in=False, name="Er Nurse")
    er_doctor = await make_staff("doctor", department_id=department_id, logged_in=False, name="Er Doctor")
    other_nurse = await make_staff("nurse", department_id=other_department, logged_in=False, name="Oth Nurse")
    gone_nurse = await make_staff("nurse", department_id=department_id, logged_in=False, name="Gone Nurse")
    response = await client.post(f"{USERS}/{gone_nurse.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200, response.text

    async def ids(**params: Any) -> list[str]:
        page = await list_users(client, admin, **params)
        assert page["total"] == len(page["users"])
        return [u["id"] for u in page["users"]]

    assert await ids(role="nurse") == [str(er_nurse.id), str(gone_nurse.id), str(other_nurse.id)]
    assert await ids(role="admin") == [str(admin.id)]
    assert await ids(role="head_doctor") == []
    assert await ids(departmentId=str(department_id)) == [str(er_doctor.id), str(er_nurse.id), str(gone_nurse.id)]
    assert await ids(departmentId=str(other_department)) == [str(other_nurse.id)]
    assert await ids(departmentId=str(uuid.uuid4())) == []
    assert await ids(isActive="false") == [str(gone_nurse.id)]
    assert await ids(isActive="true") == [
        str(admin.id),
        str(er_doctor.id),
        str(er_nurse.id),
        str(other_nurse.id),
    ]
    assert await ids(role="nurse", departmentId=str(department_id), isActive="true") == [str(er_nurse.id)]
    assert await ids(role="nurse", departmentId=str(department_id), isActive="false", search="gone") == [
        str(gone_nurse.id)
    ]
    assert await ids(role="doctor", isActive="false") == []


async def test_search_is_trimmed_before_its_limit(client: httpx.AsyncClient, admin: Staff) -> None:
    response = await client.get(USERS, params={"search": "  " + "x" * 100 + "  "}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 0


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"limit": "0"}, [("limit", "Expected int >= 1")]),
        ({"limit": "101"}, [("limit", "Expected int <= 100")]),
        ({"limit": "ten"}, [("limit", "Expected int, got str")]),
        ({"page": "0"}, [("page", "Expected int >= 1")]),
        ({"search": "x" * 101}, [("search", "must be at most 100 characters")]),
        ({"role": "surgeon"}, [("role", "Invalid enum value 'surgeon'")]),
        ({"departmentId": "not-a-uuid"}, [("departmentId", "is not a UUID")]),
        ({"isActive": "maybe"}, [("isActive", "Expected bool | null, got str")]),
    ],
    ids=["limit-0", "limit-101", "limit-text", "page-0", "search-101", "role", "departmentId", "isActive"],
)
async def test_list_parameter_limits(
    client: httpx.AsyncClient, admin: Staff, params: dict[str, str], errors: list[tuple[str, str]]
) -> None:
    response = await client.get(USERS, params=params, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, errors)


async def test_list_names_every_bad_parameter(client: httpx.AsyncClient, admin: Staff) -> None:
    response = await client.get(USERS, params={"page": "0", "limit": "0"}, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [("page", "Expected int >= 1"), ("limit", "Expected int >= 1")])


# --- POST /users -------------------------------------------------------------------------------------------


async def test_create_returns_the_user_and_a_temporary_password(
    client: httpx.AsyncClient, db: Database, admin: Staff, department_id: uuid.UUID
) -> None:
    shifts = [{"day": 0, "start": "08:00", "end": "16:00"}, {"day": 6, "start": "22:00", "end": "06:00"}]
    before = datetime.now(UTC)
    body = await create(
        client,
        admin,
        name="  Dora  Doctor  ",
        email=f"  Dora.Doctor.{uuid.uuid4().hex[:8]}@Test.EXAMPLE ",
        role="doctor",
        departmentId=str(department_id),
        licenseNumber=" LIC-42 ",
        specialization=" Cardiology ",
        shiftSchedule=shifts,
    )
    assert set(body) == {"user", "temporaryPassword"}
    user, password = body["user"], body["temporaryPassword"]
    assert_user(
        user,
        hospitalId=str(admin.hospital_id),
        name="Dora  Doctor",
        role="doctor",
        department=department_ref(department_id),
        licenseNumber="LIC-42",
        specialization="Cardiology",
        shiftSchedule=shifts,
        isActive=True,
        isLocked=False,
        lockoutUntil=None,
        twoFactorEnabled=False,
        lastLoginAt=None,
    )
    assert re.fullmatch(r"dora\.doctor\.[0-9a-f]{8}@test\.example", user["email"])
    assert user["createdAt"] == user["updatedAt"]
    assert await get_user(client, admin, user["id"]) == user

    # 144 random bits: 24 characters of base64url.
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", password)
    secrets = await secrets_of(db, admin.hospital_id, user["id"])
    assert password not in secrets.password_hash
    assert secrets.must_change_password is True
    assert secrets.password_expires_at is not None
    assert before + timedelta(hours=72) <= secrets.password_expires_at <= datetime.now(UTC) + timedelta(hours=72)

    [row] = await admin_audit_rows(db, admin)
    assert_audit(row, "user.create", admin, user["id"], {"email": user["email"], "role": "doctor"})
    assert password not in str(row.metadata)


async def test_temporary_password_logs_in_with_a_change_required(client: httpx.AsyncClient, admin: Staff) -> None:
    body = await create(client, admin, role="operator")
    response = await login(client, body["user"]["email"], body["temporaryPassword"])
    assert response.status_code == 200, response.text
    session = response.json()
    assert session["passwordChangeRequired"] is True
    assert session["user"]["id"] == body["user"]["id"]
    response = await client.get(USERS, headers={"Authorization": f"Bearer {session['token']}"})
    assert_problem(response, 403, "password change required")


async def test_a_created_user_logs_in_with_its_email_in_any_case(client: httpx.AsyncClient, admin: Staff) -> None:
    given = f"Mixed.Case.{uuid.uuid4().hex[:8]}@Example.ORG"
    body = await create(client, admin, email=given)
    assert body["user"]["email"] == given.lower()
    for spelling in (given, given.upper(), f"  {given} "):
        response = await login(client, spelling, body["temporaryPassword"])
        assert response.status_code == 200, (spelling, response.text)


async def test_temporary_passwords_differ(client: httpx.AsyncClient, admin: Staff) -> None:
    passwords = {(await create(client, admin))["temporaryPassword"] for _ in range(5)}
    assert len(passwords) == 5


@pytest.mark.parametrize(
    ("fields", "stored"),
    [
        ({"name": " Ab "}, {"name": "Ab"}),
        ({"name": "N" * 100}, {"name": "N" * 100}),
        ({"name": "  " + "N" * 100 + "  "}, {"name": "N" * 100}),
        ({"licenseNumber": "L" * 50}, {"licenseNumber": "L" * 50}),
        ({"specialization": "S" * 100}, {"specialization": "S" * 100}),
        ({"shiftSchedule": [SHIFT] * 50}, {"shiftSchedule": [SHIFT] * 50}),
        ({"shiftSchedule": []}, {"shiftSchedule": []}),
        ({"shiftSchedule": [{"day": 6, "start": "23:59", "end": "00:00"}]}, {}),
        ({"licenseNumber": None, "specialization": None, "shiftSchedule": None, "departmentId": None}, {}),
        ({"role": "operator"}, {"role": "operator"}),
        ({"role": "head_doctor"}, {"role": "head_doctor"}),
    ],
    ids=[
        "name-2",
        "name-100",
        "name-100-padded",
        "license-50",
        "specialization-100",
        "shifts-50",
        "shifts-empty",
        "shift-over-midnight",
        "explicit-nulls",
        "operator",
        "head-doctor",
    ],
)
async def test_create_accepts_boundary_values(
    client: httpx.AsyncClient, admin: Staff, fields: dict[str, Any], stored: dict[str, Any]
) -> None:
    user = (await create(client, admin, **fields))["user"]
    assert_user(user, **stored)


async def test_create_lower_cases_and_trims_the_email(client: httpx.AsyncClient, admin: Staff) -> None:
    marker = uuid.uuid4().hex[:8]
    user = (await create(client, admin, email=f"\t Mixed.Case.{marker}@Example.ORG  "))["user"]
    assert user["email"] == f"mixed.case.{marker}@example.org"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"name": " A "}, [("name", "must be at least 2 characters")]),
        ({"name": "   "}, [("name", "must be at least 2 characters")]),
        ({"name": "N" * 101}, [("name", "must be at most 100 characters")]),
        ({"name": 42}, [("name", "Expected str, got int")]),
        ({"licenseNumber": "L" * 51}, [("licenseNumber", "must be at most 50 characters")]),
        ({"specialization": "S" * 101}, [("specialization", "must be at most 100 characters")]),
        ({"shiftSchedule": [SHIFT] * 51}, [("shiftSchedule", "Expected array of length <= 50")]),
        ({"shiftSchedule": [SHIFT, {**SHIFT, "day": 7}]}, [("shiftSchedule[1].day", "Expected int <= 6")]),
        ({"shiftSchedule": [{**SHIFT, "day": -1}]}, [("shiftSchedule[0].day", "Expected int >= 0")]),
        ({"shiftSchedule": [{**SHIFT, "start": "8:00"}]}, [("shiftSchedule[0].start", HH_MM)]),
        ({"shiftSchedule": [{**SHIFT, "end": "24:00"}]}, [("shiftSchedule[0].end", HH_MM)]),
        ({"shiftSchedule": [{**SHIFT, "end": "12:60"}]}, [("shiftSchedule[0].end", HH_MM)]),
        ({"shiftSchedule": [{"day": 1, "start": "08:00"}]}, [("shiftSchedule[0].end", "is required")]),
        ({"shiftSchedule": [{**SHIFT, "note": "x"}]}, [("shiftSchedule[0].note", "is not a known field")]),
        ({"email": "not-an-email"}, [("email", "is not an email address")]),
        ({"email": "two@@at.example"}, [("email", "is not an email address")]),
        ({"email": "no-dot@localhost"}, [("email", "is not an email address")]),
        ({"email": "   "}, [("email", "is required")]),
        ({"email": "a" * 250 + "@x.io"}, [("email", "must be at most 254 characters")]),
        ({"role": "admin"}, [("role", "Invalid enum value 'admin'")]),
        ({"role": "surgeon"}, [("role", "Invalid enum value 'surgeon'")]),
        ({"departmentId": "not-a-uuid"}, [("departmentId", "is not a UUID")]),
        ({"hospitalId": str(uuid.uuid4())}, [("hospitalId", "is not a known field")]),
        ({"isActive": False}, [("isActive", "is not a known field")]),
        ({"passwordHash": "$argon2id$..."}, [("passwordHash", "is not a known field")]),
        ({"password": "chosen by me, please"}, [("password", "is not a known field")]),
        ({"twoFactorEnabled": True}, [("twoFactorEnabled", "is not a known field")]),
    ],
    ids=case_id,
)
async def test_create_validation(
    client: httpx.AsyncClient, db: Database, admin: Staff, fields: dict[str, Any], errors: list[tuple[str, str]]
) -> None:
    response = await client.post(USERS, json=new_user(**fields), headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, errors)
    assert (await list_users(client, admin))["total"] == 1
    assert await admin_audit_rows(db, admin) == []


@pytest.mark.parametrize("missing", ["name", "email", "role"])
async def test_create_names_a_missing_required_field(client: httpx.AsyncClient, admin: Staff, missing: str) -> None:
    body = new_user()
    del body[missing]
    response = await client.post(USERS, json=body, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [(missing, "is required")])


async def test_create_needs_a_body(client: httpx.AsyncClient, admin: Staff) -> None:
    response = await client.post(USERS, content=b"", headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [("", "a JSON body is required")])
    response = await client.post(USERS, content=b'{"name": ', headers=admin.headers)
    assert_problem(response, 400, "the body is not valid JSON")


@pytest.mark.parametrize("case", ["unknown", "inactive", "other-hospital"])
async def test_create_refuses_a_department_that_is_not_an_active_one_of_the_hospital(
    client: httpx.AsyncClient,
    db: Database,
    admin: Staff,
    department_id: uuid.UUID,
    other_hospital: uuid.UUID,
    case: str,
) -> None:
    if case == "unknown":
        target = uuid.uuid4()
    elif case == "inactive":
        target = department_id
        response = await client.patch(
            f"/api/v1/hospital/departments/{department_id}", json={"isActive": False}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["isActive"] is False
    else:
        target = await department_of(db, other_hospital)
    response = await client.post(USERS, json=new_user(departmentId=str(target)), headers=admin.headers)
    assert_problem(response, 400, USER_NOT_VALID, [("departmentId", INACTIVE_DEPARTMENT)])
    assert (await list_users(client, admin))["total"] == 1
    assert await admin_audit_rows(db, admin) == []


@pytest.mark.parametrize("where", ["same-hospital", "other-hospital"])
@pytest.mark.parametrize(
    "spelling", [str.lower, str.upper, lambda e: f"  {e.title()} "], ids=["same", "upper", "mixed"]
)
async def test_create_refuses_a_taken_email(
    client: httpx.AsyncClient,
    db: Database,
    admin: Staff,
    make_staff: MakeStaff,
    other_hospital: uuid.UUID,
    where: str,
    spelling: Any,
) -> None:
    owner = await make_staff("nurse", hospital=other_hospital if where == "other-hospital" else None, logged_in=False)
    response = await client.post(USERS, json=new_user(email=spelling(owner.email)), headers=admin.headers)
    assert_problem(response, 409, "the email is already taken", [("email", "is already taken")])
    assert (await list_users(client, admin))["total"] == (2 if where == "same-hospital" else 1)
    assert await admin_audit_rows(db, admin) == []


# --- POST /users/bulk --------------------------------------------------------------------------------------


async def test_bulk_creates_100_users(client: httpx.AsyncClient, db: Database, admin: Staff) -> None:
    rows = [new_user(name=f"Bulk User {i:03}", role=("nurse", "doctor", "operator")[i % 3]) for i in range(100)]
    response = await client.post(f"{USERS}/bulk", json={"users": rows}, headers=admin.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == {"users"}
    assert len(created["users"]) == 100
    for row, item in zip(rows, created["users"], strict=True):
        assert set(item) == {"user", "temporaryPassword"}
        assert_user(item["user"], email=row["email"], name=row["name"], role=row["role"], isActive=True)
        assert re.fullmatch(r"[A-Za-z0-9_-]{24}", item["temporaryPassword"])
    passwords = [item["temporaryPassword"] for item in created["users"]]
    assert len(set(passwords)) == 100
    assert len({item["user"]["id"] for item in created["users"]}) == 100
    assert (await list_users(client, admin, limit=1))["total"] == 101

    audit = await admin_audit_rows(db, admin)
    assert len(audit) == 100
    by_target = {row.resource_id: row for row in audit}
    for item in created["users"]:
        user = item["user"]
        assert_audit(
            by_target[user["id"]],
            "user.create",
            admin,
            user["id"],
            {"email": user["email"], "role": user["role"], "bulk": True},
        )
    text = str([row.metadata for row in audit])
    assert not any(password in text for password in passwords)

    last = created["users"][-1]
    response = await login(client, last["user"]["email"], last["temporaryPassword"])
    assert response.status_code == 200, response.text
    assert response.json()["passwordChangeRequired"] is True


@pytest.mark.parametrize("size", [1, 500])
async def test_bulk_accepts_1_and_500_rows(client: httpx.AsyncClient, db: Database, admin: Staff, size: int) -> None:
    rows = [new_user(name=f"Row {i:03}") for i in range(size)]
    response = await client.post(f"{USERS}/bulk", json={"users": rows}, headers=admin.headers)
    assert response.status_code == 201, response.text
    assert [item["user"]["email"] for item in response.json()["users"]] == [row["email"] for row in rows]
    assert (await list_users(client, admin, limit=1))["total"] == size + 1
    assert len(await admin_audit_rows(db, admin)) == size


async def test_bulk_reports_every_invalid_row_and_creates_nothing(
    client: httpx.AsyncClient, db: Database, admin: Staff
) -> None:
    rows = [
        new_user(),
        new_user(email="not-an-email"),
        new_user(name="X"),
        new_user(),
        new_user(shiftSchedule=[{**SHIFT, "day": 9}]),
        new_user(role="admin"),
        new_user(hospitalId=str(uuid.uuid4())),
        5,
    ]
    response = await client.post(f"{USERS}/bulk", json={"users": rows}, headers=admin.headers)
    assert_problem(
        response,
        400,
        USERS_NOT_VALID,
        [
            ("users[1].email", "is not an email address"),
            ("users[2].name", "must be at least 2 characters"),
            ("users[4].shiftSchedule[0].day", "Expected int <= 6"),
            ("users[5].role", "Invalid enum value 'admin'"),
            ("users[6].hospitalId", "is not a known field"),
            ("users[7]", "Expected object, got int"),
        ],
    )
    assert (await list_users(client, admin))["total"] == 1
    assert await admin_audit_rows(db, admin) == []


async def test_bulk_names_the_later_row_of_a_repeated_email(
    client: httpx.AsyncClient, db: Database, admin: Staff
) -> None:
    first = new_user()
    rows = [first, new_user(), new_user(email=f"  {first['email'].upper()} "), new_user(email=first["email"])]
    response = await client.post(f"{USERS}/bulk", json={"users": rows}, headers=admin.headers)
    assert_problem(
        response,
        400,
        USERS_NOT_VALID,
        [
            ("users[2].email", "appears twice in this batch (first at users[0])"),
            ("users[3].email", "appears twice in this batch (first at users[0])"),
        ],
    )
    assert (await list_users(client, admin))["total"] == 1
    assert await admin_audit_rows(db, admin) == []


async def test_bulk_reports_departments_of_every_row(
    client: httpx.AsyncClient, db: Database, admin: Staff, department_id: uuid.UUID, other_hospital: uuid.UUID
) -> None:
    foreign = await department_of(db, other_hospital)
    rows = [
        new_user(departmentId=str(department_id)),
        new_user(departmentId=str(uuid.uuid4())),
        new_user(),
        new_user(departmentId=str(foreign)),
    ]
    response = await client.post(f"{USERS}/bulk", json={"users": rows}, headers=admin.headers)
    assert_problem(
        response,
        400,
        USERS_NOT_VALID,
        [("users[1].departmentId", INACTIVE_DEPARTMENT), ("users[3].departmentId", INACTIVE_DEPARTMENT)],
    )
    assert (await list_users(client, admin))["total"] == 1
    assert await admin_audit_rows(db, admin) == []


async def test_bulk_reports_every_bad_row_whatever_its_problem(
    client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff
) -> None:
    owner = await make_staff("nurse", logged_in=False)
    rows = [
        new_user(),
        new_user(email="not-an-email"),
        new_user(departmentId=str(uuid.uuid4())),
        new_user(email=owner.email),
    ]
    response = await client.post(f"{USERS}/bulk", json={"users": rows}, headers=admin.headers)
    assert_problem(
        response,
        400,
        USERS_NOT_VALID,
        [
            ("users[1].email", "is not an email address"),
            ("users[2].departmentId", INACTIVE_DEPARTMENT),
            ("users[3].email", "is already taken"),
        ],
    )


async def test_bulk_with_only_taken_emails_is_409_naming_each_row(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff, other_hospital: uuid.UUID
) -> None:
    here = await make_staff("nurse", logged_in=False)
    there = await make_staff("nurse", hospital=other_hospital, logged_in=False)
    rows = [new_user(email=here.email.upper()), new_user(), new_user(email=there.email), new_user()]
    response = await client.post(f"{USERS}/bulk", json={"users": rows}, headers=admin.headers)
    assert_problem(
        response,
        409,
        "some emails are already taken; nothing was created",
        [("users[0].email", "is already taken"), ("users[2].email", "is already taken")],
    )
    assert (await list_users(client, admin))["total"] == 2
    assert await admin_audit_rows(db, admin) == []


async def test_bulk_mixing_taken_emails_and_bad_departments_is_400(
    client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff
) -> None:
    owner = await make_staff("nurse", logged_in=False)
    rows = [new_user(email=owner.email), new_user(departmentId=str(uuid.uuid4()))]
    response = await client.post(f"{USERS}/bulk", json={"users": rows}, headers=admin.headers)
    assert_problem(
        response,
        400,
        USERS_NOT_VALID,
        [("users[0].email", "is already taken"), ("users[1].departmentId", INACTIVE_DEPARTMENT)],
    )
    assert (await list_users(client, admin))["total"] == 2


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"users": []}, [("users", "Expected array of length >= 1")]),
        (
            {"users": [{"name": "Row", "email": "row@x.example", "role": "nurse"}] * 501},
            [("users", "Expected array of length <= 500")],
        ),
        ({}, [("users", "is required")]),
        ({"users": "everyone"}, [("users", "Expected array, got str")]),
        (
            {"users": [{"name": "Row", "email": "row@x.example", "role": "nurse"}], "dryRun": True},
            [("dryRun", "is not a known field")],
        ),
    ],
    ids=["0-rows", "501-rows", "missing", "not-a-list", "unknown-field"],
)
async def test_bulk_size_limits(
    client: httpx.AsyncClient, admin: Staff, body: dict[str, Any], errors: list[tuple[str, str]]
) -> None:
    response = await client.post(f"{USERS}/bulk", json=body, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, errors)
    assert (await list_users(client, admin))["total"] == 1


# --- PATCH /users/{id} -------------------------------------------------------------------------------------


async def test_patch_changes_the_fields_given_and_keeps_the_others(
    client: httpx.AsyncClient, db: Database, admin: Staff, department_id: uuid.UUID
) -> None:
    created = (
        await create(
            client, admin, name="Paula Patch", licenseNumber="LIC-1", specialization="Surgery", shiftSchedule=[SHIFT]
        )
    )["user"]
    other_department = await department_of(db, admin.hospital_id)
    response = await client.patch(
        f"{USERS}/{created['id']}",
        json={"name": "  Paula Changed ", "departmentId": str(department_id), "specialization": " Oncology "},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert_user(
        changed,
        id=created["id"],
        email=created["email"],
        role="nurse",
        name="Paula Changed",
        department=department_ref(department_id),
        licenseNumber="LIC-1",
        specialization="Oncology",
        shiftSchedule=[SHIFT],
        createdAt=created["createdAt"],
    )
    assert assert_timestamp(changed["updatedAt"]) > assert_timestamp(created["updatedAt"])
    assert await get_user(client, admin, created["id"]) == changed

    response = await client.patch(
        f"{USERS}/{created['id']}",
        json={
            "departmentId": str(other_department),
            "shiftSchedule": [SHIFT, {"day": 3, "start": "20:00", "end": "04:00"}],
        },
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    assert_user(
        response.json(),
        name="Paula Changed",
        department={"id": str(other_department), "name": "Department OTH", "code": "OTH"},
        shiftSchedule=[SHIFT, {"day": 3, "start": "20:00", "end": "04:00"}],
        licenseNumber="LIC-1",
    )

    audit = [row for row in await admin_audit_rows(db, admin) if row.action == "user.update"]
    assert len(audit) == 2
    for row, fields in zip(
        audit, (["name", "departmentId", "specialization"], ["departmentId", "shiftSchedule"]), strict=True
    ):
        assert_audit(row, "user.update", admin, created["id"], {"fields": row.metadata["fields"]})
        assert sorted(row.metadata["fields"]) == sorted(fields)


async def test_patch_null_clears_the_optional_fields(
    client: httpx.AsyncClient, db: Database, admin: Staff, department_id: uuid.UUID
) -> None:
    created = (
        await create(
            client,
            admin,
            name="Clara Clear",
            departmentId=str(department_id),
            licenseNumber="LIC-2",
            specialization="Pediatrics",
            shiftSchedule=[SHIFT],
        )
    )["user"]
    cleared = {"departmentId": None, "licenseNumber": None, "specialization": None, "shiftSchedule": None}
    response = await client.patch(f"{USERS}/{created['id']}", json=cleared, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert_user(
        response.json(),
        name="Clara Clear",
        department=None,
        licenseNumber=None,
        specialization=None,
        shiftSchedule=None,
    )
    [row] = [row for row in await admin_audit_rows(db, admin) if row.action == "user.update"]
    assert_audit(row, "user.update", admin, created["id"], {"fields": row.metadata["fields"]})
    assert sorted(row.metadata["fields"]) == sorted(cleared)


async def test_patch_blank_optional_text_is_stored_as_null(client: httpx.AsyncClient, admin: Staff) -> None:
    created = (await create(client, admin, licenseNumber="LIC-3", specialization="ENT"))["user"]
    response = await client.patch(
        f"{USERS}/{created['id']}", json={"licenseNumber": "   ", "specialization": ""}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert_user(response.json(), licenseNumber=None, specialization=None)


async def test_patch_with_nothing_changes_nothing(client: httpx.AsyncClient, db: Database, admin: Staff) -> None:
    created = (await create(client, admin))["user"]
    response = await client.patch(f"{USERS}/{created['id']}", json={}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == created
    assert [row.action for row in await admin_audit_rows(db, admin)] == ["user.create"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": None}, [("name", "Expected str, got null")]),
        ({"name": " X "}, [("name", "must be at least 2 characters")]),
        ({"name": "N" * 101}, [("name", "must be at most 100 characters")]),
        ({"licenseNumber": "L" * 51}, [("licenseNumber", "must be at most 50 characters")]),
        ({"specialization": "S" * 101}, [("specialization", "must be at most 100 characters")]),
        ({"shiftSchedule": [SHIFT] * 51}, [("shiftSchedule", "Expected array of length <= 50")]),
        ({"shiftSchedule": [{**SHIFT, "start": "25:00"}]}, [("shiftSchedule[0].start", HH_MM)]),
        ({"departmentId": "ER"}, [("departmentId", "is not a UUID")]),
        ({"role": "admin"}, [("role", "is not a known field")]),
        ({"isActive": False}, [("isActive", "is not a known field")]),
        ({"hospitalId": str(uuid.uuid4())}, [("hospitalId", "is not a known field")]),
        ({"email": "new@x.example"}, [("email", "is not a known field")]),
        ({"passwordHash": "x"}, [("passwordHash", "is not a known field")]),
        ({"isLocked": False}, [("isLocked", "is not a known field")]),
    ],
    ids=case_id,
)
async def test_patch_validation(
    client: httpx.AsyncClient, db: Database, admin: Staff, body: dict[str, Any], errors: list[tuple[str, str]]
) -> None:
    created = (await create(client, admin, name="Vera Valid"))["user"]
    response = await client.patch(f"{USERS}/{created['id']}", json=body, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, errors)
    assert await get_user(client, admin, created["id"]) == created
    assert [row.action for row in await admin_audit_rows(db, admin)] == ["user.create"]


@pytest.mark.parametrize("case", ["unknown", "inactive", "other-hospital"])
async def test_patch_refuses_a_department_that_is_not_an_active_one_of_the_hospital(
    client: httpx.AsyncClient,
    db: Database,
    admin: Staff,
    department_id: uuid.UUID,
    other_hospital: uuid.UUID,
    case: str,
) -> None:
    created = (await create(client, admin))["user"]
    if case == "unknown":
        target = uuid.uuid4()
    elif case == "inactive":
        target = await department_of(db, admin.hospital_id, "OLD")
        response = await client.patch(
            f"/api/v1/hospital/departments/{target}", json={"isActive": False}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
    else:
        target = await department_of(db, other_hospital)
    response = await client.patch(f"{USERS}/{created['id']}", json={"departmentId": str(target)}, headers=admin.headers)
    assert_problem(response, 400, USER_NOT_VALID, [("departmentId", INACTIVE_DEPARTMENT)])
    assert await get_user(client, admin, created["id"]) == created
    assert [row.action for row in await admin_audit_rows(db, admin)] == ["user.create"]


# --- PUT /users/{id}/role ----------------------------------------------------------------------------------


async def put_role(client: httpx.AsyncClient, admin: Staff, user_id: uuid.UUID | str, role: str) -> httpx.Response:
    return await client.put(f"{USERS}/{user_id}/role", json={"role": role}, headers=admin.headers)


async def assert_revoked(client: httpx.AsyncClient, staff: Staff) -> None:
    assert_problem(await me_status(client, staff), 401, TOKEN_REVOKED)


async def assert_live(client: httpx.AsyncClient, staff: Staff) -> None:
    response = await me_status(client, staff)
    assert response.status_code == 200, response.text


async def second_session(client: httpx.AsyncClient, staff: Staff) -> Staff:
    """The same user logged in once more: another token."""
    response = await login(client, staff.email)
    assert response.status_code == 200, response.text
    return Staff(
        staff.id, staff.hospital_id, staff.email, staff.role, staff.department_id, token=response.json()["token"]
    )


async def test_role_change_revokes_every_session_of_the_user(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    nurse = await make_staff("nurse")
    again = await second_session(client, nurse)
    before = await get_user(client, admin, nurse.id)
    response = await put_role(client, admin, nurse.id, "doctor")
    assert response.status_code == 200, response.text
    after = response.json()
    assert_user(after, id=str(nurse.id), role="doctor", isActive=True, createdAt=before["createdAt"])
    assert assert_timestamp(after["updatedAt"]) > assert_timestamp(before["updatedAt"])
    await assert_revoked(client, nurse)
    await assert_revoked(client, again)
    assert [s.revoked_reason for s in await sessions_of(db, admin.hospital_id, nurse.id)] == ["role_change"] * 2
    await assert_live(client, admin)

    [row] = await admin_audit_rows(db, admin)
    assert_audit(row, "user.role_change", admin, nurse.id, {"from": "nurse", "to": "doctor", "sessionsRevoked": 2})

    response = await login(client, nurse.email)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["role"] == "doctor"


async def test_giving_the_same_role_changes_nothing(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    nurse = await make_staff("nurse")
    before = await get_user(client, admin, nurse.id)
    response = await put_role(client, admin, nurse.id, "nurse")
    assert response.status_code == 200, response.text
    assert response.json() == before
    await assert_live(client, nurse)
    assert await admin_audit_rows(db, admin) == []


async def test_the_last_active_admin_cannot_be_demoted(client: httpx.AsyncClient, db: Database, admin: Staff) -> None:
    before = await get_user(client, admin, admin.id)
    for role in ("nurse", "head_doctor", "operator"):
        assert_problem(await put_role(client, admin, admin.id, role), 409, LAST_ADMIN)
    assert await get_user(client, admin, admin.id) == before
    assert await admin_audit_rows(db, admin) == []


async def test_with_two_admins_one_can_be_demoted(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    nurse = await make_staff("nurse")
    response = await put_role(client, admin, nurse.id, "admin")
    assert response.status_code == 200, response.text
    assert_user(response.json(), role="admin")
    await assert_revoked(client, nurse)

    # The first admin demotes itself: allowed now, and its own sessions end.
    response = await put_role(client, admin, admin.id, "head_doctor")
    assert response.status_code == 200, response.text
    assert_user(response.json(), id=str(admin.id), role="head_doctor")
    await assert_revoked(client, admin)

    promoted = await second_session(client, nurse)
    assert_problem(await put_role(client, promoted, promoted.id, "doctor"), 409, LAST_ADMIN)

    promotion, demotion = await admin_audit_rows(db, admin)
    assert_audit(promotion, "user.role_change", admin, nurse.id, {"from": "nurse", "to": "admin", "sessionsRevoked": 1})
    assert_audit(
        demotion, "user.role_change", admin, admin.id, {"from": "admin", "to": "head_doctor", "sessionsRevoked": 1}
    )
    assert [row.action for row in await admin_audit_rows(db, promoted)] == []


async def test_an_inactive_admin_does_not_count_as_another_admin(
    client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff
) -> None:
    retired = await make_staff("admin", logged_in=False)
    response = await client.post(f"{USERS}/{retired.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert_problem(await put_role(client, admin, admin.id, "doctor"), 409, LAST_ADMIN)
    assert_problem(await client.post(f"{USERS}/{admin.id}/deactivate", headers=admin.headers), 409, LAST_ADMIN)
    # The inactive admin itself may be demoted: it is not an active admin.
    response = await put_role(client, admin, retired.id, "doctor")
    assert response.status_code == 200, response.text
    assert_user(response.json(), role="doctor", isActive=False)


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff
) -> None:
    colleague = await make_staff("admin")
    first, second = await asyncio.gather(
        put_role(client, admin, colleague.id, "doctor"), put_role(client, colleague, admin.id, "doctor")
    )
    # One demotion wins; the other finds the last admin (409) or its own session already revoked (401).
    outcomes = sorted([first.status_code, second.status_code])
    assert outcomes in ([200, 401], [200, 409]), (first.text, second.text)
    for response in (first, second):
        if response.status_code == 409:
            assert_problem(response, 409, LAST_ADMIN)
        elif response.status_code == 401:
            assert_problem(response, 401, TOKEN_REVOKED)
    winner = admin if first.status_code == 200 else colleague
    await assert_live(client, winner)
    assert [u["id"] for u in (await list_users(client, winner, role="admin"))["users"]] == [str(winner.id)]


async def test_two_admins_deactivating_each_other_at_once_leave_one_admin(
    client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff
) -> None:
    colleague = await make_staff("admin")
    first, second = await asyncio.gather(
        client.post(f"{USERS}/{colleague.id}/deactivate", headers=admin.headers),
        client.post(f"{USERS}/{admin.id}/deactivate", headers=colleague.headers),
    )
    outcomes = sorted([first.status_code, second.status_code])
    assert outcomes in ([200, 401], [200, 409]), (first.text, second.text)
    winner = admin if first.status_code == 200 else colleague
    page = await list_users(client, winner, role="admin", isActive="true")
    assert [u["id"] for u in page["users"]] == [str(winner.id)]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"role": "surgeon"}, [("role", "Invalid enum value 'surgeon'")]),
        ({"role": "Admin"}, [("role", "Invalid enum value 'Admin'")]),
        ({"role": None}, [("role", "Expected str, got null")]),
        ({}, [("role", "is required")]),
        ({"role": "doctor", "isActive": False}, [("isActive", "is not a known field")]),
    ],
    ids=["unknown", "capitalised", "null", "missing", "extra-field"],
)
async def test_role_validation(
    client: httpx.AsyncClient,
    db: Database,
    admin: Staff,
    make_staff: MakeStaff,
    body: dict[str, Any],
    errors: list[tuple[str, str]],
) -> None:
    nurse = await make_staff("nurse")
    response = await client.put(f"{USERS}/{nurse.id}/role", json=body, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, errors)
    assert (await get_user(client, admin, nurse.id))["role"] == "nurse"
    await assert_live(client, nurse)
    assert await admin_audit_rows(db, admin) == []


# --- deactivate / activate ---------------------------------------------------------------------------------


async def test_deactivation_revokes_sessions_and_stops_logins_until_activation(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    doctor = await make_staff("doctor")
    again = await second_session(client, doctor)
    before = await get_user(client, admin, doctor.id)
    response = await client.post(f"{USERS}/{doctor.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200, response.text
    deactivated = response.json()
    assert_user(deactivated, id=str(doctor.id), isActive=False, role="doctor")
    assert assert_timestamp(deactivated["updatedAt"]) > assert_timestamp(before["updatedAt"])
    await assert_revoked(client, doctor)
    await assert_revoked(client, again)
    assert [s.revoked_reason for s in await sessions_of(db, admin.hospital_id, doctor.id)] == ["deactivation"] * 2
    assert_problem(await login(client, doctor.email), 401, LOGIN_FAILED)
    assert await get_user(client, admin, doctor.id) == deactivated

    response = await client.post(f"{USERS}/{doctor.id}/activate", headers=admin.headers)
    assert response.status_code == 200, response.text
    activated = response.json()
    assert_user(activated, id=str(doctor.id), isActive=True)
    assert assert_timestamp(activated["updatedAt"]) > assert_timestamp(deactivated["updatedAt"])
    response = await login(client, doctor.email)
    assert response.status_code == 200, response.text

    deactivate, activate = await admin_audit_rows(db, admin)
    assert_audit(deactivate, "user.deactivate", admin, doctor.id, {"sessionsRevoked": 2})
    assert_audit(activate, "user.activate", admin, doctor.id, {})


async def test_deactivating_an_inactive_user_changes_nothing(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    nurse = await make_staff("nurse", logged_in=False)
    first = await client.post(f"{USERS}/{nurse.id}/deactivate", headers=admin.headers)
    assert first.status_code == 200, first.text
    second = await client.post(f"{USERS}/{nurse.id}/deactivate", headers=admin.headers)
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert [row.action for row in await admin_audit_rows(db, admin)] == ["user.deactivate"]


async def test_activating_an_active_user_changes_nothing(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    nurse = await make_staff("nurse")
    before = await get_user(client, admin, nurse.id)
    response = await client.post(f"{USERS}/{nurse.id}/activate", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == before
    await assert_live(client, nurse)
    # docs/api.md: user.activate is written when "a user activated again"; nothing happened here.
    assert await admin_audit_rows(db, admin) == []


async def test_the_last_active_admin_cannot_be_deactivated(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    assert_problem(await client.post(f"{USERS}/{admin.id}/deactivate", headers=admin.headers), 409, LAST_ADMIN)
    await assert_live(client, admin)
    assert (await get_user(client, admin, admin.id))["isActive"] is True
    assert await admin_audit_rows(db, admin) == []

    colleague = await make_staff("admin")
    response = await client.post(f"{USERS}/{colleague.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200, response.text
    await assert_revoked(client, colleague)
    response = await client.post(f"{USERS}/{colleague.id}/activate", headers=admin.headers)
    assert response.status_code == 200, response.text
    # With two active admins, an admin may even deactivate itself; its session ends with it.
    colleague = await second_session(client, colleague)
    response = await client.post(f"{USERS}/{admin.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert_user(response.json(), id=str(admin.id), isActive=False)
    await assert_revoked(client, admin)
    assert_problem(await client.post(f"{USERS}/{colleague.id}/deactivate", headers=colleague.headers), 409, LAST_ADMIN)


# --- unlock ------------------------------------------------------------------------------------------------


async def set_lockout_threshold(client: httpx.AsyncClient, admin: Staff, threshold: int) -> None:
    response = await client.patch(
        "/api/v1/hospital", json={"settings": {"lockoutThreshold": threshold}}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["settings"]["lockoutThreshold"] == threshold


async def test_unlock_clears_a_lock_and_its_counts(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    await set_lockout_threshold(client, admin, 3)
    nurse = await make_staff("nurse", logged_in=False)
    await lock_by_wrong_passwords(client, nurse, 3)
    locked = await get_user(client, admin, nurse.id)
    assert_user(locked, isLocked=True, isActive=True)
    assert assert_timestamp(locked["lockoutUntil"]) > datetime.now(UTC)
    assert_problem(await login(client, nurse.email), 401, LOGIN_FAILED)  # even the right password
    secrets = await secrets_of(db, admin.hospital_id, nurse.id)
    assert (secrets.is_locked, secrets.lockout_count) == (True, 1)

    response = await client.post(f"{USERS}/{nurse.id}/unlock", headers=admin.headers)
    assert response.status_code == 200, response.text
    unlocked = response.json()
    assert_user(unlocked, id=str(nurse.id), isLocked=False, lockoutUntil=None, isActive=True)
    assert assert_timestamp(unlocked["updatedAt"]) > assert_timestamp(locked["updatedAt"])
    secrets = await secrets_of(db, admin.hospital_id, nurse.id)
    assert (secrets.is_locked, secrets.lockout_until, secrets.failed_login_attempts, secrets.lockout_count) == (
        False,
        None,
        0,
        0,
    )
    unlocks = [row for row in await admin_audit_rows(db, admin) if row.action == "user.unlock"]
    assert len(unlocks) == 1
    assert_audit(unlocks[0], "user.unlock", admin, nurse.id, {})

    response = await login(client, nurse.email)
    assert response.status_code == 200, response.text


async def test_unlock_clears_a_failure_count_below_the_threshold(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    await set_lockout_threshold(client, admin, 3)
    nurse = await make_staff("nurse", logged_in=False)
    await lock_by_wrong_passwords(client, nurse, 2)
    assert (await secrets_of(db, admin.hospital_id, nurse.id)).failed_login_attempts == 2
    assert (await get_user(client, admin, nurse.id))["isLocked"] is False
    response = await client.post(f"{USERS}/{nurse.id}/unlock", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert_user(response.json(), isLocked=False, lockoutUntil=None)
    assert (await secrets_of(db, admin.hospital_id, nurse.id)).failed_login_attempts == 0
    [row] = [row for row in await admin_audit_rows(db, admin) if row.action == "user.unlock"]
    assert_audit(row, "user.unlock", admin, nurse.id, {})
    # Two more failures no longer lock: the count started again.
    await lock_by_wrong_passwords(client, nurse, 2)
    assert (await get_user(client, admin, nurse.id))["isLocked"] is False


async def test_unlocking_a_user_with_nothing_to_clear_changes_nothing(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    nurse = await make_staff("nurse")
    before = await get_user(client, admin, nurse.id)
    response = await client.post(f"{USERS}/{nurse.id}/unlock", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == before
    await assert_live(client, nurse)
    assert await admin_audit_rows(db, admin) == []


# --- tenancy and unknown ids -------------------------------------------------------------------------------

ROUTES = [
    ("GET", "", None),
    ("PATCH", "", {"name": "Taken Over"}),
    ("PATCH", "", {}),
    ("PUT", "/role", {"role": "admin"}),
    ("POST", "/deactivate", None),
    ("POST", "/activate", None),
    ("POST", "/unlock", None),
]
ROUTE_IDS = ["get", "patch", "patch-empty", "role", "deactivate", "activate", "unlock"]


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES, ids=ROUTE_IDS)
async def test_another_hospitals_user_is_404_and_never_changes(
    client: httpx.AsyncClient,
    db: Database,
    admin: Staff,
    make_staff: MakeStaff,
    other_hospital: uuid.UUID,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    their_admin = await make_staff("admin", hospital=other_hospital)
    target = await make_staff("nurse", hospital=other_hospital, logged_in=False, name="Their Nurse")
    await lock_by_wrong_passwords(client, target, 1)  # something for an unlock to clear
    if suffix == "/activate":  # something for an activation to change
        response = await client.post(f"{USERS}/{target.id}/deactivate", headers=their_admin.headers)
        assert response.status_code == 200, response.text
    before = await get_user(client, their_admin, target.id)
    their_audit = await audit_rows(db, other_hospital, "")

    response = await client.request(method, f"{USERS}/{target.id}{suffix}", json=body, headers=admin.headers)
    assert_problem(response, 404, NO_SUCH_USER)

    assert await get_user(client, their_admin, target.id) == before
    assert (await secrets_of(db, other_hospital, target.id)).failed_login_attempts == 1
    assert await audit_rows(db, other_hospital, "") == their_audit
    assert await admin_audit_rows(db, admin) == []


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES, ids=ROUTE_IDS)
async def test_an_unknown_user_is_404(
    client: httpx.AsyncClient, admin: Staff, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    response = await client.request(method, f"{USERS}/{uuid.uuid4()}{suffix}", json=body, headers=admin.headers)
    assert_problem(response, 404, NO_SUCH_USER)


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES, ids=ROUTE_IDS)
async def test_a_malformed_user_id_is_400(
    client: httpx.AsyncClient, db: Database, admin: Staff, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    response = await client.request(method, f"{USERS}/not-a-uuid{suffix}", json=body, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [("user_id", "is not a UUID")])
    assert await admin_audit_rows(db, admin) == []
