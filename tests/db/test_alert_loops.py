"""service/alerts/loops.py against the real database: escalation by time and expiry (API.md, Alerts).

Escalation: an active alert past its acknowledgement deadline goes up one level (reason timeout): one
alert_escalations row with no user, one audit row alert.escalate with no user, one alert.escalated event, and a
next deadline of now plus the hospital's ackTimeoutSeconds[priority] (read from the settings, per priority), none
at maxEscalationLevel, where it stops, also when the maximum is lowered under it. An acknowledged, resolved or
cancelled alert never escalates; one not yet due is left alone. Expiry: an active or acknowledged alert past
expiresAt is resolved with no user (audit alert.expire, event alert.resolved); a closed one is left alone. With
eight loops on eight separate pools at once, each level is reached once and each alert expires once. Last, the
loop every serve process runs (run_alert_loops, started by the app's lifespan) does both within a few seconds.

Time: no test waits for a deadline. Alerts fall due when the test moves their clock forward
(tests/sql/probe/loops_age_alerts.sql moves created_at, next_escalation_at and expires_at back).

The session's app already runs run_alert_loops in the background, for every hospital, so an alert a test makes
due may be taken by that loop rather than by the test's own call. No test depends on who did the work: the
outcome is read with FOR SHARE (tests/sql/probe/loops_alerts.sql), which waits for any loop's step still in flight
on the alert, and the checks are on the final state and on rows written exactly once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from service.alerts.loops import SYSTEM, escalate_one, expire_one, run_due_once
from service.audit.schemas import CLI_ACTOR
from service.config import Settings
from service.db.pool import Database
from service.hospital.tenants import create_department
from service.users.accounts import create_user
from service.users.schemas import Role
from tests.api.conftest import Staff, login, password_hash
from tests.api.contract import RFC3339
from tests.probes import AuditRow, probes

ALERTS = "/api/v1/alerts"
# The hospital's default ackTimeoutSeconds and maxEscalationLevel (API.md's settings table).
ACK_TIMEOUT = {"low": 1800, "medium": 600, "high": 180, "critical": 60}
MAX_LEVEL = 3
LOOPS = 8
"""How many loops run at once in the exactly-once tests, each on a pool of its own (as serve processes would)."""
LONG_AGO = timedelta(days=1)
"""Moves any deadline or expiry of a fresh alert into the past."""
TOLERANCE = timedelta(seconds=1)
"""Between this process's clock and the database's (the same machine)."""


# --- the test's hospital -------------------------------------------------------------------------------------


@dataclass
class Hospital:
    """The test's hospital: a department, an operator who raises the alerts, a head doctor and an admin."""

    id: uuid.UUID
    department_id: uuid.UUID
    operator: Staff
    head_doctor: Staff
    admin: Staff


async def new_staff(client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, role: Role) -> Staff:
    """A logged-in user of the hospital (created as the command line would, password PASSWORD)."""
    user_id = uuid.uuid4()
    email = f"loops.{role}.{user_id.hex[:12]}@test.example"
    async with db.transaction() as conn:
        created = await create_user(
            conn,
            CLI_ACTOR,
            hospital_id,
            user_id=user_id,
            email=email,
            name=f"Loops {role} {user_id.hex[:6]}",
            role=role,
            password_hash=password_hash(),
        )
    assert created is not None
    response = await login(client, email)
    assert response.status_code == 200, response.text
    return Staff(
        id=user_id, hospital_id=hospital_id, email=email, role=role, department_id=None, token=response.json()["token"]
    )


@pytest.fixture
async def hospital(client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID) -> Hospital:
    department_id = uuid.uuid4()
    async with db.transaction() as conn:
        assert await create_department(conn, CLI_ACTOR, hospital_id, department_id, "Emergency", "ER") is not None
    return Hospital(
        id=hospital_id,
        department_id=department_id,
        operator=await new_staff(client, db, hospital_id, "operator"),
        head_doctor=await new_staff(client, db, hospital_id, "head_doctor"),
        admin=await new_staff(client, db, hospital_id, "admin"),
    )


async def change_settings(client: httpx.AsyncClient, hospital: Hospital, settings: dict[str, Any]) -> None:
    response = await client.patch("/api/v1/hospital", json={"settings": settings}, headers=hospital.admin.headers)
    assert response.status_code == 200, response.text


