"""API.md's roles table over HTTP, for every /api/v1 route that exists: who gets 2xx, who gets 403.

For each route and each of the five roles, an allowed role gets its 2xx and a refused one gets 403 with the
exact detail, one `access.denied` audit row naming the permission, and no change. Then the order of checks:
401 (no, bad or revoked token) on every authenticated route the app has, enumerated from the app itself so a new
route cannot be missed, before 403, which comes before 400 (invalid body or parameters) and 404 (an unknown id,
or another hospital's). The routes every user may use on its own account (logout, password, 2FA) are open to
every role.

Alerts: the roles table grants the permission; which alerts a role may act on is narrowed by the rows, not the
guard (nurses and doctors see their department's alerts and every escalated one; operators cancel only the
alerts they raised). So the ward's nurse and doctor work in the ward's department, and each alert route acts on
a fresh low-priority alert the ward's operator raised there, which every allowed role may act on. That an
operator may not cancel someone else's alert is test_an_operator_may_not_cancel_an_alert_someone_else_raised.
GET /alerts/stream is in the matrix too: its answer is read up to the status and headers, then dropped; so is
GET /audit/exports/{id}/download, a file whose content is tests/api/test_audit.py's. The audit routes act on the
ward's own exports (a CSV of a day long before the ward existed).

Speed: one hospital with one logged-in user per role is built once for the module (`ward`); each test creates
the fresh users or departments it changes, so no test depends on another's changes. That docs/api.md's
permission table equals service/auth/permissions.py is tests/unit/test_docs_api.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp
import pytest
from litestar import Litestar

from service.audit.schemas import CLI_ACTOR
from service.db import sql
from service.db.pool import Database
from service.hospital.tenants import create_department
from service.users.accounts import create_user
from tests.api.conftest import PASSWORD, Staff, login, password_hash
from tests.api.contract import NO_TOKEN, NOT_VALID, ROLE_FORBIDDEN, ROLES, TOKEN_REFUSED, assert_problem, problem
from tests.probes import AuditRow, probes

EVERYONE = frozenset(ROLES)
USER_READERS = frozenset({"head_doctor", "admin"})
ADMIN = frozenset({"admin"})

PUBLIC_ROUTES = {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/login/2fa")}
# Every user may use these on its own account (docs/api.md: "Every user may log out, change its password and
# manage its own 2FA"): no permission guards them; test_the_self_service_routes_are_open_to_every_role.
SELF_SERVICE_ROUTES = {
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/password"),
    ("POST", "/api/v1/auth/2fa/setup"),
    ("POST", "/api/v1/auth/2fa/confirm"),
    ("POST", "/api/v1/auth/2fa/disable"),
}


FORBIDDEN = problem(403, ROLE_FORBIDDEN)


# --- the module's hospital ---------------------------------------------------------------------------------


@dataclass
class Ward:
    """A hospital with one logged-in user per role, and a second hospital whose ids must never leak."""

    hospital_id: uuid.UUID
    department_id: uuid.UUID
    staff: dict[str, Staff]
    other_hospital: uuid.UUID
    other_user: uuid.UUID
    other_department: uuid.UUID
    other_alert: uuid.UUID
    other_export: uuid.UUID

    def other_hospitals(self, kind: str | None) -> uuid.UUID:
        """An id of the second hospital of the kind a route's ``{id}`` stands for."""
        if kind == "department":
            return self.other_department
        if kind == "alert":
            return self.other_alert
        if kind == "export":
            return self.other_export
        return self.other_user


async def new_hospital(db: Database, name: str) -> uuid.UUID:
    hospital_id = uuid.uuid4()
    async with db.transaction() as conn:
        await sql.hospital.create_hospital.one(conn, hospital_id, f"{name} {hospital_id.hex[:8]}", None, None, None)
    return hospital_id


async def new_department(db: Database, hospital_id: uuid.UUID) -> uuid.UUID:
    department_id = uuid.uuid4()
    async with db.transaction() as conn:
        row = await create_department(
            conn, CLI_ACTOR, hospital_id, department_id, "Ward", department_id.hex[:10].upper()
        )
    assert row is not None
    return department_id


