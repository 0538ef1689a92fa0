"""Shapes of the users domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from service.db.catalogue import Row
from service.hospital.schemas import DepartmentRef

Role = Literal["operator", "nurse", "doctor", "head_doctor", "admin"]
ROLES: tuple[Role, ...] = ("operator", "nurse", "doctor", "head_doctor", "admin")

HourMinute = Annotated[
    str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, 24-hour clock")
]


class Shift(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    """One weekly shift; ``end`` before ``start`` crosses midnight."""

    day: Annotated[int, msgspec.Meta(ge=0, le=6, description="Monday 0 .. Sunday 6")]
    start: HourMinute
    end: HourMinute


class UserRow(Row, rename="camel"):
    """The user object of the API. Never a password hash, TOTP secret or backup code."""

    id: uuid.UUID
    hospital_id: uuid.UUID
    email: str
    name: str
    role: Role
    department: DepartmentRef | None
    license_number: str | None
    specialization: str | None
    shift_schedule: list[Shift] | None
    is_active: bool
    is_locked: bool
    lockout_until: datetime | None
    two_factor_enabled: bool
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime
