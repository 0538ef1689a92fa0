"""Migrations that are safe on a live database (docs/operations.md, "Safe migrations"): every migration statement
waits at most HOSPITAL_ALERTS_MIGRATION_LOCK_TIMEOUT for a table's lock, then fails and changes nothing, rather
than queueing every request behind it; an index on a big table is built CONCURRENTLY in a non-transactional
migration, and a failed attempt is retried cleanly. The test migrations in tests/migrations follow the recipe;
the rule check below holds the real ones to it from 0008 on."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from pathlib import Path

import asyncpg
import pytest

from service.db import migrations
from tests.conftest import ScratchDatabases
from tests.probes import probes

TEST_MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
REAL_MIGRATIONS = migrations.migrations_dir()
LAST_LANDED_WITHOUT_THE_RULE = "0007"
"""0001-0006 create their tables with their indexes in one transaction (nothing to block yet); 0007 built its
audit indexes in its transaction before the rule existed. Landed migrations are never edited."""


def quiet(_: str) -> None:
    pass


@pytest.fixture
def with_test_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This build's migrations plus the test ones, as if a release brought them."""
    folder = tmp_path / "migrations"
    shutil.copytree(REAL_MIGRATIONS, folder)
    for path in TEST_MIGRATIONS.glob("*.sql"):
        shutil.copy(path, folder)
    monkeypatch.setattr(migrations, "migrations_dir", lambda: folder)
    return folder


async def database_at(scratch_databases: ScratchDatabases, version: str) -> str:
    """A new database with every migration applied (the test ones too), then rolled back to ``version``."""
    url = scratch_databases.create()
    await asyncio.to_thread(migrations.upgrade, url, progress=quiet)
    await asyncio.to_thread(migrations.downgrade, url, version, progress=quiet)
    return url


async def alerts_columns(conn: asyncpg.Connection) -> list[str]:
    return [row.name for row in await probes().probe.alerts_columns.many(conn)]


async def alerts_indexes(conn: asyncpg.Connection) -> dict[str, bool]:
    return {row.name: row.valid for row in await probes().probe.alerts_indexes.many(conn)}


async def test_a_migration_gives_up_on_a_locked_table_and_applies_once_it_is_free(
    scratch_databases: ScratchDatabases, with_test_migrations: Path
) -> None:
    url = await database_at(scratch_databases, "0007.create-audit-seals")
    reader = await asyncpg.connect(url)
    try:
        report = reader.transaction()
        await report.start()
        await probes().probe.lock_alerts_for_reading.exec(reader)  # a long report, still running
        started = time.monotonic()
        with pytest.raises(migrations.MigrationError) as refused:
            await asyncio.to_thread(migrations.upgrade, url, progress=quiet, statement_lock_timeout=0.5)
        waited = time.monotonic() - started
        assert str(refused.value) == (
            "could not apply 0100.add-alert-triage-note: a table it changes stayed locked by another session for "
            "over 0.5 s, so it gave up and changed nothing; find the long transaction in pg_stat_activity, or run "
            "it again when the database is quieter"
        )
        assert waited < 30, "it must give up, not wait for the report"
        assert "triage_note" not in await alerts_columns(reader)
        assert [s.id for s in migrations.status(url) if not s.applied] == [
            "0100.add-alert-triage-note",
            "0101.index-alert-creators",
        ]
        await report.rollback()  # the report ends

        applied = await asyncio.to_thread(migrations.upgrade, url, progress=quiet, statement_lock_timeout=0.5)
        assert applied == ["0100.add-alert-triage-note", "0101.index-alert-creators"]
        assert "triage_note" in await alerts_columns(reader)
    finally:
        await reader.close()


async def test_a_concurrent_index_build_that_times_out_is_retried_cleanly_and_rolls_back(
    scratch_databases: ScratchDatabases, with_test_migrations: Path
) -> None:
    url = await database_at(scratch_databases, "0100.add-alert-triage-note")
    writer = await asyncpg.connect(url)
    try:
        change = writer.transaction()
        await change.start()
        await probes().probe.lock_alerts_for_writing.exec(writer)  # a write, not yet committed
        # CONCURRENTLY waits for the writes already running; lock_timeout bounds that wait, and what it leaves is
        # a half-built, INVALID index.
        with pytest.raises(migrations.MigrationError, match=r"^could not apply 0101\.index-alert-creators: "):
            await asyncio.to_thread(migrations.upgrade, url, progress=quiet, statement_lock_timeout=0.5)
        await change.rollback()
        assert (await alerts_indexes(writer)).get("alerts_created_by_idx") is False

        # The retry drops the invalid index first, then builds a valid one.
        applied = await asyncio.to_thread(migrations.upgrade, url, progress=quiet)
        assert applied == ["0101.index-alert-creators"]
        assert (await alerts_indexes(writer))["alerts_created_by_idx"] is True

        rolled_back = await asyncio.to_thread(migrations.downgrade, url, "0100.add-alert-triage-note", progress=quiet)
        assert rolled_back == ["0101.index-alert-creators"]
        assert "alerts_created_by_idx" not in await alerts_indexes(writer)
    finally:
        await writer.close()


