"""The audit log's tamper evidence and retention, against PostgreSQL itself.

Append-only: the triggers refuse UPDATE, DELETE and TRUNCATE. Sealed: a row changed, deleted or inserted behind
the service's back, with the triggers disabled as a superuser would, is named by verification; so is a seal
changed or removed. The sealer takes no lock a writer waits on and never seals a window a still-open
transaction could write into. Retention: partitions are kept ahead, and a month is dropped only when every row
in it is past its retention date, with a clock the tests move.

Tests on the run's shared database tamper only with their own fresh hospital and verify that hospital; tests
that damage the chain itself, or drop partitions, get a database of their own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
import pytest

from service.audit import seals
from service.audit.retention import ensure_partitions, purge_expired
from service.audit.schemas import CLI_ACTOR
from service.audit.seals import Verdict, seal_once, verify_chain, verify_period
from service.audit.writer import record
from service.config import Settings
from service.db import migrations, sql
from service.db.pool import Database
from tests.conftest import ScratchDatabases
from tests.e2e.processes import run
from tests.probes import RowIdRow, probes, seal_all

APPEND_ONLY = "audit_logs is append-only: {} refused"
RETENTION_DAYS = 2192
FOREVER_AGO = datetime(1900, 1, 1, tzinfo=UTC)
FOREVER = datetime(2999, 1, 1, tzinfo=UTC)


async def write_rows(db: Database, hospital_id: uuid.UUID, count: int) -> None:
    """``count`` audit rows for the hospital, as the service writes them, one transaction each."""
    for number in range(count):
        async with db.transaction() as conn:
            await record(conn, CLI_ACTOR, "hospital.update", hospital_id=hospital_id, metadata={"n": number})


async def rows_of(db: Database, hospital_id: uuid.UUID) -> list[uuid.UUID]:
    async with db.connection() as conn:
        return [row.id for row in await probes().probe.audit_row_ids.many(conn, hospital_id)]


@asynccontextmanager
async def triggers_off(db: Database) -> AsyncIterator[asyncpg.Connection]:
    """A superuser's transaction with the append-only triggers disabled (no other session ever sees them off)."""
    async with db.transaction() as conn:
        await probes().probe.audit_triggers_off.exec(conn)
        yield conn
        await probes().probe.audit_triggers_on.exec(conn)


@pytest.fixture
async def own_db(scratch_databases: ScratchDatabases, settings: Settings) -> AsyncIterator[Database]:
    """A migrated database of the test's own, for tests that damage the chain or drop partitions."""
    url = scratch_databases.create("ha_chain")
    migrations.upgrade(url, progress=lambda _: None)
    database = Database(url, settings)
    await database.open()
    yield database
    await database.close()


async def new_hospital(db: Database) -> uuid.UUID:
    hospital_id = uuid.uuid4()
    async with db.transaction() as conn:
        await sql.hospital.create_hospital.one(conn, hospital_id, f"Chain {hospital_id.hex[:8]}", None, None, None)
    return hospital_id


async def sealed_after_another(db: Database, hospital_id: uuid.UUID, count: int) -> uuid.UUID:
    """Another hospital with 2 rows sealed first (a seal with no part for ``hospital_id``), then ``count`` rows
    of the hospital sealed; the other hospital's id."""
    other = await new_hospital(db)
    await write_rows(db, other, 2)
    await seal_all(db)
    await write_rows(db, hospital_id, count)
    await seal_all(db)
    return other


async def forge_into_window_of(db: Database, hospital_id: uuid.UUID, other: uuid.UUID) -> RowIdRow:
    """A row of ``hospital_id`` forged at the time of ``other``'s first row: into a window where the hospital
    had no part."""
    async with db.connection() as conn:
        at = (await probes().probe.audit_row_ids.many(conn, other))[0].timestamp
    async with db.transaction() as conn:
        forged = await probes().probe.audit_forge_row.one(conn, hospital_id, at, RETENTION_DAYS)
    assert forged is not None
    return forged


async def verify_hospital(db: Database, hospital_id: uuid.UUID) -> Verdict:
    """``audit verify --hospital``'s verdict, and the compliance report's (part by part, on several
    connections) for every period around the rows, which must agree with ``verify_chain``'s for that period."""
    async with db.connection() as conn:
        verdict = await verify_chain(conn, hospital_id)
        rows = await probes().probe.audit_row_ids.many(conn, hospital_id)
    periods = [(FOREVER_AGO, FOREVER)]
    if rows:
        first, last = min(row.timestamp for row in rows), max(row.timestamp for row in rows)
        periods.append((first, last + timedelta(microseconds=1)))
    for from_time, to_time in periods:
        async with db.connection() as conn:
            by_rows = await verify_chain(conn, hospital_id, from_time, to_time)
        assert await verify_period(db, hospital_id, from_time, to_time) == by_rows
    return verdict