async def new_user(
    db: Database, hospital_id: uuid.UUID, role: str = "nurse", department_id: uuid.UUID | None = None
) -> Staff:
    """A user created as the command line would (password PASSWORD, nothing to change), not logged in."""
    user_id = uuid.uuid4()
    email = f"roles.{role}.{user_id.hex[:12]}@test.example"
    async with db.transaction() as conn:
        row = await create_user(
            conn,
            CLI_ACTOR,
            hospital_id,
            user_id=user_id,
            email=email,
            name=f"Roles {role} {user_id.hex[:6]}",
            role=role,  # type: ignore[arg-type]
            password_hash=password_hash(),
            department_id=department_id,
        )
    assert row is not None
    return Staff(id=user_id, hospital_id=hospital_id, email=email, role=role, department_id=department_id)  # type: ignore[arg-type]


async def logged_in(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    role: str,
    department_id: uuid.UUID | None = None,
) -> Staff:
    staff = await new_user(db, hospital_id, role, department_id)
    response = await login(client, staff.email)
    assert response.status_code == 200, response.text
    staff.token = response.json()["token"]
    return staff


# Nurses and doctors see the alerts of their own department (and escalated ones): the ward's work in its department.
CARERS = frozenset({"nurse", "doctor"})


async def new_alert_of(
    db: Database, hospital_id: uuid.UUID, department_id: uuid.UUID, raised_by: uuid.UUID
) -> uuid.UUID:
    """An active low-priority alert, through the service's own statement (the second hospital needs only its id)."""
    async with db.transaction() as conn:
        alert = await sql.alerts.create_alert.one(
            conn, hospital_id, uuid.uuid4(), department_id, "Other hospital's alert", None, "low", "other", None, None,
            raised_by,
        )  # fmt: skip
    assert alert is not None
    return alert.id


async def new_export_of(db: Database, hospital_id: uuid.UUID, requested_by: uuid.UUID) -> uuid.UUID:
    """An audit export request, through the service's own statement (the second hospital needs only its id)."""
    async with db.transaction() as conn:
        export = await sql.audit.create_export.one(
            conn, hospital_id, requested_by, "csv", datetime(2020, 1, 1, tzinfo=UTC), datetime(2020, 1, 2, tzinfo=UTC),
            None, None, None, None, None,
        )  # fmt: skip
    assert export is not None
    return export.id


@pytest.fixture(scope="module")
async def ward(client: httpx.AsyncClient, db: Database) -> Ward:
    hospital_id = await new_hospital(db, "Roles hospital")
    department_id = await new_department(db, hospital_id)
    other_hospital = await new_hospital(db, "Roles other hospital")
    other_user = (await new_user(db, other_hospital)).id
    other_department = await new_department(db, other_hospital)
    return Ward(
        hospital_id=hospital_id,
        department_id=department_id,
        staff={
            role: await logged_in(client, db, hospital_id, role, department_id if role in CARERS else None)
            for role in ROLES
        },
        other_hospital=other_hospital,
        other_user=other_user,
        other_department=other_department,
        other_alert=await new_alert_of(db, other_hospital, other_department, other_user),
        other_export=await new_export_of(db, other_hospital, other_user),
    )


async def audit_rows(db: Database, hospital_id: uuid.UUID) -> list[AuditRow]:
    async with db.transaction() as conn:
        return await probes().probe.audit_rows.many(conn, hospital_id)


# --- the routes ----------------------------------------------------------------------------------------------

Body = Callable[[Ward], Any]
"""A request body (or query string, for a GET), made for the module's hospital."""


def unique() -> str:
    return uuid.uuid4().hex[:10]


@dataclass(frozen=True)
class Route:
    """One guarded route of /api/v1: who may call it, and a request that succeeds for them.

    ``target`` is what ``{id}`` stands for: a fresh user of the ward (``user``; ``inactive_user`` and
    ``failed_user`` for activate and unlock, so that they change something), a fresh department, a fresh active
    alert (``alert``), a fresh audit export (``export``, CSV, requested by the ward's admin), or nothing.
    """

    name: str
    method: str
    path: str
    allowed: frozenset[str]
    permission: str
    status: int
    body: Body | None = None
    target: str | None = None
    audit: str | None = None
    invalid: Body | None = None
    """A body (or query string, for a GET) the allowed roles get 400 for."""
    invalid_detail: str = NOT_VALID
    """The detail of that 400."""
    not_found: str | None = None
    """The detail of the 404 the allowed roles get for an unknown or another hospital's id."""
    streams: bool = False
    """The answer is an endless event stream: only its status and headers are read."""
    download: str | None = None
    """The answer is a file of this media type, not JSON: only its status and headers are read (its content is
    tests/api/test_audit.py's)."""

    @property
    def parameter(self) -> str:
        """The name of ``{id}`` in the app's route and the OpenAPI document (``/users/{id}`` is ``user_id``)."""
        collection = re.search(r"/(\w+)/\{id\}", self.path)
        assert collection is not None, self.path
        return PATH_PARAMETERS[collection.group(1)]

    @property
    def template(self) -> str:
        return self.path.replace("{id}", f"{{{self.parameter}:str}}") if "{id}" in self.path else self.path


