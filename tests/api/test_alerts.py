"""/api/v1/alerts over HTTP: raising alerts, their life, who sees them, the lists (API.md, Alerts).

Covers POST /alerts (the alert object's exact keys, createdBy, every validation limit after trimming, expiresAt,
the department rule, unknown fields), every state change (acknowledge, resolve, cancel, escalate by hand) with its
409s, its audit row and its alert_events row (payload equal to the response, ids increasing), escalations on
GET /alerts/{id} and the acknowledgement deadline an escalation restarts, the visible set of every role on the
active list, the history, GET by id and the actions (404, never a change), another hospital's alerts (404
everywhere), the active list's order and limit, the history's filters and keyset pagination, 20 concurrent
acknowledges or resolves (exactly one wins), and the routes that take no body. Who may call which route at all
(403) is tests/api/test_roles.py; the stream (GET /alerts/stream) is not built yet.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from service.audit.schemas import CLI_ACTOR
from service.db.pool import Database
from service.hospital.tenants import create_department
from tests.api.conftest import MakeStaff, Staff
from tests.api.contract import NOT_VALID, RFC3339, assert_problem
from tests.probes import AuditRow, probes

ALERTS = "/api/v1/alerts"
ACTIVE = "/api/v1/alerts/active"

# API.md's alert object, exactly; GET /alerts/{id} adds escalations.
ALERT_KEYS = frozenset(
    {
        "id",
        "hospitalId",
        "department",
        "title",
        "description",
        "priority",
        "alertType",
        "roomNumber",
        "status",
        "escalationLevel",
        "createdBy",
        "acknowledgedBy",
        "acknowledgedAt",
        "resolvedBy",
        "resolvedAt",
        "cancelReason",
        "createdAt",
        "updatedAt",
        "expiresAt",
    }
)
ESCALATION_KEYS = frozenset({"fromLevel", "toLevel", "reason", "note", "escalatedBy", "escalatedAt"})
PRIORITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}
# The hospital's default ackTimeoutSeconds (API.md's settings table).
ACK_TIMEOUT = {"low": 1800, "medium": 600, "high": 180, "critical": 60}

# The service's messages (service/alerts/lifecycle.py, service/bodies.py).
NO_SUCH_ALERT = "no such alert"
ALERT_NOT_VALID = "the alert is not valid"
INACTIVE_DEPARTMENT = "is not an active department of this hospital"
NOT_ACTIVE = "only an active alert can be acknowledged"
CLOSED = "the alert is already resolved or cancelled"
CANNOT_ESCALATE = "the alert is closed or already at the hospital's highest escalation level"
OPERATORS_OWN_ONLY = "operators may cancel only the alerts they raised"
TAKES_NO_BODY = "this route takes no body: send none, or {}"
NOT_JSON = "the body is not valid JSON"
NOT_A_CURSOR = "is not a cursor this service gave"


# --- helpers -----------------------------------------------------------------------------------------------


def at(timestamp: str) -> datetime:
    """An RFC 3339 timestamp of a response, parsed (and checked to be one)."""
    assert RFC3339.match(timestamp), timestamp
    parsed = datetime.fromisoformat(timestamp)
    assert parsed.tzinfo is not None
    return parsed


async def raise_alert(
    client: httpx.AsyncClient, staff: Staff, department_id: uuid.UUID, **fields: Any
) -> dict[str, Any]:
    """POST /alerts with a valid body (``fields`` override it); the created alert."""
    body = {"title": "Patient fell", "priority": "high", "alertType": "medical", "departmentId": str(department_id)}
    response = await client.post(ALERTS, json={**body, **fields}, headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def act(
    client: httpx.AsyncClient, staff: Staff, alert_id: str, action: str, body: object = None
) -> httpx.Response:
    """POST /alerts/{id}/{action}, with no body unless ``body`` is given."""
    url = f"{ALERTS}/{alert_id}/{action}"
    if body is None:
        return await client.post(url, headers=staff.headers)
    return await client.post(url, json=body, headers=staff.headers)


async def acted(
    client: httpx.AsyncClient, staff: Staff, alert_id: str, action: str, body: object = None
) -> dict[str, Any]:
    response = await act(client, staff, alert_id, action, body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def get_alert(client: httpx.AsyncClient, staff: Staff, alert_id: str) -> dict[str, Any]:
    response = await client.get(f"{ALERTS}/{alert_id}", headers=staff.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def active_ids(client: httpx.AsyncClient, staff: Staff, **params: Any) -> list[str]:
    response = await client.get(ACTIVE, params=params, headers=staff.headers)
    assert response.status_code == 200, response.text
    return [alert["id"] for alert in response.json()]


async def history(client: httpx.AsyncClient, staff: Staff, **params: Any) -> dict[str, Any]:
    response = await client.get(ALERTS, params=params, headers=staff.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"alerts", "nextCursor"}
    return body


async def history_ids(client: httpx.AsyncClient, staff: Staff, **params: Any) -> list[str]:
    """Every page of GET /alerts, followed to the end: the ids in order."""
    ids: list[str] = []
    while True:
        page = await history(client, staff, **params)
        ids += [alert["id"] for alert in page["alerts"]]
        if page["nextCursor"] is None:
            return ids
        params = {**params, "cursor": page["nextCursor"]}


async def patch_settings(client: httpx.AsyncClient, admin: Staff, settings: dict[str, Any]) -> None:
    response = await client.patch("/api/v1/hospital", json={"settings": settings}, headers=admin.headers)
    assert response.status_code == 200, response.text


async def add_department(db: Database, hospital_id: uuid.UUID, name: str, code: str) -> uuid.UUID:
    new_id = uuid.uuid4()
    async with db.transaction() as conn:
        assert await create_department(conn, CLI_ACTOR, hospital_id, new_id, name, code) is not None
    return new_id


@dataclass(frozen=True)
class Event:
    """One row of alert_events."""

    id: int
    alert_id: str
    event_type: str
    department_id: str
    priority: str
    escalation_level: int
    payload: dict[str, Any]


async def alert_events(db: Database, hospital_id: uuid.UUID) -> list[Event]:
    async with db.transaction() as conn:
        rows = await probes().probe.alerts_events.many(conn, hospital_id)
    events = []
    for row in rows:
        raw = row.data
        events.append(
            Event(
                id=raw["id"],
                alert_id=raw["alertId"],
                event_type=raw["eventType"],
                department_id=raw["departmentId"],
                priority=raw["priority"],
                escalation_level=raw["escalationLevel"],
                payload=raw["payload"],
            )
        )
    return events


def assert_event(event: Event, event_type: str, alert: dict[str, Any]) -> None:
    """``event`` announces ``alert`` as the response showed it, with its routing columns copied from it."""
    assert event.event_type == event_type
    assert event.payload == alert
    assert event.alert_id == alert["id"]
    assert event.department_id == alert["department"]["id"]
    assert event.priority == alert["priority"]
    assert event.escalation_level == alert["escalationLevel"]


async def alert_audit(db: Database, hospital_id: uuid.UUID) -> list[AuditRow]:
    """The hospital's audit rows about alerts (alert.*), oldest first."""
    async with db.transaction() as conn:
        rows = await probes().probe.audit_rows.many(conn, hospital_id)
    return [row for row in rows if row.action.startswith("alert.")]