# --- alerts over HTTP ------------------------------------------------------------------------------------------


async def raise_alert(
    client: httpx.AsyncClient, hospital: Hospital, priority: str = "critical", expires_in: timedelta | None = None
) -> uuid.UUID:
    """POST /alerts as the hospital's operator; the new alert's id."""
    body: dict[str, Any] = {
        "title": f"Loops {priority} alert",
        "priority": priority,
        "alertType": "medical",
        "departmentId": str(hospital.department_id),
    }
    if expires_in is not None:
        body["expiresAt"] = (datetime.now(UTC) + expires_in).isoformat()
    response = await client.post(ALERTS, json=body, headers=hospital.operator.headers)
    assert response.status_code == 201, response.text
    return uuid.UUID(response.json()["id"])


async def raise_alerts(
    client: httpx.AsyncClient, hospital: Hospital, count: int, priority: str, expires_in: timedelta | None = None
) -> list[uuid.UUID]:
    return list(await asyncio.gather(*(raise_alert(client, hospital, priority, expires_in) for _ in range(count))))


async def act(client: httpx.AsyncClient, staff: Staff, alert_id: uuid.UUID, action: str) -> None:
    """acknowledge, resolve or cancel, as ``staff``."""
    response = await client.post(f"{ALERTS}/{alert_id}/{action}", headers=staff.headers)
    assert response.status_code == 200, response.text


async def get_alert(client: httpx.AsyncClient, hospital: Hospital, alert_id: uuid.UUID) -> dict[str, Any]:
    response = await client.get(f"{ALERTS}/{alert_id}", headers=hospital.head_doctor.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- the clock and the rows (tests/sql/probe/loops_*.sql) -------------------------------------------------------


async def age(db: Database, hospital_id: uuid.UUID, alert_ids: list[uuid.UUID], by: timedelta) -> None:
    """A clock moved forward by ``by`` for these alerts: their deadlines and expiries come ``by`` nearer."""
    async with db.transaction() as conn:
        assert await probes().probe.loops_age_alerts.rows(conn, hospital_id, alert_ids, by) == len(alert_ids)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True)
class AlertState:
    """What the loops change on an alert, the deadline the API does not show included."""

    id: uuid.UUID
    status: str
    level: int
    next_escalation_at: datetime | None
    expires_at: datetime | None
    acknowledged_by: uuid.UUID | None
    resolved_by: uuid.UUID | None
    resolved_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> AlertState:
        return cls(
            id=uuid.UUID(row["id"]),
            status=row["status"],
            level=row["escalationLevel"],
            next_escalation_at=_time(row["nextEscalationAt"]),
            expires_at=_time(row["expiresAt"]),
            acknowledged_by=row["acknowledgedBy"] and uuid.UUID(row["acknowledgedBy"]),
            resolved_by=row["resolvedBy"] and uuid.UUID(row["resolvedBy"]),
            resolved_at=_time(row["resolvedAt"]),
        )


async def states(db: Database, hospital_id: uuid.UUID) -> dict[uuid.UUID, AlertState]:
    """Every alert of the hospital as it is once any loop's step in flight on it has committed."""
    async with db.transaction() as conn:
        rows = await probes().probe.loops_alerts.many(conn, hospital_id)
    found = [AlertState.of(row.data) for row in rows]
    return {state.id: state for state in found}


async def state(db: Database, hospital_id: uuid.UUID, alert_id: uuid.UUID) -> AlertState:
    return (await states(db, hospital_id))[alert_id]


async def escalations(db: Database, hospital_id: uuid.UUID) -> list[dict[str, Any]]:
    """The hospital's alert_escalations rows, oldest first, without their time."""
    async with db.transaction() as conn:
        rows = [row.data for row in await probes().probe.loops_escalations.many(conn, hospital_id)]
    for row in rows:
        assert row.pop("escalatedAt") is not None
    return rows


async def events(db: Database, hospital_id: uuid.UUID) -> list[dict[str, Any]]:
    """The hospital's alert_events rows, oldest first."""
    async with db.transaction() as conn:
        return [row.data for row in await probes().probe.loops_events.many(conn, hospital_id)]


async def audit(db: Database, hospital_id: uuid.UUID, action: str) -> list[AuditRow]:
    async with db.transaction() as conn:
        return [row for row in await probes().probe.audit_rows.many(conn, hospital_id) if row.action == action]


