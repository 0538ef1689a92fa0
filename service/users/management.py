"""Staff management by a hospital's admins: create (one or in bulk), update, role changes, (de)activation, unlock.

Every change is one transaction with its audit row. Role changes and (de)activation first lock the hospital row
(hospital/lock_hospital), so the rule "never demote or deactivate the last active admin" holds even when two
admins act at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec

from service.audit.actions import AuditAction
from service.audit.schemas import Actor
from service.audit.writer import record
from service.auth.passwords import new_temporary_password
from service.db import sql
from service.db.pool import Database
from service.errors import BadRequest, Conflict, FieldError, NotFound
from service.users.accounts import create_user
from service.users.schemas import CreatedUser, CreateUser, Role, UpdateUser, UserPage, UserRow, UserStateRow

TEMPORARY_PASSWORD_LIFETIME = timedelta(hours=72)
NO_SUCH_USER = "no such user"
MAX_SKIP = 2**62
INACTIVE_DEPARTMENT = "is not an active department of this hospital"


async def list_users(
    db: Database,
    hospital_id: uuid.UUID,
    *,
    page: int,
    limit: int,
    search: str | None,
    role: Role | None,
    department_id: uuid.UUID | None,
    is_active: bool | None,
) -> UserPage:
    filters = (search or None, role, department_id, is_active)
    async with db.transaction(readonly=True) as conn:
        total = await sql.users.count_users.one(conn, hospital_id, *filters)
        # Any page is allowed; one past every possible row is still a bigint (and simply empty).
        skip = min((page - 1) * limit, MAX_SKIP)
        users = await sql.users.list_users.many(conn, hospital_id, *filters, limit, skip)
    assert total is not None
    return UserPage(users=users, total=total.count, page=page, total_pages=-(-total.count // limit))


async def get_user(db: Database, hospital_id: uuid.UUID, user_id: uuid.UUID) -> UserRow:
    async with db.connection() as conn:
        return await _user(conn, hospital_id, user_id)


async def create_users(
    db: Database, actor: Actor, hospital_id: uuid.UUID, items: Sequence[CreateUser], *, bulk: bool
) -> list[CreatedUser]:
    """Create every user or none. Problems are reported together, each naming its field (``users[3].email``
    in bulk): 400 for invalid rows and emails repeated in the batch, 409 when the only problem is emails
    that are already taken."""
    invalid, conflicts = await batch_problems(db, hospital_id, list(enumerate(items)), bulk=bulk)
    if invalid:
        errors = sorted(invalid + conflicts, key=lambda e: row_order(e.field))
        raise BadRequest(
            "the users are not valid; nothing was created" if bulk else "the user is not valid", errors=errors
        )
    if conflicts:
        raise Conflict(
            "some emails are already taken; nothing was created" if bulk else "the email is already taken",
            errors=conflicts,
        )

    field = _field_namer(bulk)
    expires_at = datetime.now(UTC) + TEMPORARY_PASSWORD_LIFETIME
    created: list[CreatedUser] = []
    async with db.transaction() as conn:
        for index, item in enumerate(items):
            password, password_hash = new_temporary_password()
            user = await create_user(
                conn,
                actor,
                hospital_id,
                user_id=uuid.uuid4(),
                email=item.email,
                name=item.name,
                role=item.role,
                password_hash=password_hash,
                department_id=item.department_id,
                license_number=item.license_number,
                specialization=item.specialization,
                shift_schedule=item.shift_schedule,
                must_change_password=True,
                password_expires_at=expires_at,
                metadata={"bulk": True} if bulk else None,
            )
            if user is None:  # taken by a concurrent request since the check above: roll everything back
                raise Conflict(
                    "an email was taken meanwhile; nothing was created",
                    errors=[FieldError(field(index, "email"), "is already taken")],
                )
            created.append(CreatedUser(user=user, temporary_password=password))
    return created


async def batch_problems(
    db: Database, hospital_id: uuid.UUID, rows: Sequence[tuple[int, CreateUser]], *, bulk: bool
) -> tuple[list[FieldError], list[FieldError]]:
    """What stops these users (each with its index in the request) from being created: the invalid (emails
    repeated in the batch, departments that are unknown, inactive or another hospital's) and the conflicts
    (emails already taken, in any hospital)."""
    field = _field_namer(bulk)
    invalid: list[FieldError] = []
    first_row_of: dict[str, int] = {}
    for index, item in rows:
        if item.email in first_row_of:
            invalid.append(
                FieldError(
                    field(index, "email"), f"appears twice in this batch (first at users[{first_row_of[item.email]}])"
                )
            )
        else:
            first_row_of[item.email] = index
    async with db.connection() as conn:
        active = {d.id for d in await sql.hospital.list_departments.many(conn, hospital_id) if d.is_active}
        taken = {row.email for row in await sql.users.taken_emails.many(conn, list(first_row_of))}
    invalid.extend(
        FieldError(field(index, "departmentId"), INACTIVE_DEPARTMENT)
        for index, item in rows
        if item.department_id is not None and item.department_id not in active
    )
    conflicts = [
        FieldError(field(index, "email"), "is already taken")
        for index, item in rows
        if item.email in taken and first_row_of[item.email] == index
    ]
    return invalid, conflicts


def _field_namer(bulk: bool) -> Callable[[int, str], str]:
    return (lambda i, name: f"users[{i}].{name}") if bulk else (lambda _, name: name)


def row_order(field: str) -> tuple[int, str]:
    if field.startswith("users["):
        return int(field[6 : field.index("]")]), field
    return 0, field


async def update_user(
    db: Database, actor: Actor, hospital_id: uuid.UUID, user_id: uuid.UUID, patch: UpdateUser
) -> UserRow:
    changed = [f.encode_name for f in msgspec.structs.fields(patch) if getattr(patch, f.name) is not msgspec.UNSET]
    async with db.transaction() as conn:
        if not changed:
            return await _user(conn, hospital_id, user_id)
        if isinstance(patch.department_id, uuid.UUID):
            department = await sql.hospital.get_department.one(conn, hospital_id, patch.department_id)
            if department is None or not department.is_active:
                raise BadRequest("the user is not valid", errors=[FieldError("departmentId", INACTIVE_DEPARTMENT)])
        shifts = patch.shift_schedule
        shift_value = shifts if shifts is msgspec.UNSET or shifts is None else msgspec.to_builtins(shifts)
        updated = await sql.users.update_user.rows(
            conn,
            hospital_id,
            user_id,
            None if patch.name is msgspec.UNSET else patch.name,
            *_settable(patch.department_id),
            *_settable(patch.license_number),
            *_settable(patch.specialization),
            *_settable(shift_value),
        )
        if not updated:
            raise NotFound(NO_SUCH_USER)
        await record(conn, actor, "user.update", resource="user", resource_id=user_id, metadata={"fields": changed})
        return await _user(conn, hospital_id, user_id)


def _settable(value: object) -> tuple[bool, object]:
    """(set?, value) for a field that may be left out (UNSET: keep) or given, null included."""
    if value is msgspec.UNSET:
        return False, None
    return True, value


async def change_role(db: Database, actor: Actor, hospital_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> UserRow:
    """Give the user another role and revoke its sessions; never demote the hospital's last active admin."""
    async with db.transaction() as conn:
        state = await _locked_state(conn, hospital_id, user_id)
        if state.role == role:
            return await _user(conn, hospital_id, user_id)
        if state.role == "admin" and state.is_active and await _active_admins(conn, hospital_id) <= 1:
            raise Conflict("this is the hospital's last active admin: make another admin first")
        await sql.users.change_role.rows(conn, hospital_id, user_id, role)
        revoked = await sql.auth.revoke_user_sessions.rows(conn, hospital_id, user_id, "role_change", None)
        await record(
            conn,
            actor,
            "user.role_change",
            resource="user",
            resource_id=user_id,
            metadata={"from": state.role, "to": role, "sessionsRevoked": revoked},
        )
        return await _user(conn, hospital_id, user_id)


async def set_active(
    db: Database, actor: Actor, hospital_id: uuid.UUID, user_id: uuid.UUID, *, active: bool
) -> UserRow:
    """Activate or deactivate the user (deactivation revokes every session); never the last active admin."""
    async with db.transaction() as conn:
        state = await _locked_state(conn, hospital_id, user_id)
        if state.is_active == active:
            return await _user(conn, hospital_id, user_id)
        if not active and state.role == "admin" and await _active_admins(conn, hospital_id) <= 1:
            raise Conflict("this is the hospital's last active admin: make another admin first")
        await sql.users.set_active.rows(conn, hospital_id, user_id, active)
        metadata: dict[str, object] = {}
        if not active:
            metadata["sessionsRevoked"] = await sql.auth.revoke_user_sessions.rows(
                conn, hospital_id, user_id, "deactivation", None
            )
        action: AuditAction = "user.activate" if active else "user.deactivate"
        await record(conn, actor, action, resource="user", resource_id=user_id, metadata=metadata)
        return await _user(conn, hospital_id, user_id)


async def unlock(db: Database, actor: Actor, hospital_id: uuid.UUID, user_id: uuid.UUID) -> UserRow:
    """Clear the user's lock and failure counts; a user with neither is returned unchanged."""
    async with db.transaction() as conn:
        if await sql.users.unlock_user.rows(conn, hospital_id, user_id):
            await record(conn, actor, "user.unlock", resource="user", resource_id=user_id)
        return await _user(conn, hospital_id, user_id)


async def _user(conn: asyncpg.Connection, hospital_id: uuid.UUID, user_id: uuid.UUID) -> UserRow:
    user = await sql.users.get_user.one(conn, hospital_id, user_id)
    if user is None:
        raise NotFound(NO_SUCH_USER)
    return user


async def _locked_state(conn: asyncpg.Connection, hospital_id: uuid.UUID, user_id: uuid.UUID) -> UserStateRow:
    await sql.hospital.lock_hospital.one(conn, hospital_id)
    state = await sql.users.get_user_state.one(conn, hospital_id, user_id)
    if state is None:
        raise NotFound(NO_SUCH_USER)
    return state


async def _active_admins(conn: asyncpg.Connection, hospital_id: uuid.UUID) -> int:
    count = await sql.users.count_active_admins.one(conn, hospital_id)
    assert count is not None
    return count.count
