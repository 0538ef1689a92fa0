"""Test-only statements: tests/sql/probe/*.sql, loaded and checked like the service's own catalogue."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from service.audit.schemas import CreatedRow, SettingRow  # noqa: F401 (probes return them)
from service.audit.seals import seal_once
from service.db import sql
from service.db.catalogue import Catalogue, Row, load_catalogue
from service.db.pool import Database


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


class SeedFiguresRow(Row):
    open_alerts: int
    active_with_deadline: int
    escalations: int
    sealed_rows: int
    unsealed_rows: int
    first_roles: str
    two_factor_users: int
    nurse_password_hash: str


class HospitalNameRow(Row):
    name: str


class UserFactsRow(Row):
    role: str
    must_change_password: bool
    argon2id: bool
    is_active: bool


class BackendPidRow(Row):
    pid: int


class RowIdRow(Row):
    id: uuid.UUID


class RowTimeRow(Row):
    id: uuid.UUID
    timestamp: datetime


class PartitionRow(Row):
    name: str
    guarded: bool


class PlanSampleRow(Row):
    hospital_id: uuid.UUID
    department_id: uuid.UUID
    user_id: uuid.UUID
    token_hash: bytes


class NewestRow(Row):
    at: datetime | None


class SealCountRow(Row):
    seals: int
    last_seq: int


class TableNameRow(Row):
    name: str


class IndexValidityRow(Row):
    name: str
    valid: bool


class JsonObjectRow(Row):
    """A probe's row as one JSON object (``... AS data``), for probes whose columns only one test reads."""

    data: dict[str, Any]


async def seal_through(db: Database, at: datetime) -> None:
    """Seal until the chain's head passes ``at``. Sealing waits for every open transaction (the app's loops
    run beside the tests) and another sealer may hold the lock, so one pass is not always enough."""
    for _ in range(500):
        await seal_once(db, settle_seconds=0, batch_seconds=0)
        async with db.connection() as conn:
            head = await sql.audit.latest_seal.one(conn)
        if head is not None and head.sealed_to > at:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the audit rows up to {at} were not sealed within 10 s")


async def seal_all(db: Database) -> None:
    """Seal every audit row committed so far."""
    async with db.connection() as conn:
        newest = await probes().probe.audit_newest_row.one(conn)
    if newest is not None and newest.at is not None:
        await seal_through(db, newest.at)


@cache
def probes() -> Catalogue:
    return load_catalogue(Path(__file__).resolve().parent / "sql")


class AuditRow(Row):
    action: str
    outcome: str
    user_id: uuid.UUID | None
    resource: str | None
    resource_id: str | None
    session_id: uuid.UUID | None
    ip_address: str | None
    user_agent: str | None
    metadata: dict[str, Any]
    timestamp: datetime
    retention_until: datetime


class SessionFactsRow(Row):
    id: uuid.UUID
    token_hash: bytes
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None


class UserSecretsRow(Row):
    password_hash: str
    two_factor_secret: bytes | None
    two_factor_backup_codes: list[str]
    two_factor_last_used_step: int | None
    failed_login_attempts: int
    lockout_count: int
    is_locked: bool
    lockout_until: datetime | None
    must_change_password: bool
    password_expires_at: datetime | None


class StreamKilledRow(Row):
    killed: int


class AuditIdRow(Row):
    """The id of an audit row probe audit_insert_row wrote (probe audit_log_rows returns AuditLogRow)."""

    id: uuid.UUID
