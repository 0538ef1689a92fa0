"""Fixtures for the API tests: staff of a fresh hospital, logged in over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache

import httpx
import pytest

from service.audit.schemas import CLI_ACTOR
from service.auth.passwords import hash_password
from service.db import sql
from service.db.pool import Database
from service.hospital.tenants import create_department
from service.users.accounts import create_user
from service.users.schemas import Role

PASSWORD = "correct horse battery staple"


@cache
def password_hash() -> str:
    # One argon2id hash for every test user: 50 ms once instead of per user.
    return hash_password(PASSWORD)


@dataclass
class Staff:
    """A user of the test's hospital, with a session when it was logged in."""

    id: uuid.UUID
    hospital_id: uuid.UUID
    email: str
    role: Role
    department_id: uuid.UUID | None
    password: str = PASSWORD
    token: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        assert self.token is not None, "this user was not logged in"
        return {"Authorization": f"Bearer {self.token}"}


MakeStaff = Callable[..., Awaitable[Staff]]


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


@pytest.fixture
async def department_id(db: Database, hospital_id: uuid.UUID) -> uuid.UUID:
    """An active department of the test's hospital."""
    new_id = uuid.uuid4()
    async with db.transaction() as conn:
        await create_department(conn, CLI_ACTOR, hospital_id, new_id, "Emergency", "ER")
    return new_id


@pytest.fixture
def make_staff(db: Database, client: httpx.AsyncClient, hospital_id: uuid.UUID) -> MakeStaff:
    """Creates a user in the test's hospital (password PASSWORD, nothing to change) and logs it in."""

    async def make(
        role: Role = "admin",
        *,
        department_id: uuid.UUID | None = None,
        hospital: uuid.UUID | None = None,
        logged_in: bool = True,
        name: str | None = None,
    ) -> Staff:
        target = hospital or hospital_id
        user_id = uuid.uuid4()
        email = f"{role}.{user_id.hex[:10]}@test.example"
        async with db.transaction() as conn:
            await create_user(
                conn,
                CLI_ACTOR,
                target,
                user_id=user_id,
                email=email,
                name=name or f"{role.title()} {user_id.hex[:6]}",
                role=role,
                password_hash=password_hash(),
                department_id=department_id,
            )
        staff = Staff(id=user_id, hospital_id=target, email=email, role=role, department_id=department_id)
        if logged_in:
            response = await login(client, email)
            assert response.status_code == 200, response.text
            staff.token = response.json()["token"]
        return staff

    return make


@pytest.fixture
async def admin(make_staff: MakeStaff) -> Staff:
    return await make_staff("admin")


@pytest.fixture
async def other_hospital(db: Database) -> uuid.UUID:
    """A second hospital, for the cross-tenant tests."""
    new_id = uuid.uuid4()
    async with db.transaction() as conn:
        await sql.hospital.create_hospital.one(conn, new_id, f"Other hospital {new_id.hex[:8]}", None, None, None)
    return new_id
