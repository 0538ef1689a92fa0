"""Audit bench: the audit trail at ten million rows, against a real ``hospital-alerts serve`` over HTTP.

    .venv/bin/python bench/audit.py [--rows 10000000] [--keep] [--reuse DATABASE]

On a throwaway database (DATABASE_URL's server, or the embedded PostgreSQL; dropped at the end unless --keep):

1. generates ``--rows`` audit rows with set-based SQL (bench/sql/generate_audit.sql) over six years, in time
   order, across 100 hospitals of 20 users each: the big hospital (the one the command line created) holds 16 in
   100 of them, 10.5 in 100 within one 12-month period (the report period); plus 5,000 alerts of the big
   hospital in that period, acknowledged and escalated, so the compliance report has real figures; then
   VACUUM ANALYZE;
2. seals every row with the service's own sealer (``seal_once``, no settle time) until it seals nothing;
3. starts one ``serve`` process (one worker) and logs in as the big hospital's admin;
4. ``GET /audit/logs`` for each filter: the first page and the 10,000th (or the deepest there is), 200
   sequential requests each: p50/p99;
5. an export of the report period (about a million rows) downloaded as CSV and as NDJSON: rows/s, and the
   server's RSS before, at its peak (sampled every 50 ms) and after;
6. the compliance report of the report period, 5 times: latency, integrity verdict, rows checked; then its
   integrity check alone, in this process, on 1, 2 and 3 connections (3 runs each);
7. ``hospital-alerts audit verify`` for the big hospital and for the whole chain: wall time, rows checked.

``--reuse DATABASE`` measures again on a database an earlier ``--keep`` run left (skipping 1 and 2). The client
is httpx in this process, one request at a time; PostgreSQL, the server and the client share the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql as pgsql

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    ADMIN_EMAIL,
    PASSWORD,
    REPO_ROOT,
    SERVE_ENV,
    BenchDatabase,
    PeakRss,
    bench_database,
    named_statements,
    percentile,
    rss_mib,
    server_url,
    step,
    with_database,
)

from service.audit.seals import seal_once, verify_period
from service.config import load_settings
from service.db.pool import Database
from service.pages import encode_cursor
from tests.e2e.processes import COMMAND, ServeProcess, environment

GENERATOR = Path(__file__).resolve().parent / "sql" / "generate_audit.sql"
HOSPITALS = 100
USERS_PER_HOSPITAL = 20
ALERTS = 5_000
BIG_SHARE = 0.16
"""Of all rows, the big hospital's ..."""
BIG_PERIOD_SHARE = 0.105
"""... and those of them in the report period (1.05 million of 10 million: the 10,000th page exists there)."""
SPAN = timedelta(days=2190)
"""The rows' time span, ending an hour ago: six years less two days, so no month is past its 2192 days of
retention while the bench runs (the serve process's maintenance loop would drop it)."""
PAGE = 100
DEEP_PAGE = 10_000
REQUESTS = 200
WARM_UP = 3
REPORT_RUNS = 5
INTEGRITY_RUNS = 3
CLI_TIMEOUT = 3600


# --- the data set ------------------------------------------------------------------------------------------


def statements() -> dict[str, str]:
    """bench/sql/generate_audit.sql's statements by their ``-- name:``."""
    return named_statements(GENERATOR)


@dataclass(frozen=True)
class Segment:
    """Rows ``first .. first + rows - 1``, evenly over ``[t_from, t_to)``, the big hospital's with ``p_big``."""

    first: int
    rows: int
    t_from: datetime
    t_to: datetime
    p_big: float