def assert_audited(row: AuditRow, action: str, actor: Staff, alert: dict[str, Any], metadata: dict[str, Any]) -> None:
    """A successful change of ``alert`` by ``actor`` in its session, with exactly ``metadata``."""
    assert row.action == action
    assert row.outcome == "success"
    assert row.user_id == actor.id
    assert row.session_id is not None
    assert row.ip_address == "127.0.0.1"
    assert row.resource == "alert"
    assert row.resource_id == alert["id"]
    assert row.metadata == metadata


async def internals(db: Database, hospital_id: uuid.UUID, alert_id: str) -> dict[str, Any]:
    """Columns the API does not show: nextEscalationAt (the acknowledgement deadline), cancelledBy, cancelledAt."""
    async with db.transaction() as conn:
        row = await probes().probe.alerts_internals.one(conn, hospital_id, uuid.UUID(alert_id))
    assert row is not None
    return row.data


async def deadline(db: Database, hospital_id: uuid.UUID, alert_id: str) -> datetime | None:
    value = (await internals(db, hospital_id, alert_id))["nextEscalationAt"]
    return None if value is None else datetime.fromisoformat(value)


@dataclass(frozen=True)
class Snapshot:
    """Everything a refused action must leave as it was."""

    alerts: list[dict[str, Any]]
    audit: list[AuditRow]
    events: list[Event]


async def snapshot(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, viewer: Staff, alert_ids: Iterable[str]
) -> Snapshot:
    return Snapshot(
        alerts=[await get_alert(client, viewer, alert_id) for alert_id in alert_ids],
        audit=await alert_audit(db, hospital_id),
        events=await alert_events(db, hospital_id),
    )


def newest_first(alerts: Iterable[dict[str, Any]]) -> list[str]:
    return [a["id"] for a in sorted(alerts, key=lambda a: (at(a["createdAt"]), a["id"]), reverse=True)]


def active_order(alerts: Iterable[dict[str, Any]]) -> list[str]:
    """The active list's order: critical first, then newest first."""
    by_age = sorted(alerts, key=lambda a: (at(a["createdAt"]), a["id"]), reverse=True)
    return [a["id"] for a in sorted(by_age, key=lambda a: PRIORITY_RANK[a["priority"]])]


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# --- fixtures ----------------------------------------------------------------------------------------------


@pytest.fixture
async def head(make_staff: MakeStaff) -> Staff:
    return await make_staff("head_doctor")


@pytest.fixture
async def second_department(db: Database, hospital_id: uuid.UUID) -> uuid.UUID:
    return await add_department(db, hospital_id, "Cardiology", "CARD")


# --- POST /alerts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["operator", "head_doctor", "admin"])
async def test_a_new_alert_is_the_contract_s_object_active_at_level_0_raised_by_the_caller(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    make_staff: MakeStaff,
    role: str,
) -> None:
    caller = await make_staff(role)
    response = await client.post(
        ALERTS,
        json={
            "title": "Cardiac arrest",
            "description": "Bed 4, no pulse",
            "priority": "critical",
            "alertType": "medical",
            "departmentId": str(department_id),
            "roomNumber": "12B",
        },
        headers=caller.headers,
    )
    assert response.status_code == 201, response.text
    alert = response.json()
    assert set(alert) == ALERT_KEYS
    created_at = at(alert["createdAt"])
    assert alert["updatedAt"] == alert["createdAt"]
    assert created_at.utcoffset() == timedelta(0)
    uuid.UUID(alert["id"])
    assert alert == {
        "id": alert["id"],
        "hospitalId": str(hospital_id),
        "department": {"id": str(department_id), "name": "Emergency", "code": "ER"},
        "title": "Cardiac arrest",
        "description": "Bed 4, no pulse",
        "priority": "critical",
        "alertType": "medical",
        "roomNumber": "12B",
        "status": "active",
        "escalationLevel": 0,
        "createdBy": str(caller.id),
        "acknowledgedBy": None,
        "acknowledgedAt": None,
        "resolvedBy": None,
        "resolvedAt": None,
        "cancelReason": None,
        "createdAt": alert["createdAt"],
        "updatedAt": alert["createdAt"],
        "expiresAt": None,
    }
    # GET shows the same alert, with no escalations yet.
    assert await get_alert(client, caller, alert["id"]) == {**alert, "escalations": []}

    [row] = await alert_audit(db, hospital_id)
    assert_audited(
        row,
        "alert.create",
        caller,
        alert,
        {"status": "active", "escalationLevel": 0, "priority": "critical", "departmentId": str(department_id)},
    )
    [event] = await alert_events(db, hospital_id)
    assert_event(event, "alert.created", alert)
    # The first acknowledgement deadline: creation plus the priority's ackTimeoutSeconds.
    assert await deadline(db, hospital_id, alert["id"]) == created_at + timedelta(seconds=ACK_TIMEOUT["critical"])


async def test_text_is_trimmed_before_its_limits_and_optional_text_left_empty_is_null(
    client: httpx.AsyncClient, admin: Staff, department_id: uuid.UUID
) -> None:
    alert = await raise_alert(
        client,
        admin,
        department_id,
        title="  " + "t" * 200 + "\t\n",
        description=" " + "d" * 2000 + " ",
        roomNumber=" " + "r" * 20 + " ",
    )
    assert (alert["title"], alert["description"], alert["roomNumber"]) == ("t" * 200, "d" * 2000, "r" * 20)

    alert = await raise_alert(client, admin, department_id, title=" a  b ", description="   ", roomNumber="")
    assert (alert["title"], alert["description"], alert["roomNumber"]) == ("a  b", None, None)

    alert = await raise_alert(client, admin, department_id, title="x", description=None, roomNumber=None)
    assert (alert["title"], alert["description"], alert["roomNumber"]) == ("x", None, None)


async def test_every_priority_and_alert_type_is_accepted(
    client: httpx.AsyncClient, admin: Staff, department_id: uuid.UUID
) -> None:
    for priority in ("low", "medium", "high", "critical"):
        for alert_type in ("medical", "security", "fire", "other"):
            alert = await raise_alert(client, admin, department_id, priority=priority, alertType=alert_type)
            assert (alert["priority"], alert["alertType"]) == (priority, alert_type)


async def test_expires_at_in_the_future_with_any_offset_is_kept_as_that_instant(
    client: httpx.AsyncClient, admin: Staff, department_id: uuid.UUID
) -> None:
    expires = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=123456)
    utc = expires.replace(tzinfo=None)
    for sent in (
        utc.isoformat() + "Z",
        (utc + timedelta(hours=2)).isoformat() + "+02:00",
        (utc - timedelta(hours=5, minutes=30)).isoformat() + "-05:30",
    ):
        alert = await raise_alert(client, admin, department_id, expiresAt=sent)
        assert at(alert["expiresAt"]) == expires
        assert alert["expiresAt"].endswith("Z")


ABSENT: Any = ...  # in CREATE_INVALID: the field is left out of the body


