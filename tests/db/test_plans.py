"""The hot statements' plans, on a data set big enough for the planner to prefer indexes: none may read a big
table from end to end (a sequential scan), planned for the values of one call (custom) or for any (generic,
as a pooled connection's prepared statements are after their fifth run).

200 hospitals: 1,000 departments, 20,000 users with a session each, 100,000 alerts (2,000 open) with an event
each, 200,000 audit rows. One hospital is a half-percent of each table, so an index is the only sane plan.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from service.config import Settings
from service.db import migrations, sql
from service.db.catalogue import Query
from service.db.pool import Database
from tests.conftest import ScratchDatabases
from tests.probes import PlanSampleRow, probes


@pytest.fixture(scope="module")
async def planned(
    scratch_databases: ScratchDatabases, settings: Settings
) -> AsyncIterator[tuple[Database, PlanSampleRow, set[str]]]:
    url = scratch_databases.create("ha_plans")
    migrations.upgrade(url, progress=lambda _: None)
    db = Database(url, settings)
    await db.open()
    async with db.connection() as conn:
        first_month = (datetime.now(UTC) - timedelta(days=40)).date()
        await probes().probe.ensure_audit_partitions.one(conn, first_month, 3)
        for seed in ("hospitals", "users", "alerts", "audit"):
            await getattr(probes().probe, f"plans_seed_{seed}").exec(conn)
        await probes().probe.plans_analyze.exec(conn)
        sample = await probes().probe.plans_sample.one(conn)
        big = {row.name for row in await probes().probe.plans_big_tables.many(conn)}
    assert sample is not None
    assert {"alerts", "users", "sessions", "alert_events"} <= big  # the data set is what the test says it is
    yield db, sample, big
    await db.close()


def hot_statements(s: PlanSampleRow) -> list[tuple[Query[Any], tuple[Any, ...]]]:
    """Each hot statement with the arguments of a typical call."""
    h, dept, user = s.hospital_id, s.department_id, s.user_id
    no_filters = (None, None, None, None, None)
    return [
        (sql.auth.authenticate, (s.token_hash,)),
        (sql.alerts.list_active, (h, "hospital", "admin", None, 50)),
        (sql.alerts.list_active, (h, "visible", "nurse", dept, 50)),
        (sql.alerts.list_alerts, (h, "hospital", "admin", None, None, None, None, None, None, None, None, 51)),
        (sql.alerts.list_alerts, (h, "visible", "doctor", dept, None, None, None, None, None, None, None, 51)),
        (sql.alerts.get_alert, (h, uuid.uuid4(), "hospital", "admin", None)),
        (sql.alerts.events_after, (h, 0, None, ["hospital"], ["admin"], [None], 100)),
        (sql.alerts.escalate_due, ()),
        (sql.alerts.expire_due, ()),
        (sql.users.list_users, (h, None, None, None, None, 20, 0)),
        (sql.users.list_users, (h, None, "nurse", None, None, 20, 0)),
        (sql.users.get_user, (h, user)),
        (sql.audit.list_logs, (h, None, None, None, None, *no_filters, 101)),
        (sql.audit.list_logs_by_user, (h, None, None, None, None, user, None, None, None, None, 101)),
        (sql.audit.list_logs_by_action, (h, None, None, None, None, None, "auth.login", None, None, None, 101)),
        (sql.audit.list_logs_by_resource, (h, None, None, None, None, None, None, "alert", None, None, 101)),
        (sql.audit.list_logs_by_resource_id, (h, None, None, None, None, None, None, None, "x", None, 101)),
        (sql.audit.list_logs_failures, (h, None, None, None, None, None, None, None, None, "failure", 101)),
        # The compliance report's integrity check: one hospital's rows of each seal's window, and of a span.
        (sql.audit.verify_parts, (h, 1, 1_000_000, 2, 0)),
        (sql.audit.count_unsealed, (h, datetime.now(UTC) - timedelta(days=30), datetime.now(UTC))),
    ]


def sequential_scans(plan: dict[str, Any], big: set[str]) -> Iterator[str]:
    """The big tables (or partitions) a plan reads with a sequential scan. An empty month's partition may be
    scanned: it costs nothing."""
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in big:
        yield plan["Relation Name"]
    for child in plan.get("Plans", []):
        yield from sequential_scans(child, big)


@pytest.mark.parametrize("mode", ["custom", "generic"])
async def test_no_hot_statement_scans_a_big_table(planned: tuple[Database, PlanSampleRow, set[str]], mode: str) -> None:
    db, sample, big = planned
    found: dict[str, list[str]] = {}
    # A plain connection: asyncpg's explain() reads the plan as JSON text, which the pool's codecs would decode.
    conn = await asyncpg.connect(db.url)
    try:
        if mode == "generic":
            await probes().probe.plans_generic.one(conn)
        for query, args in hot_statements(sample):
            statement = await conn.prepare(query.sql)
            [explained] = await statement.explain(*args)
            scans = sorted(set(sequential_scans(explained["Plan"], big)))
            if scans:
                found.setdefault(query.qualified_name, []).extend(scans)
    finally:
        await conn.close()
    assert found == {}, f"sequential scans of big tables ({mode} plans): {found}"
