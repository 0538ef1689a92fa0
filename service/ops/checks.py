"""Pre-deploy checks (``hospital-alerts check``): each returns what it found, and whether that is fine."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.config import Settings
from service.db import migrations
from service.db.catalogue import CatalogueError, load_catalogue
from service.db.pool import CONNECT_ERRORS, connect
from service.db.urls import describe_database


@dataclass
class CheckResult:
    name: str
    ok: bool
    summary: str
    details: list[str] = field(default_factory=list)


async def run_checks(database_url: str, settings: Settings) -> list[CheckResult]:
    """Database reachable, migrations applied, every SQL file loads and prepares against the schema."""
    results: list[CheckResult] = []
    where = describe_database(database_url)
    try:
        conn = await connect(database_url, settings)
    except CONNECT_ERRORS as exc:
        results.append(CheckResult("database", False, f"cannot reach {where}: {type(exc).__name__}: {_short(exc)}"))
        return results
    try:
        results.append(CheckResult("database", True, f"{where} answers"))
        results.append(_migrations_check(database_url))
        results.append(await _catalogue_check(conn))
    finally:
        await conn.close()
    return results


def _migrations_check(database_url: str) -> CheckResult:
    try:
        states = migrations.status(database_url)
    except migrations.MigrationError as exc:
        return CheckResult("migrations", False, str(exc))
    pending = [s.id for s in states if not s.applied]
    if pending:
        return CheckResult(
            "migrations", False, f"{len(pending)} pending migration(s)", [f"pending {p}" for p in pending]
        )
    return CheckResult("migrations", True, f"all {len(states)} applied")


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


def _short(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]
