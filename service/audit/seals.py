"""Tamper evidence: the sealer loop and the chain's verification.

Sealing never sits on the write path. Requests append audit rows freely; every few seconds one process (an
advisory lock picks it) seals the rows of the next closed time window: per hospital the rows' ids and
digests, and a seal that hashes them with the previous seal's hash. A window is closed when no transaction in
the database that began before the window's end is still open (``sql/audit/seal_bound.sql``), so no row can
commit into a window after it is sealed. Verification recomputes every digest and hash in PostgreSQL (migration 0007's
functions) and compares rows and seals both ways.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from service.audit.schemas import PartCheckRow, RowCheckRow, SealCheckRow, SealRow, SpanRow
from service.db import sql
from service.db.pool import Database
from service.errors import first_error, is_database_unavailable

logger = logging.getLogger("service.audit.sealer")

SEAL_INTERVAL_SECONDS = 2.0
SETTLE_SECONDS = 1.0
"""A row's transaction must have started at least this long ago before its window is sealed: the margin
between a transaction's start and its showing in pg_stat_activity."""
MAX_ROWS_PER_SEAL = 20_000
BATCH_SECONDS = 5.0
BATCH_ROWS = 1_000
"""A window is sealed once its oldest row has waited this long, or this many rows wait: under steady traffic a
seal every few seconds, not one per pass (every seal costs a row, and a part per hospital in it)."""
HEARTBEAT = timedelta(minutes=5)
"""An idle chain still moves forward this often with an empty seal, so rows slipped into a quiet stretch
behind the service's back are caught too."""
MAX_SEALS_PER_PASS = 50
HEAD_LOG_SECONDS = 300.0
VERIFY_TIMEOUT_SECONDS = 3600.0
"""Verification reads every sealed row (about 5 s per million on two cores): far past the pool's command
timeout for a whole chain of tens of millions."""


@dataclass(frozen=True)
class SealPass:
    seals: int
    rows: int
    head: str | None = None
    """The newest seal made, as ``SEQ:SHA256`` (what ``audit verify --expect`` takes); None when none was."""


async def seal_once(
    db: Database,
    *,
    settle_seconds: float = SETTLE_SECONDS,
    batch_seconds: float = BATCH_SECONDS,
    max_rows: int = MAX_ROWS_PER_SEAL,
    max_seals: int = MAX_SEALS_PER_PASS,
) -> SealPass:
    """Seal what is ready, up to ``max_seals`` seals, each in its own short transaction; what was sealed.

    Returns at once (sealing nothing) when another process holds the sealer's lock.
    """
    seals = rows = 0
    head = None
    for _ in range(max_seals):
        async with db.transaction() as conn:
            sealed = await _seal_next(conn, settle_seconds, batch_seconds, max_rows)
        if sealed is None:
            break
        seals += 1
        rows += sealed.row_count
        head = f"{sealed.seq}:{sealed.seal_hash.hex()}"
    return SealPass(seals, rows, head)


async def _seal_next(
    conn: asyncpg.Connection, settle_seconds: float, batch_seconds: float, max_rows: int
) -> SealRow | None:
    lock = await sql.audit.try_seal_lock.one(conn)
    if lock is None or not lock.acquired:
        return None
    # Two statements, in this order: the bound is read before the sealing statement takes its snapshot.
    head = await sql.audit.seal_bound.one(conn, settle_seconds)
    if head is None or head.sealed_from is None or head.bound <= head.sealed_from:
        return None
    window = await sql.audit.seal_window.one(conn, head.sealed_from, head.bound, max_rows)
    if window is None:
        return None
    young = head.bound - head.sealed_from < timedelta(seconds=batch_seconds)
    if young and window.row_count < BATCH_ROWS and not window.ends_month:
        return None  # let a few more seconds of rows join this seal
    quiet = window.row_count == 0 and not window.ends_month
    if quiet and window.sealed_to - head.sealed_from < HEARTBEAT:
        return None
    return await sql.audit.seal_rows.one(conn, head.last_seq + 1, head.last_hash, head.sealed_from, window.sealed_to)


async def run_sealer(db: Database, interval: float = SEAL_INTERVAL_SECONDS) -> None:
    """Seal every ``interval`` seconds until cancelled; a failed pass is logged and retried.

    Every few minutes the chain's head goes to the log too: logs shipped off the machine are a copy of the
    seal kept outside the database, for ``audit verify --expect``.
    """
    last_published = -HEAD_LOG_SECONDS
    while True:
        try:
            done = await seal_once(db)
            if done.head is not None and time.monotonic() - last_published >= HEAD_LOG_SECONDS:
                logger.info("audit chain head %s", done.head)
                last_published = time.monotonic()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the loop must outlive any one failure
            if is_database_unavailable(exc):
                logger.warning("audit sealing skipped: the database is unavailable")
            else:
                logger.error("audit sealing failed: %s", type(exc).__name__)
        await asyncio.sleep(interval)


@dataclass(frozen=True)
class Verdict:
    """What verification found: ``verified`` when every checked row and seal is as sealed."""

    checked_rows: int
    checked_seals: int
    unsealed_rows: int
    bad_row_id: UUID | None
    row_problem: str | None
    row_seal: int | None
    bad_seal: int | None
    seal_problem: str | None

    @property
    def verified(self) -> bool:
        return self.row_problem is None and self.seal_problem is None

    def problems(self) -> list[str]:
        """Each fault found, in words a compliance officer can act on."""
        found = []
        if self.seal_problem is not None:
            found.append(f"seal {self.bad_seal}: {self.seal_problem}")
        if self.row_problem is not None:
            found.append(_row_words(self))
        return found


