"""/api/v1/hospital over HTTP: the caller's hospital, its settings, and its departments (API.md, Hospital).

Covers the hospital object and the settings defaults, PATCH (trimming, limits, clearing, field-by-field merge of
the settings at every level, every settings range at both bounds and one past each, unknown fields), the audit
rows of every change, a settings change taking effect at the next read, and the departments routes (list order,
create, code and name rules, 409 on a taken code, 404 for another hospital's department). Who may call which
route is tests/api/test_roles.py.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from service.audit.schemas import CLI_ACTOR
from service.db import sql
from service.db.pool import Database
from service.hospital.tenants import create_department
from tests.api.conftest import MakeStaff, Staff, login
from tests.api.contract import LOGIN_FAILED, NOT_VALID, ROLES, TOKEN_REFUSED, problem
from tests.probes import AuditRow, probes

HOSPITAL = "/api/v1/hospital"
DEPARTMENTS = "/api/v1/hospital/departments"

DEFAULT_SETTINGS: dict[str, Any] = {
    "ackTimeoutSeconds": {"low": 1800, "medium": 600, "high": 180, "critical": 60},
    "maxEscalationLevel": 3,
    "lockoutThreshold": 5,
    "lockoutMinutes": 15,
    "sessionIdleMinutes": 15,
    "auditRetentionDays": 2192,
}

# Every setting of API.md's table: its JSON path and its inclusive range.
SETTING_RANGES: list[tuple[str, int, int]] = [
    ("ackTimeoutSeconds.low", 5, 86400),
    ("ackTimeoutSeconds.medium", 5, 86400),
    ("ackTimeoutSeconds.high", 5, 86400),
    ("ackTimeoutSeconds.critical", 5, 86400),
    ("maxEscalationLevel", 1, 10),
    ("lockoutThreshold", 3, 20),
    ("lockoutMinutes", 1, 1440),
    ("sessionIdleMinutes", 1, 480),
    ("auditRetentionDays", 2192, 36500),
]

NO_SUCH_DEPARTMENT = "no such department"
CODE_TAKEN = "a department with this code already exists in this hospital"
CODE_TAKEN_ERRORS = [{"field": "code", "message": "is already used by another department"}]
CODE_RULE = "Expected str matching regex '^[A-Z0-9_-]{1,10}$'"


# --- helpers -----------------------------------------------------------------------------------------------


def bad_request(*errors: tuple[str, str]) -> dict[str, Any]:
    """The problem body of a validation failure naming ``errors`` as (field, message)."""
    return {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": NOT_VALID,
        "errors": [{"field": field, "message": message} for field, message in errors],
    }


def nested(path: str, value: object) -> dict[str, Any]:
    """A ``settings`` patch of one dotted path: ("ackTimeoutSeconds.low", 5) -> {"ackTimeoutSeconds": {"low": 5}}."""
    head, _, rest = path.partition(".")
    return {head: nested(rest, value) if rest else value}


def with_setting(settings: dict[str, Any], path: str, value: int) -> dict[str, Any]:
    """A copy of ``settings`` with one dotted path changed."""
    copy = {key: dict(item) if isinstance(item, dict) else item for key, item in settings.items()}
    head, _, rest = path.partition(".")
    if rest:
        copy[head][rest] = value
    else:
        copy[head] = value
    return copy


async def audit_rows(db: Database, hospital_id: uuid.UUID, action: str | None = None) -> list[AuditRow]:
    async with db.transaction() as conn:
        rows = await probes().probe.audit_rows.many(conn, hospital_id)
    return [row for row in rows if action is None or row.action == action]


def assert_change_row(row: AuditRow, actor: Staff, action: str, resource: str, resource_id: uuid.UUID) -> None:
    """A successful change recorded on the acting admin and its session."""
    assert row.action == action
    assert row.outcome == "success"
    assert row.user_id == actor.id
    assert row.session_id is not None
    assert row.resource == resource
    assert row.resource_id == str(resource_id)
    assert row.ip_address == "127.0.0.1"


async def get_hospital(client: httpx.AsyncClient, staff: Staff) -> dict[str, Any]:
    response = await client.get(HOSPITAL, headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def patch_hospital(client: httpx.AsyncClient, staff: Staff, body: object) -> httpx.Response:
    return await client.patch(HOSPITAL, json=body, headers=staff.headers)


async def list_departments(client: httpx.AsyncClient, staff: Staff) -> list[dict[str, Any]]:
    response = await client.get(DEPARTMENTS, headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def add_department(db: Database, hospital_id: uuid.UUID, name: str, code: str) -> uuid.UUID:
    """A department created directly (as the command line would), not through the route under test."""
    new_id = uuid.uuid4()
    async with db.transaction() as conn:
        assert await create_department(conn, CLI_ACTOR, hospital_id, new_id, name, code) is not None
    return new_id


# --- GET /hospital -----------------------------------------------------------------------------------------


async def test_the_hospital_has_the_contract_s_keys_and_default_settings(
    client: httpx.AsyncClient, admin: Staff, hospital_id: uuid.UUID
) -> None:
    body = await get_hospital(client, admin)
    created_at = body.pop("createdAt")
    assert body == {
        "id": str(hospital_id),
        "name": f"Test hospital {hospital_id.hex[:8]}",
        "address": None,
        "phone": None,
        "licenseNumber": None,
        "isActive": True,
        "settings": DEFAULT_SETTINGS,
    }
    assert created_at.endswith("Z")
    assert abs(datetime.fromisoformat(created_at) - datetime.now(UTC)) < timedelta(minutes=5)


@pytest.mark.parametrize("role", ROLES)
async def test_every_role_reads_its_own_hospital_only(
    client: httpx.AsyncClient, make_staff: MakeStaff, hospital_id: uuid.UUID, other_hospital: uuid.UUID, role: str
) -> None:
    mine = await make_staff(role)
    theirs = await make_staff(role, hospital=other_hospital)
    mine_body, theirs_body = await get_hospital(client, mine), await get_hospital(client, theirs)
    assert (mine_body["id"], mine_body["name"]) == (str(hospital_id), f"Test hospital {hospital_id.hex[:8]}")
    assert (theirs_body["id"], theirs_body["name"]) == (str(other_hospital), f"Other hospital {other_hospital.hex[:8]}")


async def test_a_change_is_seen_by_the_hospital_s_staff_and_not_by_another_hospital(
    client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff, other_hospital: uuid.UUID
) -> None:
    nurse = await make_staff("nurse")
    stranger = await make_staff("admin", hospital=other_hospital)
    response = await patch_hospital(client, admin, {"name": "Renamed", "settings": {"lockoutThreshold": 7}})
    assert response.status_code == 200, response.text
    seen = await get_hospital(client, nurse)
    assert (seen["name"], seen["settings"]["lockoutThreshold"]) == ("Renamed", 7)
    untouched = await get_hospital(client, stranger)
    assert (untouched["name"], untouched["settings"]) == (f"Other hospital {other_hospital.hex[:8]}", DEFAULT_SETTINGS)


# --- PATCH /hospital: details ------------------------------------------------------------------------------


async def test_name_address_and_phone_are_trimmed_and_audited(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID
) -> None:
    before = await get_hospital(client, admin)
    response = await patch_hospital(
        client, admin, {"name": "  St. Mary's  ", "address": "\t1 Main Street, Springfield ", "phone": " +1 555 0100 "}
    )
    assert response.status_code == 200, response.text
    expected = {**before, "name": "St. Mary's", "address": "1 Main Street, Springfield", "phone": "+1 555 0100"}
    assert response.json() == expected
    assert await get_hospital(client, admin) == expected
    [row] = await audit_rows(db, hospital_id, "hospital.update")
    assert_change_row(row, admin, "hospital.update", "hospital", hospital_id)
    assert row.metadata == {"fields": ["name", "address", "phone"]}


async def test_null_or_blank_clears_address_and_phone(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID
) -> None:
    response = await patch_hospital(client, admin, {"address": "1 Main Street", "phone": "555"})
    assert (response.status_code, response.json()["address"], response.json()["phone"]) == (200, "1 Main Street", "555")
    response = await patch_hospital(client, admin, {"address": None, "phone": "   "})
    assert response.status_code == 200, response.text
    assert (response.json()["address"], response.json()["phone"]) == (None, None)
    assert (await get_hospital(client, admin))["address"] is None
    rows = await audit_rows(db, hospital_id, "hospital.update")
    assert [row.metadata for row in rows] == [{"fields": ["address", "phone"]}, {"fields": ["address", "phone"]}]


async def test_a_detail_left_out_keeps_its_value(client: httpx.AsyncClient, admin: Staff) -> None:
    await patch_hospital(client, admin, {"name": "Kept", "address": "Kept street", "phone": "123"})
    response = await patch_hospital(client, admin, {"phone": "456"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["address"], body["phone"]) == ("Kept", "Kept street", "456")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": None}, "name", "Expected str, got null"),
        ({"name": ""}, "name", "must not be empty"),
        ({"name": "   "}, "name", "must not be empty"),
        ({"name": "n" * 201}, "name", "must be at most 200 characters"),
        ({"name": 7}, "name", "Expected str, got int"),
        ({"address": "a" * 501}, "address", "must be at most 500 characters"),
        ({"phone": "1" * 51}, "phone", "must be at most 50 characters"),
        ({"phone": 5550100}, "phone", "Expected str | null, got int"),
    ],
    ids=["name-null", "name-empty", "name-blank", "name-201", "name-number", "address-501", "phone-51", "phone-number"],
)
async def test_invalid_details_are_400_naming_the_field_and_change_nothing(
    client: httpx.AsyncClient,
    db: Database,
    admin: Staff,
    hospital_id: uuid.UUID,
    body: dict[str, Any],
    field: str,
    message: str,
) -> None:
    before = await get_hospital(client, admin)
    response = await patch_hospital(client, admin, {**body, "settings": {"lockoutThreshold": 9}})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == bad_request((field, message))
    assert await get_hospital(client, admin) == before
    assert await audit_rows(db, hospital_id, "hospital.update") == []


async def test_details_at_their_longest_are_accepted_after_trimming(client: httpx.AsyncClient, admin: Staff) -> None:
    response = await patch_hospital(
        client, admin, {"name": f"  {'n' * 200}  ", "address": f" {'a' * 500} ", "phone": f" {'1' * 50} "}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["name"], body["address"], body["phone"]) == ("n" * 200, "a" * 500, "1" * 50)


# --- PATCH /hospital: settings -----------------------------------------------------------------------------


async def test_one_ack_timeout_changes_and_the_others_are_untouched(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID
) -> None:
    before = await get_hospital(client, admin)
    response = await patch_hospital(client, admin, {"settings": {"ackTimeoutSeconds": {"critical": 30}}})
    assert response.status_code == 200, response.text
    expected = {**before, "settings": with_setting(DEFAULT_SETTINGS, "ackTimeoutSeconds.critical", 30)}
    assert response.json() == expected
    assert await get_hospital(client, admin) == expected
    [row] = await audit_rows(db, hospital_id, "hospital.update")
    assert_change_row(row, admin, "hospital.update", "hospital", hospital_id)
    assert row.metadata == {"fields": ["settings.ackTimeoutSeconds.critical"]}


async def test_successive_patches_of_different_settings_all_stick(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID
) -> None:
    patches: list[dict[str, Any]] = [
        {"settings": {"ackTimeoutSeconds": {"low": 900}}},
        {"settings": {"lockoutMinutes": 30, "ackTimeoutSeconds": {"high": 120}}},
        {"name": "Merged", "settings": {"maxEscalationLevel": 5}},
        {"settings": {"sessionIdleMinutes": 60, "auditRetentionDays": 3000, "lockoutThreshold": 4}},
    ]
    for body in patches:
        response = await patch_hospital(client, admin, body)
        assert response.status_code == 200, response.text
    hospital = await get_hospital(client, admin)
    assert hospital["name"] == "Merged"
    assert hospital["settings"] == {
        "ackTimeoutSeconds": {"low": 900, "medium": 600, "high": 120, "critical": 60},
        "maxEscalationLevel": 5,
        "lockoutThreshold": 4,
        "lockoutMinutes": 30,
        "sessionIdleMinutes": 60,
        "auditRetentionDays": 3000,
    }
    assert [row.metadata["fields"] for row in await audit_rows(db, hospital_id, "hospital.update")] == [
        ["settings.ackTimeoutSeconds.low"],
        ["settings.ackTimeoutSeconds.high", "settings.lockoutMinutes"],
        ["name", "settings.maxEscalationLevel"],
        ["settings.lockoutThreshold", "settings.sessionIdleMinutes", "settings.auditRetentionDays"],
    ]


@pytest.mark.parametrize(("path", "low", "high"), SETTING_RANGES, ids=[path for path, _, _ in SETTING_RANGES])
async def test_each_setting_accepts_both_bounds_and_refuses_one_past_each(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID, path: str, low: int, high: int
) -> None:
    field = f"settings.{path}"
    for value in (low, high):
        response = await patch_hospital(client, admin, {"settings": nested(path, value)})
        assert response.status_code == 200, response.text
        assert response.json()["settings"] == with_setting(DEFAULT_SETTINGS, path, value)
    for value, message in ((low - 1, f"Expected int >= {low}"), (high + 1, f"Expected int <= {high}")):
        response = await patch_hospital(client, admin, {"settings": nested(path, value)})
        assert response.status_code == 400, response.text
        assert response.json() == bad_request((field, message))
    # The refused values changed nothing: the last accepted one stands, and only the two changes were audited.
    assert (await get_hospital(client, admin))["settings"] == with_setting(DEFAULT_SETTINGS, path, high)
    assert [row.metadata for row in await audit_rows(db, hospital_id, "hospital.update")] == [{"fields": [field]}] * 2


async def test_one_invalid_setting_refuses_the_whole_patch(client: httpx.AsyncClient, admin: Staff) -> None:
    before = await get_hospital(client, admin)
    response = await patch_hospital(
        client, admin, {"name": "Not applied", "settings": {"lockoutMinutes": 20, "ackTimeoutSeconds": {"low": 0}}}
    )
    assert response.status_code == 400
    assert response.json() == bad_request(("settings.ackTimeoutSeconds.low", "Expected int >= 5"))
    assert await get_hospital(client, admin) == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"settings": {"lockoutThreshold": 5.5}}, "settings.lockoutThreshold", "Expected int, got float"),
        ({"settings": {"lockoutThreshold": True}}, "settings.lockoutThreshold", "Expected int, got bool"),
        ({"settings": {"maxEscalationLevel": None}}, "settings.maxEscalationLevel", "Expected int, got null"),
        (
            {"settings": {"ackTimeoutSeconds": {"low": None}}},
            "settings.ackTimeoutSeconds.low",
            "Expected int, got null",
        ),
        ({"settings": {"ackTimeoutSeconds": None}}, "settings.ackTimeoutSeconds", "Expected object, got null"),
        ({"settings": {"ackTimeoutSeconds": 60}}, "settings.ackTimeoutSeconds", "Expected object, got int"),
        ({"settings": None}, "settings", "Expected object, got null"),
        ([], "", "Expected object, got array"),
    ],
    ids=["float", "bool", "null-setting", "null-ack", "null-ack-object", "ack-number", "null-settings", "array"],
)
async def test_settings_of_the_wrong_type_are_400_naming_the_field(
    client: httpx.AsyncClient, admin: Staff, body: object, field: str, message: str
) -> None:
    response = await patch_hospital(client, admin, body)
    assert response.status_code == 400
    assert response.json() == bad_request((field, message))
    assert (await get_hospital(client, admin))["settings"] == DEFAULT_SETTINGS


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"settings": {"foo": 1}}, "settings.foo"),
        ({"settings": {"ackTimeoutSeconds": {"urgent": 30}}}, "settings.ackTimeoutSeconds.urgent"),
        ({"settings": {"ack_timeout_seconds": {"low": 30}}}, "settings.ack_timeout_seconds"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"isActive": False}, "isActive"),
        ({"licenseNumber": "LIC-1"}, "licenseNumber"),
        ({"createdAt": "2026-01-01T00:00:00Z"}, "createdAt"),
        ({"hospitalId": str(uuid.uuid4())}, "hospitalId"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
async def test_unknown_fields_at_every_level_are_400_naming_them(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID, body: dict[str, Any], field: str
) -> None:
    before = await get_hospital(client, admin)
    response = await patch_hospital(client, admin, {"name": "Not applied", **body})
    assert response.status_code == 400
    assert response.json() == bad_request((field, "is not a known field"))
    assert await get_hospital(client, admin) == before
    assert await audit_rows(db, hospital_id, "hospital.update") == []


@pytest.mark.parametrize(
    "body", [{}, {"settings": {}}, {"settings": {"ackTimeoutSeconds": {}}}], ids=["empty", "settings", "ack"]
)
async def test_a_patch_naming_nothing_is_200_changes_nothing_and_writes_no_audit_row(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID, body: dict[str, Any]
) -> None:
    before = await get_hospital(client, admin)
    response = await patch_hospital(client, admin, body)
    assert response.status_code == 200, response.text
    assert response.json() == before
    assert await audit_rows(db, hospital_id, "hospital.update") == []


async def test_the_audit_row_names_every_changed_path_and_holds_nothing_else(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID
) -> None:
    body = {
        "name": "Audited",
        "phone": None,
        "settings": {"ackTimeoutSeconds": {"critical": 30, "low": 100}, "lockoutThreshold": 4},
    }
    response = await patch_hospital(client, admin, body)
    assert response.status_code == 200, response.text
    [row] = await audit_rows(db, hospital_id, "hospital.update")
    assert_change_row(row, admin, "hospital.update", "hospital", hospital_id)
    assert set(row.metadata) == {"fields"}
    assert sorted(row.metadata["fields"]) == sorted(
        [
            "name",
            "phone",
            "settings.ackTimeoutSeconds.low",
            "settings.ackTimeoutSeconds.critical",
            "settings.lockoutThreshold",
        ]
    )


# --- a settings change applies from the next read ----------------------------------------------------------


async def test_session_idle_minutes_applies_to_the_next_request(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff, hospital_id: uuid.UUID
) -> None:
    nurse = await make_staff("nurse")

    async def idle(minutes: int) -> None:
        async with db.transaction() as conn:
            await probes().probe.age_sessions.rows(conn, hospital_id, nurse.id, timedelta(minutes=minutes))

    await idle(2)  # two idle minutes are fine under the default 15
    assert (await client.get(HOSPITAL, headers=nurse.headers)).status_code == 200
    response = await patch_hospital(client, admin, {"settings": {"sessionIdleMinutes": 1}})
    assert response.status_code == 200, response.text
    await idle(2)  # now over the new 1-minute idle timeout
    response = await client.get(HOSPITAL, headers=nurse.headers)
    assert response.status_code == 401
    assert response.json() == problem(401, TOKEN_REFUSED)


async def test_lockout_threshold_applies_to_the_next_failed_login(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff, hospital_id: uuid.UUID
) -> None:
    nurse = await make_staff("nurse", logged_in=False)
    response = await patch_hospital(client, admin, {"settings": {"lockoutThreshold": 3}})
    assert response.status_code == 200, response.text
    for _ in range(3):
        response = await login(client, nurse.email, "wrong password, wrong")
        assert response.status_code == 401
        assert response.json() == problem(401, LOGIN_FAILED)
    async with db.transaction() as conn:
        secrets = await probes().probe.user_secrets.one(conn, hospital_id, nurse.id)
    assert secrets is not None and secrets.is_locked
    response = await login(client, nurse.email)  # the right password, while locked
    assert response.status_code == 401
    assert [row.metadata["lockoutCount"] for row in await audit_rows(db, hospital_id, "auth.lockout")] == [1]


async def test_audit_retention_days_applies_to_the_next_audit_row(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID
) -> None:
    response = await patch_hospital(client, admin, {"settings": {"auditRetentionDays": 3000}})
    assert response.status_code == 200, response.text
    response = await client.post(DEPARTMENTS, json={"name": "Retained", "code": "RET"}, headers=admin.headers)
    assert response.status_code == 201, response.text
    [row] = await audit_rows(db, hospital_id, "department.create")
    # A day is 24 h, or 23/25 h across a daylight-saving change in the database's time zone.
    assert abs(row.retention_until - row.timestamp - timedelta(days=3000)) <= timedelta(hours=1)


# --- departments ---------------------------------------------------------------------------------------------


async def test_departments_are_listed_by_code_with_inactive_ones_and_only_this_hospital_s(
    client: httpx.AsyncClient, db: Database, make_staff: MakeStaff, hospital_id: uuid.UUID, other_hospital: uuid.UUID
) -> None:
    ids = {code: await add_department(db, hospital_id, f"Dept {code}", code) for code in ("ZZ", "A1", "MED", "ER")}
    async with db.transaction() as conn:
        await sql.hospital.update_department.one(conn, hospital_id, ids["MED"], None, None, False)
    await add_department(db, other_hospital, "Elsewhere", "B2")
    nurse = await make_staff("nurse")
    assert await list_departments(client, nurse) == [
        {"id": str(ids[code]), "name": f"Dept {code}", "code": code, "isActive": code != "MED"}
        for code in ("A1", "ER", "MED", "ZZ")
    ]


async def test_a_hospital_without_departments_lists_none(client: httpx.AsyncClient, admin: Staff) -> None:
    assert await list_departments(client, admin) == []


async def test_creating_a_department_is_201_trimmed_listed_and_audited(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID
) -> None:
    response = await client.post(
        DEPARTMENTS, json={"name": "  Intensive Care  ", "code": "ICU_2-B"}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    department_id = uuid.UUID(body.pop("id"))
    assert body == {"name": "Intensive Care", "code": "ICU_2-B", "isActive": True}
    assert await list_departments(client, admin) == [{"id": str(department_id), **body}]
    [row] = await audit_rows(db, hospital_id, "department.create")
    assert_change_row(row, admin, "department.create", "department", department_id)
    assert row.metadata == {"code": "ICU_2-B", "name": "Intensive Care"}


@pytest.mark.parametrize("code", ["A", "0", "_", "-", "ABCDEFGHIJ", "Z9_-Z9_-Z9"])
async def test_department_codes_within_the_rule_are_accepted(
    client: httpx.AsyncClient, admin: Staff, code: str
) -> None:
    response = await client.post(DEPARTMENTS, json={"name": "Ward", "code": code}, headers=admin.headers)
    assert response.status_code == 201, response.text
    assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("er", CODE_RULE),  # lower case is refused, not upper-cased
        ("Er", CODE_RULE),
        ("ABCDEFGHIJK", CODE_RULE),  # 11 characters
        ("", CODE_RULE),
        ("A B", CODE_RULE),
        (" AB ", CODE_RULE),  # codes are not trimmed
        ("ÄRZTE", CODE_RULE),
        ("A.B", CODE_RULE),
        (None, "Expected str, got null"),
        (12, "Expected str, got int"),
    ],
    ids=["lower", "mixed", "eleven", "empty", "space", "padded", "umlaut", "dot", "null", "number"],
)
async def test_an_invalid_department_code_is_400_naming_code(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID, code: object, message: str
) -> None:
    response = await client.post(DEPARTMENTS, json={"name": "Ward", "code": code}, headers=admin.headers)
    assert response.status_code == 400
    assert response.json() == bad_request(("code", message))
    assert await list_departments(client, admin) == []
    assert await audit_rows(db, hospital_id, "department.create") == []


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "", "code": "W"}, "name", "must not be empty"),
        ({"name": "   ", "code": "W"}, "name", "must not be empty"),
        ({"name": "n" * 101, "code": "W"}, "name", "must be at most 100 characters"),
        ({"name": None, "code": "W"}, "name", "Expected str, got null"),
        ({"code": "W"}, "name", "is required"),
        ({"name": "Ward"}, "code", "is required"),
        ({"name": "Ward", "code": "W", "isActive": False}, "isActive", "is not a known field"),
        ({"name": "Ward", "code": "W", "id": str(uuid.uuid4())}, "id", "is not a known field"),
        ({"name": "Ward", "code": "W", "hospitalId": str(uuid.uuid4())}, "hospitalId", "is not a known field"),
    ],
    ids=["empty", "blank", "name-101", "name-null", "no-name", "no-code", "isActive", "id", "hospitalId"],
)
async def test_an_invalid_department_body_is_400_naming_the_field(
    client: httpx.AsyncClient, admin: Staff, body: dict[str, Any], field: str, message: str
) -> None:
    response = await client.post(DEPARTMENTS, json=body, headers=admin.headers)
    assert response.status_code == 400
    assert response.json() == bad_request((field, message))
    assert await list_departments(client, admin) == []


async def test_a_department_name_of_100_characters_is_accepted_after_trimming(
    client: httpx.AsyncClient, admin: Staff
) -> None:
    response = await client.post(DEPARTMENTS, json={"name": f"  {'n' * 100} ", "code": "LONG"}, headers=admin.headers)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "n" * 100


async def test_a_code_taken_in_the_hospital_is_409_even_by_an_inactive_department(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID, department_id: uuid.UUID
) -> None:
    inactive = await add_department(db, hospital_id, "Closed", "OLD")
    async with db.transaction() as conn:
        await sql.hospital.update_department.one(conn, hospital_id, inactive, None, None, False)
    before = await list_departments(client, admin)
    for code in ("ER", "OLD"):
        response = await client.post(DEPARTMENTS, json={"name": "Duplicate", "code": code}, headers=admin.headers)
        assert response.status_code == 409
        assert response.json() == problem(409, CODE_TAKEN, CODE_TAKEN_ERRORS)
    assert await list_departments(client, admin) == before
    created = await audit_rows(db, hospital_id, "department.create")
    assert [row.metadata["name"] for row in created] == ["Emergency", "Closed"]  # the fixture's and ours only


async def test_the_same_code_in_another_hospital_is_allowed(
    client: httpx.AsyncClient, db: Database, admin: Staff, other_hospital: uuid.UUID
) -> None:
    await add_department(db, other_hospital, "Their ICU", "ICU")
    response = await client.post(DEPARTMENTS, json={"name": "Our ICU", "code": "ICU"}, headers=admin.headers)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Our ICU"


async def test_patching_a_department_changes_each_field_given_and_is_audited(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID, department_id: uuid.UUID
) -> None:
    url = f"{DEPARTMENTS}/{department_id}"
    steps: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = [
        (
            {"name": "  Accident & Emergency "},
            {"name": "Accident & Emergency", "code": "ER", "isActive": True},
            ["name"],
        ),
        ({"code": "AE"}, {"name": "Accident & Emergency", "code": "AE", "isActive": True}, ["code"]),
        ({"isActive": False}, {"name": "Accident & Emergency", "code": "AE", "isActive": False}, ["isActive"]),
        (
            {"name": "Emergency", "code": "ER", "isActive": True},
            {"name": "Emergency", "code": "ER", "isActive": True},
            ["name", "code", "isActive"],
        ),
    ]
    for body, expected, _ in steps:
        response = await client.patch(url, json=body, headers=admin.headers)
        assert response.status_code == 200, response.text
        assert response.json() == {"id": str(department_id), **expected}
        assert await list_departments(client, admin) == [{"id": str(department_id), **expected}]
    rows = await audit_rows(db, hospital_id, "department.update")
    for row in rows:
        assert_change_row(row, admin, "department.update", "department", department_id)
    assert [row.metadata for row in rows] == [{"fields": fields} for _, _, fields in steps]


async def test_patching_a_department_with_nothing_is_200_and_writes_no_audit_row(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID, department_id: uuid.UUID
) -> None:
    response = await client.patch(f"{DEPARTMENTS}/{department_id}", json={}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": str(department_id), "name": "Emergency", "code": "ER", "isActive": True}
    assert await audit_rows(db, hospital_id, "department.update") == []


async def test_patching_a_department_to_its_own_code_is_not_a_conflict(
    client: httpx.AsyncClient, admin: Staff, department_id: uuid.UUID
) -> None:
    response = await client.patch(f"{DEPARTMENTS}/{department_id}", json={"code": "ER"}, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json()["code"] == "ER"


async def test_patching_a_department_to_a_taken_code_is_409_and_changes_nothing(
    client: httpx.AsyncClient, db: Database, admin: Staff, hospital_id: uuid.UUID, department_id: uuid.UUID
) -> None:
    await add_department(db, hospital_id, "Radiology", "RAD")
    before = await list_departments(client, admin)
    response = await client.patch(
        f"{DEPARTMENTS}/{department_id}", json={"name": "Renamed too", "code": "RAD"}, headers=admin.headers
    )
    assert response.status_code == 409
    assert response.json() == problem(409, CODE_TAKEN, CODE_TAKEN_ERRORS)
    assert await list_departments(client, admin) == before
    assert await audit_rows(db, hospital_id, "department.update") == []


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": ""}, "name", "must not be empty"),
        ({"name": "n" * 101}, "name", "must be at most 100 characters"),
        ({"name": None}, "name", "Expected str, got null"),
        ({"code": "a b"}, "code", CODE_RULE),
        ({"code": "ABCDEFGHIJK"}, "code", CODE_RULE),
        ({"code": None}, "code", "Expected str, got null"),
        ({"isActive": None}, "isActive", "Expected bool, got null"),
        ({"isActive": "no"}, "isActive", "Expected bool, got str"),
        ({"hospitalId": str(uuid.uuid4())}, "hospitalId", "is not a known field"),
        ({"id": str(uuid.uuid4())}, "id", "is not a known field"),
    ],
    ids=[
        "empty",
        "name-101",
        "name-null",
        "code-space",
        "code-11",
        "code-null",
        "active-null",
        "active-str",
        "hid",
        "id",
    ],
)
async def test_an_invalid_department_patch_is_400_naming_the_field(
    client: httpx.AsyncClient, admin: Staff, department_id: uuid.UUID, body: dict[str, Any], field: str, message: str
) -> None:
    response = await client.patch(f"{DEPARTMENTS}/{department_id}", json=body, headers=admin.headers)
    assert response.status_code == 400
    assert response.json() == bad_request((field, message))
    assert await list_departments(client, admin) == [
        {"id": str(department_id), "name": "Emergency", "code": "ER", "isActive": True}
    ]


@pytest.mark.parametrize("body", [{"name": "Taken over"}, {}], ids=["change", "nothing"])
async def test_another_hospital_s_department_is_404_and_unchanged(
    client: httpx.AsyncClient, db: Database, admin: Staff, other_hospital: uuid.UUID, body: dict[str, Any]
) -> None:
    theirs = await add_department(db, other_hospital, "Their ward", "TW")
    response = await client.patch(f"{DEPARTMENTS}/{theirs}", json=body, headers=admin.headers)
    assert response.status_code == 404
    assert response.json() == problem(404, NO_SUCH_DEPARTMENT)
    async with db.transaction() as conn:
        row = await sql.hospital.get_department.one(conn, other_hospital, theirs)
    assert row is not None and (row.name, row.code, row.is_active) == ("Their ward", "TW", True)
    assert await audit_rows(db, other_hospital, "department.update") == []


@pytest.mark.parametrize("body", [{"name": "Ghost"}, {}], ids=["change", "nothing"])
async def test_an_unknown_department_is_404(client: httpx.AsyncClient, admin: Staff, body: dict[str, Any]) -> None:
    response = await client.patch(f"{DEPARTMENTS}/{uuid.uuid4()}", json=body, headers=admin.headers)
    assert response.status_code == 404
    assert response.json() == problem(404, NO_SUCH_DEPARTMENT)


async def test_validation_comes_before_the_404_of_an_unknown_department(
    client: httpx.AsyncClient, admin: Staff
) -> None:
    response = await client.patch(f"{DEPARTMENTS}/{uuid.uuid4()}", json={"code": "bad code"}, headers=admin.headers)
    assert response.status_code == 400
    assert response.json() == bad_request(("code", CODE_RULE))
