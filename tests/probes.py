"""Test-only statements: tests/sql/probe/*.sql, loaded and checked like the service's own catalogue."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from service.db.catalogue import Catalogue, Row, load_catalogue


class AuditPlacementRow(Row):
    partition: str
    kept: timedelta
    metadata: dict[str, Any]


class RowCountsRow(Row):
    hospitals: int
    hospital_settings: int
    departments: int
    users: int
    alerts: int
    alert_events: int
    audit_logs: int


class HospitalNameRow(Row):
    name: str


class UserFactsRow(Row):
    role: str
    must_change_password: bool
    argon2id: bool
    is_active: bool


class BackendPidRow(Row):
    pid: int


class CreatedRow(Row):
    created: int


class TableNameRow(Row):
    name: str


@cache
def probes() -> Catalogue:
    return load_catalogue(Path(__file__).resolve().parent / "sql")