def _row_words(verdict: Verdict) -> str:
    row, seal = verdict.bad_row_id, verdict.row_seal
    if verdict.row_problem == "changed":
        return f"row {row} was changed after seal {seal} sealed it"
    if verdict.row_problem == "deleted":
        return f"row {row} was deleted: seal {seal} lists it"
    return f"row {row} was inserted behind the service's back: no seal lists it"


async def verify_chain(
    conn: asyncpg.Connection,
    hospital_id: UUID | None = None,
    from_time: datetime | None = None,
    to_time: datetime | None = None,
) -> Verdict:
    """Check the seals meeting ``[from_time, to_time)`` (None: unbounded) and every row of ``hospital_id``
    (None: every hospital) they cover, on one connection.

    Each check reads one snapshot (a seal committed between the rows' statements would look like deleted
    rows): outside a transaction, each opens a read-only repeatable-read one; inside the caller's, that
    transaction must be repeatable read.
    """
    seals = await _check_seals(conn, hospital_id, from_time, to_time)
    rows = await _check_rows(conn, hospital_id, from_time, to_time)
    return _verdict(seals, rows)


async def verify_period(db: Database, hospital_id: UUID, from_time: datetime, to_time: datetime) -> Verdict:
    """The compliance report's check: the seals meeting ``[from_time, to_time)`` and every row of the hospital
    they cover; :func:`verify_chain`'s verdict, in about half its time.

    Seal by seal, the hospital's rows in the seal's window, digested in PostgreSQL as the sealer digested
    them, must be exactly the part's lists, and the lists must hash to the part's hash (``verify_parts``).
    PostgreSQL 15 runs no parallel worker inside such a per-seal subquery, so the seals are shared among
    connections (``audit_verify_connections``, at most half the pool). Seals and the rows of sealed windows
    never change lawfully, so the connections need no common snapshot: the seals are fixed first
    (``verify_span``), and every window between them is checked. On any fault, :func:`verify_chain` decides
    in one snapshot and names the first bad seal or row.
    """
    async with db.connection() as conn:
        seals = await _check_seals(conn, hospital_id, from_time, to_time, part_lists=False)
        async with _reading(conn):
            span = await sql.audit.verify_span.one(conn, from_time, to_time)
            assert span is not None  # an aggregate: always one row
            unsealed = await sql.audit.count_unsealed.one(conn, hospital_id, span.to_time, to_time)
    assert unsealed is not None
    checked_rows = await _intact_rows(db, hospital_id, span) if seals.problem is None else None
    if checked_rows is not None:
        return _verdict(seals, RowCheckRow(checked_rows, unsealed.unsealed_rows, None, None, None))
    async with db.connection() as conn:
        return await verify_chain(conn, hospital_id, from_time, to_time)


async def _intact_rows(db: Database, hospital_id: UUID, span: SpanRow) -> int | None:
    """How many rows the seals of ``span`` hold for the hospital, when all are intact; None on any fault."""
    settings = db.settings
    slices = max(1, min(settings.audit_verify_connections, settings.db_pool_max_size // 2))

    async def check_slice(number: int) -> PartCheckRow:
        async with db.connection() as conn, _reading(conn):
            await sql.audit.plan_verification.one(conn)
            part = await sql.audit.verify_parts.one(
                conn, hospital_id, span.first_seq, span.last_seq, slices, number, timeout=VERIFY_TIMEOUT_SECONDS
            )
        assert part is not None  # an aggregate: always one row
        return part

    try:
        async with asyncio.TaskGroup() as group:
            checking = [group.create_task(check_slice(number)) for number in range(slices)]
    except BaseExceptionGroup as failed:
        raise first_error(failed) from None
    parts = [task.result() for task in checking]
    if not all(part.intact for part in parts):
        return None
    return sum(part.checked_rows for part in parts)


async def _check_seals(
    conn: asyncpg.Connection,
    hospital_id: UUID | None,
    from_time: datetime | None,
    to_time: datetime | None,
    *,
    part_lists: bool = True,
) -> SealCheckRow:
    async with _reading(conn):
        seals = await sql.audit.verify_seals.one(
            conn, hospital_id, from_time, to_time, part_lists, timeout=VERIFY_TIMEOUT_SECONDS
        )
    assert seals is not None  # an aggregate: always one row
    return seals


async def _check_rows(
    conn: asyncpg.Connection, hospital_id: UUID | None, from_time: datetime | None, to_time: datetime | None
) -> RowCheckRow:
    async with _reading(conn):
        await sql.audit.plan_verification.one(conn)
        span = await sql.audit.verify_span.one(conn, from_time, to_time)
        assert span is not None  # an aggregate: always one row
        rows = await sql.audit.verify_rows.one(
            conn, hospital_id, from_time, to_time, span.from_time, span.to_time, timeout=VERIFY_TIMEOUT_SECONDS
        )
    assert rows is not None
    return rows


@asynccontextmanager
async def _reading(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """One read-only snapshot, marked so the sealer does not wait for it; the caller's transaction if any."""
    if conn.is_in_transaction():
        yield
        return
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        await sql.audit.mark_reader.one(conn)
        yield


def _verdict(seals: SealCheckRow, rows: RowCheckRow) -> Verdict:
    return Verdict(
        checked_rows=rows.checked_rows,
        checked_seals=seals.checked_seals,
        unsealed_rows=rows.unsealed_rows,
        bad_row_id=rows.bad_row_id,
        row_problem=rows.problem,
        row_seal=rows.bad_seq,
        bad_seal=seals.bad_seq,
        seal_problem=seals.problem,
    )