CREATE_INVALID: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("title empty", {"title": ""}, [("title", "must not be empty")]),
    ("title blank", {"title": " \t\n "}, [("title", "must not be empty")]),
    ("title 201", {"title": "t" * 201}, [("title", "must be at most 200 characters")]),
    ("title 201 inside spaces", {"title": " " + "t" * 201 + " "}, [("title", "must be at most 200 characters")]),
    ("title control character", {"title": "a\x00b"}, [("title", "must not contain control characters")]),
    ("title not text", {"title": 5}, [("title", "Expected str, got int")]),
    ("title null", {"title": None}, [("title", "Expected str, got null")]),
    ("description 2001", {"description": "d" * 2001}, [("description", "must be at most 2000 characters")]),
    ("roomNumber 21", {"roomNumber": "r" * 21}, [("roomNumber", "must be at most 20 characters")]),
    ("priority unknown", {"priority": "urgent"}, [("priority", "Invalid enum value 'urgent'")]),
    ("priority upper case", {"priority": "HIGH"}, [("priority", "Invalid enum value 'HIGH'")]),
    ("alertType unknown", {"alertType": "flood"}, [("alertType", "Invalid enum value 'flood'")]),
    ("expiresAt past", {"expiresAt": "2020-01-01T00:00:00Z"}, [("expiresAt", "must be in the future")]),
    ("expiresAt past offset", {"expiresAt": "2021-06-01T12:00:00+02:00"}, [("expiresAt", "must be in the future")]),
    (
        "expiresAt no offset",
        {"expiresAt": "2099-01-01T00:00:00"},
        [("expiresAt", "Expected datetime with a timezone component")],
    ),
    ("expiresAt not a time", {"expiresAt": "tomorrow"}, [("expiresAt", "Invalid RFC3339 encoded datetime")]),
    ("departmentId not a uuid", {"departmentId": "ER"}, [("departmentId", "is not a UUID")]),
    ("title missing", {"title": ABSENT}, [("title", "is required")]),
    ("priority missing", {"priority": ABSENT}, [("priority", "is required")]),
    ("alertType missing", {"alertType": ABSENT}, [("alertType", "is required")]),
    ("departmentId missing", {"departmentId": ABSENT}, [("departmentId", "is required")]),
]


@pytest.mark.parametrize(
    ("change", "errors"), [case[1:] for case in CREATE_INVALID], ids=[c[0] for c in CREATE_INVALID]
)
async def test_an_invalid_alert_is_400_naming_the_field_and_nothing_is_raised(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    admin: Staff,
    department_id: uuid.UUID,
    change: dict[str, Any],
    errors: list[tuple[str, str]],
) -> None:
    body: dict[str, Any] = {
        "title": "Patient fell",
        "priority": "high",
        "alertType": "medical",
        "departmentId": str(department_id),
    }
    for field, value in change.items():
        if value is ABSENT:
            del body[field]
        else:
            body[field] = value
    response = await client.post(ALERTS, json=body, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, errors)
    assert (await history(client, admin))["alerts"] == []
    assert await alert_audit(db, hospital_id) == []


async def test_expires_at_is_checked_before_the_department(
    client: httpx.AsyncClient, admin: Staff, department_id: uuid.UUID
) -> None:
    response = await client.post(
        ALERTS,
        json={
            "title": "x",
            "priority": "low",
            "alertType": "other",
            "departmentId": str(uuid.uuid4()),
            "expiresAt": "2020-01-01T00:00:00Z",
        },
        headers=admin.headers,
    )
    assert_problem(response, 400, NOT_VALID, [("expiresAt", "must be in the future")])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "resolved"),
        ("escalationLevel", 2),
        ("hospitalId", "00000000-0000-0000-0000-000000000001"),
        ("createdBy", "00000000-0000-0000-0000-000000000001"),
        ("id", "00000000-0000-0000-0000-000000000001"),
        ("acknowledgedBy", None),
        ("cancelReason", "x"),
        ("createdAt", "2026-01-01T00:00:00Z"),
        ("department", {"id": "00000000-0000-0000-0000-000000000001"}),
        ("department_id", "00000000-0000-0000-0000-000000000001"),
    ],
)
async def test_an_unknown_field_is_400_is_not_a_known_field(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    admin: Staff,
    department_id: uuid.UUID,
    field: str,
    value: object,
) -> None:
    body = {"title": "x", "priority": "low", "alertType": "other", "departmentId": str(department_id), field: value}
    response = await client.post(ALERTS, json=body, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [(field, "is not a known field")])
    assert await alert_audit(db, hospital_id) == []


