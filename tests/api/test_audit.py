"""/api/v1/audit over HTTP: the audit logs, their exports and the compliance report (API.md, Audit).

GET /audit/logs: the audit row's exact fields as stored; every filter (from inclusive, to exclusive, to the
microsecond and with any offset; userId, action, resource, resourceId, outcome) and their combinations, each
checked against the hospital's rows read straight from the table; newest first by (timestamp, id), rows of one
transaction (same timestamp) included; every page walked with limits 1, 2 and 7 gives each row exactly once and
the same list as one big page; the limit (1..500, default 100), the cursor, the filters' and times' 400s; the
audit.view row every read writes, and none for a refused one.

Exports: the 201 body (expiresAt an hour after createdAt, downloadUrl), GET of it (the same object), its
audit.export row with its filters, the download of CSV and NDJSON (content types, the CSV header, CSV parsed back
and NDJSON line by line, rows equal field by field to what GET /audit/logs lists for the same range and filters,
oldest first; an export matching nothing; awkward values: commas, quotes, new lines, control characters, IPv6),
its audit.download row, expiry (status "expired", then 404), 404 for unknown and other hospitals' exports, and
the 400s of a bad request.

The compliance report against a hand-built period: failed logins, lockouts, role changes, exports, users without
2FA and inactive ones, times to acknowledge per priority (median and p90 computed here as PostgreSQL's
percentile_cont does), escalations by reason with the period's bounds, `actions` recomputed from GET /audit/logs;
the integrity block after sealing, and after a sealed row is changed, deleted or slipped in behind the service's
back (confined to the test's hospital: another hospital's report stays verified).

Non-admins get 403 on every route (the whole matrix, with its audit rows, is tests/api/test_roles.py); another
hospital's admin sees none of this hospital's rows or exports.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import statistics
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pyotp
import pytest

from service.audit.schemas import AuditLogRow
from service.db.pool import Database
from tests.api.conftest import MakeStaff, Staff, login
from tests.api.contract import LOGIN_FAILED, NOT_VALID, RFC3339, ROLE_FORBIDDEN, assert_problem
from tests.probes import probes, seal_through

AUDIT = "/api/v1/audit"
LOGS = f"{AUDIT}/logs"
EXPORTS = f"{AUDIT}/exports"
REPORT = f"{AUDIT}/compliance-report"

# API.md's audit row, exactly, in its order (the CSV header's order too).
AUDIT_FIELDS = (
    "id",
    "userId",
    "hospitalId",
    "action",
    "resource",
    "resourceId",
    "outcome",
    "ipAddress",
    "userAgent",
    "sessionId",
    "metadata",
    "timestamp",
    "retentionUntil",
)
EXPORT_KEYS = frozenset({"id", "status", "format", "createdAt", "expiresAt", "downloadUrl"})
REPORT_KEYS = frozenset(
    {
        "from",
        "to",
        "actions",
        "failedLogins",
        "lockouts",
        "usersWithout2fa",
        "inactiveUsers",
        "roleChanges",
        "exports",
        "ackTimeSeconds",
        "escalations",
        "integrity",
    }
)
PRIORITIES = ("low", "medium", "high", "critical")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
RETENTION = timedelta(days=2192)

# The service's messages.
NO_SUCH_EXPORT = "no such export, or it has expired"
NOT_A_CURSOR = "is not a cursor this service gave"
LATER_THAN_FROM = "must be later than from"
NEEDS_OFFSET = "needs a UTC offset (RFC 3339)"
NOT_RFC3339 = "Invalid RFC3339 encoded datetime"
REQUIRED = "is required"
UNKNOWN_FIELD = "is not a known field"
# msgspec writes the pattern as Python's repr does: its backslash doubled.
ACTION_PATTERN = "Expected str matching regex '^[a-z][a-z0-9_]*(\\\\.[a-z0-9_]+)+$'"
RESOURCE_PATTERN = "Expected str matching regex '^[a-z][a-z0-9_]*$'"


# --- helpers -----------------------------------------------------------------------------------------------


def parse(value: Any) -> datetime:
    """An RFC 3339 timestamp of a response, parsed (and checked to be one, with an offset)."""
    assert isinstance(value, str) and RFC3339.match(value), value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None
    return parsed


def rfc3339(at: datetime) -> str:
    """``at`` as a client writes it: UTC, microseconds, Z."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def stored(row: AuditLogRow) -> dict[str, Any]:
    """A row read from the table, as the API must show it (times as datetimes, see ``shown``)."""

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "id": str(row.id),
        "userId": text(row.user_id),
        "hospitalId": text(row.hospital_id),
        "action": row.action,
        "resource": row.resource,
        "resourceId": row.resource_id,
        "outcome": row.outcome,
        "ipAddress": text(row.ip_address),
        "userAgent": row.user_agent,
        "sessionId": text(row.session_id),
        "metadata": row.metadata,
        "timestamp": row.timestamp,
        "retentionUntil": row.retention_until,
    }


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """An audit row of a response (or an export), exactly API.md's fields, with its times parsed."""
    assert set(row) == set(AUDIT_FIELDS), sorted(row)
    return {**row, "timestamp": parse(row["timestamp"]), "retentionUntil": parse(row["retentionUntil"])}


def ids(rows: Sequence[AuditLogRow | dict[str, Any]]) -> list[str]:
    return [str(row.id) if isinstance(row, AuditLogRow) else row["id"] for row in rows]


def newest_first(rows: Sequence[AuditLogRow]) -> list[AuditLogRow]:
    """API.md's order, computed here: (timestamp, id) descending, ids compared as PostgreSQL compares uuids."""
    return sorted(rows, key=lambda row: (row.timestamp, row.id), reverse=True)


def matching(rows: Sequence[AuditLogRow], params: dict[str, str]) -> list[AuditLogRow]:
    """The rows GET /audit/logs must list for ``params`` (its filters as the query string spells them)."""
    checks = {
        "from": lambda row, value: row.timestamp >= parse(value),
        "to": lambda row, value: row.timestamp < parse(value),
        "userId": lambda row, value: str(row.user_id) == value,
        "action": lambda row, value: row.action == value,
        "resource": lambda row, value: row.resource == value,
        "resourceId": lambda row, value: row.resource_id == value,
        "outcome": lambda row, value: row.outcome == value,
    }
    return newest_first([row for row in rows if all(checks[key](row, value) for key, value in params.items())])


async def table_rows(db: Database, hospital_id: uuid.UUID) -> list[AuditLogRow]:
    """The hospital's audit rows read straight from the table (the oracle), newest first."""
    async with db.transaction() as conn:
        rows = await probes().probe.audit_log_rows.many(conn, hospital_id)
    assert rows == newest_first(rows)
    return rows


async def insert_row(
    db: Database,
    hospital_id: uuid.UUID,
    at: datetime,
    action: str,
    *,
    user_id: uuid.UUID | None = None,
    resource: str | None = None,
    resource_id: str | None = None,
    outcome: str = "success",
    ip_address: str | None = None,
    user_agent: str | None = None,
    session_id: uuid.UUID | None = None,
    metadata: dict[str, Any] | None = None,
) -> str:
    """An audit row of the hospital at ``at``, written straight into the table; its id."""
    async with db.transaction() as conn:
        row = await probes().probe.audit_insert_row.one(
            conn, hospital_id, user_id, action, resource, resource_id, outcome, ip_address, user_agent, session_id,
            metadata or {}, at,
        )  # fmt: skip
    assert row is not None
    return str(row.id)


