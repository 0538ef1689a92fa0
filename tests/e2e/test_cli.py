"""The command line as a user runs it: real processes, exit codes, messages."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest

from service.auth.passwords import verify_password
from service.db import migrations
from service.ops.seed import SEED_PASSWORD
from tests.conftest import ScratchDatabases
from tests.e2e.processes import REPO_ROOT, run
from tests.probes import probes

pytestmark = pytest.mark.e2e

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/nowhere"
UUID_LINE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


async def fetch_one(url: str, name: str, *args: object) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await getattr(probes().probe, name).one(conn, *args)
    finally:
        await conn.close()


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


async def test_create_hospital_prints_its_id_alone_on_the_last_line(database_url: str) -> None:
    result = run("create-hospital", "--name", "  Mercy West  ", database_url=database_url)
    assert result.returncode == 0, result.stderr
    hospital_id = last_line(result.stdout)
    assert UUID_LINE.match(hospital_id)
    row = await fetch_one(database_url, "hospital_name", uuid.UUID(hospital_id))
    assert row is not None and row.name == "Mercy West"


async def test_create_admin_makes_an_active_admin_with_a_final_password(database_url: str) -> None:
    hospital_id = last_line(run("create-hospital", "--name", "Seattle Grace", database_url=database_url).stdout)
    email = f"chief.{uuid.uuid4().hex[:8]}@seattle-grace.example"
    result = run(
        "create-admin",
        "--hospital-id",
        hospital_id,
        "--email",
        f"  {email.upper()} ",
        "--password",
        "correct horse battery staple",
        database_url=database_url,
    )
    assert result.returncode == 0, result.stderr
    assert f"created admin {email}" in result.stdout
    facts = await fetch_one(database_url, "user_login_facts", uuid.UUID(hospital_id), email)
    assert facts is not None
    assert (facts.role, facts.must_change_password, facts.argon2id, facts.is_active) == ("admin", False, True, True)
    assert "correct horse" not in result.stdout + result.stderr

    again = run(
        "create-admin",
        "--hospital-id",
        hospital_id,
        "--email",
        email,
        "--password",
        "another long password",
        database_url=database_url,
    )
    assert again.returncode == 1
    assert again.stderr.strip() == f"hospital-alerts: the email {email} is already taken"


def test_create_admin_reads_the_password_from_stdin(database_url: str) -> None:
    hospital_id = last_line(run("create-hospital", "--name", "Stdin General", database_url=database_url).stdout)
    result = run(
        "create-admin",
        "--hospital-id",
        hospital_id,
        "--email",
        f"{uuid.uuid4().hex[:8]}@stdin.example",
        "--password",
        "-",
        stdin="a password from a pipe\n",
        database_url=database_url,
    )
    assert result.returncode == 0, result.stderr


def test_create_admin_in_a_hospital_that_does_not_exist_fails(database_url: str) -> None:
    missing = str(uuid.uuid4())
    result = run(
        "create-admin",
        "--hospital-id",
        missing,
        "--email",
        "nobody@nowhere.example",
        "--password",
        "correct horse battery staple",
        database_url=database_url,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"hospital-alerts: there is no hospital with id {missing}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["create-admin", "--hospital-id", "not-a-uuid", "--email", "a@b.example", "--password", "x" * 12],
            "argument --hospital-id: 'not-a-uuid' is not a hospital id (a UUID)",
        ),
        (
            ["create-admin", "--hospital-id", str(uuid.UUID(int=1)), "--email", "not-an-email", "--password", "x" * 12],
            "--email is not an email address",
        ),
        (
            ["create-admin", "--hospital-id", str(uuid.UUID(int=1)), "--email", "a@b.example", "--password", "short"],
            "--password must be at least 12 characters",
        ),
        (["create-hospital"], "the following arguments are required: --name"),
        (["create-hospital", "--name", "   "], "argument --name: --name must be 1..200 characters"),
        (["migrate", "down", "--to", "0042.nothing"], "unknown migration '0042.nothing'"),
        (["serve", "--port", "70000"], "argument --port: 70000 is not a port (1..65535)"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_usage_exits_2_with_a_message(database_url: str, args: list[str], message: str) -> None:
    result = run(*args, database_url=database_url)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_invalid_setting_exits_2_naming_the_variable(database_url: str) -> None:
    result = run("check", database_url=database_url, HOSPITAL_ALERTS_DB_POOL_MAX_SIZE="lots")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "hospital-alerts: invalid configuration: HOSPITAL_ALERTS_DB_POOL_MAX_SIZE: Expected `int`, got `str`"
    )


@pytest.mark.parametrize("args", [["seed", "--demo"], ["serve", "--demo", "--port", "1"]])
def test_demo_data_is_refused_in_production(database_url: str, args: list[str]) -> None:
    result = run(
        *args, database_url=database_url, HOSPITAL_ALERTS_ENV="production", HOSPITAL_ALERTS_SECRET_KEY="k" * 32
    )
    assert result.returncode == 2
    assert "--demo is refused in production: it creates accounts whose password is published" in result.stderr


@pytest.mark.parametrize("args", [["create-hospital", "--name", "X"], ["seed", "--demo"]])
def test_an_unreachable_database_exits_1_with_a_message(args: list[str]) -> None:
    result = run(*args, database_url=UNREACHABLE)
    assert result.returncode == 1
    assert result.stderr.startswith("hospital-alerts: cannot reach the database at 127.0.0.1:1/nowhere: ")
    assert "Traceback" not in result.stderr


def test_migrate_on_an_unreachable_database_exits_1() -> None:
    result = run("migrate", "status", database_url=UNREACHABLE)
    assert result.returncode == 1
    assert result.stderr.startswith("hospital-alerts: cannot reach the database: ")


def test_check_passes_on_a_migrated_database(database_url: str) -> None:
    result = run("check", database_url=database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "all checks passed"
    assert re.search(r"ok    sql: \d+ statements prepare and match their Row types", result.stdout)
    assert re.search(r"ok    clock: the database's clock is 0\.\d{3} s (ahead of|behind) this machine's", result.stdout)


def test_check_on_an_unreachable_database_fails() -> None:
    result = run("check", database_url=UNREACHABLE)
    assert result.returncode == 1
    assert "FAIL  database: cannot reach 127.0.0.1:1/nowhere" in result.stdout


def test_check_lists_pending_migrations(scratch_databases: ScratchDatabases) -> None:
    url = scratch_databases.create()
    migrations.upgrade(url, progress=lambda _: None)
    migrations.downgrade(url, migrations.migration_ids()[0], progress=lambda _: None)
    result = run("check", database_url=url)
    assert result.returncode == 1
    for pending in migrations.migration_ids()[1:]:
        assert f"pending {pending}" in result.stdout
    assert "FAIL  migrations:" in result.stdout and "FAIL  sql:" in result.stdout


def test_check_allow_pending_lists_them_without_failing_and_leaves_sql_to_after_migrating(
    scratch_databases: ScratchDatabases,
) -> None:
    url = scratch_databases.create()
    migrations.upgrade(url, progress=lambda _: None)
    migrations.downgrade(url, migrations.migration_ids()[-2], progress=lambda _: None)
    result = run("check", "--allow-pending", database_url=url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    migrations: 1 pending migration(s), allowed: the deploy applies them next" in result.stdout
    assert f"        pending {migrations.migration_ids()[-1]}" in result.stdout
    assert "ok    sql: not checked before the pending migrations: check again after migrating" in result.stdout
    # Nothing pending: --allow-pending checks everything, the SQL too.
    migrations.upgrade(url, progress=lambda _: None)
    result = run("check", "--allow-pending", database_url=url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"ok    sql: \d+ statements prepare", result.stdout)


def test_check_names_the_profile_in_force(database_url: str) -> None:
    result = run(
        "check",
        database_url=database_url,
        HOSPITAL_ALERTS_ENV="staging",
        HOSPITAL_ALERTS_SECRET_KEY="k" * 32,
        HOSPITAL_ALERTS_DB_POOL_MAX_SIZE="7",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == (
        "ok    settings: profile staging: pool of 2 to 7 connections per process, json logs at INFO, debug off"
    )


async def test_status_and_check_only_read(scratch_databases: ScratchDatabases) -> None:
    url = scratch_databases.create()
    assert run("migrate", "status", database_url=url).returncode == 0
    assert run("check", database_url=url).returncode == 1  # pending migrations
    conn = await asyncpg.connect(url)
    try:
        assert await probes().probe.bookkeeping_tables.many(conn) == []
    finally:
        await conn.close()


def copy_build(tmp_path: Path) -> Path:
    for part in ("service", "sql", "migrations"):
        shutil.copytree(REPO_ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_a_broken_sql_file_does_not_block_migrations(scratch_databases: ScratchDatabases, tmp_path: Path) -> None:
    """An emergency rollback must not depend on every unrelated SQL file being well-formed."""
    build = copy_build(tmp_path)
    broken = build / "sql" / "users" / "create_user.sql"
    broken.write_text(broken.read_text().replace("-- returns: UserRow", "-- returns: NoSuchRow"))
    url = scratch_databases.create()
    for args in (["migrate", "up"], ["migrate", "down", "--to", "0"], ["migrate", "status"]):
        result = run(*args, database_url=url, cwd=build, PYTHONPATH=str(build))
        assert result.returncode == 0, result.stderr
    check = run("check", database_url=url, cwd=build, PYTHONPATH=str(build))
    assert check.returncode == 1
    assert "sql/users/create_user.sql: returns NoSuchRow, which is not a Row type" in check.stdout


def test_check_names_a_sql_file_that_refers_to_a_missing_column(database_url: str, tmp_path: Path) -> None:
    """The deploy gate: a copy of the build whose SQL names a column that does not exist fails the check."""
    copy_build(tmp_path)
    broken = tmp_path / "sql" / "alerts" / "create_alert.sql"
    broken.write_text(broken.read_text().replace("a.room_number,", "a.room_no,"))
    result = run("check", database_url=database_url, cwd=tmp_path, PYTHONPATH=str(tmp_path))
    assert result.returncode == 1
    assert "FAIL  sql: 1 problem(s)" in result.stdout
    assert "sql/alerts/create_alert.sql: does not prepare: column a.room_no does not exist" in result.stdout


def test_migrate_status_up_and_down(scratch_databases: ScratchDatabases) -> None:
    url = scratch_databases.create()
    ids = migrations.migration_ids()
    status = run("migrate", "status", database_url=url)
    assert status.returncode == 0
    assert status.stdout.strip().splitlines()[-1] == f"0 applied, {len(ids)} pending"

    up = run("migrate", "up", database_url=url)
    assert up.returncode == 0
    assert re.findall(r"^applied (\S+) \(\d+\.\d+ s\)$", up.stdout, re.M) == ids
    assert last_line(up.stdout) == f"applied {len(ids)} migration(s)"
    assert last_line(run("migrate", "up", database_url=url).stdout) == "the schema is up to date"

    down = run("migrate", "down", "--to", ids[0], database_url=url)
    assert down.returncode == 0
    assert last_line(down.stdout) == f"rolled back {len(ids) - 1} migration(s)"
    assert last_line(run("migrate", "status", database_url=url).stdout) == f"1 applied, {len(ids) - 1} pending"


async def test_seed_demo_twice_changes_nothing(scratch_databases: ScratchDatabases) -> None:
    url = scratch_databases.create()
    migrations.upgrade(url, progress=lambda _: None)
    first = run("seed", "--demo", database_url=url)
    assert first.returncode == 0, first.stderr
    assert "created 2 hospital(s), 7 department(s), 12 user(s), 5 alert(s)" in first.stdout
    assert "every demo user's password is demo-password-2026" in first.stdout
    counts = await fetch_one(url, "row_counts")

    second = run("seed", "--demo", database_url=url)
    assert second.returncode == 0
    assert "the demo data was already present; nothing changed" in second.stdout
    assert await fetch_one(url, "row_counts") == counts
    assert counts is not None
    assert (counts.hospitals, counts.hospital_settings, counts.users, counts.alerts, counts.alert_events) == (
        2,
        2,
        12,
        5,
        5,
    )
    # Every row created was audited: 2 hospitals + 7 departments + 12 users + 5 alerts.
    assert counts.audit_logs == 26


def test_seed_on_an_unmigrated_database_says_what_to_do(scratch_databases: ScratchDatabases) -> None:
    result = run("seed", "--demo", database_url=scratch_databases.create())
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "hospital-alerts: the database schema is not migrated: run 'hospital-alerts migrate up'"
    )


async def test_seed_scale_builds_hospitals_of_realistic_data_sealed_and_analyzed(
    scratch_databases: ScratchDatabases,
) -> None:
    url = scratch_databases.create()
    migrations.upgrade(url, progress=lambda _: None)
    result = run("seed", "--scale", "1", database_url=url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "seeding 1 hospital(s), 10 departments, 1,000 users, 10,000 alerts (30 open) and 100,000 audit rows from "
    )
    # Progress: a bar line per tenth of each step (standard output is not a terminal here), then the timings.
    bars = [line for line in result.stdout.splitlines() if line.startswith("audit rows ")]
    assert bars[0].startswith("audit rows             [..............................]   0%            0/100,000")
    assert bars[-1].startswith("audit rows             [##############################] 100%      100,000/100,000")
    assert 10 <= len(bars) <= 12, bars
    assert re.search(r"^seeded in \d+\.\d s \(\d+ seals\)$", result.stdout, re.M), result.stdout
    assert last_line(result.stdout) == (
        "every seeded user's password is seed-password-2026; in hospital 1 (likewise in every other): "
        "admin user0@hospital1.seed.example, head_doctor user1@hospital1.seed.example, "
        "doctor user2@hospital1.seed.example, nurse user3@hospital1.seed.example, operator user4@hospital1.seed.example"
    )
    counts = await fetch_one(url, "row_counts")
    assert counts is not None
    assert (counts.hospitals, counts.hospital_settings, counts.departments, counts.users, counts.alerts) == (
        1, 1, 10, 1_000, 10_000,
    )  # fmt: skip
    assert counts.audit_logs == 100_000
    figures = await fetch_one(url, "seed_figures")
    assert figures is not None
    assert figures.open_alerts == 30
    assert 0 < figures.active_with_deadline < 30  # the escalation loop has work while a bench runs
    assert figures.escalations > 0
    assert (figures.sealed_rows, figures.unsealed_rows) == (100_000, 0)
    assert figures.first_roles == "admin,head_doctor,doctor,nurse,operator"
    assert 250 < figures.two_factor_users < 400  # a third of users 5..999
    assert verify_password(figures.nurse_password_hash, SEED_PASSWORD)

    verified = run("audit", "verify", database_url=url)
    assert verified.returncode == 0, verified.stderr
    assert last_line(verified.stdout) == "the audit chain is intact"


def test_seed_scale_refuses_a_database_that_holds_hospitals(database_url: str) -> None:
    run("create-hospital", "--name", "Already Here", database_url=database_url)
    result = run("seed", "--scale", "1", database_url=database_url)
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("hospital-alerts: seed --scale fills an empty database; this one holds ")
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["seed", "--scale", "0"], "argument --scale: --scale must be 1..1000"),
        (["seed", "--scale", "many"], "argument --scale: 'many' is not a whole number"),
        (["seed", "--scale", "2", "--demo"], "argument --demo: not allowed with argument --scale"),
        (["seed"], "one of the arguments --demo --scale is required"),
    ],
)
def test_seed_arguments_are_checked(args: list[str], message: str) -> None:
    result = run(*args, database_url=UNREACHABLE)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"hospital-alerts seed: error: {message}"


def test_seed_scale_is_refused_in_production(database_url: str) -> None:
    result = run(
        "seed", "--scale", "1", database_url=database_url,
        HOSPITAL_ALERTS_ENV="production", HOSPITAL_ALERTS_SECRET_KEY="k" * 32,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--scale is refused in production: it creates accounts whose password is published" in result.stderr