@pytest.mark.parametrize("which", ["unknown", "inactive", "another hospital's"])
async def test_a_department_that_is_not_an_active_one_of_the_hospital_is_400_naming_department_id(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    other_hospital: uuid.UUID,
    admin: Staff,
    department_id: uuid.UUID,
    which: str,
) -> None:
    if which == "unknown":
        target = uuid.uuid4()
    elif which == "inactive":
        target = await add_department(db, hospital_id, "Closed ward", "CLOSED")
        response = await client.patch(
            f"/api/v1/hospital/departments/{target}", json={"isActive": False}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
    else:
        target = await add_department(db, other_hospital, "Emergency", "ER")
    response = await client.post(
        ALERTS,
        json={"title": "x", "priority": "low", "alertType": "other", "departmentId": str(target)},
        headers=admin.headers,
    )
    assert_problem(response, 400, ALERT_NOT_VALID, [("departmentId", INACTIVE_DEPARTMENT)])
    assert await alert_audit(db, hospital_id) == []
    assert await alert_events(db, hospital_id) == []
    assert await alert_events(db, other_hospital) == []


# --- the life of an alert ----------------------------------------------------------------------------------


async def test_escalate_acknowledge_escalate_resolve_each_audited_and_announced_in_order(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    admin: Staff,
    head: Staff,
) -> None:
    created = await raise_alert(client, admin, department_id, priority="high")
    timeout = timedelta(seconds=ACK_TIMEOUT["high"])

    escalated = await acted(client, head, created["id"], "escalate", {"note": "  no answer from the ward  "})
    assert escalated == {**created, "escalationLevel": 1, "updatedAt": escalated["updatedAt"]}
    assert at(escalated["updatedAt"]) > at(created["updatedAt"])
    # An active alert's acknowledgement deadline starts again from the escalation.
    assert await deadline(db, hospital_id, created["id"]) == at(escalated["updatedAt"]) + timeout

    acknowledged = await acted(client, head, created["id"], "acknowledge")
    assert acknowledged == {
        **escalated,
        "status": "acknowledged",
        "acknowledgedBy": str(head.id),
        "acknowledgedAt": acknowledged["updatedAt"],
        "updatedAt": acknowledged["updatedAt"],
    }
    assert at(acknowledged["acknowledgedAt"]) > at(escalated["updatedAt"])
    assert await deadline(db, hospital_id, created["id"]) is None  # acknowledged: no more escalation by time

    # An acknowledged alert may still be escalated by hand; it gets no deadline.
    escalated_again = await acted(client, admin, created["id"], "escalate")
    assert escalated_again == {**acknowledged, "escalationLevel": 2, "updatedAt": escalated_again["updatedAt"]}
    assert await deadline(db, hospital_id, created["id"]) is None

    resolved = await acted(client, head, created["id"], "resolve", {})
    assert resolved == {
        **escalated_again,
        "status": "resolved",
        "resolvedBy": str(head.id),
        "resolvedAt": resolved["updatedAt"],
        "updatedAt": resolved["updatedAt"],
    }
    assert await deadline(db, hospital_id, created["id"]) is None

    shown = await get_alert(client, head, created["id"])
    assert shown == {
        **resolved,
        "escalations": [
            {
                "fromLevel": 0,
                "toLevel": 1,
                "reason": "manual",
                "note": "no answer from the ward",
                "escalatedBy": str(head.id),
                "escalatedAt": escalated["updatedAt"],
            },
            {
                "fromLevel": 1,
                "toLevel": 2,
                "reason": "manual",
                "note": None,
                "escalatedBy": str(admin.id),
                "escalatedAt": escalated_again["updatedAt"],
            },
        ],
    }
    assert all(set(step) == ESCALATION_KEYS for step in shown["escalations"])

    steps = [
        ("alert.create", "alert.created", admin, created, {"priority": "high", "departmentId": str(department_id)}),
        ("alert.escalate", "alert.escalated", head, escalated, {"reason": "manual"}),
        ("alert.acknowledge", "alert.acknowledged", head, acknowledged, {}),
        ("alert.escalate", "alert.escalated", admin, escalated_again, {"reason": "manual"}),
        ("alert.resolve", "alert.resolved", head, resolved, {}),
    ]
    audit = await alert_audit(db, hospital_id)
    events = await alert_events(db, hospital_id)
    assert len(audit) == len(events) == len(steps)
    for row, event, (action, event_type, actor, alert, extra) in zip(audit, events, steps, strict=True):
        metadata = {"status": alert["status"], "escalationLevel": alert["escalationLevel"], **extra}
        assert_audited(row, action, actor, alert, metadata)
        assert_event(event, event_type, alert)
    assert [event.id for event in events] == sorted({event.id for event in events})


@pytest.mark.parametrize("state", ["acknowledged", "resolved", "cancelled"])
async def test_acknowledge_only_from_active_else_409(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    admin: Staff,
    head: Staff,
    state: str,
) -> None:
    alert = await raise_alert(client, admin, department_id)
    await acted(client, head, alert["id"], {"acknowledged": "acknowledge", "resolved": "resolve"}.get(state, "cancel"))
    before = await snapshot(client, db, hospital_id, head, [alert["id"]])
    assert_problem(await act(client, head, alert["id"], "acknowledge"), 409, NOT_ACTIVE)
    assert await snapshot(client, db, hospital_id, head, [alert["id"]]) == before


@pytest.mark.parametrize("state", ["active", "acknowledged"])
async def test_resolve_from_active_or_acknowledged(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    admin: Staff,
    head: Staff,
    make_staff: MakeStaff,
    state: str,
) -> None:
    alert = await raise_alert(client, admin, department_id, priority="low")
    if state == "acknowledged":
        alert = await acted(client, head, alert["id"], "acknowledge")
    nurse = await make_staff("nurse", department_id=department_id)
    resolved = await acted(client, nurse, alert["id"], "resolve")
    assert resolved == {
        **alert,
        "status": "resolved",
        "resolvedBy": str(nurse.id),
        "resolvedAt": resolved["updatedAt"],
        "updatedAt": resolved["updatedAt"],
    }
    row = (await alert_audit(db, hospital_id))[-1]
    assert_audited(row, "alert.resolve", nurse, resolved, {"status": "resolved", "escalationLevel": 0})
    event = (await alert_events(db, hospital_id))[-1]
    assert_event(event, "alert.resolved", resolved)


CLOSED_ANSWERS: list[tuple[str, object, str]] = [
    ("resolve", None, CLOSED),
    ("acknowledge", None, NOT_ACTIVE),
    ("cancel", None, CLOSED),
    ("cancel", {"reason": "too late"}, CLOSED),
    ("escalate", None, CANNOT_ESCALATE),
    ("escalate", {"note": "still bad"}, CANNOT_ESCALATE),
]


@pytest.mark.parametrize("state", ["resolved", "cancelled"])
async def test_a_closed_alert_is_409_to_every_change_and_stays_as_it_was(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    admin: Staff,
    head: Staff,
    state: str,
) -> None:
    alert = await raise_alert(client, admin, department_id)
    await acted(client, head, alert["id"], "resolve" if state == "resolved" else "cancel")
    before = await snapshot(client, db, hospital_id, head, [alert["id"]])
    for action, body, detail in CLOSED_ANSWERS:
        assert_problem(await act(client, head, alert["id"], action, body), 409, detail)
    assert await snapshot(client, db, hospital_id, head, [alert["id"]]) == before


@pytest.mark.parametrize("state", ["active", "acknowledged"])
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (None, None),
        ({}, None),
        ({"reason": None}, None),
        ({"reason": "   "}, None),
        ({"reason": "  false alarm, patient is fine \n"}, "false alarm, patient is fine"),
        ({"reason": "r" * 500}, "r" * 500),
    ],
    ids=["no body", "empty object", "null reason", "blank reason", "trimmed reason", "500 characters"],
)
async def test_cancel_from_active_or_acknowledged_with_or_without_a_reason(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    admin: Staff,
    head: Staff,
    state: str,
    body: object,
    reason: str | None,
) -> None:
    alert = await raise_alert(client, admin, department_id)
    if state == "acknowledged":
        alert = await acted(client, head, alert["id"], "acknowledge")
    cancelled = await acted(client, admin, alert["id"], "cancel", body)
    assert cancelled == {**alert, "status": "cancelled", "cancelReason": reason, "updatedAt": cancelled["updatedAt"]}
    assert at(cancelled["updatedAt"]) > at(alert["updatedAt"])
    facts = await internals(db, hospital_id, alert["id"])
    assert (facts["nextEscalationAt"], facts["cancelledBy"]) == (None, str(admin.id))
    assert datetime.fromisoformat(facts["cancelledAt"]) == at(cancelled["updatedAt"])
    row = (await alert_audit(db, hospital_id))[-1]
    metadata: dict[str, Any] = {"status": "cancelled", "escalationLevel": 0}
    if reason:
        metadata["reason"] = reason
    assert_audited(row, "alert.cancel", admin, cancelled, metadata)
    event = (await alert_events(db, hospital_id))[-1]
    assert_event(event, "alert.cancelled", cancelled)


@pytest.mark.parametrize(
    ("body", "errors", "detail"),
    [
        ({"reason": "r" * 501}, [("reason", "must be at most 500 characters")], NOT_VALID),
        ({"reason": " " + "r" * 501 + " "}, [("reason", "must be at most 500 characters")], NOT_VALID),
        ({"reason": 5}, [("reason", "Expected str | null, got int")], NOT_VALID),
        ({"note": "x"}, [("note", "is not a known field")], NOT_VALID),
        ([], [("", "Expected object | null, got array")], NOT_VALID),
    ],
    ids=["501 characters", "501 inside spaces", "not text", "unknown field", "array"],
)
async def test_an_invalid_cancel_body_is_400_and_nothing_changes(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    admin: Staff,
    body: object,
    errors: list[tuple[str, str]],
    detail: str,
) -> None:
    alert = await raise_alert(client, admin, department_id)
    before = await snapshot(client, db, hospital_id, admin, [alert["id"]])
    assert_problem(await act(client, admin, alert["id"], "cancel", body), 400, detail, errors)
    assert await snapshot(client, db, hospital_id, admin, [alert["id"]]) == before