PATH_PARAMETERS = {"users": "user_id", "departments": "department_id", "alerts": "alert_id", "exports": "export_id"}
ALERT_CREATORS = frozenset({"operator", "head_doctor", "admin"})
# "acknowledge / resolve alert": nurses and doctors if visible, head doctors; not operators, not admins.
ALERT_HANDLERS = frozenset({"nurse", "doctor", "head_doctor"})
# "cancel alert": operators their own alerts (the ward's alerts are the operator's), head doctors, admins.
ALERT_CANCELLERS = frozenset({"operator", "head_doctor", "admin"})
NO_SUCH_ALERT = "no such alert"
NO_BODY = "this route takes no body: send none, or {}"
NO_SUCH_EXPORT = "no such export, or it has expired"
# A day long before the module's hospital existed: exports and reports of it are small and quick.
AUDIT_PERIOD = {"from": "2020-01-01T00:00:00Z", "to": "2020-01-02T00:00:00Z"}


def new_alert_body(ward: Ward) -> dict[str, Any]:
    return {
        "title": f"Alert {unique()}",
        "priority": "low",
        "alertType": "medical",
        "departmentId": str(ward.department_id),
    }


ROUTES = [
    Route("me", "GET", "/api/v1/auth/me", EVERYONE, "users.read_self", 200),
    Route("list-users", "GET", "/api/v1/users", USER_READERS, "users.read", 200, invalid=lambda _: {"limit": "0"}),
    Route(
        "read-user",
        "GET",
        "/api/v1/users/{id}",
        USER_READERS,
        "users.read",
        200,
        target="user",
        not_found="no such user",
    ),
    Route(
        "create-user",
        "POST",
        "/api/v1/users",
        ADMIN,
        "users.manage",
        201,
        body=lambda _: {"name": "New Person", "email": f"new.{unique()}@test.example", "role": "nurse"},
        audit="user.create",
        invalid=lambda _: {"name": "New Person", "email": "not an email", "role": "nurse"},
    ),
    Route(
        "bulk-create-users",
        "POST",
        "/api/v1/users/bulk",
        ADMIN,
        "users.manage",
        201,
        body=lambda _: {"users": [{"name": "Bulk Person", "email": f"bulk.{unique()}@test.example", "role": "doctor"}]},
        audit="user.create",
        invalid=lambda _: {"users": []},
    ),
    Route(
        "update-user",
        "PATCH",
        "/api/v1/users/{id}",
        ADMIN,
        "users.manage",
        200,
        target="user",
        body=lambda _: {"name": "Renamed Person"},
        audit="user.update",
        invalid=lambda _: {"name": ""},
        not_found="no such user",
    ),
    Route(
        "change-role",
        "PUT",
        "/api/v1/users/{id}/role",
        ADMIN,
        "users.manage",
        200,
        target="user",
        body=lambda _: {"role": "doctor"},
        audit="user.role_change",
        invalid=lambda _: {"role": "superuser"},
        not_found="no such user",
    ),
    Route(
        "deactivate-user",
        "POST",
        "/api/v1/users/{id}/deactivate",
        ADMIN,
        "users.manage",
        200,
        target="user",
        audit="user.deactivate",
        not_found="no such user",
    ),
    Route(
        "activate-user",
        "POST",
        "/api/v1/users/{id}/activate",
        ADMIN,
        "users.manage",
        200,
        target="inactive_user",
        audit="user.activate",
        not_found="no such user",
    ),
    Route(
        "unlock-user",
        "POST",
        "/api/v1/users/{id}/unlock",
        ADMIN,
        "users.manage",
        200,
        target="failed_user",
        audit="user.unlock",
        not_found="no such user",
    ),
    Route("read-hospital", "GET", "/api/v1/hospital", EVERYONE, "hospital.read", 200),
    Route(
        "change-settings",
        "PATCH",
        "/api/v1/hospital",
        ADMIN,
        "hospital.manage",
        200,
        # The module's hospital is shared: set a setting to the value it has, and a detail nothing reads.
        body=lambda _: {"address": f"Street {unique()}", "settings": {"lockoutMinutes": 15}},
        audit="hospital.update",
        invalid=lambda _: {"settings": {"lockoutMinutes": 0}},
    ),
    Route("list-departments", "GET", "/api/v1/hospital/departments", EVERYONE, "hospital.read", 200),
    Route(
        "create-department",
        "POST",
        "/api/v1/hospital/departments",
        ADMIN,
        "hospital.manage",
        201,
        body=lambda _: {"name": "New ward", "code": unique().upper()},
        audit="department.create",
        invalid=lambda _: {"name": "New ward", "code": "not a code"},
    ),
    Route(
        "update-department",
        "PATCH",
        "/api/v1/hospital/departments/{id}",
        ADMIN,
        "hospital.manage",
        200,
        target="department",
        body=lambda _: {"name": "Renamed ward", "isActive": False},
        audit="department.update",
        invalid=lambda _: {"isActive": "no"},
        not_found="no such department",
    ),
    Route(
        "create-alert",
        "POST",
        "/api/v1/alerts",
        ALERT_CREATORS,
        "alerts.create",
        201,
        body=new_alert_body,
        audit="alert.create",
        invalid=lambda ward: {**new_alert_body(ward), "title": ""},
    ),
    # Seeing alerts: every role; which alerts each sees is narrowed by the rows, not by the permission.
    Route("list-active-alerts", "GET", "/api/v1/alerts/active", EVERYONE, "alerts.view", 200),
    Route("alert-history", "GET", "/api/v1/alerts", EVERYONE, "alerts.view", 200),
    Route("alert-stream", "GET", "/api/v1/alerts/stream", EVERYONE, "alerts.view", 200, streams=True),
    Route(
        "read-alert",
        "GET",
        "/api/v1/alerts/{id}",
        EVERYONE,
        "alerts.view",
        200,
        target="alert",
        not_found=NO_SUCH_ALERT,
    ),
    Route(
        "acknowledge-alert",
        "POST",
        "/api/v1/alerts/{id}/acknowledge",
        ALERT_HANDLERS,
        "alerts.acknowledge",
        200,
        target="alert",
        audit="alert.acknowledge",
        invalid=lambda _: {"note": "seen"},
        invalid_detail=NO_BODY,
        not_found=NO_SUCH_ALERT,
    ),
    Route(
        "resolve-alert",
        "POST",
        "/api/v1/alerts/{id}/resolve",
        ALERT_HANDLERS,
        "alerts.acknowledge",
        200,
        target="alert",
        audit="alert.resolve",
        invalid=lambda _: {"note": "done"},
        invalid_detail=NO_BODY,
        not_found=NO_SUCH_ALERT,
    ),
    Route(
        "escalate-alert",
        "POST",
        "/api/v1/alerts/{id}/escalate",
        EVERYONE,
        "alerts.escalate",
        200,
        target="alert",
        body=lambda _: {"note": "needs more hands"},
        audit="alert.escalate",
        invalid=lambda _: {"note": "x" * 501},
        not_found=NO_SUCH_ALERT,
    ),
    Route(
        "cancel-alert",
        "POST",
        "/api/v1/alerts/{id}/cancel",
        ALERT_CANCELLERS,
        "alerts.cancel",
        200,
        target="alert",
        body=lambda _: {"reason": "raised by mistake"},
        audit="alert.cancel",
        invalid=lambda _: {"reason": "x" * 501},
        not_found=NO_SUCH_ALERT,
    ),
    # Audit: admins only; every read writes audit.view, an export audit.export, a download audit.download.
    Route(
        "audit-logs",
        "GET",
        "/api/v1/audit/logs",
        ADMIN,
        "audit.read",
        200,
        audit="audit.view",
        invalid=lambda _: {"limit": "0"},
    ),
    Route(
        "create-audit-export",
        "POST",
        "/api/v1/audit/exports",
        ADMIN,
        "audit.read",
        201,
        body=lambda _: {**AUDIT_PERIOD, "format": "csv"},
        audit="audit.export",
        invalid=lambda _: {**AUDIT_PERIOD, "format": "xml"},
    ),
    Route(
        "read-audit-export",
        "GET",
        "/api/v1/audit/exports/{id}",
        ADMIN,
        "audit.read",
        200,
        target="export",
        audit="audit.view",
        not_found=NO_SUCH_EXPORT,
    ),
    Route(
        "download-audit-export",
        "GET",
        "/api/v1/audit/exports/{id}/download",
        ADMIN,
        "audit.read",
        200,
        target="export",
        audit="audit.download",
        not_found=NO_SUCH_EXPORT,
        download="text/csv",
    ),
    Route(
        "compliance-report",
        "GET",
        "/api/v1/audit/compliance-report",
        ADMIN,
        "audit.read",
        200,
        body=lambda _: dict(AUDIT_PERIOD),
        audit="audit.view",
        invalid=lambda _: {"from": AUDIT_PERIOD["to"], "to": AUDIT_PERIOD["from"]},
    ),
]
RESTRICTED = [route for route in ROUTES if route.allowed != EVERYONE]
WITH_IDS = [route for route in ROUTES if route.not_found]