# --- append-only ---------------------------------------------------------------------------------------------


async def test_update_delete_and_truncate_of_audit_rows_are_refused(db: Database, hospital_id: uuid.UUID) -> None:
    await write_rows(db, hospital_id, 1)
    [row_id] = await rows_of(db, hospital_id)
    async with db.connection() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match=APPEND_ONLY.format("UPDATE")):
            await probes().probe.audit_change_row.rows(conn, hospital_id, row_id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match=APPEND_ONLY.format("DELETE")):
            await probes().probe.audit_delete_row.rows(conn, hospital_id, row_id)
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match=APPEND_ONLY.format("TRUNCATE")):
            await probes().probe.audit_truncate_partition.exec(conn)
    assert await rows_of(db, hospital_id) == [row_id]


async def test_every_partition_refuses_truncate_including_new_ones(db: Database) -> None:
    await ensure_partitions(db)
    async with db.connection() as conn:
        partitions = await probes().probe.audit_partitions.many(conn)
    assert len(partitions) >= 5  # the default and at least this month and the next three
    assert [p.name for p in partitions if not p.guarded] == []


# --- sealing and verification ------------------------------------------------------------------------------


async def test_sealed_rows_verify(db: Database, hospital_id: uuid.UUID) -> None:
    await write_rows(db, hospital_id, 5)
    await seal_all(db)
    verdict = await verify_hospital(db, hospital_id)
    assert verdict.verified, verdict.problems()
    assert (verdict.checked_rows, verdict.unsealed_rows) == (5, 0)


