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
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import SERVE_ENV, bench_database, percentile, rss_mib, step

from tests.e2e.processes import ServeProcess


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

    with (
        bench_database() as database,
        tempfile.TemporaryDirectory() as logs,
        ServeProcess(database.url, Path(logs) / "a.log", **SERVE_ENV) as a,
        ServeProcess(database.url, Path(logs) / "b.log", **SERVE_ENV) as b,
    ):
        a.wait_ready()
        b.wait_ready()
        credentials = {"email": database.admin_email, "password": database.admin_password}
        token = httpx.post(f"{a.base_url}/api/v1/auth/login", json=credentials).json()["token"]
        department = httpx.post(
            f"{a.base_url}/api/v1/hospital/departments",
            json={"name": "Emergency", "code": "ER"},
            headers={"Authorization": f"Bearer {token}"},
        )
        asyncio.run(measure(a, b, token, department.json()["id"], args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
