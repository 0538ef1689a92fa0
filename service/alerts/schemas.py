"""Shapes of the alerts domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from service.db.catalogue import Row
from service.hospital.schemas import DepartmentRef

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