async def test_operators_cancel_their_own_alerts_and_get_403_for_others(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    make_staff: MakeStaff,
    head: Staff,
) -> None:
    operator = await make_staff("operator")
    own = await raise_alert(client, operator, department_id)
    others = await raise_alert(client, head, department_id)

    before = await snapshot(client, db, hospital_id, head, [others["id"]])
    assert_problem(await act(client, operator, others["id"], "cancel", {"reason": "mine now"}), 403, OPERATORS_OWN_ONLY)
    after = await snapshot(client, db, hospital_id, head, [others["id"]])
    assert (after.alerts, after.events) == (before.alerts, before.events)
    assert [row.action for row in after.audit] == [row.action for row in before.audit]

    cancelled = await acted(client, operator, own["id"], "cancel", {"reason": "raised by mistake"})
    assert (cancelled["status"], cancelled["cancelReason"]) == ("cancelled", "raised by mistake")
    assert_problem(await act(client, operator, own["id"], "cancel"), 409, CLOSED)


async def test_an_operator_s_refused_cancel_is_audited_as_access_denied(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    make_staff: MakeStaff,
    head: Staff,
) -> None:
    operator = await make_staff("operator")
    others = await raise_alert(client, head, department_id)
    assert_problem(await act(client, operator, others["id"], "cancel"), 403, OPERATORS_OWN_ONLY)
    async with db.transaction() as conn:
        rows = await probes().probe.audit_rows.many(conn, hospital_id)
    denied = [row for row in rows if row.action == "access.denied"]
    assert len(denied) == 1
    assert (denied[0].outcome, denied[0].user_id) == ("failure", operator.id)


# --- escalation by hand ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, {}, {"note": None}, {"note": "  "}], ids=["none", "{}", "null", "blank"])
async def test_escalating_with_no_note_records_a_null_note(
    client: httpx.AsyncClient, department_id: uuid.UUID, admin: Staff, body: object
) -> None:
    alert = await raise_alert(client, admin, department_id)
    escalated = await acted(client, admin, alert["id"], "escalate", body)
    assert escalated["escalationLevel"] == 1
    [step] = (await get_alert(client, admin, alert["id"]))["escalations"]
    assert step == {
        "fromLevel": 0,
        "toLevel": 1,
        "reason": "manual",
        "note": None,
        "escalatedBy": str(admin.id),
        "escalatedAt": escalated["updatedAt"],
    }


async def test_a_note_of_500_characters_is_kept_and_501_is_400(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, department_id: uuid.UUID, admin: Staff
) -> None:
    alert = await raise_alert(client, admin, department_id)
    before = await snapshot(client, db, hospital_id, admin, [alert["id"]])
    response = await act(client, admin, alert["id"], "escalate", {"note": "n" * 501})
    assert_problem(response, 400, NOT_VALID, [("note", "must be at most 500 characters")])
    response = await act(client, admin, alert["id"], "escalate", {"reason": "timeout"})
    assert_problem(response, 400, NOT_VALID, [("reason", "is not a known field")])
    assert await snapshot(client, db, hospital_id, admin, [alert["id"]]) == before

    await acted(client, admin, alert["id"], "escalate", {"note": "n" * 500})
    [step] = (await get_alert(client, admin, alert["id"]))["escalations"]
    assert step["note"] == "n" * 500


async def test_escalation_stops_at_the_hospital_s_max_escalation_level_with_409(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    admin: Staff,
) -> None:
    await patch_settings(client, admin, {"maxEscalationLevel": 1})
    alert = await raise_alert(client, admin, department_id, priority="medium")
    escalated = await acted(client, admin, alert["id"], "escalate", {"note": "first"})
    assert escalated["escalationLevel"] == 1
    assert await deadline(db, hospital_id, alert["id"]) is None  # at the maximum: nothing left to escalate by time

    before = await snapshot(client, db, hospital_id, admin, [alert["id"]])
    assert_problem(await act(client, admin, alert["id"], "escalate", {"note": "second"}), 409, CANNOT_ESCALATE)
    assert await snapshot(client, db, hospital_id, admin, [alert["id"]]) == before
    assert len(before.alerts[0]["escalations"]) == 1


async def test_each_escalation_restarts_the_deadline_until_the_last_level(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    admin: Staff,
) -> None:
    await patch_settings(client, admin, {"ackTimeoutSeconds": {"low": 7200}, "maxEscalationLevel": 3})
    alert = await raise_alert(client, admin, department_id, priority="low")
    assert await deadline(db, hospital_id, alert["id"]) == at(alert["createdAt"]) + timedelta(seconds=7200)
    levels = []
    for _ in range(2):
        escalated = await acted(client, admin, alert["id"], "escalate")
        levels.append(escalated["escalationLevel"])
        assert await deadline(db, hospital_id, alert["id"]) == at(escalated["updatedAt"]) + timedelta(seconds=7200)
    escalated = await acted(client, admin, alert["id"], "escalate")
    assert [*levels, escalated["escalationLevel"]] == [1, 2, 3]
    assert await deadline(db, hospital_id, alert["id"]) is None
    assert_problem(await act(client, admin, alert["id"], "escalate"), 409, CANNOT_ESCALATE)
    steps = (await get_alert(client, admin, alert["id"]))["escalations"]
    assert [(s["fromLevel"], s["toLevel"], s["reason"]) for s in steps] == [
        (0, 1, "manual"),
        (1, 2, "manual"),
        (2, 3, "manual"),
    ]


# --- routes that take no body ------------------------------------------------------------------------------


REFUSED_BODIES: list[tuple[bytes, str]] = [
    (b'{"note": "on my way"}', TAKES_NO_BODY),
    (b'{"status": "resolved"}', TAKES_NO_BODY),
    (b"[]", TAKES_NO_BODY),
    (b"null", TAKES_NO_BODY),
    (b'"ok"', TAKES_NO_BODY),
    (b"0", TAKES_NO_BODY),
    (b"{not json", NOT_JSON),
]


async def post_raw(
    client: httpx.AsyncClient, staff: Staff, alert_id: str, action: str, content: bytes
) -> httpx.Response:
    return await client.post(
        f"{ALERTS}/{alert_id}/{action}", content=content, headers={**staff.headers, "Content-Type": "application/json"}
    )


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
async def test_acknowledge_and_resolve_refuse_a_body_other_than_none_or_an_empty_object(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    admin: Staff,
    head: Staff,
    action: str,
) -> None:
    alert = await raise_alert(client, admin, department_id)
    before = await snapshot(client, db, hospital_id, head, [alert["id"]])
    for content, detail in REFUSED_BODIES:
        assert_problem(await post_raw(client, head, alert["id"], action, content), 400, detail)
    assert await snapshot(client, db, hospital_id, head, [alert["id"]]) == before


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
async def test_acknowledge_and_resolve_accept_no_body_or_an_empty_object(
    client: httpx.AsyncClient, department_id: uuid.UUID, admin: Staff, head: Staff, action: str
) -> None:
    for content in (b"", b"{}", b" { } ", b"\n"):
        alert = await raise_alert(client, admin, department_id)
        response = await post_raw(client, head, alert["id"], action, content)
        assert response.status_code == 200, (content, response.text)
        assert response.json()["status"] == {"acknowledge": "acknowledged", "resolve": "resolved"}[action]


# --- concurrency -------------------------------------------------------------------------------------------