async def test_the_reports_check_settles_intact_rows_without_the_row_by_row_comparison(
    db: Database, hospital_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    await write_rows(db, hospital_id, 5)
    await seal_all(db)

    async def row_by_row(*args: object) -> Verdict:
        raise AssertionError("verify_period fell back to the row-by-row comparison on intact rows")

    monkeypatch.setattr(seals, "verify_chain", row_by_row)
    verdict = await verify_period(db, hospital_id, FOREVER_AGO, FOREVER)
    assert (verdict.verified, verdict.checked_rows, verdict.unsealed_rows) == (True, 5, 0)


@pytest.mark.parametrize("how", ["intact", "changed", "inserted where the hospital had no part"])
async def test_verify_parts_says_whether_every_seal_of_a_slice_is_intact(
    db: Database, hospital_id: uuid.UUID, how: str
) -> None:
    other = await sealed_after_another(db, hospital_id, 5)
    if how == "changed":
        async with triggers_off(db) as conn:
            await probes().probe.audit_change_row.rows(conn, hospital_id, (await rows_of(db, hospital_id))[3])
    elif how != "intact":
        await forge_into_window_of(db, hospital_id, other)
    async with db.connection() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        span = await sql.audit.verify_span.one(conn, FOREVER_AGO, FOREVER)
        assert span is not None
        slices = [
            await sql.audit.verify_parts.one(conn, hospital_id, span.first_seq, span.last_seq, 2, number)
            for number in (0, 1)
        ]
    checked = [part for part in slices if part is not None]
    assert sum(part.checked_seals for part in checked) == span.last_seq - span.first_seq + 1  # every seal, once
    assert sum(part.checked_rows for part in checked) == (6 if how.startswith("inserted") else 5)
    assert [part.intact for part in checked].count(False) == (0 if how == "intact" else 1)


@pytest.mark.parametrize("connections", [1, 3])
async def test_the_reports_check_gives_one_verdict_on_any_number_of_connections(
    db: Database, settings: Settings, hospital_id: uuid.UUID, connections: int
) -> None:
    await write_rows(db, hospital_id, 7)
    await seal_all(db)
    shared = Database(db.url, msgspec.structs.replace(settings, audit_verify_connections=connections))
    await shared.open()
    try:
        intact = await verify_period(shared, hospital_id, FOREVER_AGO, FOREVER)
        async with triggers_off(db) as conn:
            await probes().probe.audit_change_row.rows(conn, hospital_id, (await rows_of(db, hospital_id))[5])
        changed = await verify_period(shared, hospital_id, FOREVER_AGO, FOREVER)
    finally:
        await shared.close()
    async with db.connection() as conn:
        assert changed == await verify_chain(conn, hospital_id, FOREVER_AGO, FOREVER)
    assert (intact.verified, intact.checked_rows) == (True, 7)
    assert (changed.checked_rows, changed.row_problem) == (7, "changed")


async def test_a_row_changed_with_the_triggers_disabled_is_named(db: Database, hospital_id: uuid.UUID) -> None:
    await write_rows(db, hospital_id, 4)
    await seal_all(db)
    row_id = (await rows_of(db, hospital_id))[2]
    async with triggers_off(db) as conn:
        assert await probes().probe.audit_change_row.rows(conn, hospital_id, row_id) == 1
    verdict = await verify_hospital(db, hospital_id)
    assert not verdict.verified
    assert (verdict.bad_row_id, verdict.row_problem) == (row_id, "changed")
    assert verdict.problems() == [f"row {row_id} was changed after seal {verdict.row_seal} sealed it"]


async def test_a_row_deleted_with_the_triggers_disabled_is_named(db: Database, hospital_id: uuid.UUID) -> None:
    await write_rows(db, hospital_id, 4)
    await seal_all(db)
    row_id = (await rows_of(db, hospital_id))[1]
    async with triggers_off(db) as conn:
        assert await probes().probe.audit_delete_row.rows(conn, hospital_id, row_id) == 1
    verdict = await verify_hospital(db, hospital_id)
    assert (verdict.verified, verdict.bad_row_id, verdict.row_problem) == (False, row_id, "deleted")
    assert verdict.problems() == [f"row {row_id} was deleted: seal {verdict.row_seal} lists it"]


async def test_a_forged_purge_record_excuses_no_deletion(db: Database, hospital_id: uuid.UUID) -> None:
    await write_rows(db, hospital_id, 3)
    await seal_all(db)
    row_id = (await rows_of(db, hospital_id))[0]
    async with triggers_off(db) as conn:
        await probes().probe.audit_delete_row.rows(conn, hospital_id, row_id)
        await probes().probe.audit_forge_purge.exec(conn)  # "every month was purged", sealed like any row
    await seal_all(db)
    verdict = await verify_hospital(db, hospital_id)
    assert (verdict.verified, verdict.bad_row_id, verdict.row_problem) == (False, row_id, "deleted")


@pytest.mark.parametrize("when", ["inside a sealed window", "before the chain began"])
async def test_a_row_inserted_behind_the_services_back_is_named(
    db: Database, hospital_id: uuid.UUID, when: str
) -> None:
    await write_rows(db, hospital_id, 3)
    await seal_all(db)
    async with db.connection() as conn:
        sealed = await probes().probe.audit_row_ids.many(conn, hospital_id)
    at = sealed[1].timestamp if when == "inside a sealed window" else datetime(2020, 1, 15, tzinfo=UTC)
    async with db.transaction() as conn:
        forged = await probes().probe.audit_forge_row.one(conn, hospital_id, at, RETENTION_DAYS)
    assert forged is not None
    verdict = await verify_hospital(db, hospital_id)
    assert (verdict.verified, verdict.bad_row_id, verdict.row_problem) == (False, forged.id, "inserted")
    assert verdict.problems() == [f"row {forged.id} was inserted behind the service's back: no seal lists it"]


async def test_a_row_inserted_in_a_window_where_the_hospital_had_no_rows_is_named(
    db: Database, hospital_id: uuid.UUID
) -> None:
    # The seal of that window has no part for this hospital, so no part's hash can change: the counts find it.
    other = await sealed_after_another(db, hospital_id, 2)
    forged = await forge_into_window_of(db, hospital_id, other)
    verdict = await verify_hospital(db, hospital_id)
    assert (await verify_hospital(db, other)).verified
    assert (verdict.verified, verdict.bad_row_id, verdict.row_problem) == (False, forged.id, "inserted")


async def test_another_hospitals_tampering_does_not_touch_this_hospitals_verdict(
    db: Database, hospital_id: uuid.UUID
) -> None:
    other = await new_hospital(db)
    await write_rows(db, hospital_id, 2)
    await write_rows(db, other, 2)
    await seal_all(db)
    async with triggers_off(db) as conn:
        await probes().probe.audit_change_row.rows(conn, other, (await rows_of(db, other))[0])
    assert (await verify_hospital(db, hospital_id)).verified
    assert not (await verify_hospital(db, other)).verified


async def test_the_sealer_leaves_an_open_transactions_window_and_never_blocks_it(
    db: Database, hospital_id: uuid.UUID
) -> None:
    await write_rows(db, hospital_id, 1)
    async with db.transaction() as open_conn:
        # A request in flight: its row is stamped with its transaction's start and commits later.
        await record(open_conn, CLI_ACTOR, "hospital.update", hospital_id=hospital_id, metadata={"late": True})
        await asyncio.wait_for(seal_all(db), timeout=30)  # the sealer neither waits for it nor seals past it
        async with db.connection() as conn:
            before = await verify_chain(conn, hospital_id)
        assert (before.verified, before.checked_rows) == (True, 1)
    await seal_all(db)
    async with db.connection() as conn:
        after = await verify_chain(conn, hospital_id)
    assert after.verified, after.problems()
    assert (after.checked_rows, after.unsealed_rows) == (2, 0)


async def test_a_long_read_only_reader_does_not_hold_the_sealer_back(db: Database, hospital_id: uuid.UUID) -> None:
    async with db.connection() as reader, reader.transaction(isolation="repeatable_read", readonly=True):
        # An export's download or a verification: open for as long as its client reads.
        await sql.audit.mark_reader.one(reader)
        await write_rows(db, hospital_id, 2)
        await asyncio.wait_for(seal_all(db), timeout=30)
        async with db.connection() as conn:
            verdict = await verify_chain(conn, hospital_id)
        assert (verdict.verified, verdict.checked_rows, verdict.unsealed_rows) == (True, 2, 0)


async def test_sealers_in_several_processes_build_one_chain(own_db: Database, settings: Settings) -> None:
    hospital_id = await new_hospital(own_db)
    pools = [Database(own_db.url, settings) for _ in range(3)]
    for pool in pools:
        await pool.open()
    try:

        async def writer() -> None:
            await write_rows(own_db, hospital_id, 60)

        async def sealer(pool: Database) -> None:
            for _ in range(20):
                await seal_once(pool, settle_seconds=0, batch_seconds=0, max_rows=7)
                await asyncio.sleep(0.01)

        await asyncio.gather(writer(), *(sealer(pool) for pool in pools))
        await seal_all(own_db)
    finally:
        for pool in pools:
            await pool.close()
    async with own_db.connection() as conn:
        verdict = await verify_chain(conn)
        count = await probes().probe.audit_seal_count.one(conn)
    assert verdict.verified, verdict.problems()
    assert verdict.checked_rows == 60
    assert count is not None and count.seals == count.last_seq  # numbered 1..n, none lost or doubled


async def test_a_changed_or_missing_seal_breaks_the_chain(own_db: Database) -> None:
    hospital_id = await new_hospital(own_db)
    for _ in range(3):
        await write_rows(own_db, hospital_id, 2)
        await seal_all(own_db)
        await asyncio.sleep(0.01)
    async with own_db.connection() as conn:
        count = await probes().probe.audit_seal_count.one(conn)
    assert count is not None and count.seals >= 3
    async with own_db.transaction() as conn:
        await probes().probe.audit_seal_triggers_off.exec(conn)
        assert await probes().probe.audit_change_seal.rows(conn, 2) == 1
    async with own_db.connection() as conn:
        verdict = await verify_chain(conn)
    assert (verdict.verified, verdict.bad_seal) == (False, 2)
    assert verdict.problems() == ["seal 2: its hash does not match its contents"]


async def test_a_row_changed_together_with_its_sealed_list_is_caught_by_the_parts_hash(own_db: Database) -> None:
    hospital_id = await new_hospital(own_db)
    await write_rows(own_db, hospital_id, 4)
    await seal_all(own_db)
    row_id = (await rows_of(own_db, hospital_id))[2]
    async with triggers_off(own_db) as conn:
        await probes().probe.audit_change_row.rows(conn, hospital_id, row_id)
    async with own_db.transaction() as conn:
        await probes().probe.audit_seal_parts_triggers_off.exec(conn)
        assert await probes().probe.audit_forge_part_list.rows(conn, hospital_id, row_id) == 1
    verdict = await verify_hospital(own_db, hospital_id)  # the report's verdict too, for every period
    assert (verdict.verified, verdict.seal_problem) == (False, "a part's hash does not match its list of rows")


# --- retention ---------------------------------------------------------------------------------------------


async def test_a_month_is_purged_only_once_every_row_is_past_retention(own_db: Database) -> None:
    hospital_id = await new_hospital(own_db)
    async with own_db.connection() as conn:
        await probes().probe.ensure_audit_partitions.one(conn, datetime(2019, 1, 1).date(), 2)
    january = [datetime(2019, 1, day, 12, tzinfo=UTC) for day in (3, 17, 30)]
    kept_longer = datetime(2019, 2, 10, 12, tzinfo=UTC)
    async with own_db.transaction() as conn:
        for at in january:
            await probes().probe.audit_forge_row.one(conn, hospital_id, at, RETENTION_DAYS)
        long_row = await probes().probe.audit_forge_row.one(conn, hospital_id, kept_longer, 4000)
        # February also holds a row whose retention ends with January's: the month stays for the longer one.
        await probes().probe.audit_forge_row.one(conn, hospital_id, kept_longer, RETENTION_DAYS)
    assert long_row is not None
    await seal_all(own_db)
    last_january_retention = january[-1] + timedelta(days=RETENTION_DAYS)

    # The clock, moved: one second before January's last row is due, nothing goes.
    assert await purge_expired(own_db, last_january_retention - timedelta(seconds=1)) == []
    # Once it is due, January goes; February, with a row kept 4,000 days, stays even far later.
    purged = await purge_expired(own_db, kept_longer + timedelta(days=3999))
    assert [(p.partition_name, p.row_count) for p in purged] == [("audit_logs_p201901", 3)]
    async with own_db.connection() as conn:
        remaining = await probes().probe.audit_row_ids.many(conn, hospital_id)
        partitions = {p.name for p in await probes().probe.audit_partitions.many(conn)}
    assert "audit_logs_p201901" not in partitions and "audit_logs_p201902" in partitions
    assert long_row.id in {row.id for row in remaining}
    assert all(row.timestamp >= datetime(2019, 2, 1, tzinfo=UTC) for row in remaining)

    # The purge is audited (no user, no hospital) and sealed, and the chain still verifies.
    await seal_all(own_db)
    async with own_db.connection() as conn:
        purge_rows = await probes().probe.audit_purge_rows.many(conn)
        verdict = await verify_chain(conn)
    assert [r.metadata | {"asOf": None} for r in purge_rows] == [
        {
            "partition": "audit_logs_p201901",
            "from": "2019-01-01T00:00:00+00:00",
            "to": "2019-02-01T00:00:00+00:00",
            "rows": 3,
            "asOf": None,
        }
    ]
    assert verdict.verified, verdict.problems()
    # The hospital's purged part (its rows all gone, past its seal's kept_until) is lawful; February's are checked.
    hospitals = await verify_hospital(own_db, hospital_id)
    assert (hospitals.verified, hospitals.checked_rows) == (True, 2), hospitals.problems()


async def test_a_month_not_wholly_sealed_is_never_purged(own_db: Database) -> None:
    hospital_id = await new_hospital(own_db)
    async with own_db.connection() as conn:
        await probes().probe.ensure_audit_partitions.one(conn, datetime(2019, 1, 1).date(), 1)
    async with own_db.transaction() as conn:
        await probes().probe.audit_forge_row.one(conn, hospital_id, datetime(2019, 1, 5, tzinfo=UTC), RETENTION_DAYS)
    far_future = datetime(2040, 1, 1, tzinfo=UTC)
    assert await purge_expired(own_db, far_future) == []  # nothing sealed yet
    await seal_all(own_db)
    assert [p.partition_name for p in await purge_expired(own_db, far_future)] == ["audit_logs_p201901"]


# --- the command line --------------------------------------------------------------------------------------


async def test_audit_verify_and_seal_on_the_command_line(own_db: Database) -> None:
    hospital_id = await new_hospital(own_db)
    await write_rows(own_db, hospital_id, 3)
    await seal_all(own_db)

    sealed = run("audit", "seal", database_url=own_db.url)
    assert sealed.returncode == 0, sealed.stderr
    reference = sealed.stdout.strip().splitlines()[-1]
    seq, digest = reference.split(":")
    assert int(seq) >= 1 and len(bytes.fromhex(digest)) == 32

    intact = run("audit", "verify", "--expect", reference, database_url=own_db.url)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "checked" in intact.stdout and "3 rows" in intact.stdout
    assert intact.stdout.strip().endswith("the audit chain is intact")

    forged = f"{seq}:{'00' * 32}"
    assert run("audit", "verify", "--expect", forged, database_url=own_db.url).returncode == 1
    bad_usage = run("audit", "verify", "--expect", "nonsense", database_url=own_db.url)
    assert bad_usage.returncode == 2
    assert "nonsense is not SEQ:SHA256" in bad_usage.stderr

    row_id = (await rows_of(own_db, hospital_id))[-1]
    async with triggers_off(own_db) as conn:
        await probes().probe.audit_delete_row.rows(conn, hospital_id, row_id)
    tampered = run("audit", "verify", "--hospital", str(hospital_id), database_url=own_db.url)
    assert tampered.returncode == 1
    assert f"TAMPERED  row {row_id} was deleted: seal " in tampered.stdout
    assert tampered.stdout.strip().endswith("the audit chain is NOT intact")
