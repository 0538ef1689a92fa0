"""Creating hospitals and departments: the row, its settings, and its audit row, in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg

from service.audit.schemas import Actor
from service.audit.writer import record
from service.db import sql
from service.hospital.schemas import DepartmentRow


async def create_hospital(
    conn: asyncpg.Connection,
    actor: Actor,
    hospital_id: uuid.UUID,
    name: str,
    *,
    address: str | None = None,
    phone: str | None = None,
    license_number: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> bool:
    """Create the hospital with the default settings and audit it; False when that id exists already."""
    created = await sql.hospital.create_hospital.one(conn, hospital_id, name, address, phone, license_number)
    if created is None:
        return False
    await record(
        conn,
        actor,
        "hospital.create",
        resource="hospital",
        resource_id=hospital_id,
        hospital_id=hospital_id,
        metadata={"name": name, **(metadata or {})},
    )
    return True


async def create_department(
    conn: asyncpg.Connection,
    actor: Actor,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    name: str,
    code: str,
    *,
    metadata: Mapping[str, Any] | None = None,
) -> DepartmentRow | None:
    """Create the department and audit it; None when the hospital has that code (or that id) already."""
    row = await sql.hospital.create_department.one(conn, hospital_id, department_id, name, code)
    if row is not None:
        await record(
            conn,
            actor,
            "department.create",
            resource="department",
            resource_id=department_id,
            hospital_id=hospital_id,
            metadata={"code": code, "name": name, **(metadata or {})},
        )
    return row
