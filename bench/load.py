"""Load bench: every hot endpoint of a real ``hospital-alerts serve`` over HTTP, at 100 connections, on seeded data.

    .venv/bin/python bench/load.py [--scale 100 | --reuse DATABASE] [--duration 10] [--connections 100]
                                   [--compare | --no-compare] [--only NAME ...] [--keep]

What it does:

1. builds the data set with ``hospital-alerts seed --scale N`` in a throwaway database (or reuses a seeded one:
   ``--reuse``; seeding the large scale takes about 8 minutes), on DATABASE_URL's server;
2. with ``--compare`` (the default), starts the service and the floor (``bench/floor.py``: the same framework and
   server returning a constant body) under uvicorn and granian, with one worker and two, and measures four
   scenarios under each: the numbers the default server and worker count are chosen from;
3. starts the service under the chosen configuration and, for each scenario: a 2 s warm-up, then
   **throughput**: wrk, 100 connections for ``--duration`` seconds (requests/s; its closed-loop latencies are
   kept but not the headline), then **latency at a fixed rate** of half that throughput for ``--duration``
   seconds from an open-loop client (below): p50/p90/p99/max measured from each request's *scheduled* send
   time, so a stall shows as a tail instead of slowing the sender down (no coordinated omission);
4. each read scenario's throughput is divided by the floor's at the same body size; the deep pages' latencies by
   their first pages';
5. exports hospital 1's whole audit trail (a million rows at the large scale) as CSV, once, while sampling the
   server's memory;
6. writes ``bench/results/load.json``, ``load.md`` and ``load.png`` (latency percentiles per scenario) with the
   machine, data scale, configuration and commit.

Load generators: **wrk** (Debian's package) for throughput: C, one thread, an event loop: it drives 100
connections using a small fraction of a core, so the server and PostgreSQL keep the machine. wrk has no fixed
rate (wrk2 is not packaged; hey's ``-q`` paces each worker in a closed loop and cannot vary bodies), so the
fixed-rate phase uses this file's open-loop client: asyncio on uvloop, raw HTTP/1.1 on 100 keep-alive
connections, each request sent at its scheduled time on a free connection. At half the throughput it needs a
fraction of a core too; the CPU each side used is printed with every scenario, so the claim can be checked.

Needs the bench extras (``pip install -e '.[test,bench]'``: matplotlib for the plot, granian to compare) and
wrk (``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO_ROOT, named_statements, rss_mib, server_url, step, throwaway_database, with_database
from service.ops.seed import SEED_PASSWORD, seed_email
from service.pages import encode_cursor
from tests.e2e.processes import COMMAND, environment, free_port

RESULTS = REPO_ROOT / "bench" / "results"
STATEMENTS = REPO_ROOT / "bench" / "sql" / "load.sql"
SERVE_ENV = {
    # Benches log in far more often than people: the per-address limit would only measure itself.
    "HOSPITAL_ALERTS_LOGIN_RATE_PER_MINUTE": "100000",
    "HOSPITAL_ALERTS_LOG_LEVEL": "WARNING",
}
READ_TARGET_MS = 25.0
WRITE_TARGET_MS = 50.0
AUDIT_DEEP_PAGE = 10_000
AUDIT_PAGE = 100
USERS_PAGE = 20
ACK_ALERTS = 120_000
"""Active alerts raised for the acknowledge scenario: more than wrk and the fixed-rate phase can get through."""


def uuid_of(name: str) -> str:
    """The seed's ids: md5(name) as a uuid (sql/seed/)."""
    return str(uuid.UUID(hashlib.md5(name.encode()).hexdigest()))


# --- scenarios ---------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    kind: str  # read | write | login
    role: str
    method: str
    path: str
    body: Any = None
    rotate: str | None = None
    """None: the same request each time; 'ack': POST /alerts/{id}/acknowledge with a new id each time;
    'bulk': 100 new users with fresh emails each time."""

    @property
    def target_ms(self) -> float | None:
        return {"read": READ_TARGET_MS, "write": WRITE_TARGET_MS}.get(self.kind)