def timeout_step(alert_id: uuid.UUID, from_level: int) -> dict[str, Any]:
    """The alert_escalations row of one escalation by time."""
    return {
        "alertId": str(alert_id),
        "fromLevel": from_level,
        "toLevel": from_level + 1,
        "reason": "timeout",
        "note": None,
        "escalatedBy": None,
    }


def assert_by_the_system(row: AuditRow, action: str, alert_id: uuid.UUID) -> None:
    """An audit row of the loops: no user, no session, no address, the scheduler as its client."""
    assert (row.action, row.outcome, row.resource, row.resource_id) == (action, "success", "alert", str(alert_id))
    assert (row.user_id, row.session_id, row.ip_address, row.user_agent) == (None, None, None, SYSTEM)


# --- running the loops ---------------------------------------------------------------------------------------

Step = Callable[[Database], Awaitable[bool]]


async def drain(step: Step, db: Database) -> int:
    """Run one loop's step until nothing is due for it; how many alerts it acted on."""
    acted = 0
    while await step(db):
        acted += 1
    return acted


@asynccontextmanager
async def separate_pools(database_url: str, settings: Settings, count: int = LOOPS) -> AsyncIterator[list[Database]]:
    """``count`` pools of their own on the test database, as ``count`` serve processes would have."""
    pools = [Database(database_url, settings) for _ in range(count)]
    try:
        await asyncio.gather(*(pool.open() for pool in pools))
        assert all(pool.pool is not None for pool in pools)
        yield pools
    finally:
        await asyncio.gather(*(pool.close() for pool in pools))


async def all_at_once(step: Step, pools: list[Database]) -> int:
    """``step`` drained by one loop per pool, all at once; how many alerts they acted on together."""
    return sum(await asyncio.gather(*(drain(step, pool) for pool in pools)))


# --- escalation by time ----------------------------------------------------------------------------------------

# Not the defaults: the deadline must come from the hospital's settings, per priority.
CUSTOM_TIMEOUTS = {"low": 1500, "medium": 700, "high": 300, "critical": 90}


@pytest.mark.parametrize("priority", ["critical", "high", "medium", "low"])
async def test_an_overdue_alert_goes_up_one_level_with_reason_timeout(
    client: httpx.AsyncClient, db: Database, hospital: Hospital, priority: str
) -> None:
    await change_settings(client, hospital, {"ackTimeoutSeconds": CUSTOM_TIMEOUTS})
    alert_id = await raise_alert(client, hospital, priority)
    timeout = timedelta(seconds=CUSTOM_TIMEOUTS[priority])
    before = datetime.now(UTC)
    await age(db, hospital.id, [alert_id], timeout + timedelta(seconds=1))
    await run_due_once(db)
    escalated = await state(db, hospital.id, alert_id)
    after = datetime.now(UTC)

    assert (escalated.status, escalated.level) == ("active", 1)
    # The next deadline is the escalation's time plus the priority's timeout, the escalation being in [before, after].
    assert escalated.next_escalation_at is not None
    assert before + timeout - TOLERANCE <= escalated.next_escalation_at <= after + timeout + TOLERANCE
    assert await escalations(db, hospital.id) == [timeout_step(alert_id, 0)]
    [row] = await audit(db, hospital.id, "alert.escalate")
    assert_by_the_system(row, "alert.escalate", alert_id)
    assert row.metadata == {"reason": "timeout", "fromLevel": 0, "toLevel": 1}
    assert [(e["eventType"], e["escalationLevel"]) for e in await events(db, hospital.id)] == [
        ("alert.created", 0),
        ("alert.escalated", 1),
    ]
    # The event carries the alert as the API shows it after the change (nothing changed it since).
    announced = (await events(db, hospital.id))[-1]["payload"]
    shown = await get_alert(client, hospital, alert_id)
    assert announced == {key: value for key, value in shown.items() if key != "escalations"}
    assert shown["escalations"] == [
        {
            "fromLevel": 0,
            "toLevel": 1,
            "reason": "timeout",
            "note": None,
            "escalatedBy": None,
            "escalatedAt": shown["escalations"][0]["escalatedAt"],
        }
    ]
    assert RFC3339.match(shown["escalations"][0]["escalatedAt"])


