"""An alert's life: raised, seen, acknowledged, resolved or cancelled, escalated by hand.

Every state change is one compare-and-set statement whose WHERE clause names the state it leaves, so of many
concurrent attempts exactly one changes the row; the others find no row and are told why (404 when the caller
may not see the alert, 409 when its state no longer allows the change). The change, its audit row and its event
commit together in one transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import msgspec

from service.alerts.events import publish
from service.alerts.schemas import (
    AlertPage,
    AlertRow,
    AlertStatus,
    AlertWithEscalations,
    CancelAlert,
    CreateAlert,
    EventType,
    Priority,
)
from service.audit.actions import AuditAction
from service.audit.schemas import Actor
from service.audit.writer import record
from service.auth.permissions import Permission, scope_of
from service.auth.schemas import Principal
from service.db import sql
from service.db.pool import Database
from service.errors import BadRequest, Conflict, FieldError, Forbidden, NotFound
from service.pages import decode_cursor, encode_cursor

NO_SUCH_ALERT = "no such alert"
INACTIVE_DEPARTMENT = "is not an active department of this hospital"
NOT_OWN_ALERT = "operators may cancel only the alerts they raised"


class NotOwnAlert(Forbidden):
    """A role that may cancel only the alerts it raised tried another's."""


@dataclass(frozen=True)
class Viewer:
    """Who looks at alerts, as the visibility rule needs it: the scope of alerts.view, role and department."""

    hospital_id: uuid.UUID
    scope: str
    role: str
    department_id: uuid.UUID | None

    @classmethod
    def of(cls, principal: Principal, permission: Permission = Permission.VIEW_ALERTS) -> Viewer:
        scope = scope_of(principal.role, permission)
        assert scope is not None, "the guard lets only roles with this permission through"
        return cls(principal.hospital_id, scope, principal.role, principal.department_id)

    @property
    def params(self) -> tuple[str, str, uuid.UUID | None]:
        return self.scope, self.role, self.department_id


async def create_alert(db: Database, actor: Actor, principal: Principal, data: CreateAlert) -> AlertRow:
    if data.expires_at is not None and data.expires_at <= datetime.now(UTC):
        raise BadRequest("the request is not valid", errors=[FieldError("expiresAt", "must be in the future")])
    async with db.transaction() as conn:
        alert = await sql.alerts.create_alert.one(
            conn,
            principal.hospital_id,
            uuid.uuid4(),
            data.department_id,
            data.title,
            data.description,
            data.priority,
            data.alert_type,
            data.room_number,
            data.expires_at,
            principal.user_id,
        )
        if alert is None:
            raise BadRequest("the alert is not valid", errors=[FieldError("departmentId", INACTIVE_DEPARTMENT)])
        await _announce(
            conn, actor, alert, "alert.create", "alert.created",
            {"priority": alert.priority, "departmentId": str(alert.department.id)},
        )  # fmt: skip
    return alert


async def get_alert(db: Database, viewer: Viewer, alert_id: uuid.UUID) -> AlertWithEscalations:
    async with db.transaction(readonly=True) as conn:
        alert = await sql.alerts.get_alert.one(conn, viewer.hospital_id, alert_id, *viewer.params)
        if alert is None:
            raise NotFound(NO_SUCH_ALERT)
        escalations = await sql.alerts.list_escalations.many(conn, viewer.hospital_id, alert_id)
    return AlertWithEscalations(**msgspec.structs.asdict(alert), escalations=escalations)


async def list_active(db: Database, viewer: Viewer, limit: int) -> list[AlertRow]:
    async with db.connection() as conn:
        return await sql.alerts.list_active.many(conn, viewer.hospital_id, *viewer.params, limit)


async def list_alerts(
    db: Database,
    viewer: Viewer,
    *,
    status: AlertStatus | None,
    priority: Priority | None,
    department_id: uuid.UUID | None,
    created_from: datetime | None,
    created_to: datetime | None,
    cursor: str | None,
    limit: int,
) -> AlertPage:
    after_created_at, after_id = decode_cursor(cursor) if cursor else (None, None)
    async with db.connection() as conn:
        rows = await sql.alerts.list_alerts.many(
            conn,
            viewer.hospital_id,
            *viewer.params,
            status,
            priority,
            department_id,
            created_from,
            created_to,
            after_created_at,
            after_id,
            limit + 1,
        )
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return AlertPage(alerts=page, next_cursor=next_cursor)


