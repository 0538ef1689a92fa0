"""Data at scale: ``hospital-alerts seed --scale N`` builds N hospitals of realistic data in an empty database.

Per hospital: 10 departments, 1,000 users, 10,000 alerts (the last 30 still open, raised in the past two hours)
with their escalations, and on average 100,000 audit rows spread over six years, sealed like the service seals
them; hospital 1 is the busiest, with a tenth of the trail. At ``--scale 100`` (the large scale): 100 hospitals,
1,000 departments, 100,000 users, 1,000,000 alerts (3,000 open) and 10,000,000 audit rows, a million of them
hospital 1's.

Everything is set-based SQL (``sql/seed/``): one ``INSERT ... SELECT`` per chunk, chunks of hospitals (or, for
the audit trail, a month at a time, oldest first, as the service appends them) spread over two connections.
Then ``VACUUM (ANALYZE)`` leaves the planner the statistics of what was loaded (the sealer's statements need
them too), and the service's own sealer seals the trail. Ids are derived from names
(``md5('seed-user-' || h || '-' || u)``), so each statement names the rows of another without a lookup.

Every seeded user's password is ``SEED_PASSWORD`` (one argon2id hash shared by all: hashing 100,000 passwords
would take more than an hour of CPU). Users 0..4 of each hospital are an admin, a head doctor, a doctor, a nurse
and an operator (``user<u>@hospital<h>.seed.example``), the accounts the load benches log in as.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

import msgspec

from service.audit.seals import seal_once
from service.auth.passwords import hash_password_async
from service.config import Settings
from service.db import sql
from service.db.pool import Database
from service.errors import first_error

SEED_PASSWORD = "seed-password-2026"
MAX_SCALE = 1000
DEPARTMENTS_PER_HOSPITAL = 10
USERS_PER_HOSPITAL = 1_000
ALERTS_PER_HOSPITAL = 10_000
OPEN_ALERTS_PER_HOSPITAL = 30
AUDIT_ROWS_PER_HOSPITAL = 100_000
HISTORY = timedelta(days=2190)
"""Six years of history: the oldest rows are just inside the default retention (2,192 days)."""
ROLES_OF_FIRST_USERS = ("admin", "head_doctor", "doctor", "nurse", "operator")

_AUDIT_CHUNK_ROWS = 200_000
"""The most audit rows one statement writes (about 6 s of one core); a month at the large scale is ~140,000."""
_JOBS = 2
"""Connections loading at once: one per core of the machine the large scale is measured on."""


class SeedError(Exception):
    """The seed cannot run here (the message says why)."""


def seed_email(hospital: int, user: int) -> str:
    """The email of seeded user ``user`` of hospital ``hospital`` (both counted as the seed counts them)."""
    return f"user{user}@hospital{hospital}.seed.example"


@dataclass(frozen=True)
class SeedPlan:
    scale: int
    since: datetime
    until: datetime

    @property
    def hospitals(self) -> int:
        return self.scale

    @property
    def departments(self) -> int:
        return self.scale * DEPARTMENTS_PER_HOSPITAL

    @property
    def users(self) -> int:
        return self.scale * USERS_PER_HOSPITAL

    @property
    def alerts(self) -> int:
        return self.scale * ALERTS_PER_HOSPITAL

    @property
    def open_alerts(self) -> int:
        return self.scale * OPEN_ALERTS_PER_HOSPITAL

    @property
    def audit_rows(self) -> int:
        return self.scale * AUDIT_ROWS_PER_HOSPITAL

    def audit_chunks(self) -> list[tuple[datetime, datetime, int]]:
        """(from, to, rows) windows covering [since, until) in time order: whole UTC months (the partitions), split
        when a month holds more than one statement should write; rows in proportion to each window's length."""
        bounds = [self.since]
        month = datetime(self.since.year, self.since.month, 1, tzinfo=UTC)
        while True:
            month = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)
            if month >= self.until:
                break
            bounds.append(month)
        bounds.append(self.until)
        span = (self.until - self.since).total_seconds()
        chunks: list[tuple[datetime, datetime, int]] = []
        written = 0
        elapsed = 0.0
        for start, end in itertools.pairwise(bounds):
            pieces = max(1, -(-round(self.audit_rows * (end - start).total_seconds() / span) // _AUDIT_CHUNK_ROWS))
            step = (end - start) / pieces
            for k in range(pieces):
                piece_start, piece_end = start + step * k, (end if k == pieces - 1 else start + step * (k + 1))
                elapsed += (piece_end - piece_start).total_seconds()
                # Cumulative rounding, so the rows add up to exactly audit_rows.
                target = round(self.audit_rows * elapsed / span)
                chunks.append((piece_start, piece_end, target - written))
                written = target
        return [chunk for chunk in chunks if chunk[2] > 0]


def plan(scale: int, now: datetime | None = None) -> SeedPlan:
    if not 1 <= scale <= MAX_SCALE:
        raise SeedError(f"--scale must be 1..{MAX_SCALE} (hospitals; 100 is the large scale)")
    until = (now or datetime.now(UTC)).replace(microsecond=0)
    return SeedPlan(scale, until - HISTORY, until)


@dataclass(frozen=True)
class SeedReport:
    plan: SeedPlan
    seals: int
    seconds: float
    steps: tuple[tuple[str, float], ...]


class Progress:
    """A progress bar per step on standard output: redrawn in place on a terminal, a line per tenth elsewhere (a
    log file or CI keeps a readable trace)."""

    WIDTH = 30

    def __init__(self, out: TextIO | None = None) -> None:
        self.out: TextIO = out or sys.stdout
        self.tty = self.out.isatty()
        self.name = ""
        self.total = 1
        self.done = 0
        self.started = 0.0
        self._shown_tenth = -1

    def start(self, name: str, total: int) -> None:
        self.name, self.total, self.done, self.started, self._shown_tenth = name, max(1, total), 0, time.monotonic(), -1
        self._draw(final=False)

    def advance(self, amount: int) -> None:
        self.done = min(self.total, self.done + amount)
        self._draw(final=False)

    def finish(self) -> float:
        self.done = self.total
        self._draw(final=True)
        return time.monotonic() - self.started

    def _draw(self, *, final: bool) -> None:
        fraction = self.done / self.total
        tenth = int(fraction * 10)
        if not self.tty and tenth == self._shown_tenth:
            return
        self._shown_tenth = tenth
        filled = int(fraction * self.WIDTH)
        elapsed = time.monotonic() - self.started
        eta = f", about {elapsed / fraction - elapsed:4.0f} s left" if 0 < fraction < 1 else ""
        line = (
            f"{self.name:<22} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {fraction:4.0%} "
            f"{self.done:>12,}/{self.total:,}  {elapsed:6.1f} s{eta}"
        )
        write = self.out.write
        write("\r\x1b[2K" + line + ("\n" if final else "") if self.tty else line + "\n")
        self.out.flush()


async def seed_scale(url: str, settings: Settings, scale: int, progress: Progress | None = None) -> SeedReport:
    """Build ``scale`` hospitals of data in the empty database at ``url``; raises SeedError when it is not empty."""
    progress = progress or Progress()
    the_plan = plan(scale)
    # One statement writes up to ~200,000 rows and VACUUM reads every table: no 30 s command timeout here.
    db = Database(url, msgspec.structs.replace(settings, db_pool_min_size=0, db_pool_max_size=_JOBS + 1,
                                               db_command_timeout=3600.0))  # fmt: skip
    await db.open()
    if db.pool is None:
        raise SeedError("the database does not answer")
    started = time.monotonic()
    steps: list[tuple[str, float]] = []
    try:
        async with db.connection() as conn:
            existing = await sql.hospital.count_hospitals.one(conn)
            if existing is not None and existing.count:
                raise SeedError(f"seed --scale fills an empty database; this one holds {existing.count} hospital(s)")
        steps.append(("hospitals and departments", await _tenants(db, the_plan, progress)))
        password_hash = await hash_password_async(SEED_PASSWORD)
        hospitals = range(1, the_plan.hospitals + 1)

        def users(first: int, last: int) -> Callable[..., Awaitable[int]]:
            return lambda conn: sql.seed.seed_users.rows(
                conn, first, last, USERS_PER_HOSPITAL, password_hash, the_plan.since
            )

        def alerts(first: int, last: int) -> Callable[..., Awaitable[int]]:
            return lambda conn: sql.seed.seed_alerts.rows(
                conn, first, last, ALERTS_PER_HOSPITAL, OPEN_ALERTS_PER_HOSPITAL, USERS_PER_HOSPITAL, the_plan.since
            )

        def escalations(first: int, last: int) -> Callable[..., Awaitable[int]]:
            return lambda conn: sql.seed.seed_escalations.rows(conn, first, last)

        for name, make, per_chunk, unit in (
            ("users", users, 10, USERS_PER_HOSPITAL),
            ("alerts", alerts, 5, ALERTS_PER_HOSPITAL),
            ("alert escalations", escalations, 10, 1),
        ):
            chunks = [(range_[0], range_[-1]) for range_ in _slices(hospitals, per_chunk)]
            total = the_plan.hospitals * unit if unit > 1 else len(chunks)
            progress.start(name, total)
            await _run_parallel(
                db,
                [(make(first, last), (last - first + 1) * unit if unit > 1 else 1) for first, last in chunks],
                progress,
            )
            steps.append((name, progress.finish()))
        steps.append(("audit rows", await _audit(db, the_plan, progress)))
        # The sealer's statements need the trail's statistics (the partitioned parent has none until ANALYZE) and
        # read faster once VACUUM has set the pages all-visible. Sealing only reads the trail: then the seals'
        # own statistics are enough.
        steps.append(("vacuum and analyze", await _vacuum(db, progress)))
        seals, seconds = await _seal(db, the_plan, progress)
        steps.append(("sealing", seconds))
        progress.start("analyze the seals", 1)
        async with db.connection() as conn:
            await sql.seed.analyze_seals.utility(conn)
        steps.append(("analyze the seals", progress.finish()))
    finally:
        await db.close()
    return SeedReport(the_plan, seals, time.monotonic() - started, tuple(steps))


def _slices(values: range, size: int) -> Iterable[range]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def _tenants(db: Database, the_plan: SeedPlan, progress: Progress) -> float:
    progress.start("hospitals, departments", the_plan.hospitals)
    months = (the_plan.until.year - the_plan.since.year) * 12 + the_plan.until.month - the_plan.since.month + 4
    async with db.transaction() as conn:
        await sql.seed.seed_partitions.one(conn, the_plan.since.date().replace(day=1), months)
        await sql.seed.seed_hospitals.rows(conn, the_plan.hospitals, the_plan.since)
        await sql.seed.seed_departments.rows(conn, the_plan.hospitals, the_plan.since)
    return progress.finish()


async def _run_parallel(
    db: Database, work: list[tuple[Callable[..., Awaitable[int]], int]], progress: Progress
) -> None:
    """Run each statement of ``work`` (in order) on one of _JOBS connections, each in its own transaction,
    advancing ``progress`` by its weight when it commits."""
    queue: asyncio.Queue[tuple[Callable[..., Awaitable[int]], int]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)

    async def worker() -> None:
        while not queue.empty():
            statement, weight = queue.get_nowait()
            async with db.transaction() as conn:
                await statement(conn)
            progress.advance(weight)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(_JOBS):
                group.create_task(worker())
    except BaseExceptionGroup as failed:
        raise first_error(failed) from None


async def _audit(db: Database, the_plan: SeedPlan, progress: Progress) -> float:
    progress.start("audit rows", the_plan.audit_rows)

    def chunk(t_from: datetime, t_to: datetime, rows: int) -> Callable[..., Awaitable[int]]:
        return lambda conn: sql.seed.seed_audit_logs.rows(
            conn, the_plan.hospitals, USERS_PER_HOSPITAL, ALERTS_PER_HOSPITAL, rows, t_from, t_to
        )

    # Oldest first: each worker takes the next window, so the two write neighbouring months, each in order.
    await _run_parallel(db, [(chunk(*window), window[2]) for window in the_plan.audit_chunks()], progress)
    return progress.finish()


async def _vacuum(db: Database, progress: Progress) -> float:
    progress.start("vacuum and analyze", 1)
    async with db.connection() as conn:
        await sql.seed.vacuum_analyze.utility(conn)
    return progress.finish()


async def _seal(db: Database, the_plan: SeedPlan, progress: Progress) -> tuple[int, float]:
    """Seal the whole trail with the service's sealer (no settle time: nothing else writes)."""
    progress.start("sealing", the_plan.audit_rows)
    seals = 0
    while (done := await seal_once(db, settle_seconds=0, batch_seconds=0)).seals:
        seals += done.seals
        progress.advance(done.rows)
    return seals, progress.finish()