async def test_twenty_concurrent_acknowledges_then_resolves_each_change_the_alert_exactly_once(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    admin: Staff,
    head: Staff,
    make_staff: MakeStaff,
) -> None:
    nurse = await make_staff("nurse", department_id=department_id)
    alert = await raise_alert(client, admin, department_id, priority="critical")
    callers = [head, nurse] * 10

    won: dict[str, dict[str, Any]] = {}
    for action, winner_status, detail in (("acknowledge", "acknowledged", NOT_ACTIVE), ("resolve", "resolved", CLOSED)):
        responses = await asyncio.gather(*(act(client, caller, alert["id"], action) for caller in callers))
        winners = [r for r in responses if r.status_code == 200]
        losers = [r for r in responses if r.status_code != 200]
        assert len(winners) == 1, [r.status_code for r in responses]
        won[action] = winners[0].json()
        assert won[action]["status"] == winner_status
        assert len(losers) == 19
        for response in losers:
            assert_problem(response, 409, detail)

    final = await get_alert(client, head, alert["id"])
    assert final["status"] == "resolved"
    actions = [row.action for row in await alert_audit(db, hospital_id)]
    assert actions == ["alert.create", "alert.acknowledge", "alert.resolve"]
    events = await alert_events(db, hospital_id)
    assert [event.event_type for event in events] == ["alert.created", "alert.acknowledged", "alert.resolved"]
    assert_event(events[1], "alert.acknowledged", won["acknowledge"])
    assert_event(events[2], "alert.resolved", won["resolve"])
    assert won["resolve"] == {k: v for k, v in final.items() if k != "escalations"}


# --- who sees what -----------------------------------------------------------------------------------------

# The ward's alerts: name -> (department, priority, what happens to it after it is raised).
WARD_ALERTS: dict[str, tuple[str, str, str | None]] = {
    "own": ("A", "low", None),
    "other": ("B", "medium", None),
    "other_critical": ("B", "critical", None),
    "other_escalated": ("B", "high", "escalate"),
    "own_resolved": ("A", "low", "resolve"),
    "other_resolved": ("B", "low", "resolve"),
    "other_critical_resolved": ("B", "critical", "resolve"),
}
EVERY_WARD_ALERT = frozenset(WARD_ALERTS)
OPEN_WARD_ALERTS = frozenset(name for name, (_, _, then) in WARD_ALERTS.items() if then != "resolve")

# API.md's visible set: (role, department of the viewer, the ward alerts it sees).
VISIBILITY: list[tuple[str, str | None, frozenset[str]]] = [
    ("operator", None, EVERY_WARD_ALERT),
    ("head_doctor", None, EVERY_WARD_ALERT),
    ("admin", None, EVERY_WARD_ALERT),
    ("nurse", "A", frozenset({"own", "own_resolved", "other_escalated"})),
    (
        "nurse",
        "B",
        frozenset({"other", "other_critical", "other_escalated", "other_resolved", "other_critical_resolved"}),
    ),
    ("nurse", None, frozenset({"other_escalated"})),
    ("doctor", "A", frozenset({"own", "own_resolved", "other_escalated", "other_critical", "other_critical_resolved"})),
    ("doctor", None, frozenset({"other_escalated", "other_critical", "other_critical_resolved"})),
]
LIMITED = [case for case in VISIBILITY if case[0] in ("nurse", "doctor")]


def _viewer_id(case: tuple[str, str | None, frozenset[str]]) -> str:
    return f"{case[0]}-in-{case[1] or 'no-department'}"


@dataclass
class Ward:
    """Two departments (A, B) of the test's hospital and one alert of each kind in WARD_ALERTS."""

    departments: dict[str, uuid.UUID]
    admin: Staff
    head: Staff
    alerts: dict[str, dict[str, Any]]  # name -> the alert as GET /alerts/{id} shows it to the admin

    def ids(self, names: Iterable[str]) -> list[str]:
        return [self.alerts[name]["id"] for name in names]

    async def viewer(self, make_staff: MakeStaff, role: str, department: str | None) -> Staff:
        return await make_staff(role, department_id=self.departments[department] if department else None)


@pytest.fixture
async def ward(
    client: httpx.AsyncClient,
    department_id: uuid.UUID,
    second_department: uuid.UUID,
    admin: Staff,
    head: Staff,
) -> Ward:
    # No escalation by time while the test runs: visibility depends on the level.
    await patch_settings(client, admin, {"ackTimeoutSeconds": dict.fromkeys(ACK_TIMEOUT, 86400)})
    departments = {"A": department_id, "B": second_department}
    alerts: dict[str, dict[str, Any]] = {}
    for name, (department, priority, then) in WARD_ALERTS.items():
        alert = await raise_alert(client, admin, departments[department], title=name, priority=priority)
        if then == "escalate":
            await acted(client, admin, alert["id"], "escalate")
        elif then == "resolve":
            await acted(client, head, alert["id"], "resolve")
        alerts[name] = await get_alert(client, admin, alert["id"])
    return Ward(departments, admin, head, alerts)


@pytest.mark.parametrize(("role", "department", "visible"), VISIBILITY, ids=[_viewer_id(c) for c in VISIBILITY])
async def test_each_role_sees_exactly_its_visible_set_on_every_read(
    client: httpx.AsyncClient,
    make_staff: MakeStaff,
    ward: Ward,
    role: str,
    department: str | None,
    visible: frozenset[str],
) -> None:
    viewer = await ward.viewer(make_staff, role, department)
    shown = [ward.alerts[name] for name in visible]

    assert await active_ids(client, viewer) == active_order(a for a in shown if a["status"] != "resolved")
    assert await history_ids(client, viewer) == newest_first(shown)
    assert await history_ids(client, viewer, limit=1) == newest_first(shown)
    # A filter narrows the visible set; it never widens it.
    in_b = [a for a in shown if a["department"]["id"] == str(ward.departments["B"])]
    assert await history_ids(client, viewer, departmentId=str(ward.departments["B"])) == newest_first(in_b)
    critical = [a for a in shown if a["priority"] == "critical"]
    assert await history_ids(client, viewer, priority="critical") == newest_first(critical)

    for name, alert in ward.alerts.items():
        response = await client.get(f"{ALERTS}/{alert['id']}", headers=viewer.headers)
        if name in visible:
            assert response.status_code == 200, response.text
            assert response.json() == alert
        else:
            assert_problem(response, 404, NO_SUCH_ALERT)


@pytest.mark.parametrize(("role", "department", "visible"), LIMITED, ids=[_viewer_id(c) for c in LIMITED])
async def test_an_alert_outside_the_visible_set_is_404_to_every_action_and_never_changes(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    make_staff: MakeStaff,
    ward: Ward,
    role: str,
    department: str | None,
    visible: frozenset[str],
) -> None:
    viewer = await ward.viewer(make_staff, role, department)
    hidden = sorted(EVERY_WARD_ALERT - visible)
    before = await snapshot(client, db, hospital_id, ward.admin, ward.ids(WARD_ALERTS))
    for name in hidden:  # open or closed alike: a closed hidden alert is 404, not 409
        for action, body in (("acknowledge", None), ("resolve", None), ("escalate", None), ("escalate", {"note": "?"})):
            assert_problem(await act(client, viewer, ward.alerts[name]["id"], action, body), 404, NO_SUCH_ALERT)
    assert await snapshot(client, db, hospital_id, ward.admin, ward.ids(WARD_ALERTS)) == before


