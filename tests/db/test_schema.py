"""The schema itself: every table and field of the seed design, constraints that hold without the API, the
audit partitions, and docs/schema.md in step with the live schema."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from service.db import sql
from service.db.pool import Database
from service.ops import schema_doc
from service.ops.schemas import SchemaObjectRow
from tests.probes import probes

# The seed design's fields (the task list the product started from), in our snake_case, table by table,
# plus what the issues add (sessions, settings, escalation deadline, event log).
SEED_FIELDS = {
    "hospitals": {"id", "name", "address", "phone", "license_number", "is_active", "created_at"},
    "departments": {"id", "hospital_id", "name", "code", "is_active"},
    "users": {
        "id",
        "email",
        "email_verified",
        "name",
        "role",
        "department_id",
        "hospital_id",
        "license_number",
        "specialization",
        "shift_schedule",
        "is_active",
        "is_locked",
        "lockout_until",
        "failed_login_attempts",
        "lockout_count",
        "last_login_at",
        "last_login_ip",
        "password_hash",
        "must_change_password",
        "two_factor_enabled",
        "two_factor_secret",
        "two_factor_backup_codes",
        "two_factor_last_used_step",
        "created_at",
        "updated_at",
    },
    "sessions": {
        "id",
        "token_hash",
        "user_id",
        "hospital_id",
        "created_at",
        "last_seen_at",
        "expires_at",
        "revoked_at",
        "ip_address",
        "user_agent",
    },
    "hospital_settings": {
        "hospital_id",
        "ack_timeout_low_seconds",
        "ack_timeout_medium_seconds",
        "ack_timeout_high_seconds",
        "ack_timeout_critical_seconds",
        "max_escalation_level",
        "lockout_threshold",
        "lockout_minutes",
        "session_idle_minutes",
        "audit_retention_days",
    },
    "alerts": {
        "id",
        "hospital_id",
        "department_id",
        "title",
        "description",
        "priority",
        "alert_type",
        "room_number",
        "status",
        "escalation_level",
        "next_escalation_at",
        "created_by",
        "acknowledged_by",
        "acknowledged_at",
        "resolved_by",
        "resolved_at",
        "created_at",
        "updated_at",
        "expires_at",
    },
    "alert_escalations": {"id", "alert_id", "from_level", "to_level", "reason", "escalated_at"},
    "alert_events": {"id", "hospital_id", "alert_id", "event_type", "payload", "created_at"},
    "audit_logs": {
        "id",
        "user_id",
        "hospital_id",
        "action",
        "resource",
        "resource_id",
        "outcome",
        "ip_address",
        "user_agent",
        "session_id",
        "metadata",
        "timestamp",
        "retention_until",
    },
}


@pytest.fixture(scope="module")
async def objects(db: Database) -> list[SchemaObjectRow]:
    async with db.connection() as conn:
        return await sql.ops.schema_objects.many(conn)


def test_every_table_and_field_of_the_seed_design_is_present(objects: list[SchemaObjectRow]) -> None:
    columns: dict[str, set[str]] = {}
    for obj in objects:
        if obj.kind == "column":
            table, column = obj.name.split(".", 1)
            columns.setdefault(table, set()).add(column)
    for table, fields in SEED_FIELDS.items():
        assert fields <= columns.get(table, set()), f"{table} lacks {sorted(fields - columns.get(table, set()))}"


def test_every_table_has_a_comment(objects: list[SchemaObjectRow]) -> None:
    tables = schema_doc.tables_of(objects)
    assert set(SEED_FIELDS) <= set(tables)
    assert [t.name for t in tables.values() if not t.comment] == []


ROLES = ("operator", "nurse", "doctor", "head_doctor", "admin")
PRIORITIES = ("low", "medium", "high", "critical")
ENUMERATED = [
    ("users", "role", ROLES),
    ("alerts", "priority", PRIORITIES),
    ("alerts", "status", ("active", "acknowledged", "resolved", "cancelled")),
    ("alerts", "alert_type", ("medical", "security", "fire", "other")),
    ("alert_events", "priority", PRIORITIES),
    (
        "alert_events",
        "event_type",
        ("alert.created", "alert.acknowledged", "alert.resolved", "alert.cancelled", "alert.escalated"),
    ),
    ("alert_escalations", "reason", ("timeout", "manual", "no_response")),
    ("audit_logs", "outcome", ("success", "failure")),
    ("sessions", "revoked_reason", ("logout", "password_change", "deactivation", "role_change", "2fa_disable")),
]


@pytest.mark.parametrize(("table", "column", "values"), ENUMERATED)
def test_each_enumerated_column_has_its_own_check(
    objects: list[SchemaObjectRow], table: str, column: str, values: tuple[str, ...]
) -> None:
    checks = [
        o.definition
        for o in objects
        if o.kind == "constraint" and o.name.startswith(f"{table}.") and f"({column} = ANY (ARRAY[" in o.definition
    ]
    assert len(checks) == 1, f"{table}.{column} has {len(checks)} CHECKs naming its values"
    listed = re.findall(r"'([^']+)'::text", checks[0])
    assert set(values) <= set(listed)


def test_docs_schema_md_is_generated_from_this_schema(objects: list[SchemaObjectRow]) -> None:
    text = schema_doc.DOC_PATH.read_text(encoding="utf-8")
    assert schema_doc.regenerate(text, objects) == text, (
        "docs/schema.md is out of date: run DATABASE_URL=<migrated db> python -m service.ops.schema_doc"
    )


def test_docs_schema_md_names_every_index_and_no_other(objects: list[SchemaObjectRow]) -> None:
    documented = schema_doc.documented_indexes(schema_doc.DOC_PATH.read_text(encoding="utf-8"))
    assert len(documented) == len(set(documented)), "an index is listed twice"
    assert sorted(documented) == sorted(schema_doc.index_names(objects))


def test_hospital_settings_default_to_the_contract(objects: list[SchemaObjectRow]) -> None:
    # A column's definition reads "position | type | not null | default | ...".
    defaults = {
        o.name.removeprefix("hospital_settings."): o.definition.split(" | ")[3]
        for o in objects
        if o.kind == "column"
        and o.name.startswith("hospital_settings.")
        and o.name.split(".")[1] not in ("hospital_id", "updated_at")
    }
    assert defaults == {
        "ack_timeout_low_seconds": "1800",
        "ack_timeout_medium_seconds": "600",
        "ack_timeout_high_seconds": "180",
        "ack_timeout_critical_seconds": "60",
        "max_escalation_level": "3",
        "lockout_threshold": "5",
        "lockout_minutes": "15",
        "session_idle_minutes": "15",
        "audit_retention_days": "2192",
    }


async def create_department(conn: asyncpg.Connection, hospital: uuid.UUID, code: str = "ER") -> uuid.UUID:
    row = await sql.hospital.create_department.one(conn, hospital, uuid.uuid4(), "Emergency", code)
    assert row is not None
    return row.id


async def create_user(
    conn: asyncpg.Connection,
    hospital: uuid.UUID,
    *,
    email: str | None = None,
    role: str = "nurse",
    department: uuid.UUID | None = None,
) -> object:
    return await sql.users.create_user.one(
        conn,
        hospital,
        uuid.uuid4(),
        email or f"{uuid.uuid4().hex[:10]}@test.example",
        "Test User",
        role,
        department,
        None,
        None,
        None,
        "not-a-real-hash",
        False,
        None,
    )


async def test_a_user_cannot_join_another_hospitals_department(db: Database, hospital_id: uuid.UUID) -> None:
    async with db.transaction() as conn:
        other = uuid.uuid4()
        await sql.hospital.create_hospital.one(conn, other, "Other hospital", None, None, None)
        foreign_department = await create_department(conn, other)
        with pytest.raises(asyncpg.ForeignKeyViolationError) as error:
            async with conn.transaction():
                await create_user(conn, hospital_id, department=foreign_department)
        assert error.value.constraint_name == "users_department_fkey"


async def test_an_unknown_role_is_refused_by_the_database(db: Database, hospital_id: uuid.UUID) -> None:
    async with db.connection() as conn:
        with pytest.raises(asyncpg.CheckViolationError) as error:
            await create_user(conn, hospital_id, role="surgeon")
        assert error.value.constraint_name == "users_role_check"


async def test_an_email_not_in_lower_case_is_refused(db: Database, hospital_id: uuid.UUID) -> None:
    async with db.connection() as conn:
        with pytest.raises(asyncpg.CheckViolationError) as error:
            await create_user(conn, hospital_id, email="Someone@Test.Example")
        assert error.value.constraint_name == "users_email_check"


async def test_an_email_is_unique_across_hospitals(db: Database, hospital_id: uuid.UUID) -> None:
    email = f"{uuid.uuid4().hex[:10]}@test.example"
    async with db.transaction() as conn:
        other = uuid.uuid4()
        await sql.hospital.create_hospital.one(conn, other, "Other hospital", None, None, None)
        assert await create_user(conn, hospital_id, email=email) is not None
        assert await create_user(conn, other, email=email) is None


async def test_an_alert_needs_an_active_department_of_its_hospital(db: Database, hospital_id: uuid.UUID) -> None:
    async with db.transaction() as conn:
        other = uuid.uuid4()
        await sql.hospital.create_hospital.one(conn, other, "Other hospital", None, None, None)
        foreign_department = await create_department(conn, other)
        own_department = await create_department(conn, hospital_id)
        refused = await sql.alerts.create_alert.one(
            conn, hospital_id, uuid.uuid4(), foreign_department, "Fire", None, "high", "fire", None, None, None
        )
        assert refused is None
        created = await sql.alerts.create_alert.one(
            conn, hospital_id, uuid.uuid4(), own_department, "Fire", None, "high", "fire", "12", None, None
        )
        assert created is not None
        assert (created.status, created.escalation_level, created.department.code) == ("active", 0, "ER")
        with pytest.raises(asyncpg.CheckViolationError) as error:
            async with conn.transaction():
                await sql.alerts.create_alert.one(
                    conn, hospital_id, uuid.uuid4(), own_department, "Fire", None, "urgent", "fire", None, None, None
                )
        assert error.value.constraint_name == "alerts_priority_check"


async def test_an_audit_row_lands_in_its_month_partition_and_keeps_six_years(
    db: Database, hospital_id: uuid.UUID
) -> None:
    from service.audit.schemas import Actor
    from service.audit.writer import record

    async with db.transaction() as conn:
        await record(
            conn,
            Actor(hospital_id=hospital_id),
            "hospital.update",
            resource="hospital",
            resource_id=hospital_id,
            metadata={"password": "hunter2hunter2", "name": "x"},
        )
        rows = await probes().probe.audit_row_placement.many(conn, hospital_id)
    now = datetime.now(UTC)
    assert len(rows) == 1
    assert rows[0].partition == f"audit_logs_p{now:%Y%m}"
    assert rows[0].kept == timedelta(days=2192)
    assert rows[0].metadata == {"password": "[redacted]", "name": "x"}


async def test_an_audit_row_kept_less_than_six_years_is_refused(db: Database, hospital_id: uuid.UUID) -> None:
    async with db.connection() as conn:
        with pytest.raises(asyncpg.CheckViolationError) as error:
            await probes().probe.insert_short_retention_audit_row.exec(conn, hospital_id)
        assert error.value.constraint_name == "audit_logs_retention_check"


async def test_rows_in_the_default_partition_move_into_a_new_month_partition(
    db: Database, hospital_id: uuid.UUID
) -> None:
    """The maintenance loop fell behind: a row landed in audit_logs_default; creating its month moves it."""
    today = datetime.now(UTC).date()
    month = today.replace(day=1, year=today.year + 3)  # far beyond the partitions made ahead
    at = datetime(month.year, month.month, 15, 12, 0, tzinfo=UTC)
    async with db.transaction() as conn:
        await probes().probe.insert_audit_row_at.exec(conn, hospital_id, at)
        before = await probes().probe.audit_row_placement.many(conn, hospital_id)
        assert [r.partition for r in before] == ["audit_logs_default"]

        created = await probes().probe.ensure_audit_partitions.one(conn, month, 1)
        assert created is not None and created.created == 1
        after = await probes().probe.audit_row_placement.many(conn, hospital_id)
        assert [r.partition for r in after] == [f"audit_logs_p{month:%Y%m}"]

        again = await probes().probe.ensure_audit_partitions.one(conn, month, 1)
        assert again is not None and again.created == 0
