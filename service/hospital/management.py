"""The caller's hospital: its details and settings, and its departments. Changes by admins, each audited."""

from __future__ import annotations

import uuid

import asyncpg
import msgspec

from service.audit.schemas import Actor
from service.audit.writer import record
from service.db import sql
from service.db.pool import Database
from service.errors import Conflict, FieldError, NotFound
from service.hospital.schemas import (
    CreateDepartment,
    DepartmentRow,
    HospitalRow,
    SettingsPatch,
    UpdateDepartment,
    UpdateHospital,
)
from service.hospital.tenants import create_department as insert_department

NO_SUCH_DEPARTMENT = "no such department"
CODE_TAKEN = "a department with this code already exists in this hospital"


async def get_hospital(db: Database, hospital_id: uuid.UUID) -> HospitalRow:
    async with db.connection() as conn:
        return await _hospital(conn, hospital_id)


async def update_hospital(db: Database, actor: Actor, hospital_id: uuid.UUID, patch: UpdateHospital) -> HospitalRow:
    """Change the details given and merge the settings given, field by field; audited with the paths changed."""
    changed = _changed_paths(patch)
    async with db.transaction() as conn:
        if not changed:
            return await _hospital(conn, hospital_id)
        if any(not path.startswith("settings.") for path in changed):
            await sql.hospital.update_hospital.rows(
                conn,
                hospital_id,
                _or_none(patch.name),
                patch.address is not msgspec.UNSET,
                _or_none(patch.address),
                patch.phone is not msgspec.UNSET,
                _or_none(patch.phone),
            )
        if isinstance(patch.settings, SettingsPatch):
            s = patch.settings
            ack = s.ack_timeout_seconds
            await sql.hospital.update_settings.rows(
                conn,
                hospital_id,
                *(
                    (_or_none(ack.low), _or_none(ack.medium), _or_none(ack.high), _or_none(ack.critical))
                    if not isinstance(ack, msgspec.UnsetType)
                    else (None, None, None, None)
                ),
                _or_none(s.max_escalation_level),
                _or_none(s.lockout_threshold),
                _or_none(s.lockout_minutes),
                _or_none(s.session_idle_minutes),
                _or_none(s.audit_retention_days),
            )
            if s.max_escalation_level is not msgspec.UNSET:
                # Alerts that stopped at a lower maximum climb again (an escalation depends on this setting).
                await sql.alerts.rearm_escalations.rows(conn, hospital_id)
        hospital = await _hospital(conn, hospital_id)
        await record(
            conn, actor, "hospital.update", resource="hospital", resource_id=hospital_id, metadata={"fields": changed}
        )
        return hospital


def _or_none(value: object) -> object:
    return None if value is msgspec.UNSET else value


def _changed_paths(value: msgspec.Struct, prefix: str = "") -> list[str]:
    """The dotted JSON paths of every field given in a patch (``settings.ackTimeoutSeconds.critical``)."""
    paths: list[str] = []
    for field in msgspec.structs.fields(value):
        given = getattr(value, field.name)
        if given is msgspec.UNSET:
            continue
        path = f"{prefix}{field.encode_name}"
        if isinstance(given, msgspec.Struct):
            paths.extend(_changed_paths(given, path + "."))
        else:
            paths.append(path)
    return paths


async def list_departments(db: Database, hospital_id: uuid.UUID) -> list[DepartmentRow]:
    async with db.connection() as conn:
        return await sql.hospital.list_departments.many(conn, hospital_id)


async def create_department(
    db: Database, actor: Actor, hospital_id: uuid.UUID, data: CreateDepartment
) -> DepartmentRow:
    async with db.transaction() as conn:
        department = await insert_department(conn, actor, hospital_id, uuid.uuid4(), data.name, data.code)
    if department is None:
        raise Conflict(CODE_TAKEN, errors=[FieldError("code", "is already used by another department")])
    return department


async def update_department(
    db: Database, actor: Actor, hospital_id: uuid.UUID, department_id: uuid.UUID, patch: UpdateDepartment
) -> DepartmentRow:
    changed = _changed_paths(patch)
    try:
        async with db.transaction() as conn:
            if not changed:
                department = await sql.hospital.get_department.one(conn, hospital_id, department_id)
            else:
                department = await sql.hospital.update_department.one(
                    conn,
                    hospital_id,
                    department_id,
                    _or_none(patch.name),
                    _or_none(patch.code),
                    _or_none(patch.is_active),
                )
                if department is not None:
                    await record(
                        conn,
                        actor,
                        "department.update",
                        resource="department",
                        resource_id=department_id,
                        metadata={"fields": changed},
                    )
    except asyncpg.UniqueViolationError:
        raise Conflict(CODE_TAKEN, errors=[FieldError("code", "is already used by another department")]) from None
    if department is None:
        raise NotFound(NO_SUCH_DEPARTMENT)
    return department


async def _hospital(conn: asyncpg.Connection, hospital_id: uuid.UUID) -> HospitalRow:
    hospital = await sql.hospital.get_hospital.one(conn, hospital_id)
    assert hospital is not None  # the caller's session belongs to it; hospitals are never deleted
    return hospital