async def prepare_target(client: httpx.AsyncClient, db: Database, ward: Ward, kind: str | None) -> uuid.UUID | None:
    """A fresh resource of the ward for ``{id}``, in the state its route changes."""
    if kind is None:
        return None
    if kind == "department":
        return await new_department(db, ward.hospital_id)
    if kind == "alert":
        response = await client.post(
            "/api/v1/alerts", json=new_alert_body(ward), headers=ward.staff["operator"].headers
        )
        assert response.status_code == 201, response.text
        return uuid.UUID(response.json()["id"])
    if kind == "export":
        response = await client.post(
            "/api/v1/audit/exports", json={**AUDIT_PERIOD, "format": "csv"}, headers=ward.staff["admin"].headers
        )
        assert response.status_code == 201, response.text
        return uuid.UUID(response.json()["id"])
    user = await new_user(db, ward.hospital_id)
    if kind == "inactive_user":
        async with db.transaction() as conn:
            assert await sql.users.set_active.rows(conn, ward.hospital_id, user.id, False) == 1
    elif kind == "failed_user":
        assert (await login(client, user.email, "not the password at all")).status_code == 401
    return user.id


async def call(
    client: httpx.AsyncClient,
    route: Route,
    staff: Staff | None,
    target: uuid.UUID | str | None,
    body: Any = None,
    query: dict[str, str] | None = None,
) -> httpx.Response:
    path = route.path.replace("{id}", str(target))
    headers = staff.headers if staff is not None else {}
    if route.streams or route.download:
        async with client.stream(route.method, path, json=body, params=query, headers=headers) as response:
            if response.status_code != 200:
                await response.aread()  # a problem body ends; a stream's does not
            return response
    return await client.request(route.method, path, json=body, params=query, headers=headers)


