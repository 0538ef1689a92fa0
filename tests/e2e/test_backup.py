"""hospital-alerts backup and restore as an operator runs them: a dump with its manifest, restored into an empty
database and verified (row counts and the audit chain), and each way a restore must refuse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from service.config import load_settings
from service.db import migrations
from service.db.pool import Database
from tests.conftest import ScratchDatabases
from tests.e2e.processes import run
from tests.probes import seal_all

pytestmark = pytest.mark.e2e


async def sealed_demo_database(scratch_databases: ScratchDatabases) -> str:
    url = scratch_databases.create()
    migrations.upgrade(url, progress=lambda _: None)
    assert run("seed", "--demo", database_url=url).returncode == 0
    db = Database(url, load_settings({}, database_url=url, db_pool_min_size=0))
    await db.open()
    try:
        await seal_all(db)
    finally:
        await db.close()
    return url


async def test_a_backup_restores_into_an_empty_database_with_the_same_rows_and_an_intact_chain(
    scratch_databases: ScratchDatabases, tmp_path: Path
) -> None:
    source = await sealed_demo_database(scratch_databases)
    dump = tmp_path / "nightly" / "alerts.dump"
    made = run("backup", "--output", str(dump), database_url=source)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip().splitlines()[-1] == str(dump)
    manifest = json.loads((tmp_path / "nightly" / "alerts.dump.json").read_text())
    assert manifest["file"] == "alerts.dump"
    assert manifest["bytes"] == dump.stat().st_size
    assert re.fullmatch(r"[0-9a-f]{64}", manifest["sha256"])
    assert manifest["schema_version"] == migrations.migration_ids()[-1]
    assert manifest["row_counts"]["hospitals"] == 2 and manifest["row_counts"]["users"] == 12
    assert manifest["row_counts"]["audit_logs"] == 26
    assert re.fullmatch(r"\d+:[0-9a-f]{64}", manifest["audit_chain_head"])
    assert re.fullmatch(r"127\.0\.0\.1:\d+/ha_test_\w+", manifest["database"])  # where, never who or a password

    target = scratch_databases.create()
    restored = run("restore", str(dump), "--target-url", target, database_url=source)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    lines = restored.stdout.strip().splitlines()
    assert "  audit_logs                     26 rows" in lines
    assert "row counts match the backup's manifest" in lines
    assert re.search(r"^checked \d+ seals and 26 rows$", restored.stdout, re.M), restored.stdout
    assert lines[-1] == "the audit chain is intact"
    # The restored database is the source's, schema version included.
    assert run("migrate", "status", database_url=target).stdout.strip().splitlines()[-1] == (
        f"{len(migrations.migration_ids())} applied, 0 pending"
    )


async def test_restore_refuses_a_damaged_dump_and_a_database_that_is_not_empty(
    scratch_databases: ScratchDatabases, tmp_path: Path
) -> None:
    source = await sealed_demo_database(scratch_databases)
    dump = tmp_path / "a.dump"
    assert run("backup", "--output", str(dump), database_url=source).returncode == 0

    again = run("backup", "--output", str(dump), database_url=source)
    assert again.returncode == 1
    assert again.stderr.strip() == f"hospital-alerts: {dump} exists already: choose another --output"

    not_empty = run("restore", str(dump), "--target-url", source, database_url=source)
    assert not_empty.returncode == 1
    assert re.fullmatch(
        r"hospital-alerts: 127\.0\.0\.1:\d+/ha_test_\w+ has \d+ table\(s\): restore needs an empty database",
        not_empty.stderr.strip(),
    ), not_empty.stderr

    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    damaged = run("restore", str(dump), "--target-url", scratch_databases.create(), database_url=source)
    assert damaged.returncode == 1
    assert damaged.stderr.strip() == (
        f"hospital-alerts: {dump}'s SHA-256 differs from its manifest's: the dump is damaged or not this backup"
    )
