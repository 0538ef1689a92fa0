"""Escalation by time and expiry: every serve process runs this loop, and together they act once.

Each step claims one due alert with ``FOR UPDATE SKIP LOCKED`` (another process skips it rather than waits),
changes it, writes its escalation, audit row and event, and commits: one short transaction per alert. So
however many processes run, each level is reached once (the unique (alert_id, to_level) key is the last word),
an acknowledged or closed alert is never touched (the claim reads only active, or open and expired, alerts), and
a due alert is acted on within one interval of its deadline.
"""

from __future__ import annotations

import asyncio
import logging

from service.alerts.events import publish
from service.audit.schemas import Actor
from service.audit.writer import record
from service.db import sql
from service.db.pool import Database
from service.errors import is_database_unavailable
from service.ops import metrics

logger = logging.getLogger("service.alerts.loops")

INTERVAL_SECONDS = 1.0
# What the audit rows of the system's own changes record as their client.
SYSTEM = "hospital-alerts-scheduler"


async def escalate_one(db: Database) -> bool:
    """Raise one overdue alert by a level (reason timeout); False when none is due."""
    async with db.transaction() as conn:
        due = await sql.alerts.escalate_due.one(conn)
        if due is None:
            return False
        if due.to_level > due.from_level:  # else it was at the maximum already and only lost its deadline
            alert = await sql.alerts.read_alert.one(conn, due.hospital_id, due.id)
            assert alert is not None
            await record(
                conn,
                Actor(hospital_id=due.hospital_id, user_agent=SYSTEM),
                "alert.escalate",
                resource="alert",
                resource_id=due.id,
                metadata={"reason": "timeout", "fromLevel": due.from_level, "toLevel": due.to_level},
            )
            await publish(conn, "alert.escalated", alert)
            metrics.ESCALATIONS.inc()
    return True


async def expire_one(db: Database) -> bool:
    """Resolve one open alert past its expiresAt, with no user; False when none is due."""
    async with db.transaction() as conn:
        due = await sql.alerts.expire_due.one(conn)
        if due is None:
            return False
        alert = await sql.alerts.read_alert.one(conn, due.hospital_id, due.id)
        assert alert is not None
        await record(
            conn,
            Actor(hospital_id=due.hospital_id, user_agent=SYSTEM),
            "alert.expire",
            resource="alert",
            resource_id=due.id,
            metadata={"status": "resolved", "expiresAt": alert.expires_at.isoformat() if alert.expires_at else None},
        )
        await publish(conn, "alert.resolved", alert)
    metrics.EXPIRIES.inc()
    return True


async def run_due_once(db: Database, limit: int = 1000) -> tuple[int, int]:
    """Escalate and expire everything due now (at most ``limit`` of each per pass); how many of each."""
    escalated = expired = 0
    while escalated < limit and await escalate_one(db):
        escalated += 1
    while expired < limit and await expire_one(db):
        expired += 1
    return escalated, expired


async def run_alert_loops(db: Database, interval: float = INTERVAL_SECONDS) -> None:
    """``run_due_once`` every ``interval`` seconds until cancelled; a failed pass is logged and retried."""
    while True:
        try:
            escalated, expired = await run_due_once(db)
            if escalated or expired:
                logger.info("alerts: %d escalated, %d expired", escalated, expired)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the loop must outlive any one failure (a restart of the database, say)
            if is_database_unavailable(exc):
                logger.warning("alert loop skipped: the database is unavailable")
            else:
                logger.error("alert loop pass failed: %s", type(exc).__name__)
        await asyncio.sleep(interval)
