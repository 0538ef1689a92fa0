"""Shapes of the users domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from service.db.catalogue import Row
from service.hospital.schemas import DepartmentRef
from service.validation import Input, email_address, trimmed

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


class EmailRow(Row):
    email: str


class UserIdRow(Row):
    id: uuid.UUID


class UserStateRow(Row):
    """What role changes and (de)activation check first: the user's role and whether it is active."""

    role: Role
    is_active: bool


# --- request bodies ----------------------------------------------------------------------------------------

CreatableRole = Literal["operator", "nurse", "doctor", "head_doctor"]
"""POST /users may not create an admin (only a role change, by an admin, makes one)."""

ShiftSchedule = Annotated[list[Shift], msgspec.Meta(max_length=50, description="At most 50 weekly shifts")]
UserName = Annotated[str, trimmed(2, 100)]
LicenseNumber = Annotated[str, trimmed(0, 50)]
Specialization = Annotated[str, trimmed(0, 100)]


class CreateUser(Input):
    """A new staff account; it gets a temporary password (shown once) that must be changed at first login."""

    name: UserName
    email: Annotated[str, email_address()]
    role: CreatableRole
    department_id: uuid.UUID | None = None
    license_number: LicenseNumber | None = None
    specialization: Specialization | None = None
    shift_schedule: ShiftSchedule | None = None


class BulkCreateUsers(Input):
    """1..500 users, created all together or not at all."""

    users: Annotated[list[CreateUser], msgspec.Meta(min_length=1, max_length=500)]


class UpdateUser(Input):
    """Fields to change; a field left out is kept, ``null`` clears it (``name`` cannot be cleared)."""

    name: UserName | msgspec.UnsetType = msgspec.UNSET
    department_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    license_number: LicenseNumber | msgspec.UnsetType | None = msgspec.UNSET
    specialization: Specialization | msgspec.UnsetType | None = msgspec.UNSET
    shift_schedule: ShiftSchedule | msgspec.UnsetType | None = msgspec.UNSET


class ChangeRole(Input):
    role: Role


# --- responses ---------------------------------------------------------------------------------------------


class CreatedUser(msgspec.Struct, rename="camel"):
    """A created user and its temporary password: shown this once, valid 72 hours, to be changed at first login."""

    user: UserRow
    temporary_password: str


class CreatedUsers(msgspec.Struct):
    users: list[CreatedUser]


class UserPage(msgspec.Struct, rename="camel"):
    users: list[UserRow]
    total: int
    page: int
    total_pages: int
