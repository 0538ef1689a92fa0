"""The alert event log: every alert change appends an event in the same transaction as the change."""

from __future__ import annotations

import asyncpg
import msgspec

from service.alerts.schemas import AlertRow, EventType
from service.db import sql


async def publish(conn: asyncpg.Connection, event_type: EventType, alert: AlertRow) -> int:
    """Append ``event_type`` for ``alert`` (its API shape as the payload) and notify listeners; returns the event id.

    The hospital's event log is locked first, until the transaction ends, so that its event ids commit in
    increasing order and a stream reading "after the last id I delivered" never skips one.
    """
    await sql.alerts.lock_event_log.exec(conn, alert.hospital_id)
    row = await sql.alerts.record_event.one(
        conn,
        alert.hospital_id,
        alert.id,
        event_type,
        alert.department.id,
        alert.priority,
        alert.escalation_level,
        msgspec.to_builtins(alert),
    )
    assert row is not None
    return row.id