def request_of(route: Route, ward: Ward, invalid: bool = False) -> tuple[Any, dict[str, str] | None]:
    """(body, query) of a request to ``route``: the valid one, or the one the allowed roles get 400 for."""
    make = route.invalid if invalid else route.body
    if make is None:
        return None, None
    value = make(ward)
    return (None, value) if route.method == "GET" else (value, None)


async def refused(
    client: httpx.AsyncClient,
    db: Database,
    ward: Ward,
    route: Route,
    staff: Staff,
    target: uuid.UUID | str | None,
    body: Any = None,
    query: dict[str, str] | None = None,
) -> None:
    """The request is 403 with the exact problem, writes exactly one audit row, access.denied, and nothing else."""
    before = await audit_rows(db, ward.hospital_id)
    response = await call(client, route, staff, target, body, query)
    assert response.status_code == 403, (route.name, staff.role, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == FORBIDDEN
    after = await audit_rows(db, ward.hospital_id)
    assert len(after) == len(before) + 1, [row.action for row in after[len(before) :]]
    denial = after[-1]
    assert (denial.action, denial.outcome, denial.user_id) == ("access.denied", "failure", staff.id)
    assert denial.session_id is not None
    assert (denial.resource, denial.resource_id) == (None, None)
    assert denial.metadata == {
        "reason": "role",
        "method": route.method,
        "path": route.path.replace("{id}", str(target)),
        "permission": route.permission,
    }


# --- the matrix ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
async def test_each_role_gets_2xx_or_403_as_the_roles_table_says(
    client: httpx.AsyncClient, db: Database, ward: Ward, route: Route, role: str
) -> None:
    staff = ward.staff[role]
    target = await prepare_target(client, db, ward, route.target)
    body, query = request_of(route, ward)
    if role not in route.allowed:
        await refused(client, db, ward, route, staff, target, body, query)
        return
    before = await audit_rows(db, ward.hospital_id)
    response = await call(client, route, staff, target, body, query)
    assert response.status_code == route.status, (
        route.name,
        role,
        response.text if response.is_stream_consumed else "",
    )
    if route.streams:
        assert response.headers["content-type"].startswith("text/event-stream")
    if route.download:
        assert response.headers["content-type"].startswith(route.download)
    elif target is not None:
        assert response.json()["id"] == str(target)
    written = [(row.action, row.user_id) for row in (await audit_rows(db, ward.hospital_id))[len(before) :]]
    assert written == ([(route.audit, staff.id)] if route.audit else [])


# --- the order of checks: 403 before 400 and 404 -----------------------------------------------------------


@pytest.mark.parametrize("route", [route for route in ROUTES if route.invalid], ids=lambda route: route.name)
async def test_a_refused_role_gets_403_even_with_an_invalid_body(
    client: httpx.AsyncClient, db: Database, ward: Ward, route: Route
) -> None:
    target = await prepare_target(client, db, ward, route.target)
    body, query = request_of(route, ward, invalid=True)
    for role in ROLES:
        if role not in route.allowed:
            await refused(client, db, ward, route, ward.staff[role], target, body, query)
            continue
        response = await call(client, route, ward.staff[role], target, body, query)
        assert response.status_code == 400, (role, response.text)
        assert response.json()["detail"] == route.invalid_detail


@pytest.mark.parametrize("whose", ["unknown", "other-hospital"])
@pytest.mark.parametrize("route", WITH_IDS, ids=lambda route: route.name)
async def test_a_refused_role_gets_403_whatever_the_id(
    client: httpx.AsyncClient, db: Database, ward: Ward, route: Route, whose: str
) -> None:
    # And an allowed role gets 404, the same for an id that exists nowhere and one of another hospital.
    target = uuid.uuid4() if whose == "unknown" else ward.other_hospitals(route.target)
    body, query = request_of(route, ward)
    for role in ROLES:
        if role not in route.allowed:
            await refused(client, db, ward, route, ward.staff[role], target, body, query)
            continue
        response = await call(client, route, ward.staff[role], target, body, query)
        assert response.status_code == 404, response.text
        assert response.json() == problem(404, route.not_found or "")


async def test_a_refused_role_gets_403_even_for_a_malformed_id(
    client: httpx.AsyncClient, db: Database, ward: Ward
) -> None:
    for route in WITH_IDS:
        body, query = request_of(route, ward)
        for role in sorted(EVERYONE - route.allowed):
            await refused(client, db, ward, route, ward.staff[role], "not-a-uuid", body, query)


async def test_an_allowed_role_gets_400_naming_a_malformed_id(client: httpx.AsyncClient, ward: Ward) -> None:
    # 401, then 403, then 400: the id is validated after the guards, and named as the OpenAPI document names it.
    for route in WITH_IDS:
        body, query = request_of(route, ward)
        for role in sorted(route.allowed):
            response = await call(client, route, ward.staff[role], "not-a-uuid", body, query)
            assert response.status_code == 400, (route.name, role, response.text)
            assert response.json() == {
                **problem(400, NOT_VALID),
                "errors": [{"field": route.parameter, "message": "is not a UUID"}],
            }, (route.name, role)


async def test_no_token_is_401_even_for_a_malformed_id(client: httpx.AsyncClient, ward: Ward) -> None:
    for route in WITH_IDS:
        body, query = request_of(route, ward)
        response = await call(client, route, None, "not-a-uuid", body, query)
        assert response.status_code == 401, (route.name, response.text)
        assert response.json() == problem(401, NO_TOKEN)


# --- "own alerts": what an operator may cancel ------------------------------------------------------------------

OWN_ALERTS_ONLY = "operators may cancel only the alerts they raised"


async def alert_of(client: httpx.AsyncClient, ward: Ward, alert_id: uuid.UUID) -> dict[str, Any]:
    response = await client.get(f"/api/v1/alerts/{alert_id}", headers=ward.staff["head_doctor"].headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def raise_alert(client: httpx.AsyncClient, ward: Ward, staff: Staff) -> uuid.UUID:
    response = await client.post("/api/v1/alerts", json=new_alert_body(ward), headers=staff.headers)
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def someone_elses_alert(client: httpx.AsyncClient, db: Database, ward: Ward, raised_by: str) -> uuid.UUID:
    if raised_by == "another operator":
        return await raise_alert(client, ward, await logged_in(client, db, ward.hospital_id, "operator"))
    return await raise_alert(client, ward, ward.staff[raised_by])


async def refused_cancel(client: httpx.AsyncClient, db: Database, ward: Ward, alert_id: uuid.UUID) -> AuditRow:
    """The ward's operator cancels ``alert_id``: 403, nothing changes, and one audit row is written: that row."""
    operator = ward.staff["operator"]
    before = await audit_rows(db, ward.hospital_id)
    response = await client.post(
        f"/api/v1/alerts/{alert_id}/cancel", json={"reason": "not mine"}, headers=operator.headers
    )
    assert_problem(response, 403, OWN_ALERTS_ONLY)
    alert = await alert_of(client, ward, alert_id)
    assert (alert["status"], alert["cancelReason"]) == ("active", None)
    written = (await audit_rows(db, ward.hospital_id))[len(before) :]
    assert [(row.action, row.outcome, row.user_id) for row in written] == [("access.denied", "failure", operator.id)]
    assert written[0].session_id is not None
    return written[0]


@pytest.mark.parametrize("raised_by", ["head_doctor", "admin", "another operator"])
async def test_an_operator_may_not_cancel_an_alert_someone_else_raised(
    client: httpx.AsyncClient, db: Database, ward: Ward, raised_by: str
) -> None:
    alert_id = await someone_elses_alert(client, db, ward, raised_by)
    denial = await refused_cancel(client, db, ward, alert_id)
    assert (denial.resource, denial.resource_id) == ("alert", str(alert_id))
    assert denial.metadata["reason"] == "not_own_alert"
    assert denial.metadata["permission"] == "alerts.cancel"


async def test_an_operators_refused_cancel_names_the_request_like_every_refusal(
    client: httpx.AsyncClient, db: Database, ward: Ward
) -> None:
    alert_id = await someone_elses_alert(client, db, ward, "head_doctor")
    denial = await refused_cancel(client, db, ward, alert_id)
    assert denial.metadata == {
        "reason": "not_own_alert",
        "method": "POST",
        "path": f"/api/v1/alerts/{alert_id}/cancel",
        "permission": "alerts.cancel",
    }


async def test_an_operator_may_cancel_the_alerts_it_raised_once(client: httpx.AsyncClient, ward: Ward) -> None:
    operator = ward.staff["operator"]
    alert_id = await raise_alert(client, ward, operator)
    path = f"/api/v1/alerts/{alert_id}/cancel"
    response = await client.post(path, json={"reason": "false alarm"}, headers=operator.headers)
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["cancelReason"]) == ("cancelled", "false alarm")
    # Closed: 409, not 403, for its own raiser.
    again = await client.post(path, headers=operator.headers)
    assert_problem(again, 409, "the alert is already resolved or cancelled")


# --- 401 before everything, on every route the app has ---------------------------------------------------------


def api_routes(app: Litestar) -> set[tuple[str, str]]:
    """(method, path template) of every /api/v1 route the app serves (OPTIONS, Litestar's own, left out)."""
    return {
        (method, path)
        for path, handlers in app.route_handler_method_map.items()
        if path.startswith("/api/v1/")
        for method in handlers
        if method != "OPTIONS"
    }


def concrete(path: str) -> str:
    """A path template with every parameter replaced by a random UUID."""
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def authenticated_routes(app: Litestar) -> list[tuple[str, str]]:
    return sorted(api_routes(app) - PUBLIC_ROUTES)


async def test_the_matrix_covers_every_route_the_app_has(app: Litestar) -> None:
    covered = {(route.method, route.template) for route in ROUTES} | SELF_SERVICE_ROUTES | PUBLIC_ROUTES
    assert api_routes(app) == covered, "a route was added or removed: add it to ROUTES with its roles"


async def test_the_openapi_document_lists_the_same_routes_with_their_401_and_403(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    documented = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/v1/")
        for method in operations
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}
    }
    untyped = {(method, re.sub(r"\{([^}:]+):[^}]+\}", r"{\1}", path)) for method, path in api_routes(app)}
    assert documented == untyped
    for method, path in untyped - PUBLIC_ROUTES:
        assert "401" in paths[path][method.lower()]["responses"], (method, path)
    for route in RESTRICTED:
        path = re.sub(r"\{([^}:]+):[^}]+\}", r"{\1}", route.template)
        assert "403" in paths[path][route.method.lower()]["responses"], route.name