async def test_a_concurrent_index_build_waiting_for_a_write_lets_new_writes_through(
    scratch_databases: ScratchDatabases, with_test_migrations: Path
) -> None:
    url = await database_at(scratch_databases, "0100.add-alert-triage-note")
    first, second = await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        long_write = first.transaction()
        await long_write.start()
        await probes().probe.lock_alerts_for_writing.exec(first)
        building = asyncio.create_task(
            asyncio.to_thread(migrations.upgrade, url, progress=quiet, statement_lock_timeout=30)
        )
        await asyncio.sleep(1.0)  # the build is now waiting for the long write
        assert not building.done()
        # A plain CREATE INDEX waiting here would queue this write behind it, and every alert request with it.
        new_write = second.transaction()
        await new_write.start()
        await asyncio.wait_for(probes().probe.lock_alerts_for_writing.exec(second), timeout=5)
        await new_write.commit()
        await long_write.commit()
        assert await asyncio.wait_for(building, timeout=30) == ["0101.index-alert-creators"]
        assert (await alerts_indexes(first))["alerts_created_by_idx"] is True
    finally:
        await first.close()
        await second.close()


_CREATE_INDEX = re.compile(r"\bCREATE\s+(UNIQUE\s+)?INDEX\b(?P<concurrently>\s+CONCURRENTLY)?", re.I)
_CREATE_TABLE = re.compile(r"\bCREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(?P<name>\w+)", re.I)
_INDEX_TABLE = re.compile(r"\bINDEX\b[^;]*?\bON\s+(ONLY\s+)?(?P<table>\w+)", re.I)


def unsafe_index_builds(text: str) -> list[str]:
    """The indexes a migration builds on a table it did not create, without CONCURRENTLY in a non-transactional
    migration (a plain CREATE INDEX blocks every write to the table until it is built)."""
    created = {m.group("name") for m in _CREATE_TABLE.finditer(text)}
    non_transactional = re.search(r"^--\s*transactional:\s*false\s*$", text, re.M | re.I) is not None
    problems = []
    for statement in text.split(";"):
        build = _CREATE_INDEX.search(statement)
        table = _INDEX_TABLE.search(statement)
        if build is None or table is None or table.group("table") in created:
            continue
        if not (build.group("concurrently") and non_transactional):
            problems.append(f"index on {table.group('table')} without CONCURRENTLY in a transactional: false file")
    return problems


def test_the_rule_finds_a_blocking_index_build_and_accepts_the_recipe() -> None:
    assert unsafe_index_builds("CREATE INDEX alerts_x_idx ON alerts (title);") == [
        "index on alerts without CONCURRENTLY in a transactional: false file"
    ]
    assert unsafe_index_builds("CREATE INDEX CONCURRENTLY alerts_x_idx ON alerts (title);") == [
        "index on alerts without CONCURRENTLY in a transactional: false file"
    ]
    assert unsafe_index_builds("CREATE TABLE notes (id int);\nCREATE INDEX notes_idx ON notes (id);") == []
    for path in TEST_MIGRATIONS.glob("*.sql"):
        assert unsafe_index_builds(path.read_text(encoding="utf-8")) == [], path.name


def test_every_migration_after_0007_builds_indexes_on_existing_tables_concurrently() -> None:
    checked = [
        path
        for path in sorted(REAL_MIGRATIONS.glob("*.sql"))
        if path.name[:4] > LAST_LANDED_WITHOUT_THE_RULE and not path.name.endswith(".rollback.sql")
    ]
    problems = {path.name: unsafe_index_builds(path.read_text(encoding="utf-8")) for path in checked}
    assert {name: found for name, found in problems.items() if found} == {}
    # The landed ones are what the rule's exemption says they are: 0007 is the last that builds an index on an
    # existing big table in its transaction.
    assert unsafe_index_builds((REAL_MIGRATIONS / "0007.create-audit-seals.sql").read_text(encoding="utf-8"))