def scenarios(audit_cursor: str, audit_page: int, last_hospital: int) -> list[Scenario]:
    department = uuid_of("seed-department-1-0")
    return [
        Scenario("active alerts, nurse", "read", "nurse", "GET", "/api/v1/alerts/active?limit=50"),
        Scenario("active alerts, doctor", "read", "doctor", "GET", "/api/v1/alerts/active?limit=50"),
        Scenario("active alerts, admin", "read", "admin", "GET", "/api/v1/alerts/active?limit=50"),
        Scenario("users page 1", "read", "admin", "GET", f"/api/v1/users?page=1&limit={USERS_PAGE}"),
        Scenario("users page 50 (last)", "read", "admin", "GET", f"/api/v1/users?page=50&limit={USERS_PAGE}"),
        Scenario("users search", "read", "admin", "GET", f"/api/v1/users?search=okafor&limit={USERS_PAGE}"),
        Scenario("audit logs page 1", "read", "admin", "GET", f"/api/v1/audit/logs?limit={AUDIT_PAGE}"),
        Scenario(
            f"audit logs page {audit_page:,}",
            "read",
            "admin",
            "GET",
            f"/api/v1/audit/logs?limit={AUDIT_PAGE}&cursor={audit_cursor}",
        ),
        Scenario(
            "create alert",
            "write",
            "operator",
            "POST",
            "/api/v1/alerts",
            {
                "title": "Cardiac arrest, room 412 (load bench)",
                "priority": "critical",
                "alertType": "medical",
                "departmentId": department,
                "roomNumber": "412",
            },
        ),
        Scenario("acknowledge", "write", "head_doctor", "POST", "/api/v1/alerts/{id}/acknowledge", rotate="ack"),
        # In the last hospital, not hospital 1: users are never deleted, and hospital 1's user pages must stay as
        # the seed left them for the next run.
        Scenario(
            "bulk create 100 users", "bulk", "bulk_admin", "POST", "/api/v1/users/bulk", last_hospital, rotate="bulk"
        ),
        Scenario(
            "login", "login", "", "POST", "/api/v1/auth/login", {"email": seed_email(1, 3), "password": SEED_PASSWORD}
        ),
    ]


COMPARED = ("active alerts, nurse", "users page 1", "create alert")
"""The scenarios measured under every server and worker count (with the floor): a cheap read, a read with a
count, a write."""


def bulk_users(prefix: str, hospital: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"Load User {prefix} {i:03d}",
            "email": f"load.{prefix}.{i:03d}@load.example",
            "role": ("nurse", "doctor", "operator", "head_doctor")[i % 4],
            "departmentId": uuid_of(f"seed-department-{hospital}-{i % 10}"),
            "shiftSchedule": [{"day": i % 7, "start": "07:00", "end": "19:00"}],
        }
        for i in range(100)
    ]


# --- wrk -----------------------------------------------------------------------------------------------------

_WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for this text (ASCII)


