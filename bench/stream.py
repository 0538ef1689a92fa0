"""Stream bench: how soon an alert raised through one ``serve`` process reaches subscribers of another.

    .venv/bin/python bench/stream.py [--subscribers 50] [--alerts 200] [--rate 20]

On a throwaway database (DATABASE_URL's server, or the embedded PostgreSQL; dropped at the end): two ``serve``
processes A and B; ``--subscribers`` SSE clients on B (admins: they see every alert); ``--alerts`` alerts raised
through A at ``--rate`` per second. For each event and subscriber: the time from A's 201 to the event's arrival
(target: under 1 s). Also: alerts raised per second, B's resident memory with the subscribers connected.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from psycopg import sql as pgsql

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bench.identity import percentile, rss_mib, server_url, step, with_database  # noqa: E402
from tests.e2e.processes import ServeProcess, run  # noqa: E402

PASSWORD = "bench-password-2026"


async def subscriber(base_url: str, token: str, arrivals: dict[str, list[float]], ready: asyncio.Event) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=None) as http,
        http.stream("GET", "/api/v1/alerts/stream", headers=headers) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("data: {"):
                arrivals.setdefault(json.loads(line[6:])["id"], []).append(time.perf_counter())


async def measure(a: ServeProcess, b: ServeProcess, token: str, department_id: str, args: argparse.Namespace) -> None:
    arrivals: dict[str, list[float]] = {}
    readies = [asyncio.Event() for _ in range(args.subscribers)]
    tasks = [asyncio.create_task(subscriber(b.base_url, token, arrivals, ready)) for ready in readies]
    await asyncio.gather(*(ready.wait() for ready in readies))
    step(f"{args.subscribers} subscribers connected to B; raising {args.alerts} alerts through A")
    raised: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {token}"}
    body = {"title": "Bench alert", "priority": "high", "alertType": "medical", "departmentId": department_id}
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=a.base_url, timeout=30) as http:
        for n in range(args.alerts):
            response = await http.post("/api/v1/alerts", json=body, headers=headers)
            raised[response.json()["id"]] = time.perf_counter()
            await asyncio.sleep(max(0.0, started + (n + 1) / args.rate - time.perf_counter()))
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline and any(len(arrivals.get(i, [])) < args.subscribers for i in raised):
        await asyncio.sleep(0.05)
    rss = rss_mib(b.process.pid)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    delays = [(t - raised[i]) * 1000 for i in raised for t in arrivals.get(i, [])]
    expected = len(raised) * args.subscribers
    print()
    print(f"data: 1 hospital, {args.alerts} alerts at {args.rate}/s through A; {args.subscribers} subscribers on B")
    print(f"machine: {os.cpu_count()} CPUs; PostgreSQL, both serve processes and the client on it")
    print(f"delivered {len(delays)} of {expected} (alert, subscriber) pairs")
    print(
        f"A's 201 -> arrival at a subscriber of B: p50={percentile(delays, 0.5):.1f} ms "
        f"p99={percentile(delays, 0.99):.1f} ms max={max(delays):.1f} ms; over 1 s: {sum(d > 1000 for d in delays)}"
    )
    print(f"B's RSS with {args.subscribers} subscribers: {rss:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="alerts raised per second")
    args = parser.parse_args()

    server = server_url()
    name = f"ha_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(with_database(server, "postgres"), autocommit=True) as conn:
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    url = with_database(server, name)
    env = {"HOSPITAL_ALERTS_LOGIN_RATE_PER_MINUTE": "100000", "HOSPITAL_ALERTS_LOG_LEVEL": "WARNING"}
    try:
        step(f"database {name}: migrating, a hospital, its admin, two serve processes")
        assert run("migrate", "up", database_url=url, **env).returncode == 0
        hospital_id = run("create-hospital", "--name", "Bench", database_url=url, **env).stdout.split()[-1]
        admin = run(
            "create-admin", "--hospital-id", hospital_id, "--email", "admin@bench.example", "--password", "-",
            database_url=url, stdin=PASSWORD, **env,
        )  # fmt: skip
        assert admin.returncode == 0, admin.stderr
        with (
            tempfile.TemporaryDirectory() as logs,
            ServeProcess(url, Path(logs) / "a.log", **env) as a,
            ServeProcess(url, Path(logs) / "b.log", **env) as b,
        ):
            a.wait_ready()
            b.wait_ready()
            login = httpx.post(
                f"{a.base_url}/api/v1/auth/login", json={"email": "admin@bench.example", "password": PASSWORD}
            )
            token = login.json()["token"]
            department = httpx.post(
                f"{a.base_url}/api/v1/hospital/departments",
                json={"name": "Emergency", "code": "ER"},
                headers={"Authorization": f"Bearer {token}"},
            )
            asyncio.run(measure(a, b, token, department.json()["id"], args))
    finally:
        with psycopg.connect(with_database(server, "postgres"), autocommit=True) as conn:
            conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