async def escalate_by_time(db: Database, hospital: Hospital, alert_ids: list[uuid.UUID], to_level: int) -> None:
    """Each deadline passes once (critical alerts, the default timeout): the alerts reach ``to_level``."""
    await age(db, hospital.id, alert_ids, timedelta(seconds=ACK_TIMEOUT["critical"] + 1))
    await drain(escalate_one, db)
    now = await states(db, hospital.id)
    assert [now[alert_id].level for alert_id in alert_ids] == [to_level] * len(alert_ids)


async def test_an_alert_escalates_once_per_deadline_up_to_the_maximum_and_then_stops(
    client: httpx.AsyncClient, db: Database, hospital: Hospital
) -> None:
    alert_id = await raise_alert(client, hospital, "critical")
    for level in range(1, MAX_LEVEL + 1):
        await escalate_by_time(db, hospital, [alert_id], level)
        deadline = (await state(db, hospital.id, alert_id)).next_escalation_at
        assert (deadline is None) == (level == MAX_LEVEL), (level, deadline)

    # At the maximum: no deadline, so however far the clock moves, nothing more happens.
    await age(db, hospital.id, [alert_id], LONG_AGO)
    await run_due_once(db)
    final = await state(db, hospital.id, alert_id)
    assert (final.status, final.level, final.next_escalation_at) == ("active", MAX_LEVEL, None)
    assert await escalations(db, hospital.id) == [timeout_step(alert_id, level) for level in range(MAX_LEVEL)]
    assert [
        (row.metadata["fromLevel"], row.metadata["toLevel"]) for row in await audit(db, hospital.id, "alert.escalate")
    ] == [
        (0, 1),
        (1, 2),
        (2, 3),
    ]
    escalated = [e for e in await events(db, hospital.id) if e["eventType"] == "alert.escalated"]
    assert [e["payload"]["escalationLevel"] for e in escalated] == [1, 2, 3]


@pytest.mark.parametrize(
    "lowered_to",
    [
        2,
        1,
    ],
    ids=["to-the-current-level", "below-the-current-level"],
)
async def test_a_lowered_maximum_stops_the_escalation_where_the_alert_is(
    client: httpx.AsyncClient, db: Database, hospital: Hospital, lowered_to: int
) -> None:
    alert_id = await raise_alert(client, hospital, "critical")
    await escalate_by_time(db, hospital, [alert_id], 1)
    await escalate_by_time(db, hospital, [alert_id], 2)
    assert (await state(db, hospital.id, alert_id)).next_escalation_at is not None  # 2 < 3: it would go on
    await change_settings(client, hospital, {"maxEscalationLevel": lowered_to})

    await age(db, hospital.id, [alert_id], LONG_AGO)
    await run_due_once(db)
    # It loses its deadline and keeps its level: an escalation never lowers an alert, and writes nothing here.
    final = await state(db, hospital.id, alert_id)
    assert (final.status, final.level, final.next_escalation_at) == ("active", 2, None)
    assert await escalations(db, hospital.id) == [timeout_step(alert_id, 0), timeout_step(alert_id, 1)]
    assert len(await audit(db, hospital.id, "alert.escalate")) == 2
    assert [e["escalationLevel"] for e in await events(db, hospital.id)] == [0, 1, 2]
    assert (await get_alert(client, hospital, alert_id))["escalationLevel"] == 2


@pytest.mark.parametrize("action", ["acknowledge", "resolve", "cancel"])
async def test_an_acknowledged_or_closed_alert_never_escalates(
    client: httpx.AsyncClient, db: Database, hospital: Hospital, action: str
) -> None:
    alert_id = await raise_alert(client, hospital, "critical")
    await act(client, hospital.head_doctor, alert_id, action)
    status = (await state(db, hospital.id, alert_id)).status

    await age(db, hospital.id, [alert_id], LONG_AGO)
    await run_due_once(db)
    final = await state(db, hospital.id, alert_id)
    assert (final.status, final.level, final.next_escalation_at) == (status, 0, None)
    assert await escalations(db, hospital.id) == []
    assert await audit(db, hospital.id, "alert.escalate") == []
    assert "alert.escalated" not in [e["eventType"] for e in await events(db, hospital.id)]


