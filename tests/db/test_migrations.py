"""Migrations: apply all, roll all back, apply again, and prove the schema identical; one step down and up;
several processes migrating one database at once."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from service.db import migrations, sql
from service.ops.schemas import SchemaObjectRow
from tests.conftest import ScratchDatabases


async def schema_of(url: str) -> list[SchemaObjectRow]:
    conn = await asyncpg.connect(url)
    try:
        return await sql.ops.schema_objects.many(conn)
    finally:
        await conn.close()


def quiet(_: str) -> None:
    pass


async def test_full_round_trip_restores_an_identical_schema(scratch_databases: ScratchDatabases) -> None:
    url = scratch_databases.create()
    ids = migrations.migration_ids()
    assert len(ids) >= 3

    assert migrations.upgrade(url, progress=quiet) == ids
    first = await schema_of(url)
    assert {"hospitals", "users", "sessions", "audit_logs", "alerts", "alert_events"} <= {
        o.name for o in first if o.kind == "table"
    }

    assert migrations.downgrade(url, migrations.EMPTY_SCHEMA, progress=quiet) == list(reversed(ids))
    assert await schema_of(url) == [], "rolling every migration back must leave an empty schema"
    assert not any(state.applied for state in migrations.status(url))

    assert migrations.upgrade(url, progress=quiet) == ids
    assert await schema_of(url) == first


@pytest.mark.parametrize("step", range(len(migrations.migration_ids())))
async def test_each_step_rolls_back_to_exactly_the_schema_of_its_version_and_forward_again(
    scratch_databases: ScratchDatabases, step: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """migrate down --to every version: the schema equals that of a database migrated only up to that version."""
    ids = migrations.migration_ids()
    target = ids[step - 1] if step else migrations.EMPTY_SCHEMA

    # A database that never went past the target: a build whose migrations stop there.
    older_build = tmp_path / "migrations"
    older_build.mkdir()
    for migration_id in ids[:step]:
        for path in migrations.migrations_dir().glob(f"{migration_id}.*sql"):
            shutil.copy(path, older_build)
    with monkeypatch.context() as patched:
        patched.setattr(migrations, "migrations_dir", lambda: older_build)
        never_past = scratch_databases.create()
        assert migrations.upgrade(never_past, progress=quiet) == ids[:step]
    expected = await schema_of(never_past)

    url = scratch_databases.create()
    migrations.upgrade(url, progress=quiet)
    full = await schema_of(url)

    rolled_back = migrations.downgrade(url, target, progress=quiet)
    assert rolled_back == list(reversed(ids[step:]))
    assert [s.id for s in migrations.status(url) if s.applied] == ids[:step]
    assert await schema_of(url) == expected

    assert migrations.upgrade(url, progress=quiet) == ids[step:]
    assert await schema_of(url) == full


async def test_last_migration_down_one_step_and_up(scratch_databases: ScratchDatabases) -> None:
    url = scratch_databases.create()
    ids = migrations.migration_ids()
    migrations.upgrade(url, progress=quiet)
    before = await schema_of(url)

    assert migrations.downgrade(url, ids[-2], progress=quiet) == [ids[-1]]
    assert migrations.upgrade(url, progress=quiet) == [ids[-1]]
    assert await schema_of(url) == before


def test_downgrade_to_an_unknown_version_is_refused(scratch_databases: ScratchDatabases) -> None:
    url = scratch_databases.create()
    with pytest.raises(migrations.MigrationError, match=r"unknown migration '0009\.nothing'"):
        migrations.downgrade(url, "0009.nothing", progress=quiet)


def test_upgrade_on_an_unreachable_database_says_so() -> None:
    with pytest.raises(migrations.MigrationError, match=r"^cannot reach the database: "):
        migrations.upgrade("postgresql://postgres@127.0.0.1:1/nothing", progress=quiet)


async def test_concurrent_processes_migrate_once(scratch_databases: ScratchDatabases, tmp_path: Path) -> None:
    """Four processes start `migrate up` while the lock is held: when it frees, one applies, the rest find nothing."""
    url = scratch_databases.create()
    script = (
        "import sys; from service.db import migrations; "
        "done = migrations.upgrade(sys.argv[1], progress=lambda m: print(m, file=sys.stderr)); print(len(done))"
    )
    holder = await asyncpg.connect(url)
    try:
        assert (await sql.ops.try_migration_lock.one(holder, migrations.MIGRATION_LOCK_KEY)).acquired
        logs = [tmp_path / f"process-{n}.log" for n in range(4)]
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", script, url], stdout=subprocess.PIPE, stderr=log.open("w"), text=True
            )
            for log in logs
        ]
        # Wait until every process says it is waiting for the lock; nothing may be applied meanwhile.
        for _ in range(600):
            if all("waiting for another process" in log.read_text() for log in logs):
                break
            await asyncio.sleep(0.1)
        assert all("waiting for another process" in log.read_text() for log in logs)
        assert not any(state.applied for state in migrations.status(url))
    finally:
        await holder.close()  # releases the lock
    results = [(p.communicate(timeout=120)[0], log.read_text()) for p, log in zip(processes, logs, strict=True)]
    assert [p.returncode for p in processes] == [0, 0, 0, 0], [err for _, err in results]
    counts = sorted(int(out.strip()) for out, _ in results)
    assert counts == [0, 0, 0, len(migrations.migration_ids())]
    assert all(state.applied for state in migrations.status(url))


@pytest.mark.parametrize("timezone", ["America/New_York", "Asia/Kolkata", "Pacific/Chatham"])
async def test_migrations_do_not_depend_on_the_sessions_time_zone(
    scratch_databases: ScratchDatabases, timezone: str
) -> None:
    """Audit partitions have UTC month boundaries, whatever the server's or the session's time zone."""
    utc = scratch_databases.create()
    local = scratch_databases.create(timezone=timezone)
    migrations.upgrade(utc, progress=quiet)
    migrations.upgrade(local, progress=quiet)
    assert migrations.downgrade(local, migrations.EMPTY_SCHEMA, progress=quiet)
    migrations.upgrade(local, progress=quiet)

    def partitions(objects: list) -> dict[str, str]:
        return {o.name: o.definition for o in objects if o.kind == "table" and o.name.startswith("audit_logs_p")}

    # Bounds are printed in the session's zone by pg_get_expr; compare them through a UTC session.
    async def utc_partitions(url: str) -> dict[str, str]:
        conn = await asyncpg.connect(url, server_settings={"timezone": "UTC"})
        try:
            return partitions(await sql.ops.schema_objects.many(conn))
        finally:
            await conn.close()

    local_partitions = await utc_partitions(local)
    assert local_partitions == await utc_partitions(utc)
    assert all("00:00:00+00" in bounds for bounds in local_partitions.values())
