"""GET /alerts/stream in one process: who receives which event, resuming, keep-alive, and when a stream ends.

(Delivery across processes and a killed LISTEN connection are tests/e2e/test_stream.py.)
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import pytest
from litestar import Litestar

from service.alerts import stream
from service.alerts.lifecycle import Viewer
from service.audit.schemas import CLI_ACTOR
from service.db.pool import Database
from service.hospital.tenants import create_department
from tests.api.conftest import MakeStaff, Staff
from tests.api.contract import NO_TOKEN, assert_problem

STREAM = "/api/v1/alerts/stream"


@dataclass
class Reader:
    """An SSE client reading in the background: its events, its comments, and whether the server closed it."""

    events: list[dict[str, str]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    closed_by_server: asyncio.Event = field(default_factory=asyncio.Event)

    def of_type(self, prefix: str = "alert.") -> list[dict[str, str]]:
        return [e for e in self.events if e.get("event", "").startswith(prefix)]

    def alert_ids(self) -> list[str]:
        return [json.loads(e["data"])["id"] for e in self.of_type() if e["event"] != "alert.resync"]

    async def wait_for(self, count: int, seconds: float = 5.0) -> None:
        async with asyncio.timeout(seconds):
            while len(self.of_type()) < count:
                await asyncio.sleep(0.02)


@asynccontextmanager
async def reading(client: httpx.AsyncClient, staff: Staff, last_event_id: str | None = None) -> AsyncIterator[Reader]:
    reader = Reader()
    headers = dict(staff.headers)
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    connected = asyncio.Event()

    async def read() -> None:
        async with client.stream("GET", STREAM, headers=headers, timeout=None) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            event: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    reader.comments.append(line[1:].strip())
                    connected.set()
                elif line == "":
                    if event:
                        reader.events.append(event)
                    event = {}
                else:
                    key, _, value = line.partition(":")
                    event[key] = value.removeprefix(" ")
        reader.closed_by_server.set()

    task = asyncio.create_task(read())
    async with asyncio.timeout(5):
        await connected.wait()
    try:
        yield reader
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def raise_alert(
    client: httpx.AsyncClient, by: Staff, department_id: uuid.UUID, priority: str = "high", title: str = "Alert"
) -> str:
    body = {"title": title, "priority": priority, "alertType": "medical", "departmentId": str(department_id)}
    response = await client.post("/api/v1/alerts", json=body, headers=by.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
async def other_department(db: Database, hospital_id: uuid.UUID) -> uuid.UUID:
    new_id = uuid.uuid4()
    async with db.transaction() as conn:
        await create_department(conn, CLI_ACTOR, hospital_id, new_id, "Cardiology", "CARD")
    return new_id


async def test_each_subscriber_receives_exactly_the_events_it_may_see(
    client: httpx.AsyncClient,
    admin: Staff,
    make_staff: MakeStaff,
    department_id: uuid.UUID,
    other_department: uuid.UUID,
) -> None:
    nurse = await make_staff("nurse", department_id=department_id)
    doctor = await make_staff("doctor", department_id=department_id)
    elsewhere_nurse = await make_staff("nurse", department_id=other_department)
    async with (
        reading(client, admin) as sees_all,
        reading(client, nurse) as own_nurse,
        reading(client, doctor) as own_doctor,
        reading(client, elsewhere_nurse) as other_nurse,
    ):
        ours = await raise_alert(client, admin, department_id, title="Ours")
        theirs = await raise_alert(client, admin, other_department, title="Theirs")
        critical = await raise_alert(client, admin, other_department, priority="critical", title="Theirs, critical")
        escalated = await client.post(f"/api/v1/alerts/{theirs}/escalate", headers=admin.headers)
        assert escalated.status_code == 200
        await sees_all.wait_for(4)
        await own_doctor.wait_for(3)
        await own_nurse.wait_for(2)
        await other_nurse.wait_for(3)
        await asyncio.sleep(0.3)  # and nothing more
    assert sees_all.alert_ids() == [ours, theirs, critical, theirs]
    # A nurse sees her department's alerts, and another department's once escalated (not before).
    assert own_nurse.alert_ids() == [ours, theirs]
    assert [e["event"] for e in own_nurse.of_type()] == ["alert.created", "alert.escalated"]
    # A doctor sees critical alerts of any department too.
    assert own_doctor.alert_ids() == [ours, critical, theirs]
    assert other_nurse.alert_ids() == [theirs, critical, theirs]
    ids = [int(e["id"]) for e in sees_all.of_type()]
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert json.loads(sees_all.of_type()[0]["data"])["title"] == "Ours"


async def test_last_event_id_replays_what_was_missed_then_goes_live(
    client: httpx.AsyncClient, admin: Staff, department_id: uuid.UUID
) -> None:
    async with reading(client, admin) as first:
        seen = await raise_alert(client, admin, department_id, title="Seen")
        await first.wait_for(1)
    last_id = first.of_type()[0]["id"]
    missed = [await raise_alert(client, admin, department_id, title=f"Missed {n}") for n in range(3)]
    async with reading(client, admin, last_event_id=last_id) as resumed:
        await resumed.wait_for(3)
        live = await raise_alert(client, admin, department_id, title="Live")
        await resumed.wait_for(4)
    assert first.alert_ids() == [seen]
    assert resumed.alert_ids() == [*missed, live]
    assert [int(e["id"]) for e in resumed.of_type()] == list(range(int(last_id) + 1, int(last_id) + 5))


@pytest.mark.parametrize("last_event_id", ["999999999", "not-a-number", "0"])
async def test_an_unknown_last_event_id_gets_one_resync_event(
    client: httpx.AsyncClient, admin: Staff, department_id: uuid.UUID, last_event_id: str
) -> None:
    async with reading(client, admin, last_event_id=last_event_id) as reader:
        await reader.wait_for(1)
        live = await raise_alert(client, admin, department_id)
        await reader.wait_for(2)
    resync, created = reader.of_type()
    assert (resync["event"], resync["data"]) == ("alert.resync", "{}")
    assert created["event"] == "alert.created" and json.loads(created["data"])["id"] == live
    assert int(created["id"]) > int(resync["id"])


async def test_another_hospital_s_event_id_is_unknown(
    client: httpx.AsyncClient, admin: Staff, department_id: uuid.UUID, make_staff: MakeStaff, other_hospital: uuid.UUID
) -> None:
    async with reading(client, admin) as ours:
        await raise_alert(client, admin, department_id)
        await ours.wait_for(1)
    stranger = await make_staff("admin", hospital=other_hospital)
    async with reading(client, stranger, last_event_id=ours.of_type()[0]["id"]) as theirs:
        await theirs.wait_for(1)
    assert [e["event"] for e in theirs.of_type()] == ["alert.resync"]


async def test_an_idle_stream_gets_a_comment_line(
    client: httpx.AsyncClient, admin: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream, "KEEPALIVE_SECONDS", 0.2)
    async with reading(client, admin) as reader:
        async with asyncio.timeout(5):
            while "keep-alive" not in reader.comments:
                await asyncio.sleep(0.05)
    assert reader.comments[0] == "connected"
    assert reader.events == [{"retry": "1000"}]  # the connect comment's retry hint; no event


@pytest.mark.parametrize("ending", ["logout", "deactivation"])
async def test_a_stream_ends_when_its_session_does(
    client: httpx.AsyncClient,
    admin: Staff,
    make_staff: MakeStaff,
    monkeypatch: pytest.MonkeyPatch,
    ending: str,
) -> None:
    monkeypatch.setattr(stream, "KEEPALIVE_SECONDS", 0.1)
    monkeypatch.setattr(stream, "RECHECK_SECONDS", 0.2)
    nurse = await make_staff("nurse")
    async with reading(client, nurse) as reader:
        if ending == "logout":
            assert (await client.post("/api/v1/auth/logout", headers=nurse.headers)).status_code == 204
        else:
            response = await client.post(f"/api/v1/users/{nurse.id}/deactivate", headers=admin.headers)
            assert response.status_code == 200
        async with asyncio.timeout(5):
            await reader.closed_by_server.wait()


async def test_a_subscriber_whose_queue_is_full_is_marked_too_slow(
    app: Litestar, client: httpx.AsyncClient, admin: Staff, department_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A subscriber that never reads: its bounded queue takes two events, the third marks it too slow (and the
    # others keep receiving: nobody waits for it).
    monkeypatch.setattr(stream, "QUEUE_SIZE", 2)
    hub: stream.EventHub = app.state.event_hub
    stalled, _ = await hub.subscribe(Viewer(admin.hospital_id, "hospital", "admin", None))
    try:
        async with reading(client, admin) as lively:
            raised = [await raise_alert(client, admin, department_id, title=f"Burst {n}") for n in range(3)]
            await lively.wait_for(3)
        assert stalled.overflowed
        assert [json.loads(stalled.queue.get_nowait().data)["id"] for _ in range(2)] == raised[:2]
        assert lively.alert_ids() == raised
    finally:
        hub.unsubscribe(stalled)


async def test_a_subscriber_marked_too_slow_is_disconnected_and_resumes_without_loss(
    app: Litestar, client: httpx.AsyncClient, admin: Staff, department_id: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (A full queue wakes its reader at once; this one is empty, so the next keep-alive wakes it.)
    monkeypatch.setattr(stream, "KEEPALIVE_SECONDS", 0.2)
    hub: stream.EventHub = app.state.event_hub
    async with reading(client, admin) as reader:
        first = await raise_alert(client, admin, department_id, title="Before")
        await reader.wait_for(1)
        [subscriber] = hub.subscribers_of(admin.hospital_id)
        subscriber.overflowed = True  # as the hub marks a subscriber whose queue is full
        missed = [await raise_alert(client, admin, department_id, title=f"Missed {n}") for n in range(2)]
        async with asyncio.timeout(5):
            await reader.closed_by_server.wait()
    assert reader.alert_ids() == [first]
    async with reading(client, admin, last_event_id=reader.of_type()[-1]["id"]) as resumed:
        await resumed.wait_for(2)
    assert resumed.alert_ids() == missed


async def test_the_stream_needs_a_token_and_is_open_to_every_role(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    assert_problem(await client.get(STREAM), 401, NO_TOKEN)
    for role in ("operator", "nurse", "doctor", "head_doctor", "admin"):
        staff = await make_staff(role)
        async with reading(client, staff) as reader:
            assert reader.comments[0] == "connected"


async def test_a_department_change_sends_a_resync_and_ends_the_stream(
    client: httpx.AsyncClient,
    admin: Staff,
    make_staff: MakeStaff,
    department_id: uuid.UUID,
    other_department: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What the stream sent was for the old department: the client refetches, then reconnects as it is now.
    monkeypatch.setattr(stream, "KEEPALIVE_SECONDS", 0.1)
    monkeypatch.setattr(stream, "RECHECK_SECONDS", 0.2)
    nurse = await make_staff("nurse", department_id=department_id)
    async with reading(client, nurse) as reader:
        moved = await client.patch(
            f"/api/v1/users/{nurse.id}", json={"departmentId": str(other_department)}, headers=admin.headers
        )
        assert moved.status_code == 200
        async with asyncio.timeout(5):
            await reader.closed_by_server.wait()
    assert [e["event"] for e in reader.of_type()] == ["alert.resync"]
    async with reading(client, nurse) as again:
        theirs = await raise_alert(client, admin, other_department)
        await again.wait_for(1)
    assert again.alert_ids() == [theirs]  # the new department's alerts, on the same session
