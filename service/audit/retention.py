"""Retention: monthly partitions created ahead of time, and dropped once every row in them is past its
``retention_until`` (at least six years). The purge is itself audited, and its audit row sealed like any
other, so verification knows which sealed rows left lawfully."""

from __future__ import annotations

from datetime import datetime

from service.audit.schemas import MAINTENANCE_ACTOR, PurgedRow
from service.audit.writer import record
from service.db import sql
from service.db.pool import Database

MONTHS_AHEAD = 4
"""Partitions exist for this month and the next three, so no row waits in the default partition."""


async def ensure_partitions(db: Database) -> int:
    """Create the missing monthly partitions from this month on; how many were created."""
    async with db.connection() as conn:
        row = await sql.audit.ensure_partitions.one(conn, MONTHS_AHEAD)
    return 0 if row is None else row.created


async def purge_expired(db: Database, as_of: datetime) -> list[PurgedRow]:
    """Drop the partitions whose every row is past retention at ``as_of`` (and wholly sealed), each with its
    ``audit.purge`` row in the same transaction; what was dropped."""
    async with db.transaction() as conn:
        purged = await sql.audit.purge_expired.many(conn, as_of)
        for part in purged:
            await record(
                conn,
                MAINTENANCE_ACTOR,
                "audit.purge",
                resource="audit_partition",
                resource_id=part.partition_name,
                metadata={
                    "partition": part.partition_name,
                    "from": part.range_from.isoformat(),
                    "to": part.range_to.isoformat(),
                    "rows": part.row_count,
                    "asOf": as_of.isoformat(),
                },
            )
    return purged