async def test_an_alert_not_yet_due_is_left_alone(client: httpx.AsyncClient, db: Database, hospital: Hospital) -> None:
    alert_id = await raise_alert(client, hospital, "low")
    # Two minutes before its deadline.
    await age(db, hospital.id, [alert_id], timedelta(seconds=ACK_TIMEOUT["low"] - 120))
    before = await state(db, hospital.id, alert_id)
    assert before.next_escalation_at is not None

    await run_due_once(db)
    assert await state(db, hospital.id, alert_id) == before
    assert await escalations(db, hospital.id) == []
    assert await audit(db, hospital.id, "alert.escalate") == []
    assert [e["eventType"] for e in await events(db, hospital.id)] == ["alert.created"]


async def test_each_level_is_reached_exactly_once_with_several_loops_at_once(
    client: httpx.AsyncClient, db: Database, hospital: Hospital, database_url: str, settings: Settings
) -> None:
    alert_ids = await raise_alerts(client, hospital, 40, "critical")
    async with separate_pools(database_url, settings) as pools:
        for level in range(1, MAX_LEVEL + 1):
            await age(db, hospital.id, alert_ids, timedelta(seconds=ACK_TIMEOUT["critical"] + 1))
            acted = await all_at_once(escalate_one, pools)
            assert acted > 0  # the loops under test did (most of) the work, beside the app's own loop
            now = await states(db, hospital.id)
            # Every alert went up exactly one level: none skipped one, none was left behind.
            assert Counter(now[alert_id].level for alert_id in alert_ids) == {level: len(alert_ids)}
        # At the maximum, nothing is due any more, however far the clock moves.
        await age(db, hospital.id, alert_ids, LONG_AGO)
        await all_at_once(escalate_one, pools)

    now = await states(db, hospital.id)
    assert {(s.status, s.level, s.next_escalation_at) for s in now.values()} == {("active", MAX_LEVEL, None)}
    steps = await escalations(db, hospital.id)
    for alert_id in alert_ids:
        assert [row for row in steps if row["alertId"] == str(alert_id)] == [
            timeout_step(alert_id, level) for level in range(MAX_LEVEL)
        ]
    announced = Counter(
        (e["alertId"], e["escalationLevel"])
        for e in await events(db, hospital.id)
        if e["eventType"] == "alert.escalated"
    )
    assert announced == {(str(alert_id), level): 1 for alert_id in alert_ids for level in range(1, MAX_LEVEL + 1)}
    audited = Counter(
        (row.resource_id, row.metadata["fromLevel"], row.metadata["toLevel"])
        for row in await audit(db, hospital.id, "alert.escalate")
    )
    assert audited == {(str(alert_id), level, level + 1): 1 for alert_id in alert_ids for level in range(MAX_LEVEL)}


# --- expiry --------------------------------------------------------------------------------------------------

EXPIRES_IN = timedelta(minutes=10)
PAST_EXPIRY = timedelta(minutes=11)
"""Past a fresh alert's expiry, still well before a low alert's acknowledgement deadline (30 minutes)."""


@pytest.mark.parametrize("acknowledged", [False, True], ids=["active", "acknowledged"])
async def test_an_open_alert_past_its_expiry_is_resolved_by_no_one(
    client: httpx.AsyncClient, db: Database, hospital: Hospital, acknowledged: bool
) -> None:
    alert_id = await raise_alert(client, hospital, "low", expires_in=EXPIRES_IN)
    if acknowledged:
        await act(client, hospital.head_doctor, alert_id, "acknowledge")
    await age(db, hospital.id, [alert_id], PAST_EXPIRY)

    await drain(expire_one, db)
    final = await state(db, hospital.id, alert_id)
    assert (final.status, final.resolved_by, final.level, final.next_escalation_at) == ("resolved", None, 0, None)
    assert final.resolved_at is not None and final.expires_at is not None
    assert final.resolved_at >= final.expires_at
    assert final.acknowledged_by == (hospital.head_doctor.id if acknowledged else None)
    [row] = await audit(db, hospital.id, "alert.expire")
    assert_by_the_system(row, "alert.expire", alert_id)
    assert row.metadata.keys() == {"status", "expiresAt"}
    assert row.metadata["status"] == "resolved"
    assert datetime.fromisoformat(row.metadata["expiresAt"]) == final.expires_at
    resolved = [e for e in await events(db, hospital.id) if e["eventType"] == "alert.resolved"]
    assert len(resolved) == 1
    shown = await get_alert(client, hospital, alert_id)
    assert (shown["status"], shown["resolvedBy"]) == ("resolved", None)
    assert resolved[0]["payload"] == {key: value for key, value in shown.items() if key != "escalations"}
    assert await escalations(db, hospital.id) == []


