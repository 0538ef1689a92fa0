"""Shapes of the hospital domain: hospitals, their settings and departments."""

from __future__ import annotations

import uuid

import msgspec

from service.db.catalogue import Row


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
