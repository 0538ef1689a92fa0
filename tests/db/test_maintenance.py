"""The maintenance loop's pass: what login leaves behind goes once it can no longer be used, alert events once
the stream no longer replays them (24 hours), nothing earlier."""

from __future__ import annotations

import uuid
from datetime import timedelta

from service.alerts.events import publish
from service.audit.schemas import CLI_ACTOR
from service.auth.tokens import new_token
from service.db import sql
from service.db.pool import Database
from service.hospital.tenants import create_department
from service.ops.maintenance import prune_once
from service.users.accounts import create_user
from tests.probes import probes


async def test_prune_removes_sessions_a_day_past_expiry_and_keeps_the_rest(
    db: Database, hospital_id: uuid.UUID
) -> None:
    old_user, live_user = uuid.uuid4(), uuid.uuid4()
    async with db.transaction() as conn:
        for user_id in (old_user, live_user):
            await create_user(
                conn,
                CLI_ACTOR,
                hospital_id,
                user_id=user_id,
                email=f"{user_id.hex}@prune.example",
                name="Prune Test",
                role="nurse",
                password_hash="$argon2id$unused",
            )
            await sql.auth.create_session.one(conn, hospital_id, user_id, new_token()[1], None, None)
            await sql.auth.create_challenge.exec(conn, hospital_id, user_id, new_token()[1], None)
        # 12 h of validity + 1 day of grace + a minute: the old user's session and challenge are due.
        await probes().probe.age_sessions.rows(conn, hospital_id, old_user, timedelta(hours=36, minutes=1))
        await probes().probe.age_user.rows(conn, hospital_id, old_user, timedelta(hours=2))

    removed = await prune_once(db)

    assert removed["sessions"] >= 1 and removed["login_challenges"] >= 1
    async with db.connection() as conn:
        assert await probes().probe.user_sessions.many(conn, hospital_id, old_user) == []
        assert len(await probes().probe.user_sessions.many(conn, hospital_id, live_user)) == 1


async def test_prune_removes_alert_events_older_than_a_day_and_keeps_the_rest(
    db: Database, hospital_id: uuid.UUID
) -> None:
    department_id = uuid.uuid4()
    alerts = []
    async with db.transaction() as conn:
        await create_department(conn, CLI_ACTOR, hospital_id, department_id, "Emergency", "ER")
        for title in ("old", "recent"):
            alert = await sql.alerts.create_alert.one(
                conn, hospital_id, uuid.uuid4(), department_id, title, None, "low", "other", None, None, None
            )
            assert alert is not None
            await publish(conn, "alert.created", alert)
            alerts.append(alert)
        old, recent = alerts
        await probes().probe.age_alert_events.rows(conn, hospital_id, old.id, timedelta(hours=24, minutes=1))
        await probes().probe.age_alert_events.rows(conn, hospital_id, recent.id, timedelta(hours=23, minutes=59))
        kept_before = await probes().probe.alert_event_ids.many(conn, hospital_id)

    removed = await prune_once(db)

    assert removed["alert_events"] >= 1
    async with db.connection() as conn:
        assert await probes().probe.alert_event_ids.many(conn, hospital_id) == kept_before[1:]
