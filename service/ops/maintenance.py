"""The maintenance loop: every serve process runs one; each pass is a few short statements, safe to run
side by side in many processes (each DELETE touches only rows no request can use any more).

It prunes what login leaves behind (sessions a day past their expiry, expired two-factor challenges, old login
rate windows) and alert events older than the stream's 24-hour replay window. It keeps the audit log's monthly
partitions ahead of time and drops a month once every row in it is past retention (service/audit/retention.py).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from service.audit import retention
from service.db import sql
from service.db.pool import Database
from service.errors import is_database_unavailable

logger = logging.getLogger("service.maintenance")

INTERVAL_SECONDS = 60.0


async def prune_once(db: Database) -> dict[str, int]:
    """One pass; how many rows each step removed."""
    removed: dict[str, int] = {}
    async with db.connection() as conn:
        removed["sessions"] = await sql.ops.prune_sessions.rows(conn)
        removed["login_challenges"] = await sql.ops.prune_login_challenges.rows(conn)
        removed["login_rate_limits"] = await sql.ops.prune_login_rate_limits.rows(conn)
        removed["alert_events"] = await sql.ops.prune_alert_events.rows(conn)
    removed["audit_partitions_created"] = await retention.ensure_partitions(db)
    purged = await retention.purge_expired(db, datetime.now(UTC))
    removed["audit_rows_purged"] = sum(part.row_count for part in purged)
    return removed


async def run_maintenance(db: Database, interval: float = INTERVAL_SECONDS) -> None:
    """Run ``prune_once`` every ``interval`` seconds until cancelled; a failed pass is logged and retried."""
    while True:
        try:
            removed = await prune_once(db)
            if any(removed.values()):
                logger.info("maintenance pruned %s", removed)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the loop must outlive any one failure (a restart of the database, say)
            if is_database_unavailable(exc):
                logger.warning("maintenance skipped: the database is unavailable")
            else:
                logger.error("maintenance pass failed: %s", type(exc).__name__)
        await asyncio.sleep(interval)
