"""Pre-deploy checks (``hospital-alerts check``): each returns what it found, and whether that is fine."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from service.config import Settings, describe_profile
from service.db import migrations
from service.db.catalogue import CatalogueError, load_catalogue, load_query
from service.db.pool import CONNECT_ERRORS, connect
from service.db.urls import describe_database

MAX_CLOCK_SKEW_SECONDS = 2.0
"""The most the service's clock may differ from the database's: sessions, lockouts, exports and escalation
deadlines are stamped by one and compared by the other."""


@dataclass
class CheckResult:
    name: str
    ok: bool
    summary: str
    details: list[str] = field(default_factory=list)


async def run_checks(database_url: str, settings: Settings, *, allow_pending: bool = False) -> list[CheckResult]:
    """The settings' profile, database reachable, migrations applied, every SQL file loads and prepares against
    the schema, the clocks agree.

    ``allow_pending`` (before a deploy migrates): pending migrations are listed without failing, and the SQL check,
    which needs the migrated schema, is left to the check after migrating."""
    # Settings out of range never get here: loading them failed with the variable's name (exit 2).
    results = [CheckResult("settings", True, f"profile {describe_profile(settings)}")]
    where = describe_database(database_url)
    try:
        conn = await connect(database_url, settings)
    except CONNECT_ERRORS as exc:
        results.append(CheckResult("database", False, f"cannot reach {where}: {type(exc).__name__}: {_short(exc)}"))
        return results
    try:
        results.append(CheckResult("database", True, f"{where} answers"))
        migrations_result, pending = _migrations_check(database_url, allow_pending)
        results.append(migrations_result)
        if pending and allow_pending:
            results.append(
                CheckResult("sql", True, "not checked before the pending migrations: check again after migrating")
            )
        else:
            results.append(await _catalogue_check(conn))
        results.append(await clock_check(conn))
    finally:
        await conn.close()
    return results


def _migrations_check(database_url: str, allow_pending: bool) -> tuple[CheckResult, bool]:
    """The migrations' check, and whether any is pending (``allow_pending``: listed, but not a failure)."""
    try:
        states = migrations.status(database_url)
    except migrations.MigrationError as exc:
        return CheckResult("migrations", False, str(exc)), False
    ours = [s for s in states if s.known]
    pending = [f"pending {s.id}" for s in ours if not s.applied]
    # A newer release's migrations: this build runs on that schema (every release stays compatible with the one
    # before it, docs/operations.md "Safe migrations"), but a rollback to this build must remove them first.
    newer = [
        f"newer {s.id} (applied by a newer release; this build cannot roll it back)" for s in states if not s.known
    ]
    if pending:
        summary = f"{len(pending)} pending migration(s)"
        if allow_pending:
            summary += ", allowed: the deploy applies them next"
        return CheckResult("migrations", allow_pending, summary, pending + newer), True
    summary = f"all {len(ours)} applied"
    if newer:
        summary += f"; {len(newer)} newer migration(s) that this build does not know"
    return CheckResult("migrations", True, summary, newer), False


async def _catalogue_check(conn: object) -> CheckResult:
    try:
        catalogue = load_catalogue()
    except CatalogueError as exc:
        return CheckResult("sql", False, f"{len(exc.problems)} problem(s) reading sql/", [str(p) for p in exc.problems])
    problems = await catalogue.verify(conn)  # type: ignore[arg-type]
    if problems:
        return CheckResult(
            "sql", False, f"{len(problems)} problem(s) in {len(catalogue)} statements", [str(p) for p in problems]
        )
    return CheckResult("sql", True, f"{len(catalogue)} statements prepare and match their Row types")


async def clock_check(conn: object, local_clock: Callable[[], datetime] | None = None) -> CheckResult:
    """The database's clock against this machine's (``local_clock``, the real one unless a test moves it),
    read halfway through the round trip so the network's delay does not count as skew."""
    local = local_clock or (lambda: datetime.now(UTC))
    before, started = local(), time.perf_counter()
    # This statement alone, not the whole catalogue: a broken SQL file elsewhere is the sql check's finding.
    row = await load_query("ops/database_clock").one(conn)
    round_trip = time.perf_counter() - started
    assert row is not None
    skew = (row.now - (before + (local() - before) / 2)).total_seconds()
    summary = f"the database's clock is {abs(skew):.3f} s {'ahead of' if skew >= 0 else 'behind'} this machine's"
    detail = f"(round trip {round_trip * 1000:.1f} ms; at most {MAX_CLOCK_SKEW_SECONDS:.0f} s allowed)"
    if abs(skew) > MAX_CLOCK_SKEW_SECONDS:
        return CheckResult("clock", False, f"{summary} {detail}: synchronise both with NTP")
    return CheckResult("clock", True, f"{summary} {detail}")


def _short(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]
