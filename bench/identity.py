"""Identity bench: bulk user creation and login cost, against a real ``hospital-alerts serve`` over HTTP.

    .venv/bin/python bench/identity.py [--batches 100] [--logins 40] [--concurrency 8]

What it does, on a throwaway database it creates on DATABASE_URL's server (or the embedded PostgreSQL when
DATABASE_URL is unset) and drops at the end:

1. starts one ``serve`` process (one worker), creates a hospital and an admin with the command line;
2. ``POST /api/v1/users/bulk`` with 100 users, ``--batches`` times in a row, so the hospital grows from 0 to
   ``100 x batches`` users while it is measured (target: under 1 s per batch of 100);
3. logins one at a time: right password, wrong password (each followed by a right one, which resets the failure
   count so the account never locks), unknown email; the three medians should be close (no user enumeration by
   timing; argon2id dominates all three);
4. ``--concurrency`` clients logging in at once: logins per second (argon2id-bound: 19 MiB, t=2 per login),
   and the latency of ``GET /auth/me`` beside them against its latency alone (argon2 runs on a thread pool,
   so logins must not stall other requests);
5. the server's resident memory after all of it.

The client is httpx in this process; the numbers are wall-clock latencies seen by the client, including HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PASSWORD, SERVE_ENV, bench_database, rss_mib, step, summary

from tests.e2e.processes import ServeProcess


async def bulk_create(http: httpx.AsyncClient, headers: dict[str, str], batches: int) -> list[float]:
    samples = []
    for batch in range(batches):
        users = [
            {
                "name": f"Bench User {batch:04d}-{row:03d}",
                "email": f"bench.{batch:04d}.{row:03d}@bench.example",
                "role": ("nurse", "doctor", "operator", "head_doctor")[row % 4],
                "licenseNumber": f"LIC-{batch:04d}{row:03d}",
                "shiftSchedule": [{"day": row % 7, "start": "07:00", "end": "19:00"}],
            }
            for row in range(100)
        ]
        started = time.perf_counter()
        response = await http.post("/api/v1/users/bulk", json={"users": users}, headers=headers)
        samples.append(time.perf_counter() - started)
        if response.status_code != 201:
            raise SystemExit(f"bulk create failed: {response.status_code} {response.text}")
        if (batch + 1) % 10 == 0 or batch + 1 == batches:
            step(f"bulk: {batch + 1}/{batches} batches, {100 * (batch + 1)} users")
    return samples


async def timed_login(http: httpx.AsyncClient, email: str, password: str, expected: int) -> float:
    started = time.perf_counter()
    response = await http.post("/api/v1/auth/login", json={"email": email, "password": password})
    elapsed = time.perf_counter() - started
    if response.status_code != expected:
        raise SystemExit(f"login for {email} answered {response.status_code}, expected {expected}: {response.text}")
    return elapsed


async def logins(http: httpx.AsyncClient, email: str, count: int) -> dict[str, list[float]]:
    right, wrong, unknown = [], [], []
    for i in range(count):
        wrong.append(await timed_login(http, email, PASSWORD + "x", 401))
        right.append(await timed_login(http, email, PASSWORD, 200))  # also resets the failure count
        unknown.append(await timed_login(http, f"nobody.{i}.{uuid.uuid4().hex[:6]}@bench.example", PASSWORD, 401))
    return {"right password": right, "wrong password": wrong, "unknown email": unknown}


async def concurrent_logins(
    http: httpx.AsyncClient, email: str, total: int, concurrency: int
) -> tuple[float, list[float]]:
    samples: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)

    async def worker() -> None:
        while not queue.empty():
            queue.get_nowait()
            samples.append(await timed_login(http, email, PASSWORD, 200))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, samples


async def probe_me(http: httpx.AsyncClient, headers: dict[str, str], stop: asyncio.Event) -> list[float]:
    """GET /auth/me back to back until ``stop``: what an ordinary request costs meanwhile."""
    samples = []
    while not stop.is_set():
        started = time.perf_counter()
        response = await http.get("/api/v1/auth/me", headers=headers)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"/auth/me answered {response.status_code}: {response.text}")
        await asyncio.sleep(0.005)
    return samples


async def me_during(http: httpx.AsyncClient, headers: dict[str, str], work: Any) -> tuple[list[float], Any]:
    stop = asyncio.Event()
    prober = asyncio.create_task(probe_me(http, headers, stop))
    try:
        result = await work
    finally:
        stop.set()
    return await prober, result


async def measure(base_url: str, email: str, password: str, args: argparse.Namespace, pid: int) -> None:
    limits = httpx.Limits(max_connections=args.concurrency + 2)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        token = (await http.post("/api/v1/auth/login", json={"email": email, "password": password})).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        step(f"bulk create: {args.batches} batches of 100 users, one after another")
        bulk = await bulk_create(http, headers, args.batches)
        step(f"logins one at a time: {args.logins} of each kind")
        kinds = await logins(http, email, args.logins)
        step("GET /auth/me alone, for 3 s")
        idle_me, _ = await me_during(http, headers, asyncio.sleep(3))
        step(f"{args.concurrency} concurrent clients, {args.concurrency * 10} logins, GET /auth/me beside them")
        busy_me, (elapsed, parallel) = await me_during(
            http, headers, concurrent_logins(http, email, args.concurrency * 10, args.concurrency)
        )
        rss = rss_mib(pid)

    print()
    print(f"data: 1 hospital growing to {100 * args.batches} users; server: 1 serve process, 1 worker")
    print(f"machine: {os.cpu_count()} CPUs; client: httpx in one process on the same machine")
    print(summary("POST /users/bulk (100 users)", bulk))
    print(f"{'':<44} mean={statistics.mean(bulk) * 1000:.1f} ms, under 1 s: {sum(s < 1 for s in bulk)}/{len(bulk)}")
    for name, samples in kinds.items():
        print(summary(f"POST /auth/login, {name}", samples))
    medians = {name: statistics.median(samples) for name, samples in kinds.items()}
    print(f"{'':<44} unknown email / wrong password median: {medians['unknown email'] / medians['wrong password']:.2f}")
    print(summary(f"POST /auth/login x{args.concurrency} concurrent", parallel))
    print(f"{'':<44} throughput: {len(parallel) / elapsed:.1f} logins/s")
    print(summary("GET /auth/me, nothing else running", idle_me))
    print(summary(f"GET /auth/me beside {args.concurrency} logging in", busy_me))
    print(f"server RSS after the run: {rss:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=100, help="bulk requests of 100 users (default 100)")
    parser.add_argument("--logins", type=int, default=40, help="sequential logins of each kind (default 40)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent login clients (default 8)")
    args = parser.parse_args()

    with (
        bench_database() as database,
        tempfile.TemporaryDirectory() as logs,
        ServeProcess(database.url, Path(logs) / "serve.log", **SERVE_ENV) as serve,
    ):
        serve.wait_ready()
        asyncio.run(measure(serve.base_url, database.admin_email, database.admin_password, args, serve.process.pid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