async def acknowledge(db: Database, actor: Actor, principal: Principal, alert_id: uuid.UUID) -> AlertRow:
    viewer = Viewer.of(principal, Permission.ACKNOWLEDGE_ALERT)
    async with db.transaction() as conn:
        changed = await sql.alerts.acknowledge.one(
            conn, viewer.hospital_id, alert_id, principal.user_id, *viewer.params
        )
        return await _after_change(
            conn, actor, viewer, alert_id, changed is not None, "alert.acknowledge", "alert.acknowledged",
            conflict="only an active alert can be acknowledged",
        )  # fmt: skip


async def resolve(db: Database, actor: Actor, principal: Principal, alert_id: uuid.UUID) -> AlertRow:
    viewer = Viewer.of(principal, Permission.ACKNOWLEDGE_ALERT)
    async with db.transaction() as conn:
        changed = await sql.alerts.resolve.one(conn, viewer.hospital_id, alert_id, principal.user_id, *viewer.params)
        return await _after_change(
            conn, actor, viewer, alert_id, changed is not None, "alert.resolve", "alert.resolved",
            conflict="the alert is already resolved or cancelled",
        )  # fmt: skip


async def cancel(db: Database, actor: Actor, principal: Principal, alert_id: uuid.UUID, data: CancelAlert) -> AlertRow:
    only_own = scope_of(principal.role, Permission.CANCEL_ALERT) == "own"
    viewer = Viewer.of(principal)
    async with db.transaction() as conn:
        changed = await sql.alerts.cancel.one(
            conn, viewer.hospital_id, alert_id, principal.user_id, data.reason, only_own
        )
        current = None
        if changed is None and only_own:
            current = await sql.alerts.get_alert.one(conn, viewer.hospital_id, alert_id, *viewer.params)
        if current is None or current.created_by == principal.user_id:
            return await _after_change(
                conn, actor, viewer, alert_id, changed is not None, "alert.cancel", "alert.cancelled",
                conflict="the alert is already resolved or cancelled",
                metadata={"reason": data.reason} if data.reason else None,
            )  # fmt: skip
    # Someone else's alert, for a role that may cancel only its own: nothing changed; the caller audits the
    # refusal as the guards do (it knows the request).
    raise NotOwnAlert(NOT_OWN_ALERT)


async def escalate(db: Database, actor: Actor, principal: Principal, alert_id: uuid.UUID, note: str | None) -> AlertRow:
    viewer = Viewer.of(principal, Permission.ESCALATE_ALERT)
    async with db.transaction() as conn:
        changed = await sql.alerts.escalate.one(
            conn, viewer.hospital_id, alert_id, principal.user_id, note, *viewer.params
        )
        alert = await _after_change(
            conn, actor, viewer, alert_id, changed is not None, "alert.escalate", "alert.escalated",
            conflict="the alert is closed or already at the hospital's highest escalation level",
            metadata={"reason": "manual"},
        )  # fmt: skip
    return alert


async def _after_change(
    conn: asyncpg.Connection,
    actor: Actor,
    viewer: Viewer,
    alert_id: uuid.UUID,
    changed: bool,
    action: AuditAction,
    event: EventType,
    *,
    conflict: str,
    metadata: dict[str, object] | None = None,
) -> AlertRow:
    """After a compare-and-set: the alert as it is now, audited and announced; or why nothing changed."""
    if not changed:
        current = await sql.alerts.get_alert.one(conn, viewer.hospital_id, alert_id, *viewer.params)
        if current is None:
            raise NotFound(NO_SUCH_ALERT)
        raise Conflict(conflict)
    alert = await sql.alerts.read_alert.one(conn, viewer.hospital_id, alert_id)
    assert alert is not None  # changed in this transaction
    await _announce(conn, actor, alert, action, event, metadata)
    return alert


async def _announce(
    conn: asyncpg.Connection,
    actor: Actor,
    alert: AlertRow,
    action: AuditAction,
    event: EventType,
    metadata: dict[str, object] | None,
) -> None:
    """The audit row and the stream event of a change, in the change's transaction."""
    await record(
        conn,
        actor,
        action,
        resource="alert",
        resource_id=alert.id,
        metadata={"status": alert.status, "escalationLevel": alert.escalation_level, **(metadata or {})},
        hospital_id=alert.hospital_id,
    )
    await publish(conn, event, alert)