@dataclass(frozen=True)
class Plan:
    """The shape of the data set: what the bench generates and later asks for."""

    rows: int
    generated_at: datetime

    @property
    def since(self) -> datetime:
        return self.until - SPAN

    @property
    def until(self) -> datetime:
        return self.generated_at - timedelta(hours=1)

    @property
    def period(self) -> tuple[datetime, datetime]:
        """The report period: the 12 calendar months that ended a year before this month began."""
        month = self.generated_at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return month.replace(year=month.year - 2), month.replace(year=month.year - 1)

    def segments(self) -> list[Segment]:
        """Before, in and after the report period: the others' rows spread evenly over the whole span, the
        big hospital's packed into the period (BIG_PERIOD_SHARE) and spread evenly outside it."""
        start, end = self.period
        span = (self.until - self.since).total_seconds()
        before, inside = (start - self.since).total_seconds() / span, (end - start).total_seconds() / span
        after = 1 - before - inside
        big_inside = round(self.rows * BIG_PERIOD_SHARE)
        big_outside = round(self.rows * BIG_SHARE) - big_inside
        others = self.rows - big_inside - big_outside
        n_inside = round(others * inside) + big_inside
        n_before = round(others * before + big_outside * before / (before + after))
        n_after = self.rows - n_before - n_inside
        p_outside = big_outside / (n_before + n_after)
        return [
            Segment(0, n_before, self.since, start, p_outside),
            Segment(n_before, n_inside, start, end, big_inside / n_inside),
            Segment(n_before + n_inside, n_after, end, self.until, p_outside),
        ]

    def parameters(self, big: str) -> dict[str, Any]:
        return {
            "big": big,
            "hospitals": HOSPITALS,
            "users_per_hospital": USERS_PER_HOSPITAL,
            "since": self.since - timedelta(days=30),
        }


def generate(url: str, plan: Plan, big: str, chunk: int) -> None:
    named = statements()
    common = plan.parameters(big)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        # From the oldest row's month to this one (the migrations made this month and the next three). No empty
        # month before the data: the maintenance loop would drop it as past retention, with an audit.purge row.
        first_month = plan.since.date().replace(day=1)
        months = (plan.generated_at.year - first_month.year) * 12 + plan.generated_at.month - first_month.month + 1
        created = conn.execute(named["partitions"], {"first_month": first_month, "months": months}).fetchone()
        step(f"partitions: {created[0] if created else 0} monthly partitions created from {first_month:%Y-%m}")
        conn.execute(named["hospitals"], common)
        conn.execute(named["departments"], common)
        conn.execute(named["users"], common)
        step(f"{HOSPITALS} hospitals, {HOSPITALS * USERS_PER_HOSPITAL} users")

        done = 0
        for segment in plan.segments():
            for first in range(segment.first, segment.first + segment.rows, chunk):
                last = min(first + chunk, segment.first + segment.rows) - 1
                conn.execute(
                    named["audit_rows"],
                    {
                        **common,
                        "first_row": first,
                        "last_row": last,
                        "segment_first": segment.first,
                        "segment_rows": segment.rows,
                        "t_from": segment.t_from,
                        "t_to": segment.t_to,
                        "p_big": segment.p_big,
                    },
                )
                done += last - first + 1
                elapsed = time.perf_counter() - started
                reached = segment.t_from + (segment.t_to - segment.t_from) * ((last + 1 - segment.first) / segment.rows)
                step(
                    f"audit rows: {done:>11,} of {plan.rows:,}  ({done / elapsed:,.0f} rows/s, {elapsed:.0f} s; "
                    f"up to {reached:%Y-%m-%d})"
                )
        start, end = plan.period
        conn.execute(named["alerts"], {**common, "alerts": ALERTS, "t_from": start, "t_to": end})
        conn.execute(named["escalations"], common)
        inserted = time.perf_counter() - started
        step(f"{ALERTS:,} alerts and their escalations; rows inserted in {inserted:.0f} s")
        conn.execute("VACUUM (ANALYZE)")
        step(f"VACUUM (ANALYZE) in {time.perf_counter() - started - inserted:.0f} s")
        comment = json.dumps({"rows": plan.rows, "generated_at": plan.generated_at.isoformat()})
        conn.execute(
            pgsql.SQL("COMMENT ON DATABASE {} IS {}").format(
                pgsql.Identifier(conn.info.dbname), pgsql.Literal(f"bench/audit.py {comment}")
            )
        )
    total = time.perf_counter() - started
    print(f"generation: {plan.rows:,} audit rows in {total:.0f} s ({plan.rows / total:,.0f} rows/s, VACUUM included)")


