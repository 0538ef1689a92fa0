"""The SQL catalogue against the migrated schema: every statement prepares and matches its header and Row type,
and a broken file is reported by its name with the reason."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from service.db import sql
from service.db.catalogue import Catalogue, CatalogueError, load_catalogue, tenancy_problems
from service.db.pool import Database
from service.resources import resource_dir

# The statements that by nature span hospitals. Adding one is a decision to review: this list changes with it.
ALL_HOSPITAL_STATEMENTS = {
    "hospital/count_hospitals",
    "auth/authenticate",  # a bearer token names no hospital
    "auth/claim_challenge",  # nor does a 2FA challenge token
    "auth/find_login_user",  # login names no hospital: emails are unique across them
    "users/taken_emails",  # so creating a user must see every hospital's emails
    "ops/prune_sessions",  # the maintenance loop serves every hospital
    "ops/prune_login_challenges",
    "alerts/escalate_due",  # so do the escalation and expiry loops
    "alerts/expire_due",
    "ops/prune_alert_events",
    "audit/seal_bound",  # one chain of seals covers every hospital's audit rows
    "audit/seal_window",
    "audit/seal_rows",
    "audit/latest_seal",
    "audit/find_seal",
    "audit/verify_seals",  # audit verify checks the whole chain, or one hospital's rows
    "audit/verify_rows",
    "audit/verify_span",
    "audit/ensure_partitions",  # a monthly partition holds every hospital's rows
    "audit/purge_expired",
    "ops/count_demo_hospitals",  # a production serve refuses a database holding any demo hospital
    "ops/table_row_counts",  # a backup's manifest counts every hospital's rows
    "seed/seed_partitions",  # seed --scale builds every hospital of an empty database
    "seed/seed_hospitals",
    "seed/seed_departments",
    "seed/seed_users",
    "seed/seed_alerts",
    "seed/seed_escalations",
    "seed/seed_audit_logs",
}


def copy_sql(tmp_path: Path) -> Path:
    root = tmp_path / "sql"
    shutil.copytree(resource_dir("sql"), root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


async def problems_of(root: Path, db: Database) -> list[str]:
    catalogue = load_catalogue(root)
    async with db.connection() as conn:
        return [str(p) for p in await catalogue.verify(conn)]


async def test_every_statement_prepares_and_matches_its_row_type(db: Database, catalogue: Catalogue) -> None:
    async with db.connection() as conn:
        problems = await catalogue.verify(conn)
    assert [str(p) for p in problems] == []
    assert len(catalogue) >= 10


async def test_every_statement_on_tenant_tables_takes_the_hospital_as_first_parameter(
    db: Database, catalogue: Catalogue
) -> None:
    async with db.connection() as conn:
        tenant_tables = {row.name for row in await sql.ops.tenant_tables.many(conn)}
    assert {"hospitals", "users", "alerts", "audit_logs", "sessions", "alert_events"} <= tenant_tables
    assert [str(p) for q in catalogue for p in tenancy_problems(q, tenant_tables)] == []
    assert {q.qualified_name for q in catalogue if q.scope is not None} == ALL_HOSPITAL_STATEMENTS


async def test_a_copy_statement_must_read_the_hospital_its_binding_statement_set(db: Database, tmp_path: Path) -> None:
    root = copy_sql(tmp_path)
    edit(
        root / "audit" / "export_csv.sql",
        "current_setting('hospital_alerts.export_hospital_id')::uuid",
        "gen_random_uuid()",
    )
    assert await problems_of(root, db) == [
        "sql/audit/export_csv.sql: :copy statements read the hospital their :one statement bound: "
        "current_setting('hospital_alerts.export_hospital_id')::uuid"
    ]


async def test_a_missing_column_fails_naming_the_file(db: Database, tmp_path: Path) -> None:
    root = copy_sql(tmp_path)
    edit(root / "users" / "create_user.sql", "u.specialization,", "u.speciality,")
    problems = await problems_of(root, db)
    assert len(problems) == 1
    assert problems[0].startswith("sql/users/create_user.sql: does not prepare: column u.speciality does not exist")


async def test_a_renamed_result_column_fails_naming_the_row_type(db: Database, tmp_path: Path) -> None:
    root = copy_sql(tmp_path)
    edit(root / "hospital" / "count_hospitals.sql", "count(*) AS count", "count(*) AS total")
    assert await problems_of(root, db) == [
        "sql/hospital/count_hospitals.sql: CountRow fields not in the result: count; "
        "result columns not in CountRow: total"
    ]


async def test_a_column_of_another_type_fails(db: Database, tmp_path: Path) -> None:
    root = copy_sql(tmp_path)
    edit(root / "hospital" / "count_hospitals.sql", "count(*) AS count", "count(*)::text AS count")
    assert await problems_of(root, db) == [
        "sql/hospital/count_hospitals.sql: column count is text but CountRow.count is int"
    ]


async def test_columns_in_another_order_fail(db: Database, tmp_path: Path) -> None:
    root = copy_sql(tmp_path)
    edit(root / "hospital" / "create_department.sql", "RETURNING id, name, code,", "RETURNING id, code, name,")
    assert await problems_of(root, db) == [
        "sql/hospital/create_department.sql: columns are in the order id, code, name, is_active; "
        "DepartmentRow has id, name, code, is_active"
    ]


async def test_a_parameter_declared_with_the_wrong_type_fails(db: Database, tmp_path: Path) -> None:
    root = copy_sql(tmp_path)
    edit(root / "ops" / "try_migration_lock.sql", "-- $1 lock_key bigint", "-- $1 lock_key text")
    assert await problems_of(root, db) == [
        "sql/ops/try_migration_lock.sql: $1 lock_key is declared text but PostgreSQL reads it as int8"
    ]


async def test_two_statements_in_one_file_fail(db: Database, tmp_path: Path) -> None:
    root = copy_sql(tmp_path)
    edit(root / "hospital" / "count_hospitals.sql", "FROM hospitals;", "FROM hospitals; SELECT 1 AS count;")
    problems = await problems_of(root, db)
    assert problems == [
        "sql/hospital/count_hospitals.sql: does not prepare: cannot insert multiple commands into a prepared statement"
    ]


async def test_a_query_that_forgets_the_hospital_fails(db: Database, tmp_path: Path) -> None:
    root = copy_sql(tmp_path)
    (root / "users" / "leaky.sql").write_text(
        "-- name: leaky :many\n-- Every user of every hospital (wrong).\n-- returns: CountRow\n-- index: -\n"
        "SELECT count(*) AS count FROM users;\n"
    )
    assert await problems_of(root, db) == [
        "sql/users/leaky.sql: touches users but does not take the hospital id as '$1 hospital_id uuid' "
        "(or declare 'scope: all hospitals (why)')"
    ]


async def test_a_hospital_parameter_that_filters_nothing_fails(db: Database, tmp_path: Path) -> None:
    root = copy_sql(tmp_path)
    (root / "users" / "leaky.sql").write_text(
        "-- name: leaky :one\n-- Counts users (wrong: ignores the hospital).\n-- $1 hospital_id uuid\n"
        "-- returns: CountRow\n-- index: -\nSELECT count(*) AS count FROM users WHERE $1::uuid IS NOT NULL;\n"
    )
    assert await problems_of(root, db) == [
        "sql/users/leaky.sql: reads or changes users but never filters on hospital_id = $1"
    ]


async def test_reading_another_tenant_table_beside_the_hospital_row_needs_its_own_filter(
    db: Database, tmp_path: Path
) -> None:
    root = copy_sql(tmp_path)
    (root / "hospital" / "leaky.sql").write_text(
        "-- name: leaky :one\n-- Counts every hospital's users (wrong).\n-- $1 hospital_id uuid\n"
        "-- returns: CountRow\n-- index: hospitals_pkey\n"
        "SELECT (SELECT count(*) FROM users) AS count FROM hospitals h WHERE h.id = $1;\n"
    )
    assert await problems_of(root, db) == [
        "sql/hospital/leaky.sql: reads or changes hospitals, users but never filters on hospital_id = $1"
    ]


async def test_a_header_naming_an_index_that_does_not_exist_fails(db: Database, tmp_path: Path) -> None:
    root = copy_sql(tmp_path)
    edit(root / "users" / "create_user.sql", "-- index: users_email_key", "-- index: users_email_idx")
    assert await problems_of(root, db) == [
        "sql/users/create_user.sql: the header names the index users_email_idx, which does not exist"
    ]


def test_an_unknown_row_type_fails_at_load(tmp_path: Path) -> None:
    root = copy_sql(tmp_path)
    edit(root / "hospital" / "count_hospitals.sql", "-- returns: CountRow", "-- returns: CountRows")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(root)
    assert [str(p) for p in error.value.problems] == [
        "sql/hospital/count_hospitals.sql: returns CountRows, which is not a Row type"
    ]


SESSION_STATE = re.compile(
    r"pg_(try_)?advisory_lock(_shared)?\s*\(|set_config\s*\([^()]*,\s*false\s*\)|\A\s*(SET|RESET|LISTEN|PREPARE)\b"
    r"|\bWITH\s+HOLD\b",
    re.I,
)
# Run by the migrations on a connection of their own, never through the pool.
OUTSIDE_THE_POOL = {"ops/try_migration_lock", "ops/release_migration_lock"}


def test_no_pooled_statement_leaves_session_state_behind(catalogue: Catalogue) -> None:
    # The pool skips asyncpg's reset query on release (service/db/pool.keep_session): that is safe only while no
    # statement leaves a session-level setting, advisory lock, listener, prepared statement or held cursor.
    leaving = [
        q.qualified_name
        for q in catalogue
        if q.qualified_name not in OUTSIDE_THE_POOL and SESSION_STATE.search(re.sub(r"--[^\n]*", "", q.sql).strip())
    ]
    assert leaving == []
    # The pattern does see session state where there is some: the migration lock is a session-level lock.
    assert SESSION_STATE.search(catalogue["ops/try_migration_lock"].sql)
    assert SESSION_STATE.search("SELECT set_config('work_mem', '1GB', false)")
    assert SESSION_STATE.search("SET work_mem = '1GB'")


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ("DELETE FROM sessions;", ":utility is for VACUUM and ANALYZE without parameters"),
        ("VACUUM (ANALYZE);\n-- returns: CountRow", ":utility returns no rows; remove '-- returns:'"),
    ],
)
def test_a_utility_statement_is_only_vacuum_or_analyze(tmp_path: Path, statement: str, problem: str) -> None:
    root = copy_sql(tmp_path)
    path = root / "seed" / "vacuum_analyze.sql"
    header = path.read_text().split("VACUUM (ANALYZE);")[0]
    if "returns" in statement:
        header, statement = header.replace("-- index: -", "-- returns: CountRow\n-- index: -"), "VACUUM (ANALYZE);"
    path.write_text(header + statement + "\n")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(root)
    assert [str(p) for p in error.value.problems] == [
        f"sql/seed/vacuum_analyze.sql: {problem}"
        + (" (they cannot be prepared); use :exec" if problem.startswith(":utility is for") else "")
    ]


async def test_one_decodes_a_row_and_gives_none_when_nothing_comes_back(
    db: Database, catalogue: Catalogue, hospital_id: object
) -> None:
    import uuid

    async with db.transaction() as conn:
        created = await catalogue.hospital.create_department.one(conn, hospital_id, uuid.uuid4(), "Radiology", "RAD")
        assert created is not None and created.code == "RAD" and created.is_active is True
        duplicate = await catalogue.hospital.create_department.one(conn, hospital_id, uuid.uuid4(), "Other", "RAD")
        assert duplicate is None
        count = await catalogue.hospital.count_hospitals.one(conn)
        assert count is not None and count.count >= 1


async def test_the_test_probes_prepare_too(db: Database) -> None:
    from tests.probes import probes

    async with db.connection() as conn:
        assert [str(p) for p in await probes().verify(conn)] == []