@pytest.mark.parametrize(("role", "department", "visible"), LIMITED, ids=[_viewer_id(c) for c in LIMITED])
async def test_an_alert_in_the_visible_set_can_be_acknowledged_escalated_and_resolved(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    make_staff: MakeStaff,
    ward: Ward,
    role: str,
    department: str | None,
    visible: frozenset[str],
) -> None:
    viewer = await ward.viewer(make_staff, role, department)
    for name in sorted(visible & OPEN_WARD_ALERTS):
        alert_id = ward.alerts[name]["id"]
        level = ward.alerts[name]["escalationLevel"]
        acknowledged = await acted(client, viewer, alert_id, "acknowledge")
        assert (acknowledged["status"], acknowledged["acknowledgedBy"]) == ("acknowledged", str(viewer.id))
        escalated = await acted(client, viewer, alert_id, "escalate", {"note": "need help"})
        assert escalated["escalationLevel"] == level + 1
        resolved = await acted(client, viewer, alert_id, "resolve")
        assert (resolved["status"], resolved["resolvedBy"]) == ("resolved", str(viewer.id))
        rows = (await alert_audit(db, hospital_id))[-3:]
        assert [(row.action, row.user_id, row.resource_id) for row in rows] == [
            (action, viewer.id, alert_id) for action in ("alert.acknowledge", "alert.escalate", "alert.resolve")
        ]
    for name in sorted(visible - OPEN_WARD_ALERTS):  # closed and visible: 409, not 404
        alert_id = ward.alerts[name]["id"]
        assert_problem(await act(client, viewer, alert_id, "acknowledge"), 409, NOT_ACTIVE)
        assert_problem(await act(client, viewer, alert_id, "resolve"), 409, CLOSED)
        assert_problem(await act(client, viewer, alert_id, "escalate"), 409, CANNOT_ESCALATE)


@pytest.mark.parametrize("whose", ["another hospital's", "unknown"])
async def test_another_hospital_s_or_an_unknown_alert_is_404_on_every_route(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    other_hospital: uuid.UUID,
    department_id: uuid.UUID,
    make_staff: MakeStaff,
    admin: Staff,
    head: Staff,
    whose: str,
) -> None:
    operator = await make_staff("operator")
    nurse = await make_staff("nurse", department_id=department_id)
    ours = await raise_alert(client, admin, department_id)
    if whose == "unknown":
        alert_id = str(uuid.uuid4())
    else:
        other_admin = await make_staff("admin", hospital=other_hospital)
        other_department = await add_department(db, other_hospital, "Emergency", "ER")
        other_alert = await raise_alert(client, other_admin, other_department, priority="critical")
        await acted(client, other_admin, other_alert["id"], "escalate")  # level 1: visible to every nurse there
        alert_id = other_alert["id"]
        other_before = await snapshot(client, db, other_hospital, other_admin, [alert_id])
    before = await snapshot(client, db, hospital_id, admin, [ours["id"]])

    for staff in (operator, nurse, head, admin):
        assert_problem(await client.get(f"{ALERTS}/{alert_id}", headers=staff.headers), 404, NO_SUCH_ALERT)
        assert await active_ids(client, staff) == [ours["id"]]
        assert await history_ids(client, staff) == [ours["id"]]
    for staff, action in [
        (nurse, "acknowledge"),
        (head, "acknowledge"),
        (nurse, "resolve"),
        (head, "resolve"),
        (operator, "cancel"),
        (head, "cancel"),
        (admin, "cancel"),
        (operator, "escalate"),
        (nurse, "escalate"),
        (head, "escalate"),
        (admin, "escalate"),
    ]:
        assert_problem(await act(client, staff, alert_id, action), 404, NO_SUCH_ALERT)

    assert await snapshot(client, db, hospital_id, admin, [ours["id"]]) == before
    if whose != "unknown":
        assert await snapshot(client, db, other_hospital, other_admin, [alert_id]) == other_before


async def test_a_malformed_alert_id_is_400(client: httpx.AsyncClient, admin: Staff) -> None:
    response = await client.get(f"{ALERTS}/not-an-id", headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [("alert_id", "is not a UUID")])


# --- GET /alerts/active ------------------------------------------------------------------------------------


async def test_the_active_list_has_open_alerts_critical_first_then_newest_first(
    client: httpx.AsyncClient, department_id: uuid.UUID, second_department: uuid.UUID, admin: Staff, head: Staff
) -> None:
    raised = []
    for index, priority in enumerate(["low", "critical", "medium", "high", "critical", "low", "high", "medium"]):
        department = department_id if index % 2 else second_department
        raised.append(await raise_alert(client, admin, department, title=f"#{index}", priority=priority))
    resolved = await raise_alert(client, admin, department_id, priority="critical")
    await acted(client, head, resolved["id"], "resolve")
    cancelled = await raise_alert(client, admin, department_id, priority="high")
    await acted(client, admin, cancelled["id"], "cancel")
    acknowledged = await acted(client, head, raised[2]["id"], "acknowledge")  # still open
    raised[2] = acknowledged

    expected = active_order(raised)
    response = await client.get(ACTIVE, headers=head.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [alert["id"] for alert in body] == expected
    assert [alert["priority"] for alert in body] == ["critical"] * 2 + ["high"] * 2 + ["medium"] * 2 + ["low"] * 2
    assert [alert["title"] for alert in body] == ["#4", "#1", "#6", "#3", "#7", "#2", "#5", "#0"]
    assert all(set(alert) == ALERT_KEYS for alert in body)
    assert body[expected.index(acknowledged["id"])] == acknowledged

    assert await active_ids(client, head, limit=3) == expected[:3]
    assert await active_ids(client, head, limit=1) == expected[:1]
    assert await active_ids(client, head, limit=200) == expected


@pytest.mark.parametrize("url", [ACTIVE, ALERTS])
@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("0", "Expected int >= 1"),
        ("-1", "Expected int >= 1"),
        ("201", "Expected int <= 200"),
        ("ten", "Expected int, got str"),
    ],
)
async def test_a_limit_outside_1_to_200_is_400_naming_limit(
    client: httpx.AsyncClient, admin: Staff, url: str, limit: str, message: str
) -> None:
    response = await client.get(url, params={"limit": limit}, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [("limit", message)])


# --- GET /alerts (history) ---------------------------------------------------------------------------------


async def test_the_history_has_every_status_newest_first_and_each_filter_narrows_it(
    client: httpx.AsyncClient,
    department_id: uuid.UUID,
    second_department: uuid.UUID,
    admin: Staff,
    head: Staff,
) -> None:
    plan = [  # (department, priority, then)
        (department_id, "low", None),
        (second_department, "critical", "acknowledge"),
        (department_id, "critical", "resolve"),
        (second_department, "medium", "cancel"),
        (department_id, "high", None),
        (second_department, "critical", "resolve"),
        (department_id, "low", "cancel"),
    ]
    alerts = []
    for department, priority, then in plan:
        alert = await raise_alert(client, admin, department, priority=priority)
        if then:
            alert = await acted(client, admin if then == "cancel" else head, alert["id"], then)
        alerts.append(alert)

    page = await history(client, head)
    assert page == {"alerts": [alerts[i] for i in range(6, -1, -1)], "nextCursor": None}

    def ids(predicate: Any) -> list[str]:
        return newest_first(a for a in alerts if predicate(a))

    for status in ("active", "acknowledged", "resolved", "cancelled"):
        assert await history_ids(client, head, status=status) == ids(lambda a, s=status: a["status"] == s)
    for priority in ("low", "medium", "high", "critical"):
        assert await history_ids(client, head, priority=priority) == ids(lambda a, p=priority: a["priority"] == p)
    assert await history_ids(client, head, departmentId=str(second_department)) == ids(
        lambda a: a["department"]["id"] == str(second_department)
    )
    assert await history_ids(client, head, departmentId=str(uuid.uuid4())) == []
    assert await history_ids(client, head, status="resolved", priority="critical", departmentId=str(department_id)) == [
        alerts[2]["id"]
    ]

    # from is inclusive, to exclusive, on createdAt.
    pivot = alerts[3]["createdAt"]
    assert await history_ids(client, head, **{"from": pivot}) == newest_first(alerts[3:])
    assert await history_ids(client, head, to=pivot) == newest_first(alerts[:3])
    assert await history_ids(client, head, **{"from": alerts[1]["createdAt"], "to": alerts[4]["createdAt"]}) == (
        newest_first(alerts[1:4])
    )
    assert await history_ids(client, head, **{"from": pivot, "to": pivot}) == []
    # The same instant written with another offset is the same bound.
    shifted = at(pivot).astimezone(UTC).replace(tzinfo=None) - timedelta(hours=5)
    assert await history_ids(client, head, **{"from": shifted.isoformat() + "-05:00"}) == newest_first(alerts[3:])


