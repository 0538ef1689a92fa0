"""Readiness: the database answers and its schema carries every migration of this build."""

from __future__ import annotations

import asyncio

import asyncpg

from service.db import sql
from service.db.pool import Database
from service.errors import ServiceUnavailable, is_database_unavailable

READINESS_TIMEOUT_SECONDS = 3.0


async def schema_version(db: Database, expected: list[str]) -> str:
    """The newest migration id when the schema is current; raises ServiceUnavailable saying what is wrong.

    A schema ahead of this build (a newer release migrated first, as in a rolling deploy) is ready: the
    expand/contract rule keeps it compatible with the code that is still running.
    """
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            async with db.connection() as conn:
                applied = {row.migration_id for row in await sql.ops.applied_migrations.many(conn)}
    except asyncpg.UndefinedTableError:
        raise ServiceUnavailable("the schema is behind this build: no migration has been applied") from None
    except ServiceUnavailable:
        raise
    except Exception as exc:
        if is_database_unavailable(exc):
            raise ServiceUnavailable("the database does not answer") from None
        raise
    missing = [migration_id for migration_id in expected if migration_id not in applied]
    if missing:
        raise ServiceUnavailable(f"the schema is behind this build: {', '.join(missing)} not applied")
    return expected[-1] if expected else ""
