"""Creating user accounts: the row and its audit row, in the caller's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from service.audit.schemas import Actor
from service.audit.writer import record
from service.db import sql
from service.users.schemas import Role, Shift, UserRow


async def create_user(
    conn: asyncpg.Connection,
    actor: Actor,
    hospital_id: uuid.UUID,
    *,
    user_id: uuid.UUID,
    email: str,
    name: str,
    role: Role,
    password_hash: str,
    department_id: uuid.UUID | None = None,
    license_number: str | None = None,
    specialization: str | None = None,
    shift_schedule: list[Shift] | None = None,
    must_change_password: bool = False,
    password_expires_at: datetime | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> UserRow | None:
    """Create the user and audit it; None when the email (unique across hospitals) or the id is taken.

    ``email`` must already be in normal form (users.emails.normalize_email); ``password_hash`` an argon2id hash.
    Raises asyncpg.ForeignKeyViolationError when the hospital or the department does not exist in it.
    """
    row = await sql.users.create_user.one(
        conn,
        hospital_id,
        user_id,
        email,
        name,
        role,
        department_id,
        license_number,
        specialization,
        None if shift_schedule is None else [{"day": s.day, "start": s.start, "end": s.end} for s in shift_schedule],
        password_hash,
        must_change_password,
        password_expires_at,
    )
    if row is not None:
        await record(
            conn,
            actor,
            "user.create",
            resource="user",
            resource_id=user_id,
            hospital_id=hospital_id,
            metadata={"email": email, "role": role, **(metadata or {})},
        )
    return row