async def seal_everything(url: str) -> tuple[int, int, float]:
    """The service's sealer, with no settle time, until it seals nothing: (rows, seals, seconds)."""
    settings = load_settings({}, database_url=url, db_pool_min_size=1, db_pool_max_size=2)
    db = Database(url, settings)
    await db.open()
    rows = seals = 0
    reported = 0
    started = time.perf_counter()
    try:
        while (done := await seal_once(db, settle_seconds=0, batch_seconds=0)).seals:
            rows, seals = rows + done.rows, seals + done.seals
            if rows - reported >= 1_000_000:
                reported = rows
                elapsed = time.perf_counter() - started
                step(f"sealed {rows:>11,} rows in {seals:,} seals ({rows / elapsed:,.0f} rows/s)")
    finally:
        await db.close()
    return rows, seals, time.perf_counter() - started


# --- GET /audit/logs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    name: str
    params: dict[str, str]
    condition: pgsql.Composable


def bench_user(hospital: int, user: int) -> str:
    """The id generate_audit.sql gives user ``user`` of hospital ``hospital`` (md5 of its name)."""
    return str(uuid.UUID(hashlib.md5(f"bench-user-{hospital}-{user}".encode()).hexdigest()))


def filters(plan: Plan) -> list[Filter]:
    start, end = plan.period
    busiest = bench_user(0, 0)  # the skew makes user 0 the busiest, actor and target alike
    column = pgsql.Identifier
    return [
        Filter("none", {}, pgsql.SQL("true")),
        Filter("userId", {"userId": busiest}, pgsql.SQL("{} = {}").format(column("user_id"), busiest)),
        Filter("action=auth.login", {"action": "auth.login"}, pgsql.SQL("action = 'auth.login'")),
        Filter("resource=alert", {"resource": "alert"}, pgsql.SQL("resource = 'alert'")),
        Filter("resourceId", {"resourceId": busiest}, pgsql.SQL("resource_id = {}").format(busiest)),
        Filter("outcome=failure", {"outcome": "failure"}, pgsql.SQL("outcome = 'failure'")),
        Filter(
            "from+to (report period)",
            {"from": start.isoformat(), "to": end.isoformat()},
            pgsql.SQL('"timestamp" >= {} AND "timestamp" < {}').format(start, end),
        ),
    ]


@dataclass(frozen=True)
class Depth:
    matching: int
    page: int
    cursor: str | None
    first_id: str | None
    """The id the page must start with (the row after the cursor's)."""