@pytest.mark.parametrize("action", ["resolve", "cancel"])
async def test_a_closed_alert_past_its_expiry_is_left_alone(
    client: httpx.AsyncClient, db: Database, hospital: Hospital, action: str
) -> None:
    alert_id = await raise_alert(client, hospital, "low", expires_in=EXPIRES_IN)
    await act(client, hospital.head_doctor, alert_id, action)
    await age(db, hospital.id, [alert_id], PAST_EXPIRY)
    before = await state(db, hospital.id, alert_id)
    assert before.expires_at is not None and before.expires_at < datetime.now(UTC)

    await run_due_once(db)
    assert await state(db, hospital.id, alert_id) == before
    assert before.resolved_by == (hospital.head_doctor.id if action == "resolve" else None)
    assert await audit(db, hospital.id, "alert.expire") == []
    assert [e["eventType"] for e in await events(db, hospital.id)] == [
        "alert.created",
        "alert.resolved" if action == "resolve" else "alert.cancelled",
    ]


async def test_each_alert_expires_exactly_once_with_several_loops_at_once(
    client: httpx.AsyncClient, db: Database, hospital: Hospital, database_url: str, settings: Settings
) -> None:
    alert_ids = await raise_alerts(client, hospital, 40, "low", expires_in=EXPIRES_IN)
    for alert_id in alert_ids[::2]:
        await act(client, hospital.head_doctor, alert_id, "acknowledge")
    await age(db, hospital.id, alert_ids, PAST_EXPIRY)
    async with separate_pools(database_url, settings) as pools:
        assert await all_at_once(expire_one, pools) > 0  # beside the app's own loop

    now = await states(db, hospital.id)
    assert {(s.status, s.resolved_by) for s in now.values()} == {("resolved", None)}
    resolved = Counter(e["alertId"] for e in await events(db, hospital.id) if e["eventType"] == "alert.resolved")
    assert resolved == {str(alert_id): 1 for alert_id in alert_ids}
    audited = Counter(row.resource_id for row in await audit(db, hospital.id, "alert.expire"))
    assert audited == {str(alert_id): 1 for alert_id in alert_ids}


# --- the loop every serve process runs -------------------------------------------------------------------------


async def shown_once(
    client: httpx.AsyncClient,
    hospital: Hospital,
    alert_id: uuid.UUID,
    done: Callable[[dict[str, Any]], bool],
    within: float = 5.0,
) -> dict[str, Any]:
    """GET /alerts/{id} until ``done`` holds of it, or ``within`` seconds have passed; the last answer."""
    give_up = asyncio.get_running_loop().time() + within
    while True:
        alert = await get_alert(client, hospital, alert_id)
        if done(alert) or asyncio.get_running_loop().time() > give_up:
            return alert
        await asyncio.sleep(0.1)


async def test_the_apps_own_loop_escalates_and_expires_due_alerts_within_seconds(
    client: httpx.AsyncClient, db: Database, hospital: Hospital
) -> None:
    # Nothing in this test runs a loop step: only run_alert_loops, started by the app's lifespan, can.
    overdue = await raise_alert(client, hospital, "critical")
    expiring = await raise_alert(client, hospital, "low", expires_in=EXPIRES_IN)
    await age(db, hospital.id, [overdue], timedelta(seconds=ACK_TIMEOUT["critical"] + 1))
    await age(db, hospital.id, [expiring], PAST_EXPIRY)

    escalated = await shown_once(client, hospital, overdue, lambda alert: alert["escalationLevel"] == 1)
    assert (escalated["status"], escalated["escalationLevel"]) == ("active", 1)
    assert [(step["reason"], step["escalatedBy"]) for step in escalated["escalations"]] == [("timeout", None)]
    expired = await shown_once(client, hospital, expiring, lambda alert: alert["status"] == "resolved")
    assert (expired["status"], expired["resolvedBy"], expired["escalationLevel"]) == ("resolved", None, 0)
