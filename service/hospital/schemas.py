"""Shapes of the hospital domain: hospitals, their settings and departments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from service.db.catalogue import Row
from service.validation import Input, trimmed


class DepartmentRef(msgspec.Struct, rename="camel", frozen=True):
    """A department as it appears inside a user or an alert."""

    id: uuid.UUID
    name: str
    code: str


class HospitalIdRow(Row):
    id: uuid.UUID


class CountRow(Row):
    count: int


class DepartmentRow(Row, rename="camel"):
    """A department as listed by GET /hospital/departments."""

    id: uuid.UUID
    name: str
    code: str
    is_active: bool


class AckTimeouts(msgspec.Struct, rename="camel"):
    """Seconds an alert of each priority may stay unacknowledged before it escalates."""

    low: int
    medium: int
    high: int
    critical: int


class HospitalSettings(msgspec.Struct, rename="camel"):
    ack_timeout_seconds: AckTimeouts
    max_escalation_level: int
    lockout_threshold: int
    lockout_minutes: int
    session_idle_minutes: int
    audit_retention_days: int


class HospitalRow(Row, rename="camel"):
    """The hospital object of GET /hospital."""

    id: uuid.UUID
    name: str
    address: str | None
    phone: str | None
    license_number: str | None
    is_active: bool
    settings: HospitalSettings
    created_at: datetime


# --- request bodies ----------------------------------------------------------------------------------------

AckSeconds = Annotated[int, msgspec.Meta(ge=5, le=86400)]


class AckTimeoutsPatch(Input):
    low: AckSeconds | msgspec.UnsetType = msgspec.UNSET
    medium: AckSeconds | msgspec.UnsetType = msgspec.UNSET
    high: AckSeconds | msgspec.UnsetType = msgspec.UNSET
    critical: AckSeconds | msgspec.UnsetType = msgspec.UNSET


class SettingsPatch(Input):
    """Settings to change, merged field by field at every level; a field left out keeps its value."""

    ack_timeout_seconds: AckTimeoutsPatch | msgspec.UnsetType = msgspec.UNSET
    max_escalation_level: Annotated[int, msgspec.Meta(ge=1, le=10)] | msgspec.UnsetType = msgspec.UNSET
    lockout_threshold: Annotated[int, msgspec.Meta(ge=3, le=20)] | msgspec.UnsetType = msgspec.UNSET
    lockout_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] | msgspec.UnsetType = msgspec.UNSET
    session_idle_minutes: Annotated[int, msgspec.Meta(ge=1, le=480)] | msgspec.UnsetType = msgspec.UNSET
    audit_retention_days: Annotated[int, msgspec.Meta(ge=2192, le=36500)] | msgspec.UnsetType = msgspec.UNSET


class UpdateHospital(Input):
    """Fields to change; ``address`` and ``phone`` may be cleared with ``null``."""

    name: Annotated[str, trimmed(1, 200)] | msgspec.UnsetType = msgspec.UNSET
    address: Annotated[str, trimmed(0, 500)] | msgspec.UnsetType | None = msgspec.UNSET
    phone: Annotated[str, trimmed(0, 50)] | msgspec.UnsetType | None = msgspec.UNSET
    settings: SettingsPatch | msgspec.UnsetType = msgspec.UNSET


DepartmentCode = Annotated[
    str, msgspec.Meta(pattern=r"^[A-Z0-9_-]{1,10}$", description="1..10 of A-Z 0-9 _ -, unique in the hospital")
]


class CreateDepartment(Input):
    name: Annotated[str, trimmed(1, 100)]
    code: DepartmentCode


class UpdateDepartment(Input):
    name: Annotated[str, trimmed(1, 100)] | msgspec.UnsetType = msgspec.UNSET
    code: DepartmentCode | msgspec.UnsetType = msgspec.UNSET
    is_active: bool | msgspec.UnsetType = msgspec.UNSET