async def test_no_token_is_401_on_every_authenticated_route_before_body_and_id_checks(
    client: httpx.AsyncClient, app: Litestar
) -> None:
    routes = authenticated_routes(app)
    assert len(routes) >= len(ROUTES) + len(SELF_SERVICE_ROUTES)
    for method, path in routes:
        # An unknown id and a body that is not even JSON: the token is checked first.
        response = await client.request(
            method, concrete(path), content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == 'Bearer realm="hospital-alerts"'
        assert response.json() == problem(401, NO_TOKEN), (method, path)


@pytest.mark.parametrize(
    "authorization",
    ["Bearer " + "A" * 43, "Bearer short", "Basic dXNlcjpwYXNz", "Bearer", "bearer " + "A" * 43],
    ids=["unknown-token", "malformed-token", "basic", "empty-bearer", "lower-case-scheme"],
)
async def test_a_bad_token_is_401_on_every_authenticated_route(
    client: httpx.AsyncClient, app: Litestar, authorization: str
) -> None:
    for method, path in authenticated_routes(app):
        response = await client.request(method, concrete(path), json={}, headers={"Authorization": authorization})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == 'Bearer realm="hospital-alerts"'
        assert response.json() == problem(401, TOKEN_REFUSED), (method, path)


async def test_a_revoked_admin_token_is_401_on_every_authenticated_route(
    client: httpx.AsyncClient, db: Database, app: Litestar, ward: Ward
) -> None:
    admin = await logged_in(client, db, ward.hospital_id, "admin")
    assert (await client.post("/api/v1/auth/logout", headers=admin.headers)).status_code == 204
    before = await audit_rows(db, ward.hospital_id)
    for method, path in authenticated_routes(app):
        response = await client.request(method, concrete(path), json={}, headers=admin.headers)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json() == problem(401, TOKEN_REFUSED), (method, path)
    # Nothing was done, nor refused for a role: the request never had a user.
    assert await audit_rows(db, ward.hospital_id) == before


# --- what every role may do on its own account -------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
async def test_the_self_service_routes_are_open_to_every_role(
    client: httpx.AsyncClient, db: Database, ward: Ward, role: str
) -> None:
    staff = await logged_in(client, db, ward.hospital_id, role)
    setup = await client.post("/api/v1/auth/2fa/setup", headers=staff.headers)
    assert setup.status_code == 200, setup.text
    code = pyotp.TOTP(setup.json()["secret"]).now()
    confirm = await client.post("/api/v1/auth/2fa/confirm", json={"code": code}, headers=staff.headers)
    assert confirm.status_code == 200, confirm.text
    backup_code = confirm.json()["backupCodes"][0]
    disable = await client.post(
        "/api/v1/auth/2fa/disable", json={"password": PASSWORD, "code": backup_code}, headers=staff.headers
    )
    assert disable.status_code == 204, disable.text
    password = await client.post(
        "/api/v1/auth/password",
        json={"currentPassword": PASSWORD, "newPassword": "a brand new passphrase"},
        headers=staff.headers,
    )
    assert password.status_code == 204, password.text
    logout = await client.post("/api/v1/auth/logout", headers=staff.headers)
    assert logout.status_code == 204, logout.text
    rows = [row for row in await audit_rows(db, ward.hospital_id) if row.user_id == staff.id]
    assert "access.denied" not in [row.action for row in rows]
    assert [row.action for row in rows if row.action.startswith("auth.") and row.action != "auth.login"] == [
        "auth.2fa_setup",
        "auth.2fa_enable",
        "auth.2fa_disable",
        "auth.password_change",
        "auth.logout",
    ]