@pytest.mark.parametrize("limit", [1, 2, 3, 6, 7, 8, 200])
async def test_walking_the_history_page_by_page_gives_every_alert_exactly_once(
    client: httpx.AsyncClient, department_id: uuid.UUID, admin: Staff, limit: int
) -> None:
    alerts = [await raise_alert(client, admin, department_id, title=f"#{i}") for i in range(7)]
    expected = newest_first(alerts)
    pages: list[list[str]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        page = await history(client, admin, **params)
        pages.append([alert["id"] for alert in page["alerts"]])
        assert len(pages[-1]) == min(limit, 7 - limit * (len(pages) - 1))
        if page["nextCursor"] is None:
            break
        assert isinstance(page["nextCursor"], str) and page["nextCursor"]
        params["cursor"] = page["nextCursor"]
    assert [alert_id for page_ids in pages for alert_id in page_ids] == expected
    assert len(pages) == -(-7 // limit)


async def test_the_cursor_orders_alerts_raised_at_the_same_instant_by_id_and_keeps_the_filters(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    admin: Staff,
    head: Staff,
) -> None:
    alerts = [await raise_alert(client, admin, department_id, title=f"#{i}") for i in range(6)]
    for alert in alerts[::2]:
        await acted(client, head, alert["id"], "resolve")
    instant = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)
    async with db.transaction() as conn:
        changed = await probes().probe.alerts_set_created_at.rows(
            conn, hospital_id, [uuid.UUID(a["id"]) for a in alerts], instant
        )
    assert changed == 6
    by_id = sorted((a["id"] for a in alerts), reverse=True)
    assert await history_ids(client, head, limit=1) == by_id
    assert await history_ids(client, head, limit=4) == by_id
    resolved = {a["id"] for a in alerts[::2]}
    assert await history_ids(client, head, limit=1, status="resolved") == [i for i in by_id if i in resolved]
    assert await history_ids(client, head, limit=2, **{"from": "2026-03-01T08:30:15.123456Z"}) == by_id
    assert await history_ids(client, head, limit=2, to="2026-03-01T08:30:15.123456Z") == []
    assert await history_ids(client, head, limit=2, to="2026-03-01T08:30:15.123457Z") == by_id


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "bm90IGEgY3Vyc29y",  # "not a cursor"
        cursor_of("2026-01-01T00:00:00+00:00|not-a-uuid"),
        cursor_of(f"yesterday|{uuid.uuid4()}"),
        cursor_of(f"2026-01-01T00:00:00|{uuid.uuid4()}"),  # no offset
        cursor_of(f"2026-01-01T00:00:00+00:00|{uuid.uuid4()}|extra"),
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
        "a",
    ],
)
async def test_a_cursor_this_service_did_not_give_is_400_naming_cursor(
    client: httpx.AsyncClient, admin: Staff, cursor: str
) -> None:
    response = await client.get(ALERTS, params={"cursor": cursor}, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [("cursor", NOT_A_CURSOR)])


async def test_a_cursor_longer_than_200_characters_is_400(client: httpx.AsyncClient, admin: Staff) -> None:
    response = await client.get(ALERTS, params={"cursor": "a" * 201}, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [("cursor", "Expected str of length <= 200")])


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"status": "open"}, [("status", "Invalid enum value 'open'")]),
        ({"priority": "urgent"}, [("priority", "Invalid enum value 'urgent'")]),
        ({"departmentId": "ER"}, [("departmentId", "is not a UUID")]),
    ],
)
async def test_an_invalid_history_filter_is_400_naming_it(
    client: httpx.AsyncClient, admin: Staff, params: dict[str, str], errors: list[tuple[str, str]]
) -> None:
    response = await client.get(ALERTS, params=params, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, errors)


@pytest.mark.parametrize("name", ["from", "to"])
async def test_a_malformed_from_or_to_is_400_naming_that_parameter(
    client: httpx.AsyncClient, admin: Staff, name: str
) -> None:
    response = await client.get(ALERTS, params={name: "yesterday"}, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [(name, "Invalid RFC3339 encoded datetime")])


@pytest.mark.parametrize("name", ["from", "to"])
async def test_a_from_or_to_without_an_offset_is_400(client: httpx.AsyncClient, admin: Staff, name: str) -> None:
    # A time with no offset names no instant (whose midnight?): refused, as for expiresAt.
    response = await client.get(ALERTS, params={name: "2026-01-01T00:00:00"}, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [(name, "needs a UTC offset (RFC 3339)")])


async def test_raising_the_maximum_level_restarts_the_clock_of_alerts_stopped_at_the_old_one(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, department_id: uuid.UUID, admin: Staff
) -> None:
    await patch_settings(client, admin, {"maxEscalationLevel": 1, "ackTimeoutSeconds": {"high": 120}})
    alert = await raise_alert(client, admin, department_id)
    escalated = await acted(client, admin, alert["id"], "escalate")
    assert (await internals(db, hospital_id, alert["id"]))["nextEscalationAt"] is None  # stopped at the maximum
    await patch_settings(client, admin, {"maxEscalationLevel": 3})
    deadline = (await internals(db, hospital_id, alert["id"]))["nextEscalationAt"]
    # Counted from its last escalation, as if the maximum had always been 3.
    assert parse(deadline) == parse(escalated["updatedAt"]) + timedelta(seconds=120)


async def test_concurrent_escalations_keep_their_times_in_level_order(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, department_id: uuid.UUID, admin: Staff
) -> None:
    # Each waits for the previous one's row lock, so each commits later: its times must not be earlier.
    await patch_settings(client, admin, {"maxEscalationLevel": 10})
    alert = await raise_alert(client, admin, department_id)
    responses = await asyncio.gather(*(act(client, admin, alert["id"], "escalate") for _ in range(10)))
    assert sorted(r.status_code for r in responses) == [200] * 10
    steps = (await get_alert(client, admin, alert["id"]))["escalations"]
    assert [s["toLevel"] for s in steps] == list(range(1, 11))
    times = [parse(s["escalatedAt"]) for s in steps]
    assert times == sorted(times)
    events = [e for e in await alert_events(db, hospital_id) if e.alert_id == alert["id"]]
    updated = [parse(e.payload["updatedAt"]) for e in events]
    assert [e.payload["escalationLevel"] for e in events] == list(range(11))
    assert updated == sorted(updated)


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