async def logs_page(client: httpx.AsyncClient, staff: Staff, **params: Any) -> dict[str, Any]:
    response = await client.get(LOGS, params=params, headers=staff.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert set(body) == {"logs", "nextCursor"}
    for row in body["logs"]:
        shown(row)
    return body


async def walk(client: httpx.AsyncClient, staff: Staff, limit: int = 3, **params: Any) -> list[dict[str, Any]]:
    """Every page of GET /audit/logs, followed to the end: every page but the last is full, the last has the rest
    and nextCursor null; the rows in order."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = await logs_page(client, staff, limit=limit, **params, **({"cursor": cursor} if cursor else {}))
        rows.extend(page["logs"])
        cursor = page["nextCursor"]
        if cursor is None:
            assert len(page["logs"]) <= limit
            assert page["logs"] or not rows, "an empty last page after a full one"
            return rows
        assert isinstance(cursor, str) and cursor
        assert len(page["logs"]) == limit


async def export(client: httpx.AsyncClient, staff: Staff, **body: Any) -> dict[str, Any]:
    response = await client.post(EXPORTS, json=body, headers=staff.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def download(client: httpx.AsyncClient, staff: Staff, created: dict[str, Any]) -> httpx.Response:
    response = await client.get(created["downloadUrl"], headers=staff.headers)
    assert response.status_code == 200, response.text
    return response


def csv_rows(response: httpx.Response) -> list[dict[str, Any]]:
    """A CSV download parsed back: the header line, then one audit row per record (empty is null, metadata is
    JSON text)."""
    assert response.headers["content-type"] == MEDIA_TYPES["csv"]
    records = list(csv.reader(io.StringIO(response.content.decode("utf-8"), newline="")))
    assert records and records[0] == list(AUDIT_FIELDS)
    rows = []
    for record in records[1:]:
        row: dict[str, Any] = {name: value or None for name, value in zip(AUDIT_FIELDS, record, strict=True)}
        assert row["metadata"] is not None
        row["metadata"] = json.loads(row["metadata"])
        rows.append(row)
    return rows


def ndjson_rows(response: httpx.Response) -> list[dict[str, Any]]:
    """An NDJSON download parsed back: one JSON audit row per line, each line ended by a new line."""
    assert response.headers["content-type"] == MEDIA_TYPES["ndjson"]
    text = response.content.decode("utf-8")
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def parsed_download(response: httpx.Response, fmt: str) -> list[dict[str, Any]]:
    return csv_rows(response) if fmt == "csv" else ndjson_rows(response)


async def get_report(client: httpx.AsyncClient, staff: Staff, start: datetime, end: datetime) -> dict[str, Any]:
    response = await client.get(REPORT, params={"from": rfc3339(start), "to": rfc3339(end)}, headers=staff.headers)
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    assert (parse(report["from"]), parse(report["to"])) == (start, end)
    return report


async def seal_everything(db: Database, *hospitals: uuid.UUID) -> None:
    """Seal until the chain covers every audit row of ``hospitals`` (the app's own sealer may hold the lock)."""
    newest = max([rows[0].timestamp for hospital in hospitals if (rows := await table_rows(db, hospital))])
    await seal_through(db, newest)


def percentile_cont(values: Sequence[float], fraction: float) -> float:
    """PostgreSQL's percentile_cont: linear interpolation between the two nearest ranks, in float8 arithmetic
    written as PostgreSQL writes it (lower + (upper - lower) * proportion)."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


async def tamper(db: Database, hospital_id: uuid.UUID, how: str, row: AuditLogRow) -> str:
    """Change (its outcome flipped) or delete ``row``, or forge a row at its time, behind the service's back; the
    id verification must name. Changing and deleting disable the append-only triggers inside the same
    transaction, so no other session ever sees them off."""
    async with db.transaction() as conn:
        if how == "inserted":
            forged = await probes().probe.audit_forge_row.one(conn, hospital_id, row.timestamp, 2192)
            assert forged is not None
            return str(forged.id)
        await probes().probe.audit_triggers_off.exec(conn)
        if how == "changed":
            assert await probes().probe.audit_change_row.rows(conn, hospital_id, row.id) == 1
        else:
            assert await probes().probe.audit_delete_row.rows(conn, hospital_id, row.id) == 1
        await probes().probe.audit_triggers_on.exec(conn)
    return str(row.id)


# --- GET /audit/logs: the rows and their fields --------------------------------------------------------------


async def test_the_logs_are_the_hospitals_audit_rows_newest_first_each_field_as_stored(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, make_staff: MakeStaff
) -> None:
    nurse = await make_staff("nurse")
    assert_problem(await login(client, nurse.email, "not the password, no"), 401, LOGIN_FAILED)
    rows = await table_rows(db, hospital_id)
    page = await logs_page(client, admin)
    assert page["nextCursor"] is None
    assert [shown(row) for row in page["logs"]] == [stored(row) for row in rows]
    assert [row["action"] for row in page["logs"]] == [
        "auth.login",  # the nurse's wrong password
        "auth.login",
        "user.create",
        "auth.login",
        "user.create",
    ]
    for row in page["logs"]:
        assert row["hospitalId"] == str(hospital_id)
        assert parse(row["retentionUntil"]) - parse(row["timestamp"]) == RETENTION
        assert parse(row["timestamp"]).utcoffset() == timedelta(0)
    failure = page["logs"][0]
    assert failure["userAgent"].startswith("python-httpx/")
    assert {key: value for key, value in failure.items() if key not in ("id", "userAgent")} == {
        "userId": str(nurse.id),
        "hospitalId": str(hospital_id),
        "action": "auth.login",
        "resource": "user",
        "resourceId": str(nurse.id),
        "outcome": "failure",
        "ipAddress": "127.0.0.1",
        "sessionId": None,
        "metadata": {"reason": "wrong_password", "email": nurse.email},
        "timestamp": failure["timestamp"],
        "retentionUntil": failure["retentionUntil"],
    }


async def test_retention_until_is_the_timestamp_plus_the_hospitals_retention_when_the_row_was_written(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff
) -> None:
    response = await client.patch(
        "/api/v1/hospital", json={"settings": {"auditRetentionDays": 3000}}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    await logs_page(client, admin)
    rows = (await logs_page(client, admin))["logs"]
    kept = [(row["action"], parse(row["retentionUntil"]) - parse(row["timestamp"])) for row in rows]
    assert kept[0] == ("audit.view", timedelta(days=3000))
    assert kept[-2:] == [("auth.login", RETENTION), ("user.create", RETENTION)]  # written before the change


async def test_each_read_of_the_logs_writes_one_audit_view_row_describing_it(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff
) -> None:
    start, end = rfc3339(datetime.now(UTC) - timedelta(days=1)), "2099-01-01T00:00:00+02:00"
    first = await logs_page(client, admin, limit=1, outcome="success", **{"from": start})
    second = await logs_page(client, admin, limit=1, cursor=first["nextCursor"], to=end)
    assert first["nextCursor"] is not None
    rows = await table_rows(db, hospital_id)
    views = [row for row in rows if row.action == "audit.view"]
    assert len(views) == 2
    for view in views:
        assert (view.user_id, view.outcome, view.resource, view.resource_id) == (admin.id, "success", "audit_log", None)
        assert view.session_id is not None
    assert views[1].metadata == {
        "what": "logs",
        "outcome": "success",
        "from": parse(start).isoformat(),
        "cursor": False,
        "rows": 1,
    }
    assert views[0].metadata == {"what": "logs", "to": "2099-01-01T00:00:00+02:00", "cursor": True, "rows": 1}
    # A read sees the rows committed before it, not its own audit.view row.
    assert ids(second["logs"]) == [str(row.id) for row in rows if row.action != "audit.view"][1:2]


async def test_the_audit_view_row_names_the_filters_as_the_api_spells_them(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff
) -> None:
    # API.md: field names are camelCase in JSON; the metadata echoes the query's own names (userId, resourceId),
    # as every other audit row's metadata does (sessionsRevoked, escalationLevel, user.update's fields).
    params = {"userId": str(admin.id), "resource": "session", "resourceId": str(uuid.uuid4())}
    assert (await logs_page(client, admin, **params))["logs"] == []
    view = (await table_rows(db, hospital_id))[0]
    assert view.action == "audit.view"
    assert view.metadata == {"what": "logs", **params, "cursor": False, "rows": 0}


# --- GET /audit/logs: filters ----------------------------------------------------------------------------------


async def test_every_filter_and_combination_lists_exactly_the_rows_that_match(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, make_staff: MakeStaff
) -> None:
    nurse = await make_staff("nurse", logged_in=False)
    doctor = await make_staff("doctor", logged_in=False)
    alert_id, other_alert = str(uuid.uuid4()), str(uuid.uuid4())
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    plan: list[tuple[float, uuid.UUID | None, str, str | None, str | None, str]] = [
        # (seconds after base, user, action, resource, resourceId, outcome)
        (0, nurse.id, "auth.login", "session", str(uuid.uuid4()), "success"),
        (1, nurse.id, "auth.login", "user", str(nurse.id), "failure"),
        (1, doctor.id, "user.update", "user", str(nurse.id), "success"),
        (1, None, "user.create", "user", str(doctor.id), "success"),
        (2, doctor.id, "alert.create", "alert", alert_id, "success"),
        (2.5, nurse.id, "alert.acknowledge", "alert", alert_id, "success"),
        (3, nurse.id, "access.denied", None, None, "failure"),
        (3, doctor.id, "alert.escalate", "alert", alert_id, "failure"),
        (4, doctor.id, "alert.create", "alert", other_alert, "success"),
        (5, None, "auth.login", None, None, "failure"),
        (5.000001, doctor.id, "auth.login", "user", str(doctor.id), "failure"),
        (6, nurse.id, "alert.acknowledge", "alert", other_alert, "failure"),
    ]
    for seconds, user, action, resource, resource_id, outcome in plan:
        await insert_row(
            db, hospital_id, base + timedelta(seconds=seconds), action, user_id=user, resource=resource,
            resource_id=resource_id, outcome=outcome,
        )  # fmt: skip

    def at(seconds: float) -> str:
        return rfc3339(base + timedelta(seconds=seconds))

    cases: list[dict[str, str]] = [
        {},
        {"from": at(1)},
        {"to": at(3)},
        {"from": at(1), "to": at(5.000001)},
        {"from": at(2.5), "to": at(2.500001)},
        {"userId": str(nurse.id)},
        {"userId": str(doctor.id)},
        {"userId": str(admin.id)},
        {"userId": str(uuid.uuid4())},
        {"action": "auth.login"},
        {"action": "alert.acknowledge"},
        {"action": "user.create"},
        {"action": "no.such_action"},
        {"resource": "alert"},
        {"resource": "user"},
        {"resource": "session"},
        {"resourceId": alert_id},
        {"resourceId": str(nurse.id)},
        {"outcome": "success"},
        {"outcome": "failure"},
        {"userId": str(nurse.id), "action": "auth.login"},
        {"userId": str(nurse.id), "outcome": "failure"},
        {"userId": str(doctor.id), "resource": "alert", "outcome": "success"},
        {"action": "auth.login", "outcome": "failure"},
        {"action": "auth.login", "outcome": "failure", "to": at(5.000001)},
        {"action": "alert.acknowledge", "resource": "alert", "resourceId": other_alert},
        {"resource": "alert", "resourceId": alert_id, "outcome": "failure"},
        {"resource": "user", "resourceId": str(nurse.id), "userId": str(doctor.id)},
        {"outcome": "failure", "from": at(3), "to": at(6)},
        {"outcome": "success", "from": at(0), "to": at(3)},
        {
            "userId": str(nurse.id),
            "action": "alert.acknowledge",
            "resource": "alert",
            "resourceId": alert_id,
            "outcome": "success",
            "from": at(2),
            "to": at(3),
        },
        {"userId": str(nurse.id), "action": "alert.acknowledge", "outcome": "failure", "to": at(6)},
    ]
    for params in cases:
        expected = matching(await table_rows(db, hospital_id), params)
        assert ids(await walk(client, admin, limit=3, **params)) == ids(expected), params
    # The cases are not vacuous: each filter kept some rows and dropped others.
    everything = await table_rows(db, hospital_id)
    sizes = [len(matching(everything, params)) for params in cases]
    assert 0 in sizes and len(set(sizes)) > 5


async def test_from_is_inclusive_and_to_exclusive_to_the_microsecond_whatever_the_offset(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff
) -> None:
    instant = datetime.now(UTC).replace(microsecond=123456) - timedelta(days=5)
    before = await insert_row(db, hospital_id, instant - timedelta(microseconds=1), "user.update")
    exactly = [await insert_row(db, hospital_id, instant, "user.update") for _ in range(3)]
    after = await insert_row(db, hospital_id, instant + timedelta(microseconds=1), "user.update")
    tied = sorted(exactly, reverse=True)
    window = {"action": "user.update"}

    async def listed(**params: str) -> list[str]:
        return ids(await walk(client, admin, limit=2, **window, **params))

    exact, next_one = rfc3339(instant), rfc3339(instant + timedelta(microseconds=1))
    assert exact.endswith(".123456Z") and next_one.endswith(".123457Z")
    assert await listed(**{"from": exact}) == [after, *tied]
    assert await listed(to=exact) == [before]
    assert await listed(to=next_one) == [*tied, before]
    assert await listed(**{"from": exact, "to": next_one}) == tied
    # The same instants written with other offsets.
    east, west = timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))
    shifted_from = instant.astimezone(east).isoformat()
    shifted_to = (instant + timedelta(microseconds=1)).astimezone(west).isoformat()
    assert shifted_from.endswith(".123456+02:00") and shifted_to.endswith(".123457-05:00")
    assert await listed(**{"from": shifted_from, "to": shifted_to}) == tied
    assert await listed(**{"from": (instant + timedelta(microseconds=1)).isoformat()}) == [after]


async def test_rows_one_transaction_wrote_share_a_timestamp_and_are_ordered_by_id(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff
) -> None:
    users = [
        {"name": f"Bulk {i}", "email": f"bulk.{uuid.uuid4().hex[:12]}@test.example", "role": "nurse"} for i in range(6)
    ]
    response = await client.post("/api/v1/users/bulk", json={"users": users}, headers=admin.headers)
    assert response.status_code == 201, response.text
    created = [row for row in await table_rows(db, hospital_id) if row.metadata.get("bulk") is True]
    assert len(created) == 6
    assert len({row.timestamp for row in created}) == 1, "one transaction, one now()"
    by_id = sorted((str(row.id) for row in created), reverse=True)
    expected = ids(matching(await table_rows(db, hospital_id), {"action": "user.create"}))
    assert expected[:6] == by_id  # the admin's own user.create is older
    for limit in (1, 2, 4, 6, 7):
        assert ids(await walk(client, admin, limit=limit, action="user.create")) == expected, limit
    # And the whole list, admin's own user.create and login included, in (timestamp, id) order.
    everything = matching(await table_rows(db, hospital_id), {})
    assert ids(await walk(client, admin, limit=1, to=rfc3339(everything[0].timestamp + timedelta(microseconds=1)))) == (
        ids(everything)
    )


# --- GET /audit/logs: pages -----------------------------------------------------------------------------------


async def test_walking_every_page_gives_every_row_exactly_once_and_the_same_list_as_one_page(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff
) -> None:
    base = datetime.now(UTC).replace(microsecond=500000) - timedelta(days=4)
    # 23 rows: ties of 7, 5 and 3 rows at one instant each, between single rows, some of them failures.
    plan = [0, 1, 1, 1, 1, 1, 1, 1, 2, 3, 3, 3, 3, 3, 4, 5, 6, 6, 6, 7, 8, 9, 10]
    written = [
        await insert_row(
            db, hospital_id, base + timedelta(seconds=s), "user.update", outcome=("success", "failure")[i % 2]
        )
        for i, s in enumerate(plan)
    ]
    window = {"from": rfc3339(base), "to": rfc3339(base + timedelta(seconds=11))}
    expected = matching(await table_rows(db, hospital_id), window)
    assert sorted(ids(expected)) == sorted(written)
    whole = await logs_page(client, admin, limit=500, **window)
    assert whole["nextCursor"] is None
    assert ids(whole["logs"]) == ids(expected)
    for limit in (1, 2, 7):
        pages: list[list[str]] = []
        cursor = None
        while True:
            page = await logs_page(client, admin, limit=limit, **window, **({"cursor": cursor} if cursor else {}))
            pages.append(ids(page["logs"]))
            cursor = page["nextCursor"]
            if cursor is None:
                break
        assert len(pages) == math.ceil(len(written) / limit), limit
        assert all(len(page) == limit for page in pages[:-1]) and 0 < len(pages[-1]) <= limit
        walked = [row_id for page in pages for row_id in page]
        assert len(walked) == len(set(walked)) == len(written)
        assert walked == ids(whole["logs"]), limit
    # The cursor keeps the filters.
    failures = matching(await table_rows(db, hospital_id), {**window, "outcome": "failure"})
    assert len(failures) == 11
    assert ids(await walk(client, admin, limit=2, outcome="failure", **window)) == ids(failures)


async def test_pages_are_exact_across_the_recent_window_and_older_months(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff
) -> None:
    # The service reads the last 35 days below a page's upper bound first (RECENT_WINDOW) and the whole range
    # only when they hold less than a page: pages that straddle the window's edge, and months-old ones, must
    # still be exact.
    now = datetime.now(UTC)
    ages = [timedelta(days=d, minutes=m) for d, m in ((1, 0), (3, 5), (20, 0), (34, 0), (36, 0), (60, 0), (61, 3),
                                                      (400, 0), (800, 7))]  # fmt: skip
    written = [await insert_row(db, hospital_id, now - age, "department.update") for age in ages]
    expected = matching(await table_rows(db, hospital_id), {"action": "department.update"})
    assert ids(expected) == written  # newest first
    for limit in (1, 2, 3, 4, 500):
        assert ids(await walk(client, admin, limit=limit, action="department.update")) == written, limit
    # Without a filter too (the plain statement). Each read adds an audit.view row, newer than any page it reads.
    before = ids(await table_rows(db, hospital_id))
    assert ids(await walk(client, admin, limit=3)) == before
    before = ids(await table_rows(db, hospital_id))
    assert ids((await logs_page(client, admin, limit=4))["logs"]) == before[:4]


async def test_the_default_page_is_100_rows_and_500_may_be_asked_for(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff
) -> None:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=6)
    for offset in range(101):
        await insert_row(db, hospital_id, base + timedelta(seconds=offset), "user.update")
    window = {"from": rfc3339(base), "to": rfc3339(base + timedelta(hours=1))}
    expected = ids(matching(await table_rows(db, hospital_id), window))
    first = await logs_page(client, admin, **window)
    assert ids(first["logs"]) == expected[:100]
    second = await logs_page(client, admin, cursor=first["nextCursor"], **window)
    assert (ids(second["logs"]), second["nextCursor"]) == (expected[100:], None)
    assert ids((await logs_page(client, admin, limit=500, **window))["logs"]) == expected
    assert ids((await logs_page(client, admin, limit=1, **window))["logs"]) == expected[:1]


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("0", "Expected int >= 1"),
        ("-1", "Expected int >= 1"),
        ("501", "Expected int <= 500"),
        ("ten", "Expected int, got str"),
    ],
)
async def test_a_limit_outside_1_to_500_is_400_naming_limit_and_writes_nothing(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, limit: str, message: str
) -> None:
    before = await table_rows(db, hospital_id)
    response = await client.get(LOGS, params={"limit": limit}, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [("limit", message)])
    assert await table_rows(db, hospital_id) == before


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "a",
        "bm90IGEgY3Vyc29y",  # "not a cursor"
        cursor_of("2026-01-01T00:00:00+00:00|not-a-uuid"),
        cursor_of(f"yesterday|{uuid.uuid4()}"),
        cursor_of(f"2026-01-01T00:00:00|{uuid.uuid4()}"),  # no offset
        cursor_of(f"2026-01-01T00:00:00+00:00|{uuid.uuid4()}|extra"),
    ],
    ids=["garbage", "one-letter", "not-a-cursor", "bad-uuid", "bad-time", "no-offset", "extra-part"],
)
async def test_a_cursor_this_service_did_not_give_is_400_naming_cursor(
    client: httpx.AsyncClient, admin: Staff, cursor: str
) -> None:
    response = await client.get(LOGS, params={"cursor": cursor}, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [("cursor", NOT_A_CURSOR)])


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"userId": "nurse-1"}, [("userId", "is not a UUID")]),
        ({"outcome": "ok"}, [("outcome", "Invalid enum value 'ok'")]),
        ({"outcome": "SUCCESS"}, [("outcome", "Invalid enum value 'SUCCESS'")]),
        ({"from": "yesterday"}, [("from", NOT_RFC3339)]),
        ({"to": "2026-13-01T00:00:00Z"}, [("to", NOT_RFC3339)]),
        ({"from": "2026-01-01T00:00:00"}, [("from", NEEDS_OFFSET)]),
        ({"to": "2026-01-01T00:00:00"}, [("to", NEEDS_OFFSET)]),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, [("to", LATER_THAN_FROM)]),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T01:59:59+02:00"}, [("to", LATER_THAN_FROM)]),
        ({"cursor": "a" * 201}, [("cursor", "Expected str of length <= 200")]),
    ],
    ids=[
        "bad-user-id",
        "bad-outcome",
        "upper-case-outcome",
        "from-not-a-time",
        "to-not-a-time",
        "from-without-offset",
        "to-without-offset",
        "to-equals-from",
        "to-before-from-other-offset",
        "cursor-over-200",
    ],
)
async def test_an_invalid_parameter_is_400_naming_it_and_writes_nothing(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    admin: Staff,
    params: dict[str, str],
    errors: list[tuple[str, str]],
) -> None:
    before = await table_rows(db, hospital_id)
    response = await client.get(LOGS, params=params, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, errors)
    assert await table_rows(db, hospital_id) == before


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"action": "AUTH.LOGIN"}, [("action", ACTION_PATTERN)]),
        ({"action": "auth"}, [("action", ACTION_PATTERN)]),
        ({"action": "auth.login" + "x" * 60}, [("action", "Expected str of length <= 64")]),
        ({"resource": "User"}, [("resource", RESOURCE_PATTERN)]),
        ({"resourceId": ""}, [("resourceId", "Expected str of length >= 1")]),
        ({"resourceId": "x" * 201}, [("resourceId", "Expected str of length <= 200")]),
    ],
    ids=[
        "upper-case-action",
        "action-without-dot",
        "action-over-64",
        "upper-case-resource",
        "empty-resource-id",
        "resource-id-over-200",
    ],
)
async def test_an_action_resource_or_resource_id_the_audit_row_cannot_hold_is_400_naming_it(
    client: httpx.AsyncClient, admin: Staff, params: dict[str, str], errors: list[tuple[str, str]]
) -> None:
    # The same limits POST /audit/exports applies to its filters (schemas.ActionName, ResourceName, ResourceId),
    # and API.md's "bad values -> 400 naming the field"; an impossible filter is a client's mistake, not "no rows".
    response = await client.get(LOGS, params=params, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, errors)
    body = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "format": "csv", "filters": params}
    response = await client.post(EXPORTS, json=body, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [(f"filters.{field}", message) for field, message in errors])


# --- exports ---------------------------------------------------------------------------------------------------


async def test_an_export_is_201_ready_for_an_hour_and_reads_back_the_same(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff
) -> None:
    body = {
        "from": "2026-11-01T00:00:00Z",
        "to": "2026-11-02T00:00:00+01:00",
        "format": "ndjson",
        "filters": {"action": "auth.login", "resource": "session", "outcome": "failure"},
    }
    response = await client.post(EXPORTS, json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == EXPORT_KEYS
    export_id = str(uuid.UUID(created["id"]))
    assert (created["status"], created["format"]) == ("ready", "ndjson")
    assert parse(created["expiresAt"]) - parse(created["createdAt"]) == timedelta(hours=1)
    assert abs(parse(created["createdAt"]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert created["downloadUrl"] == f"/api/v1/audit/exports/{export_id}/download"
    read = await client.get(f"{EXPORTS}/{export_id}", headers=admin.headers)
    assert read.status_code == 200, read.text
    assert read.json() == created
    rows = await table_rows(db, hospital_id)
    view, request = rows[0], rows[1]
    assert (request.action, request.user_id, request.resource, request.resource_id, request.outcome) == (
        "audit.export", admin.id, "audit_export", export_id, "success"
    )  # fmt: skip
    assert request.session_id is not None
    assert request.metadata == {
        "format": "ndjson",
        "from": "2026-11-01T00:00:00+00:00",
        "to": "2026-11-02T00:00:00+01:00",
        "filters": {"action": "auth.login", "resource": "session", "outcome": "failure"},
    }
    assert (view.action, view.user_id, view.resource, view.resource_id, view.metadata) == (
        "audit.view", admin.id, "audit_export", export_id, {"what": "export"}
    )  # fmt: skip
    # No filters: an empty object.
    await export(client, admin, **{"from": body["from"], "to": body["to"], "format": "csv"})
    assert (await table_rows(db, hospital_id))[0].metadata["filters"] == {}


async def test_the_export_audit_row_names_its_filters_as_the_request_spelled_them(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff
) -> None:
    # API.md: camelCase in JSON; the filters are "the query parameters of /audit/logs": userId, resourceId.
    filters = {"userId": str(admin.id), "resourceId": "42", "action": "user.update", "outcome": "success"}
    created = await export(
        client,
        admin,
        **{"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z", "format": "csv"},
        filters=filters,
    )
    row = (await table_rows(db, hospital_id))[0]
    assert (row.action, row.resource_id) == ("audit.export", created["id"])
    assert row.metadata["filters"] == filters


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"everything": True}, [("everything", UNKNOWN_FIELD)]),
        ({"format": "xml"}, [("format", "Invalid enum value 'xml'")]),
        ({"format": None}, [("format", "Expected str, got null")]),
        ({"to": "2026-11-01T00:00:00Z"}, [("to", LATER_THAN_FROM)]),
        ({"to": "2026-10-31T00:00:00Z"}, [("to", LATER_THAN_FROM)]),
        ({"from": None}, [("from", "Expected datetime, got null")]),
        ({"from": "2026-11-01T00:00:00"}, [("from", NEEDS_OFFSET)]),
        ({"to": "tomorrow"}, [("to", NOT_RFC3339)]),
        ({"filters": {"everything": True}}, [("filters.everything", UNKNOWN_FIELD)]),
        ({"filters": {"userId": "nurse-1"}}, [("filters.userId", "is not a UUID")]),
        ({"filters": {"outcome": "ok"}}, [("filters.outcome", "Invalid enum value 'ok'")]),
        ({"filters": {"action": "Auth"}}, [("filters.action", ACTION_PATTERN)]),
        ({"filters": []}, [("filters", "Expected object | null, got array")]),
    ],
    ids=[
        "unknown-field",
        "bad-format",
        "null-format",
        "to-equals-from",
        "to-before-from",
        "null-from",
        "from-without-offset",
        "to-not-a-time",
        "filters-unknown-field",
        "filters-bad-user-id",
        "filters-bad-outcome",
        "filters-bad-action",
        "filters-not-an-object",
    ],
)
async def test_an_invalid_export_request_is_400_naming_the_field_and_records_nothing(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    admin: Staff,
    change: dict[str, Any],
    errors: list[tuple[str, str]],
) -> None:
    body = {"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z", "format": "csv", **change}
    before = await table_rows(db, hospital_id)
    response = await client.post(EXPORTS, json=body, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, errors)
    assert await table_rows(db, hospital_id) == before


@pytest.mark.parametrize("missing", ["from", "to", "format"])
async def test_an_export_request_missing_a_required_field_is_400_naming_it(
    client: httpx.AsyncClient, admin: Staff, missing: str
) -> None:
    body = {"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z", "format": "csv"}
    del body[missing]
    response = await client.post(EXPORTS, json=body, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, [(missing, REQUIRED)])


async def audit_data_set(
    db: Database, hospital_id: uuid.UUID, nurse: Staff, admin: Staff
) -> tuple[datetime, dict[str, str]]:
    """Rows with awkward values at known times (three days ago, some tied), for the downloads; (base, ids)."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    session = uuid.uuid4()
    alert_id = str(uuid.uuid4())
    made = {
        "failure": await insert_row(
            db, hospital_id, base, "auth.login", user_id=nurse.id, resource="user", resource_id=str(nurse.id),
            outcome="failure", ip_address="10.1.2.3", user_agent='agent, with "quotes"\nand a new line\x01',
            metadata={
                "reason": "wrong_password",
                "note": 'a, "quoted"\nline; tab\there',
                "ünïcode": "çødé ✓ 漢字",
                "control": "\x01\x02\x1f",
                "nested": {"list": [1, 2.5, None, True, "x"], "empty": {}},
            },
        ),
        "create": await insert_row(
            db, hospital_id, base + timedelta(seconds=1), "user.create", resource="user",
            resource_id=str(nurse.id), user_agent="hospital-alerts-cli", metadata={"email": nurse.email},
        ),
        "ack": await insert_row(
            db, hospital_id, base + timedelta(seconds=1), "alert.acknowledge", user_id=nurse.id, resource="alert",
            resource_id=alert_id, ip_address="2001:db8::1", user_agent="Mozilla/5.0 (X11; Linux x86_64)",
            session_id=session,
        ),
        "denied": await insert_row(
            db, hospital_id, base + timedelta(seconds=2, microseconds=1), "access.denied", user_id=nurse.id,
            outcome="failure", ip_address="127.0.0.1", session_id=session, metadata={"reason": "role"},
        ),
        "view": await insert_row(
            db, hospital_id, base + timedelta(seconds=3), "audit.view", user_id=admin.id, resource="audit_log",
            ip_address="192.168.0.10", metadata={"what": "logs", "rows": 0, "cursor": False},
        ),
        "comma": await insert_row(
            db, hospital_id, base + timedelta(seconds=4), "alert.resolve", user_id=nurse.id, resource="alert",
            resource_id="id, with a comma", metadata={"empty": ""},
        ),
        # At the window's end (base + 5 s, exclusive): in no download.
        "end": await insert_row(db, hospital_id, base + timedelta(seconds=5), "user.update", user_id=nurse.id),
    }  # fmt: skip
    return base, {**made, "alert": alert_id}


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
async def test_a_download_holds_exactly_the_rows_the_logs_list_for_its_range_and_filters(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    admin: Staff,
    make_staff: MakeStaff,
    other_hospital: uuid.UUID,
    fmt: str,
) -> None:
    nurse = await make_staff("nurse", logged_in=False)
    base, made = await audit_data_set(db, hospital_id, nurse, admin)
    theirs = await insert_row(db, other_hospital, base + timedelta(seconds=1), "user.update", resource="user")
    window = {"from": rfc3339(base), "to": rfc3339(base + timedelta(seconds=5))}
    cases: list[dict[str, str]] = [
        {},
        {"userId": str(nurse.id)},
        {"outcome": "failure"},
        {"action": "alert.acknowledge", "resource": "alert", "resourceId": made["alert"]},
        {"resourceId": "id, with a comma"},
        {"userId": str(nurse.id), "outcome": "success"},
    ]
    for filters in cases:
        listed = await walk(client, admin, limit=2, **window, **filters)
        assert listed, filters
        created = await export(client, admin, **window, format=fmt, filters=filters)
        response = await download(client, admin, created)
        assert response.headers["content-type"] == MEDIA_TYPES[fmt]
        assert response.headers["content-disposition"] == f'attachment; filename="audit-{created["id"]}.{fmt}"'
        rows = parsed_download(response, fmt)
        # Oldest first: the list's order reversed, every field equal.
        assert ids(rows) == ids(listed)[::-1], filters
        assert made["end"] not in ids(rows) and theirs not in ids(rows)
        for row, expected in zip(rows, reversed(listed), strict=True):
            assert shown(row) == shown(expected), (filters, row["id"])
        # The download was audited, after the export request.
        newest = await table_rows(db, hospital_id)
        assert [(row.action, row.resource_id) for row in newest[:2]] == [
            ("audit.download", created["id"]),
            ("audit.export", created["id"]),
        ]
        assert (newest[0].user_id, newest[0].resource, newest[0].outcome) == (admin.id, "audit_export", "success")
        assert newest[0].metadata == {"format": fmt}


@pytest.mark.parametrize("fmt", ["csv", "ndjson"])
async def test_an_export_matching_nothing_is_only_the_header_line_or_an_empty_body(
    client: httpx.AsyncClient, admin: Staff, fmt: str
) -> None:
    created = await export(
        client, admin, **{"from": "2026-11-01T00:00:00Z", "to": "2026-11-30T00:00:00Z"}, format=fmt,
        filters={"action": "user.update"},
    )  # fmt: skip
    response = await download(client, admin, created)
    assert response.headers["content-type"] == MEDIA_TYPES[fmt]
    assert response.text == ((",".join(AUDIT_FIELDS) + "\n") if fmt == "csv" else "")


async def test_an_expired_export_shows_expired_and_is_404_to_download(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff
) -> None:
    created = await export(
        client, admin, **{"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}, format="csv"
    )
    async with db.transaction() as conn:
        moved = await probes().probe.audit_age_export.rows(
            conn, hospital_id, uuid.UUID(created["id"]), timedelta(minutes=61)
        )
    assert moved == 1
    response = await client.get(f"{EXPORTS}/{created['id']}", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        **created,
        "status": "expired",
        "createdAt": rfc3339(parse(created["createdAt"]) - timedelta(minutes=61)),
        "expiresAt": rfc3339(parse(created["expiresAt"]) - timedelta(minutes=61)),
    }
    before = await table_rows(db, hospital_id)
    assert_problem(await client.get(created["downloadUrl"], headers=admin.headers), 404, NO_SUCH_EXPORT)
    assert await table_rows(db, hospital_id) == before, "a refused download is not a download"


async def test_an_unknown_or_another_hospitals_export_is_404_to_read_and_to_download(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    admin: Staff,
    make_staff: MakeStaff,
    other_hospital: uuid.UUID,
) -> None:
    theirs = await make_staff("admin", hospital=other_hospital)
    their_export = await export(
        client, theirs, **{"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}, format="csv"
    )
    before = await table_rows(db, hospital_id)
    for export_id in (their_export["id"], str(uuid.uuid4())):
        assert_problem(await client.get(f"{EXPORTS}/{export_id}", headers=admin.headers), 404, NO_SUCH_EXPORT)
        assert_problem(await client.get(f"{EXPORTS}/{export_id}/download", headers=admin.headers), 404, NO_SUCH_EXPORT)
    assert await table_rows(db, hospital_id) == before
    # Theirs still reads, for them.
    response = await client.get(f"{EXPORTS}/{their_export['id']}", headers=theirs.headers)
    assert (response.status_code, response.json()) == (200, their_export)


# --- the compliance report ----------------------------------------------------------------------------------------


async def test_the_compliance_report_counts_a_hand_built_period_exactly(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    department_id: uuid.UUID,
    admin: Staff,
    make_staff: MakeStaff,
) -> None:
    now = datetime.now(UTC)
    start, end = now - timedelta(days=2), now + timedelta(hours=1)
    head = await make_staff("head_doctor")
    response = await client.patch("/api/v1/hospital", json={"settings": {"lockoutThreshold": 3}}, headers=admin.headers)
    assert response.status_code == 200, response.text

    # Failed logins and lockouts: 3 wrong (locked), the right one while locked, unlocked, 3 wrong (locked again);
    # another user's 2 wrong and a right one; an unknown email belongs to no hospital.
    victim = await make_staff("nurse", logged_in=False)
    for attempt in [*(["wrong password, once more"] * 3), victim.password]:
        assert_problem(await login(client, victim.email, attempt), 401, LOGIN_FAILED)
    assert (await client.post(f"/api/v1/users/{victim.id}/unlock", headers=admin.headers)).status_code == 200
    for _ in range(3):
        assert_problem(await login(client, victim.email, "wrong password, again"), 401, LOGIN_FAILED)
    clumsy = await make_staff("doctor", logged_in=False)
    for _ in range(2):
        assert_problem(await login(client, clumsy.email, "wrong password, twice"), 401, LOGIN_FAILED)
    assert (await login(client, clumsy.email)).status_code == 200
    assert_problem(await login(client, f"nobody.{uuid.uuid4().hex}@test.example"), 401, LOGIN_FAILED)

    # Role changes: two that change something; the same role again and the last admin's demotion do not count.
    promoted = await make_staff("nurse", logged_in=False)
    for role, status in [("doctor", 200), ("head_doctor", 200), ("head_doctor", 200)]:
        response = await client.put(f"/api/v1/users/{promoted.id}/role", json={"role": role}, headers=admin.headers)
        assert response.status_code == status, response.text
    response = await client.put(f"/api/v1/users/{admin.id}/role", json={"role": "nurse"}, headers=admin.headers)
    assert response.status_code == 409, response.text

    # Exports: two; a refused request is not one.
    window = {"from": rfc3339(start), "to": rfc3339(end)}
    await export(client, admin, **window, format="csv")
    await export(client, admin, **window, format="ndjson", filters={"outcome": "failure"})
    assert (await client.post(EXPORTS, json={**window, "format": "pdf"}, headers=admin.headers)).status_code == 400

    # 2FA on for one user (another only began its setup); users last seen a minute over 90 days ago (one never
    # logged in: its creation counts) are inactive, a minute under not; a deactivated user counts for neither.
    secure = await make_staff("doctor")
    setup = await client.post("/api/v1/auth/2fa/setup", headers=secure.headers)
    assert setup.status_code == 200, setup.text
    confirm = await client.post(
        "/api/v1/auth/2fa/confirm", json={"code": pyotp.TOTP(setup.json()["secret"]).now()}, headers=secure.headers
    )
    assert confirm.status_code == 200, confirm.text
    halfway = await make_staff("nurse")
    assert (await client.post("/api/v1/auth/2fa/setup", headers=halfway.headers)).status_code == 200
    dormant = await make_staff("operator")
    recent = await make_staff("operator")
    never = await make_staff("operator", logged_in=False)
    gone = await make_staff("operator", logged_in=False)
    assert (await client.post(f"/api/v1/users/{gone.id}/deactivate", headers=admin.headers)).status_code == 200
    ninety_days, minute = timedelta(days=90), timedelta(minutes=1)
    ages = [(dormant, ninety_days + minute), (recent, ninety_days - minute), (never, ninety_days + minute)]
    for user, age in [*ages, (gone, timedelta(days=200))]:
        async with db.transaction() as conn:
            assert await probes().probe.audit_age_user_logins.rows(conn, hospital_id, user.id, age) == 1
    active = [admin, head, victim, clumsy, promoted, secure, halfway, dormant, recent, never]

    # Times to acknowledge, by priority; raised inside the period (from inclusive, to exclusive) or not.
    async def raise_alert(priority: str) -> str:
        body = {
            "title": "Patient fell",
            "priority": priority,
            "alertType": "medical",
            "departmentId": str(department_id),
        }
        response = await client.post("/api/v1/alerts", json=body, headers=admin.headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def acknowledged(priority: str, raised: datetime, seconds: float, *, then: str | None = None) -> None:
        alert_id = await raise_alert(priority)
        for action in ("acknowledge", then) if then else ("acknowledge",):
            response = await client.post(f"/api/v1/alerts/{alert_id}/{action}", headers=head.headers)
            assert response.status_code == 200, response.text
        delay = timedelta(seconds=seconds)
        async with db.transaction() as conn:
            changed = await probes().probe.audit_set_alert_times.rows(
                conn, hospital_id, uuid.UUID(alert_id), raised, raised + delay
            )
        assert changed == 1

    delays: dict[str, list[float]] = {
        "critical": [3.0, 7.000001, 12.5, 20.0, 61.25],
        "high": [30.0, 90.0],
        "medium": [45.5],
        "low": [],
    }
    for priority, seconds_list in delays.items():
        for i, seconds in enumerate(seconds_list):
            # Acknowledged, then some resolved: the time to acknowledge still counts.
            await acknowledged(
                priority, now - timedelta(hours=20, minutes=i), seconds, then="resolve" if i % 2 == 0 else None
            )
    await acknowledged("high", start, 15.0)  # at the period's start: in
    delays["high"].append(15.0)
    await acknowledged("critical", start - timedelta(microseconds=1), 1.0)  # just before: out
    await acknowledged("medium", end, 2.0)  # at its end: out
    await raise_alert("low")  # never acknowledged
    resolved = await raise_alert("low")
    assert (await client.post(f"/api/v1/alerts/{resolved}/resolve", headers=head.headers)).status_code == 200

    # Escalations: 3 by hand; timeouts and no-responses written as the loops would, at the period's bounds too.
    first, second = await raise_alert("low"), await raise_alert("low")
    for alert_id in (first, first, second):
        response = await client.post(f"/api/v1/alerts/{alert_id}/escalate", headers=admin.headers)
        assert response.status_code == 200, response.text
    by_system = [
        (1, "timeout", now - timedelta(hours=1)),
        (2, "timeout", start),
        (3, "timeout", start - timedelta(microseconds=1)),  # out
        (4, "no_response", now - timedelta(hours=2)),
        (5, "no_response", end),  # out
    ]
    system_alert = uuid.UUID(await raise_alert("low"))
    async with db.transaction() as conn:
        for level, reason, at in by_system:
            await probes().probe.audit_insert_escalation.exec(conn, hospital_id, system_alert, level, reason, at)

    await seal_everything(db, hospital_id)
    sealed = await table_rows(db, hospital_id)
    report = await get_report(client, admin, start, end)
    assert set(report) == REPORT_KEYS
    assert {key: report[key] for key in REPORT_KEYS - {"from", "to", "actions"}} == {
        "failedLogins": 9,
        "lockouts": 2,
        "usersWithout2fa": len(active) - 1,
        "inactiveUsers": 2,
        "roleChanges": 2,
        "exports": 2,
        "ackTimeSeconds": {
            priority: {
                "count": len(delays[priority]),
                "median": percentile_cont(delays[priority], 0.5) if delays[priority] else None,
                "p90": percentile_cont(delays[priority], 0.9) if delays[priority] else None,
            }
            for priority in PRIORITIES
        },
        "escalations": {"timeout": 2, "manual": 3, "no_response": 1},
        "integrity": {"verified": True, "checkedRows": len(sealed), "firstBadRowId": None},
    }
    # The helper is PostgreSQL's percentile_cont; a check that it interpolates as statistics does.
    for values in delays.values():
        if len(values) >= 2:
            assert percentile_cont(values, 0.5) == statistics.median(values)
            assert math.isclose(percentile_cont(values, 0.9), statistics.quantiles(values, n=10, method="inclusive")[8])

    # `actions`: the period's rows by action and outcome, as GET /audit/logs lists them (which also shows the
    # report's own audit.view row, written after the report counted).
    listed = await walk(client, admin, limit=500, **window)
    assert listed[0]["action"] == "audit.view" and listed[0]["metadata"] == {
        "what": "compliance_report",
        "from": start.isoformat(),
        "to": end.isoformat(),
    }
    counted = Counter((row["action"], row["outcome"]) for row in listed[1:])
    assert report["actions"] == [
        {"action": action, "outcome": outcome, "count": count} for (action, outcome), count in sorted(counted.items())
    ]
    assert counted[("auth.login", "failure")] == 9 and counted[("auth.lockout", "success")] == 2
    assert counted[("user.role_change", "success")] == 2 and counted[("audit.export", "success")] == 2


async def test_a_period_with_nothing_in_it_reports_zeros(
    client: httpx.AsyncClient, hospital_id: uuid.UUID, admin: Staff
) -> None:
    start = datetime(2021, 3, 1, tzinfo=UTC)
    report = await get_report(client, admin, start, start + timedelta(days=1))
    assert {key: report[key] for key in REPORT_KEYS - {"from", "to", "usersWithout2fa", "integrity"}} == {
        "actions": [],
        "failedLogins": 0,
        "lockouts": 0,
        "inactiveUsers": 0,
        "roleChanges": 0,
        "exports": 0,
        "ackTimeSeconds": {priority: {"count": 0, "median": None, "p90": None} for priority in PRIORITIES},
        "escalations": {"timeout": 0, "manual": 0, "no_response": 0},
    }
    assert report["integrity"]["verified"] is True
    assert report["integrity"]["firstBadRowId"] is None


async def test_the_report_key_for_users_without_2fa_is_as_api_md_spells_it(
    client: httpx.AsyncClient, admin: Staff
) -> None:
    report = await get_report(client, admin, datetime(2021, 3, 1, tzinfo=UTC), datetime(2021, 3, 2, tzinfo=UTC))
    assert set(report) == REPORT_KEYS
    assert report["usersWithout2fa"] == 1  # the admin


@pytest.mark.parametrize("how", ["changed", "deleted", "inserted"])
async def test_a_sealed_row_tampered_with_behind_the_services_back_is_named_by_the_report(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    admin: Staff,
    make_staff: MakeStaff,
    other_hospital: uuid.UUID,
    how: str,
) -> None:
    theirs = await make_staff("admin", hospital=other_hospital)
    nurse = await make_staff("nurse")
    start, end = datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1)
    await seal_everything(db, hospital_id)
    rows = await table_rows(db, hospital_id)
    intact = await get_report(client, admin, start, end)
    assert intact["integrity"] == {"verified": True, "checkedRows": len(rows), "firstBadRowId": None}

    await seal_everything(db, hospital_id, other_hospital)  # the report's own audit.view row too
    nurse_login, nurse_created = [
        row for row in await table_rows(db, hospital_id) if nurse.id == row.user_id or row.resource_id == str(nurse.id)
    ]
    assert (nurse_login.action, nurse_created.action) == ("auth.login", "user.create")
    if how == "changed":
        # Two rows changed: the report names the older.
        await tamper(db, hospital_id, how, nurse_login)
        bad = await tamper(db, hospital_id, how, nurse_created)
    else:
        bad = await tamper(db, hospital_id, how, nurse_login)
    now_stored = await table_rows(db, hospital_id)
    report = await get_report(client, admin, start, end)
    assert report["integrity"] == {"verified": False, "checkedRows": len(now_stored), "firstBadRowId": bad}
    # Confined to this hospital: the other hospital's report still verifies.
    their_rows = await table_rows(db, other_hospital)
    their_report = await get_report(client, theirs, start, end)
    assert their_report["integrity"] == {"verified": True, "checkedRows": len(their_rows), "firstBadRowId": None}
    # And a period of no seal at all checks nothing.
    far = datetime.now(UTC) + timedelta(days=3650)
    quiet = await get_report(client, admin, far, far + timedelta(days=1))
    assert quiet["integrity"] == {"verified": True, "checkedRows": 0, "firstBadRowId": None}


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"to": "2026-11-02T00:00:00Z"}, [("from", REQUIRED)]),
        ({"from": "2026-11-01T00:00:00Z"}, [("to", REQUIRED)]),
        ({"from": "2026-11-01T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, [("to", LATER_THAN_FROM)]),
        ({"from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, [("to", LATER_THAN_FROM)]),
        ({"from": "2026-11-01T00:00:00", "to": "2026-11-02T00:00:00Z"}, [("from", NEEDS_OFFSET)]),
        ({"from": "2026-11-01T00:00:00Z", "to": "soon"}, [("to", NOT_RFC3339)]),
    ],
    ids=["no-from", "no-to", "to-equals-from", "to-before-from", "from-without-offset", "to-not-a-time"],
)
async def test_an_invalid_report_period_is_400_naming_the_parameter_and_writes_nothing(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    admin: Staff,
    params: dict[str, str],
    errors: list[tuple[str, str]],
) -> None:
    before = await table_rows(db, hospital_id)
    response = await client.get(REPORT, params=params, headers=admin.headers)
    assert_problem(response, 400, NOT_VALID, errors)
    assert await table_rows(db, hospital_id) == before


# --- who may read the audit trail ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["operator", "nurse", "doctor", "head_doctor"])
async def test_only_admins_may_read_the_audit_trail(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, make_staff: MakeStaff, role: str
) -> None:
    staff = await make_staff(role)
    period = {"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}
    created = await export(client, admin, **period, format="csv")
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", LOGS, {"params": {"limit": 1}}),
        ("POST", EXPORTS, {"json": {**period, "format": "csv"}}),
        ("GET", f"{EXPORTS}/{created['id']}", {}),
        ("GET", created["downloadUrl"], {}),
        ("GET", REPORT, {"params": period}),
    ]
    before = len(await table_rows(db, hospital_id))
    for method, url, extra in requests:
        assert_problem(await client.request(method, url, headers=staff.headers, **extra), 403, ROLE_FORBIDDEN)
    denials = (await table_rows(db, hospital_id))[: len(requests)]
    assert len(await table_rows(db, hospital_id)) == before + len(requests)
    assert [(row.action, row.outcome, row.user_id, row.metadata["permission"]) for row in denials] == [
        ("access.denied", "failure", staff.id, "audit.read")
    ] * len(requests)


async def test_another_hospitals_admin_sees_none_of_this_hospitals_rows(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    admin: Staff,
    make_staff: MakeStaff,
    other_hospital: uuid.UUID,
) -> None:
    nurse = await make_staff("nurse")
    await export(client, admin, **{"from": "2026-11-01T00:00:00Z", "to": "2026-11-02T00:00:00Z"}, format="csv")
    theirs = await make_staff("admin", hospital=other_hospital)
    listed = await walk(client, theirs, limit=100)
    assert {row["hospitalId"] for row in listed} == {str(other_hospital)}
    assert ids(listed) == ids(await table_rows(db, other_hospital))[1:]  # less the audit.view row of this read
    theirs_of_ours: list[dict[str, Any]] = [
        {"userId": str(nurse.id)},
        {"resourceId": str(nurse.id)},
        {"userId": str(admin.id)},
    ]
    for params in theirs_of_ours:
        assert await walk(client, theirs, **params) == []
    now = datetime.now(UTC)
    theirs_only = Counter((row.action, row.outcome) for row in await table_rows(db, other_hospital))
    report = await get_report(client, theirs, now - timedelta(hours=1), now + timedelta(hours=1))
    assert {(a["action"], a["outcome"]): a["count"] for a in report["actions"]} == theirs_only
    assert set(theirs_only) == {("user.create", "success"), ("auth.login", "success"), ("audit.view", "success")}
