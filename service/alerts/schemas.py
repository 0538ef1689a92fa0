"""Shapes of the alerts domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from service.db.catalogue import Row
from service.hospital.schemas import DepartmentRef
from service.validation import Input, trimmed

Priority = Literal["low", "medium", "high", "critical"]
AlertType = Literal["medical", "security", "fire", "other"]
AlertStatus = Literal["active", "acknowledged", "resolved", "cancelled"]
EventType = Literal["alert.created", "alert.acknowledged", "alert.resolved", "alert.cancelled", "alert.escalated"]


class AlertRow(Row, rename="camel"):
    """The alert object of the API."""

    id: uuid.UUID
    hospital_id: uuid.UUID
    department: DepartmentRef
    title: str
    description: str | None
    priority: Priority
    alert_type: AlertType
    room_number: str | None
    status: AlertStatus
    escalation_level: int
    created_by: uuid.UUID | None
    acknowledged_by: uuid.UUID | None
    acknowledged_at: datetime | None
    resolved_by: uuid.UUID | None
    resolved_at: datetime | None
    cancel_reason: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None


class EventIdRow(Row):
    id: int


EscalationReason = Literal["timeout", "manual", "no_response"]


class EscalationRow(Row, rename="camel"):
    """One step of an alert's escalation; ``escalated_by`` is null when the system escalated."""

    from_level: int
    to_level: int
    reason: EscalationReason
    note: str | None
    escalated_by: uuid.UUID | None
    escalated_at: datetime


class AlertWithEscalations(AlertRow, rename="camel"):
    """GET /alerts/{id}: the alert object with its escalations, oldest first."""

    escalations: list[EscalationRow]


class AlertPage(msgspec.Struct, rename="camel"):
    """A page of GET /alerts; ``next_cursor`` is null on the last page."""

    alerts: list[AlertRow]
    next_cursor: str | None


class AlertIdRow(Row):
    id: uuid.UUID


class DueEscalationRow(Row):
    hospital_id: uuid.UUID
    id: uuid.UUID
    from_level: int
    to_level: int


class DueExpiryRow(Row):
    hospital_id: uuid.UUID
    id: uuid.UUID


# --- request bodies ----------------------------------------------------------------------------------------


class CreateAlert(Input):
    title: Annotated[str, trimmed(1, 200)]
    priority: Priority
    alert_type: AlertType
    department_id: uuid.UUID
    description: Annotated[str, trimmed(0, 2000)] | None = None
    room_number: Annotated[str, trimmed(0, 20)] | None = None
    expires_at: Annotated[datetime, msgspec.Meta(tz=True, description="In the future, with a UTC offset")] | None = None


class CancelAlert(Input):
    reason: Annotated[str, trimmed(0, 500)] | None = None


class EscalateAlert(Input):
    note: Annotated[str, trimmed(0, 500)] | None = None


class StreamEventRow(Row):
    """An event as the stream sends it; ``visible_to[i]``: whether the i-th viewer asked about may see it."""

    id: int
    event_type: EventType
    data: str
    visible_to: list[bool]