def wrk_script(scenario: Scenario, headers: dict[str, str], ids: list[str], prefix: str) -> str:
    """The Lua script that makes wrk send ``scenario``'s requests."""
    header_lines = "\n".join(f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
    common = f"wrk.method = {_lua_string(scenario.method)}\n{header_lines}\n"
    if scenario.rotate == "ack":
        table = ",".join(_lua_string(i) for i in ids)
        return (
            common
            + f"local ids = {{{table}}}\nlocal n = 0\n"
            + "request = function()\n  n = n + 1\n"
            + '  return wrk.format(nil, "/api/v1/alerts/" .. ids[(n - 1) % #ids + 1] .. "/acknowledge")\nend\n'
            + _WRK_DONE
        )
    if scenario.rotate == "bulk":
        template = json.dumps({"users": bulk_users("PREFIX", scenario.body)})
        return (
            common
            + f"local template = {_lua_string(template)}\nlocal n = 0\n"
            + "request = function()\n  n = n + 1\n"
            + f'  local body = template:gsub("PREFIX", "{prefix}" .. n)\n'
            + f"  return wrk.format(nil, {_lua_string(scenario.path)}, nil, body)\nend\n"
            + _WRK_DONE
        )
    body = f"wrk.body = {_lua_string(json.dumps(scenario.body))}\n" if scenario.body is not None else ""
    return common + f"wrk.path = {_lua_string(scenario.path)}\n" + body + _WRK_DONE


@dataclass
class Throughput:
    rps: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    generator_cpu: float
    """CPU seconds per wall second wrk used (1.0 = one core)."""


def wrk(base_url: str, script: str, connections: int, seconds: float) -> Throughput:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        before = os.times()
        started = time.perf_counter()
        result = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "30s", "-s", lua.name, base_url],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall = time.perf_counter() - started
        after = os.times()
    finally:
        os.unlink(lua.name)
    line = next((x for x in result.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    errors = data["connect"] + data["read"] + data["write"] + data["status"] + data["timeout"]
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return Throughput(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        requests=data["requests"],
        errors=errors,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        generator_cpu=cpu / wall,
    )


# --- the open-loop client -------------------------------------------------------------------------------------


@dataclass
class FixedRate:
    rate: float
    achieved: float
    requests: int
    statuses: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    generator_cpu: float


def raw_request(method: str, path: str, headers: dict[str, str], body: bytes | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    match = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
    if match:
        await reader.readexactly(int(match.group(1)))
    elif re.search(rb"\r\ntransfer-encoding:\s*chunked", head, re.I):
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _open_loop(
    port: int, make: Callable[[int], bytes], rate: float, seconds: float, connections: int
) -> FixedRate:
    loop = asyncio.get_running_loop()
    # Last in, first out: at a low rate the same few connections serve, and the rest stay idle rather than every
    # connection going idle for longer than the server's keep-alive (uvicorn closes them after 5 s).
    free: asyncio.LifoQueue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.LifoQueue()
    for _ in range(connections):
        free.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    total = max(1, int(rate * seconds))
    payloads = [make(k) for k in range(total)]  # built before the clock starts
    latencies: list[float] = []
    statuses: Counter[str] = Counter()

    async def one(k: int, scheduled: float) -> None:
        reader, writer = await free.get()
        for attempt in (1, 2):
            try:
                writer.write(payloads[k])
                status = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                # A connection the server closed while idle fails before any byte of an answer: reconnect and
                # send again, once (as an HTTP client does); the time lost counts against the latency.
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                if attempt == 2 or not (isinstance(exc, asyncio.IncompleteReadError) and not exc.partial):
                    statuses[type(exc).__name__] += 1
                    break
                statuses["reconnected"] += 1
            else:
                statuses[str(status)] += 1
                latencies.append(loop.time() - scheduled)
                break
        free.put_nowait((reader, writer))

    cpu_before = time.process_time()
    start = loop.time() + 0.05
    tasks: list[asyncio.Task[None]] = []
    k = 0
    while k < total:
        now = loop.time()
        while k < total and start + k / rate <= now:
            tasks.append(asyncio.create_task(one(k, start + k / rate)))
            k += 1
        if k < total:
            await asyncio.sleep(max(0.0, start + k / rate - loop.time()))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    cpu = time.process_time() - cpu_before
    while not free.empty():
        free.get_nowait()[1].close()
    ordered = sorted(latencies) or [float("nan")]

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000

    return FixedRate(
        rate=rate,
        achieved=len(latencies) / elapsed,
        requests=len(latencies),
        statuses=dict(statuses),
        p50_ms=pct(0.5),
        p90_ms=pct(0.9),
        p99_ms=pct(0.99),
        max_ms=ordered[-1] * 1000,
        generator_cpu=cpu / elapsed,
    )


def fixed_rate(port: int, make: Callable[[int], bytes], rate: float, seconds: float, connections: int) -> FixedRate:
    try:
        import uvloop

        return uvloop.run(_open_loop(port, make, rate, seconds, connections))
    except ImportError:
        return asyncio.run(_open_loop(port, make, rate, seconds, connections))


# --- processes ------------------------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (read from each process's parent in /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(stat.parent.name))
    found = [pid]
    for known in found:
        found.extend(children.get(known, []))
    return found


def settle(server: Server, idle: float = 0.15, longest: float = 60.0) -> None:
    """Wait until the server uses under ``idle`` of a core over half a second: what a closed-loop phase left queued
    (a hundred logins take seconds of argon2) must not count against the next phase."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        before = cpu_seconds(server.pids)
        time.sleep(0.5)
        if cpu_seconds(server.pids) - before < idle * 0.5:
            return


def cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (every core), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Sampler:
    """Samples the resident memory of a process tree every 100 ms while the block runs: the largest single
    process, and the largest total."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.max_process = 0.0
        self.max_total = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        sizes = [rss_mib(p) for p in descendants(self.pid)]
        sizes = [s for s in sizes if s == s]  # a process that exited is NaN
        if sizes:
            self.max_process = max(self.max_process, max(sizes))
            self.max_total = max(self.max_total, sum(sizes))

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            with suppress(OSError, ValueError):
                self.sample()

    def __enter__(self) -> Sampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Server:
    """A server process on a free port: the service (``hospital-alerts serve``) or the floor."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        self.log = log
        self.process = subprocess.Popen(
            [*argv, "--port", str(self.port)], cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{argv} exited with {self.process.returncode}: {log.read_text()[-2000:]}")
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/health/ready", timeout=2).status_code == 200:
                    return
            time.sleep(0.25)
        raise SystemExit(f"{argv} was not ready in 90 s: {log.read_text()[-2000:]}")

    @property
    def pids(self) -> list[int]:
        return descendants(self.process.pid)

    def stop(self) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._log.close()


@contextmanager
def service(url: str, server: str, workers: int, logs: Path) -> Iterator[Server]:
    env = environment(url, **SERVE_ENV)
    process = Server([*COMMAND, "serve", "--server", server, "--workers", str(workers)], env, logs / "serve.log")
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def floor(server: str, workers: int, logs: Path) -> Iterator[Server]:
    env = environment(None, PYTHONPATH=str(REPO_ROOT))
    process = Server(
        [sys.executable, "bench/floor.py", "--server", server, "--workers", str(workers)], env, logs / "floor.log"
    )
    try:
        yield process
    finally:
        process.stop()


# --- one scenario -------------------------------------------------------------------------------------------


@dataclass
class Result:
    scenario: str
    kind: str
    server: str
    workers: int
    body_bytes: int
    throughput: Throughput
    fixed: FixedRate | None
    rss_process_mib: float
    rss_total_mib: float
    server_cpu: float
    """CPU seconds per second the server's processes used during the throughput phase (1.0 = one core)."""
    postgres_cpu: float
    """The rest of the machine's busy time in that phase: PostgreSQL, mostly (its backends come and go)."""
    floor_rps: float | None = None
    target_ms: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def floor_ratio(self) -> float | None:
        return self.throughput.rps / self.floor_rps if self.floor_rps else None


class Bench:
    def __init__(self, url: str, args: argparse.Namespace) -> None:
        self.url = url
        self.args = args
        self.run_id = uuid.uuid4().hex[:6]
        self.tokens: dict[str, str] = {}
        self.ack_ids: list[str] = []
        self.statements = named_statements(STATEMENTS)

    def sql(self, name: str, **params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            cursor = conn.execute(self.statements[name], params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []

    def tidy(self) -> None:
        """Close the alerts the write scenarios raised and vacuum them away, so each configuration and each run
        reads hospital 1's open alerts as the seed left them."""
        self.sql("close_bench_alerts")
        self.sql("vacuum_alerts")

    def login(self, server: Server, last_hospital: int) -> None:
        accounts = [
            (role, 1, user) for user, role in enumerate(("admin", "head_doctor", "doctor", "nurse", "operator"))
        ]
        for role, hospital, user in [*accounts, ("bulk_admin", last_hospital, 0)]:
            answer = httpx.post(
                f"{server.base_url}/api/v1/auth/login",
                json={"email": seed_email(hospital, user), "password": SEED_PASSWORD},
                timeout=30,
            )
            if answer.status_code != 200:
                raise SystemExit(f"login as {seed_email(hospital, user)} answered {answer.status_code}: {answer.text}")
            self.tokens[role] = answer.json()["token"]

    def headers(self, scenario: Scenario) -> dict[str, str]:
        headers = {"Content-Type": "application/json"} if scenario.method == "POST" else {}
        if scenario.role:
            headers["Authorization"] = f"Bearer {self.tokens[scenario.role]}"
        return headers

    def maker(self, scenario: Scenario, ids: list[str], prefix: str) -> Callable[[int], bytes]:
        headers = {k: v for k, v in self.headers(scenario).items() if k != "Content-Type"}
        if scenario.rotate == "ack":
            return lambda k: raw_request("POST", f"/api/v1/alerts/{ids[k % len(ids)]}/acknowledge", headers, None)
        if scenario.rotate == "bulk":
            return lambda k: raw_request(
                "POST",
                scenario.path,
                headers,
                json.dumps({"users": bulk_users(f"{prefix}{k}", scenario.body)}).encode(),
            )
        body = json.dumps(scenario.body).encode() if scenario.body is not None else None
        request = raw_request(scenario.method, scenario.path, headers, body)
        return lambda k: request

    def body_size(self, server: Server, scenario: Scenario) -> int:
        if scenario.method != "GET":
            return 0
        answer = httpx.get(server.base_url + scenario.path, headers=self.headers(scenario), timeout=30)
        if answer.status_code != 200:
            raise SystemExit(f"{scenario.name}: {scenario.path} answered {answer.status_code}: {answer.text[:300]}")
        return len(answer.content)

    def measure(self, server: Server, scenario: Scenario, config: tuple[str, int], fixed: bool = True) -> Result:
        seconds, connections = self.args.duration, self.args.connections
        ids_wrk: list[str] = []
        ids_fixed: list[str] = []
        if scenario.rotate == "ack":
            half = len(self.ack_ids) // 2
            ids_wrk, ids_fixed = self.ack_ids[:half], self.ack_ids[half:]
        size = self.body_size(server, scenario)
        prefix = f"{self.run_id}{config[0][0]}{config[1]}"
        # Warm-up: the pool fills, statements get prepared, caches warm. Not measured.
        wrk(server.base_url, wrk_script(scenario, self.headers(scenario), ids_wrk, f"w{prefix}"), connections, 2)
        settle(server)
        if scenario.rotate == "ack":
            ids_wrk = ids_wrk[len(ids_wrk) // 4 :]  # the warm-up acknowledged at most a quarter
        with Sampler(server.process.pid) as rss:
            server_before, busy_before = cpu_seconds(server.pids), machine_busy_seconds()
            wall = time.perf_counter()
            script = wrk_script(scenario, self.headers(scenario), ids_wrk, f"t{prefix}")
            throughput = wrk(server.base_url, script, connections, seconds)
            wall = time.perf_counter() - wall
            server_cpu = (cpu_seconds(server.pids) - server_before) / wall
            # PostgreSQL's backends come and go with the pool: what the machine spent beside the server and wrk.
            pg_cpu = max(0.0, (machine_busy_seconds() - busy_before) / wall - server_cpu - throughput.generator_cpu)
            settle(server)  # requests wrk left in flight finish before the fixed-rate clock starts
            fixed_result = None
            if fixed:
                rate = max(1.0, throughput.rps / 2)
                fixed_result = fixed_rate(
                    server.port, self.maker(scenario, ids_fixed, f"f{prefix}"), rate, seconds, connections
                )
        result = Result(
            scenario=scenario.name,
            kind=scenario.kind,
            server=config[0],
            workers=config[1],
            body_bytes=size,
            throughput=throughput,
            fixed=fixed_result,
            rss_process_mib=rss.max_process,
            rss_total_mib=rss.max_total,
            server_cpu=server_cpu,
            postgres_cpu=pg_cpu,
            target_ms=scenario.target_ms,
        )
        if throughput.errors:
            result.notes.append(f"wrk counted {throughput.errors} errors or non-2xx answers")
        if fixed_result and any(not s.startswith("2") and s != "reconnected" for s in fixed_result.statuses):
            result.notes.append(f"fixed-rate answers: {fixed_result.statuses}")
        return result

    def floor_rps(self, floor_server: Server, size: int) -> float:
        probe = Scenario("floor", "read", "", "GET", f"/floor/{size}")
        wrk(floor_server.base_url, wrk_script(probe, {}, [], ""), self.args.connections, 2)
        return wrk(floor_server.base_url, wrk_script(probe, {}, [], ""), self.args.connections, self.args.duration).rps


def show(result: Result) -> None:
    t, f = result.throughput, result.fixed
    ratio = f"  floor {result.floor_ratio:5.1%}" if result.floor_ratio else ""
    fixed = (
        f"  @{f.rate:7.0f}/s p50 {f.p50_ms:6.1f} p99 {f.p99_ms:7.1f} max {f.max_ms:7.1f} ms" if f is not None else ""
    )
    print(
        f"  {result.scenario:<24} {result.server}x{result.workers}  {t.rps:8.0f} req/s{fixed}{ratio}"
        f"  rss {result.rss_process_mib:4.0f} MiB  cpu server {result.server_cpu:4.0%}"
        f" db+rest {result.postgres_cpu:4.0%}"
        f" wrk {t.generator_cpu:3.0%}"
        + (f" client {f.generator_cpu:3.0%}" if f else "")
        + ("  ! " + "; ".join(result.notes) if result.notes else ""),
        flush=True,
    )


# --- export -----------------------------------------------------------------------------------------------------


def export(server: Server, token: str) -> dict[str, Any]:
    """Download hospital 1's whole trail as CSV with curl (httpx's pure-Python HTTP parsing would be the
    bottleneck at ~35 MB/s, not the server), counting its lines as they arrive."""
    headers = {"Authorization": f"Bearer {token}"}
    until = datetime.now(UTC)
    since = until.replace(year=until.year - 7)  # the whole trail: six years of history, and some margin
    created = httpx.post(
        f"{server.base_url}/api/v1/audit/exports",
        json={"from": since.isoformat(), "to": until.isoformat(), "format": "csv"},
        headers=headers,
        timeout=30,
    )
    if created.status_code != 201:
        raise SystemExit(f"POST /audit/exports answered {created.status_code}: {created.text}")
    argv = ["curl", "-sS", "--fail", "-H", f"Authorization: Bearer {token}", "-w", "%{stderr}%{time_starttransfer}",
            server.base_url + created.json()["downloadUrl"]]  # fmt: skip
    lines = size = 0
    with Sampler(server.process.pid) as rss:
        before = rss.max_process
        started = time.perf_counter()
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as curl:
            assert curl.stdout is not None and curl.stderr is not None
            while chunk := curl.stdout.read(1 << 20):
                lines += chunk.count(b"\n")
                size += len(chunk)
            first_byte = float(curl.stderr.read().decode().strip().splitlines()[-1] or 0)
        elapsed = time.perf_counter() - started
    if curl.returncode:
        raise SystemExit(f"curl failed ({curl.returncode})")
    return {
        "rows": lines - 1,
        "bytes": size,
        "seconds": elapsed,
        "rows_per_second": (lines - 1) / elapsed,
        "first_byte_ms": first_byte * 1000,
        "rss_before_mib": before,
        "rss_peak_mib": rss.max_process,
        "client": "curl",
    }


# --- the run ----------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "memory_mib": memory,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip(),
    }


def git_commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.reuse:
        yield with_database(server_url(), args.reuse)
        return
    kept = "bench/load.py --reuse <name>"
    with throwaway_database("ha_load", keep=args.keep, kept=kept) as (name, url):
        step(f"database {name}: migrating and seeding --scale {args.scale}")
        for argv in (("migrate", "up"), ("seed", "--scale", str(args.scale))):
            result = subprocess.run([*COMMAND, *argv], cwd=REPO_ROOT, env=environment(url), text=True, check=False)
            if result.returncode:
                raise SystemExit(f"{' '.join(argv)} failed")
        yield url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100, help="hospitals to seed (default 100, the large scale)")
    parser.add_argument("--reuse", metavar="DATABASE", help="a database seeded earlier (seed --scale) to run on")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase (default 10)")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--server", default="uvicorn", choices=("uvicorn", "granian"), help="for the main run")
    parser.add_argument("--workers", type=int, default=1, help="for the main run (default 1)")
    parser.add_argument("--compare", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--only", nargs="*", help="scenario names to run (default all)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where load.json/.md/.png go")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    started = time.monotonic()
    logs = Path(tempfile.mkdtemp(prefix="ha-load-"))
    with database(args) as url:
        bench = Bench(url, args)
        scale = dict(zip(
            ("hospitals", "departments", "users", "alerts", "open_alerts", "audit_rows", "hospital_users",
             "hospital_audit_rows"), bench.sql("data_scale")[0], strict=True,
        ))  # fmt: skip
        bench.tidy()  # what an interrupted run may have left open
        step("data: " + ", ".join(f"{k} {v:,}" for k, v in scale.items()))
        # Page 10,000 of hospital 1's trail (a million rows at the large scale), or its last page when shorter.
        audit_page = max(2, min(AUDIT_DEEP_PAGE, scale["hospital_audit_rows"] // AUDIT_PAGE))
        row = bench.sql("audit_page_cursor", offset=(audit_page - 1) * AUDIT_PAGE - 1)
        cursor = encode_cursor(row[0][0], row[0][1])
        every = scenarios(cursor, audit_page, scale["hospitals"])
        chosen = [s for s in every if not args.only or s.name in args.only]
        comparison: list[Result] = []
        if args.compare:
            step("servers and workers: the floor and " + ", ".join(COMPARED) + " under each")
            for config in (("uvicorn", 1), ("uvicorn", 2), ("granian", 1), ("granian", 2)):
                with service(url, *config, logs) as server, floor(*config, logs) as floor_server:
                    bench.login(server, scale["hospitals"])
                    for scenario in (s for s in every if s.name in COMPARED):
                        result = bench.measure(server, scenario, config)
                        if scenario.kind == "read":
                            result.floor_rps = bench.floor_rps(floor_server, result.body_bytes)
                        comparison.append(result)
                        show(result)
                bench.tidy()
        config = (args.server, args.workers)
        step(f"every scenario under {config[0]} with {config[1]} worker(s), {args.connections} connections")
        results: list[Result] = []
        with service(url, *config, logs) as server, floor(*config, logs) as floor_server:
            bench.login(server, scale["hospitals"])
            for scenario in chosen:
                if scenario.rotate == "ack":
                    bench.ack_ids = [str(r[0]) for r in bench.sql("add_active_alerts", count=ACK_ALERTS)]
                result = bench.measure(server, scenario, config)
                if scenario.kind == "read":
                    result.floor_rps = bench.floor_rps(floor_server, result.body_bytes)
                results.append(result)
                show(result)
            settle(server, idle=0.05, longest=120)  # the sealer catches up with what the writes audited
            step("export of hospital 1's whole audit trail as CSV (one request)")
            exported = export(server, bench.tokens["admin"])
            print(
                f"  {exported['rows']:,} rows, {exported['bytes'] / 2**20:,.0f} MiB in {exported['seconds']:.1f} s: "
                f"{exported['rows_per_second']:,.0f} rows/s, first byte {exported['first_byte_ms']:.0f} ms, RSS "
                f"{exported['rss_before_mib']:.0f} -> peak {exported['rss_peak_mib']:.0f} MiB",
                flush=True,
            )
            server_log = server.log.read_text()
        bench.tidy()
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": machine(),
        "postgresql": _postgres_version(url) if args.reuse else None,
        "scale": scale,
        "connections": args.connections,
        "duration_seconds": args.duration,
        "config": {"server": config[0], "workers": config[1]},
        "results": [_plain(r) for r in results],
        "comparison": [_plain(r) for r in comparison],
        "export": exported,
        "errors_logged": server_log.count('"level":"error"'),
        "wall_seconds": time.monotonic() - started,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "load.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.output / "load.md").write_text(markdown(report))
    plot(report, args.output / "load.png")
    step(f"wrote {args.output / 'load.json'}, load.md and load.png in {time.monotonic() - started:.0f} s")
    return 0


def _postgres_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        return str(conn.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]


def _plain(result: Result) -> dict[str, Any]:
    plain = asdict(result)
    plain["floor_ratio"] = result.floor_ratio
    return plain


# --- the report -------------------------------------------------------------------------------------------------


def _verdict(value: float, target: float | None) -> str:
    if target is None:
        return ""
    return " ✓" if value <= target else f" ✗ (+{value / target - 1:.0%})"


def markdown(report: dict[str, Any]) -> str:
    m, s = report["machine"], report["scale"]
    out = [
        "# Load bench results",
        "",
        f"Generated {report['generated_at']} from commit `{report['commit']}` by `bench/load.py`. Machine: "
        f"{m['cpus']} CPUs ({m['cpu']}), {m['memory_mib']:,} MiB, Python {m['python']}, Linux {m['kernel']}, "
        f"{m['wrk']}; PostgreSQL {report['postgresql'] or '(the server at DATABASE_URL)'} with stock settings on the "
        "same machine, as are the load generators.",
        "",
        f"Data: {s['hospitals']:,} hospitals, {s['departments']:,} departments, {s['users']:,} users, "
        f"{s['alerts']:,} alerts ({s['open_alerts']:,} open), {s['audit_rows']:,} audit rows; the scenarios act "
        f"in hospital 1 ({s['hospital_users']:,} users, {s['hospital_audit_rows']:,} audit rows).",
        "",
        f"Server: `hospital-alerts serve --server {report['config']['server']} --workers "
        f"{report['config']['workers']}`. Throughput: wrk, {report['connections']} connections, "
        f"{report['duration_seconds']:.0f} s. Latency: open-loop client at half that throughput for "
        f"{report['duration_seconds']:.0f} s, measured from each request's scheduled send time. Floor: the same "
        "framework and server answering a constant body of the same size (`bench/floor.py`).",
        "",
        "| scenario | req/s @100 | of floor | fixed rate | p50 | p90 | p99 | max | target p99 | RSS/process "
        "| CPU server / PG |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        t, f = r["throughput"], r["fixed"]
        ratio = f"{r['floor_ratio']:.0%}" if r["floor_ratio"] else "-"
        target = f"{r['target_ms']:.0f} ms{_verdict(f['p99_ms'], r['target_ms'])}" if r["target_ms"] else "-"
        out.append(
            f"| {r['scenario']} | {t['rps']:,.0f} | {ratio} | {f['achieved']:,.0f}/s | {f['p50_ms']:.1f} ms | "
            f"{f['p90_ms']:.1f} ms | {f['p99_ms']:.1f} ms | {f['max_ms']:.0f} ms | {target} | "
            f"{r['rss_process_mib']:.0f} MiB | {r['server_cpu']:.0%} / {r['postgres_cpu']:.0%} |"
        )
    by_name = {r["scenario"]: r for r in report["results"]}
    out += ["", "Side by side:", ""]
    deep_audit = next((n for n in by_name if n.startswith("audit logs page ") and n != "audit logs page 1"), "")
    for deep, first in (("users page 50 (last)", "users page 1"), (deep_audit, "audit logs page 1")):
        if deep in by_name and first in by_name:
            d, f0 = by_name[deep]["fixed"], by_name[first]["fixed"]
            out.append(
                f"- {deep} / {first}: p50 {d['p50_ms'] / f0['p50_ms']:.2f}x, p99 {d['p99_ms'] / f0['p99_ms']:.2f}x, "
                f"throughput {by_name[deep]['throughput']['rps'] / by_name[first]['throughput']['rps']:.2f}x "
                "(target: within 2x)"
            )
    e = report["export"]
    out += [
        f"- export (downloaded with curl): {e['rows']:,} rows ({e['bytes'] / 2**20:,.0f} MiB of CSV) in "
        f"{e['seconds']:.1f} s, "
        f"{e['rows_per_second']:,.0f} rows/s, first byte after {e['first_byte_ms']:.0f} ms; server RSS "
        f"{e['rss_before_mib']:.0f} MiB before, {e['rss_peak_mib']:.0f} MiB at peak",
        f"- errors logged by the server during the run: {report['errors_logged']}",
    ]
    if report["comparison"]:
        out += [
            "",
            "## Servers and workers",
            "",
            "| scenario | server | workers | req/s @100 | of floor | floor req/s | p50 | p99 | RSS/process "
            "| RSS total |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in report["comparison"]:
            t, f = r["throughput"], r["fixed"]
            out.append(
                f"| {r['scenario']} | {r['server']} | {r['workers']} | {t['rps']:,.0f} | "
                + (f"{r['floor_ratio']:.0%} | {r['floor_rps']:,.0f} | " if r["floor_rps"] else "- | - | ")
                + f"{f['p50_ms']:.1f} ms | "
                f"{f['p99_ms']:.1f} ms | {r['rss_process_mib']:.0f} MiB | {r['rss_total_mib']:.0f} MiB |"
            )
    every = report["results"] + report["comparison"]
    notes = [f"- {r['scenario']} ({r['server']} x{r['workers']}): {'; '.join(r['notes'])}" for r in every if r["notes"]]
    if notes:
        out += ["", "Notes:", "", *notes]
    return "\n".join(out) + "\n"


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = report["results"]
    names = [r["scenario"] for r in results]
    fig, ax = plt.subplots(figsize=(12, 5.5))
    width = 0.27
    for i, (key, label) in enumerate((("p50_ms", "p50"), ("p90_ms", "p90"), ("p99_ms", "p99"))):
        values = [r["fixed"][key] for r in results]
        ax.bar([x + (i - 1) * width for x in range(len(names))], values, width, label=label)
    for x, r in enumerate(results):
        if r["target_ms"]:
            ax.hlines(r["target_ms"], x - 0.45, x + 0.45, colors="red", linestyles="dashed", linewidth=1)
    ax.set_yscale("log")
    ax.set_ylabel("latency at half the throughput (ms, log scale)")
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_title(
        f"hospital-alerts {report['commit']}: {report['config']['server']} x{report['config']['workers']}, "
        f"{report['scale']['audit_rows']:,} audit rows, {report['scale']['alerts']:,} alerts (red: p99 target)"
    )
    ax.legend()
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