def deep_cursor(conn: psycopg.Connection[Any], big: str, where: pgsql.Composable) -> Depth:
    """The cursor of page DEEP_PAGE (or the deepest page there is): the row at offset (page - 1) x PAGE - 1
    in the statement's order, the last row of the page before; and the row the page must start with."""
    condition = pgsql.SQL("hospital_id = {} AND ").format(big) + where
    query = pgsql.SQL("SELECT count(*) FROM audit_logs WHERE {}").format(condition)
    matching = conn.execute(query).fetchone()[0]  # type: ignore[index]
    page = min(DEEP_PAGE, -(-matching // PAGE))
    if page < 2:
        return Depth(matching, page, None, None)
    rows = conn.execute(
        pgsql.SQL(
            'SELECT "timestamp", id FROM audit_logs WHERE {} ORDER BY "timestamp" DESC, id DESC OFFSET {} LIMIT 2'
        ).format(condition, (page - 1) * PAGE - 1)
    ).fetchall()
    return Depth(matching, page, encode_cursor(rows[0][0], rows[0][1]), str(rows[1][1]))


def timed_pages(http: httpx.Client, params: dict[str, str], expect_first: str | None) -> list[float]:
    samples = []
    for n in range(WARM_UP + REQUESTS):
        started = time.perf_counter()
        response = http.get("/api/v1/audit/logs", params=params)
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"GET /audit/logs {params} answered {response.status_code}: {response.text}")
        if n == 0 and expect_first is not None and response.json()["logs"][0]["id"] != expect_first:
            raise SystemExit(f"GET /audit/logs {params}: the page does not start where SQL says it should")
        if n >= WARM_UP:
            samples.append(elapsed)
    return samples


def list_logs(http: httpx.Client, url: str, plan: Plan, big: str) -> None:
    step(f"GET /audit/logs: page 1 and page {DEEP_PAGE:,} (or the deepest) of each filter, {REQUESTS} requests each")
    lines = []
    with psycopg.connect(url) as conn:
        for kind in filters(plan):
            depth = deep_cursor(conn, big, kind.condition)
            first = timed_pages(http, {**kind.params, "limit": str(PAGE)}, None)
            deep = (
                timed_pages(http, {**kind.params, "limit": str(PAGE), "cursor": depth.cursor}, depth.first_id)
                if depth.cursor
                else []
            )
            lines.append((kind.name, depth, first, deep))
            step(f"{kind.name}: {depth.matching:,} rows, page 1 and page {depth.page:,} measured")
    print()
    print(
        f"GET /api/v1/audit/logs?limit={PAGE}, the big hospital: {REQUESTS} sequential requests per cell "
        f"(after {WARM_UP} untimed ones)"
    )
    header = (
        f"{'filter':<26}{'matching rows':>14}  {'page 1 p50/p99 ms':>18}  {'deep page':>9}  {'p50/p99 ms':>14}"
        f"  {'deep/first':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, depth, first, deep in lines:
        f50, f99 = percentile(first, 0.5) * 1000, percentile(first, 0.99) * 1000
        cells = f"{name:<26}{depth.matching:>14,}  {f50:>8.1f} / {f99:>7.1f}"
        if deep:
            d50, d99 = percentile(deep, 0.5) * 1000, percentile(deep, 0.99) * 1000
            cells += f"  {depth.page:>9,}  {d50:>6.1f} / {d99:>5.1f}  {d50 / f50:>10.2f}"
        else:
            cells += f"  {'(1 page)':>9}"
        print(cells)
    print()


# --- exports -----------------------------------------------------------------------------------------------


def export(http: httpx.Client, plan: Plan, fmt: str, pid: int) -> dict[str, Any]:
    start, end = plan.period
    created = http.post("/api/v1/audit/exports", json={"from": start.isoformat(), "to": end.isoformat(), "format": fmt})
    if created.status_code != 201:
        raise SystemExit(f"POST /audit/exports answered {created.status_code}: {created.text}")
    lines = size = 0
    first_line = b""
    with PeakRss(pid) as rss:
        started = time.perf_counter()
        with http.stream("GET", created.json()["downloadUrl"]) as response:
            if response.status_code != 200:
                raise SystemExit(f"download answered {response.status_code}: {response.read()!r}")
            first_byte = None
            for chunk in response.iter_bytes():
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                    first_line = chunk.split(b"\n", 1)[0]
                lines += chunk.count(b"\n")
                size += len(chunk)
            ended_with_newline = chunk.endswith(b"\n")
        elapsed = time.perf_counter() - started
    rows = lines - 1 if fmt == "csv" else lines
    return {
        "format": fmt,
        "rows": rows,
        "bytes": size,
        "seconds": elapsed,
        "first_byte": first_byte or 0.0,
        "complete": ended_with_newline,
        "rss": rss,
        "header": first_line.decode(errors="replace") if fmt == "csv" else "",
    }


def exports(http: httpx.Client, url: str, plan: Plan, big: str, pid: int) -> None:
    start, end = plan.period
    with psycopg.connect(url) as conn:
        expected = conn.execute(
            'SELECT count(*) FROM audit_logs WHERE hospital_id = %s AND "timestamp" >= %s AND "timestamp" < %s',
            (big, start, end),
        ).fetchone()[0]  # type: ignore[index]
    step(f"exports of {start:%Y-%m-%d} .. {end:%Y-%m-%d}: {expected:,} rows of the big hospital")
    results = [export(http, plan, fmt, pid) for fmt in ("csv", "ndjson")]
    print()
    print(f"export of the big hospital's {start:%Y-%m-%d} .. {end:%Y-%m-%d} ({expected:,} rows by SQL), streamed")
    header = (
        f"{'format':<8}{'rows':>11}{'MiB':>8}{'first byte':>12}{'seconds':>9}{'rows/s':>11}"
        f"{'RSS before':>12}{'peak':>8}{'after':>8}{'growth':>8}  rows = SQL"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        rss = r["rss"]
        print(
            f"{r['format']:<8}{r['rows']:>11,}{r['bytes'] / 2**20:>8.0f}{r['first_byte'] * 1000:>10.0f}ms"
            f"{r['seconds']:>9.1f}{r['rows'] / r['seconds']:>11,.0f}{rss.before:>10.0f}MB{rss.peak:>6.0f}MB"
            f"{rss.after:>6.0f}MB{rss.peak - rss.before:>+6.0f}MB  {r['rows'] == expected}"
            + ("" if r["complete"] else "  (ended mid-line: cut short)")
        )
    print(f"CSV header: {results[0]['header']}")
    print()


# --- compliance report -------------------------------------------------------------------------------------


def compliance_report(http: httpx.Client, plan: Plan) -> None:
    start, end = plan.period
    step(f"compliance report of {start:%Y-%m-%d} .. {end:%Y-%m-%d}, {REPORT_RUNS} times")
    samples, body = [], {}
    for _ in range(REPORT_RUNS):
        started = time.perf_counter()
        response = http.get(
            "/api/v1/audit/compliance-report", params={"from": start.isoformat(), "to": end.isoformat()}
        )
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"compliance report answered {response.status_code}: {response.text}")
        body = response.json()
    print()
    print(f"GET /api/v1/audit/compliance-report for {start:%Y-%m-%d} .. {end:%Y-%m-%d}, {REPORT_RUNS} runs in a row")
    print("seconds: " + ", ".join(f"{s:.2f}" for s in samples) + f"  (median {percentile(samples, 0.5):.2f})")
    integrity = body["integrity"]
    print(
        f"integrity: verified={integrity['verified']} checkedRows={integrity['checkedRows']:,} "
        f"firstBadRowId={integrity['firstBadRowId']}"
    )
    audit_rows = sum(a["count"] for a in body["actions"])
    # API.md names it usersWithout2fa; say so when the service spells it otherwise.
    without_2fa = [key for key in body if key.lower() == "userswithout2fa"]
    print(
        f"figures: {audit_rows:,} audit rows in {len(body['actions'])} (action, outcome) pairs, failedLogins="
        f"{body['failedLogins']:,}, lockouts={body['lockouts']:,}, roleChanges={body['roleChanges']:,}, "
        f"exports={body['exports']:,}, "
        + ", ".join(f"{key}={body[key]}" for key in without_2fa)
        + f", inactiveUsers={body['inactiveUsers']}"
    )
    if "usersWithout2fa" not in body:
        print(f"  NOTE: no usersWithout2fa field (API.md's name); the service sent {without_2fa or 'none'}")
    acks = body["ackTimeSeconds"]
    print(
        "ackTimeSeconds: "
        + ", ".join(
            f"{p} n={acks[p]['count']} median={acks[p]['median'] or 0:.0f} p90={acks[p]['p90'] or 0:.0f}"
            for p in ("critical", "high", "medium", "low")
        )
        + f"; escalations: {body['escalations']}"
    )
    print()


async def integrity_by_connections(url: str, plan: Plan, big: str) -> None:
    """The report's integrity check alone (``verify_period``), in this process, on 1, 2 and 3 connections: how
    it scales with the connections that share it (``HOSPITAL_ALERTS_AUDIT_VERIFY_CONNECTIONS``)."""
    start, end = plan.period
    step(f"the report's integrity check alone, by connections, {INTEGRITY_RUNS} runs each")
    print()
    print("connections   median s   runs (s)                  checkedRows  verified")
    for connections in (1, 2, 3):
        settings = load_settings(
            {},
            database_url=url,
            db_pool_min_size=1,
            db_pool_max_size=connections + 2,
            audit_verify_connections=connections,
        )
        db = Database(url, settings)
        await db.open()
        samples = []
        try:
            for _ in range(INTEGRITY_RUNS):
                started = time.perf_counter()
                verdict = await verify_period(db, uuid.UUID(big), start, end)
                samples.append(time.perf_counter() - started)
        finally:
            await db.close()
        runs = ", ".join(f"{s:.2f}" for s in samples)
        print(
            f"{connections:>11}   {percentile(samples, 0.5):>8.2f}   {runs:<24}  {verdict.checked_rows:>11,}  "
            f"{verdict.verified}"
        )
    print()


# --- audit verify ------------------------------------------------------------------------------------------


def verify(url: str, *args: str, **env: str) -> tuple[int, float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        [*COMMAND, "audit", "verify", *args],
        cwd=REPO_ROOT,
        env=environment(url, **SERVE_ENV, **env),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    return result.returncode, time.perf_counter() - started, (result.stdout + result.stderr).strip()


def last_line(output: str) -> str:
    return output.splitlines()[-1] if output else "(no output)"


def audit_verify(url: str, big: str) -> None:
    lines = []
    for scope, args in (("big hospital", ("--hospital", big)), ("whole chain", ())):
        step(f"audit verify, {scope}")
        settings = "default settings"
        code, seconds, output = verify(url, *args)
        if code != 0 and "checked" not in output:  # it did not get to the end: say why, then try with more time
            lines.append(f"{scope:<14}{settings:<24} exit {code}  {seconds:6.1f} s wall  FAILED: {last_line(output)}")
            settings = f"command timeout {CLI_TIMEOUT} s"
            step(f"audit verify, {scope}, again with HOSPITAL_ALERTS_DB_COMMAND_TIMEOUT={CLI_TIMEOUT}")
            code, seconds, output = verify(url, *args, HOSPITAL_ALERTS_DB_COMMAND_TIMEOUT=str(CLI_TIMEOUT))
        checked = re.search(r"checked (\d+) seals and (\d+) rows in ([\d.]+) s", output)
        if checked is None:
            lines.append(f"{scope:<14}{settings:<24} exit {code}  {seconds:6.1f} s wall  FAILED: {last_line(output)}")
            continue
        seals, rows, inside = int(checked[1]), int(checked[2]), float(checked[3])
        lines.append(
            f"{scope:<14}{settings:<24} exit {code}  {seconds:6.1f} s wall ({inside:.1f} s verifying)  "
            f"{rows:>11,} rows  {seals:>6,} seals  {seconds / rows * 1e6:5.1f} s per million rows  "
            f"{last_line(output)}"
        )
    print()
    print("hospital-alerts audit verify (a subprocess: wall time includes the interpreter's start)")
    for line in lines:
        print("  " + line)
    print()


# --- the run -----------------------------------------------------------------------------------------------


@contextmanager
def reused(name: str) -> Iterator[tuple[BenchDatabase, Plan]]:
    url = with_database(server_url(), name)
    with psycopg.connect(url) as conn:
        described = "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s"
        text = conn.execute(described, (name,)).fetchone()[0] or ""  # type: ignore[index]
        big = conn.execute("SELECT id FROM hospitals WHERE name = 'Bench General Hospital'").fetchone()
    if not text.startswith("bench/audit.py ") or big is None:
        raise SystemExit(f"{name} is not a database bench/audit.py generated (run it with --keep first)")
    saved = json.loads(text.removeprefix("bench/audit.py "))
    yield BenchDatabase(url, str(big[0])), Plan(saved["rows"], datetime.fromisoformat(saved["generated_at"]))


def git_head() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="audit rows to generate (default 10,000,000)")
    parser.add_argument("--chunk", type=int, default=1_000_000, help="rows per INSERT statement (default 1,000,000)")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end (for --reuse)")
    parser.add_argument("--reuse", metavar="DATABASE", help="measure on a database kept by an earlier --keep run")
    args = parser.parse_args()
    began = time.perf_counter()

    with ExitStack() as stack:
        if args.reuse:
            database, plan = stack.enter_context(reused(args.reuse))
            step(f"reusing {args.reuse}: {plan.rows:,} rows generated at {plan.generated_at:%Y-%m-%d %H:%M} UTC")
        else:
            database = stack.enter_context(bench_database(keep=args.keep))
            plan = Plan(args.rows, datetime.now(UTC))
            generate(database.url, plan, database.hospital_id, args.chunk)
            step("sealing every row with the service's sealer (seal_once, settle_seconds=0)")
            rows, seals, seconds = asyncio.run(seal_everything(database.url))
            print(f"sealing: {rows:,} rows in {seals:,} seals in {seconds:.0f} s ({rows / seconds:,.0f} rows/s)")
            with psycopg.connect(database.url, autocommit=True) as conn:
                conn.execute("ANALYZE audit_seals, audit_seal_parts")
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        serve = stack.enter_context(ServeProcess(database.url, logs / "serve.log", **SERVE_ENV))
        serve.wait_ready()
        pid = serve.process.pid
        started_rss = rss_mib(pid)
        http = stack.enter_context(httpx.Client(base_url=serve.base_url, timeout=600))
        login = http.post("/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD})
        if login.status_code != 200:
            raise SystemExit(f"login answered {login.status_code}: {login.text}")
        http.headers["Authorization"] = f"Bearer {login.json()['token']}"

        with psycopg.connect(database.url) as conn:
            total, big_rows = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE hospital_id = %s) FROM audit_logs", (database.hospital_id,)
            ).fetchone()  # type: ignore[misc]
        start, end = plan.period
        print()
        print(
            f"data: {total:,} audit rows over {SPAN.days} days ({plan.since:%Y-%m-%d} .. {plan.until:%Y-%m-%d}), "
            f"{HOSPITALS} hospitals x {USERS_PER_HOSPITAL} users; the big hospital: {big_rows:,} rows, "
            f"report period {start:%Y-%m-%d} .. {end:%Y-%m-%d}"
        )
        print(
            f"server: 1 serve process, 1 worker; client: httpx, one request at a time (concurrency 1); "
            f"machine: {os.cpu_count()} CPUs, PostgreSQL on it too, load average {os.getloadavg()[0]:.2f}; "
            f"commit {git_head()}"
        )
        print(f"server RSS after start and login: {started_rss:.0f} MiB")
        print()

        list_logs(http, database.url, plan, database.hospital_id)
        exports(http, database.url, plan, database.hospital_id, pid)
        compliance_report(http, plan)
        asyncio.run(integrity_by_connections(database.url, plan, database.hospital_id))
        audit_verify(database.url, database.hospital_id)
        print(
            f"server RSS at the end: {rss_mib(pid):.0f} MiB; load average {os.getloadavg()[0]:.2f}; "
            f"bench wall time {time.perf_counter() - began:.0f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
