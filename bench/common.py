"""What every bench shares: a throwaway database with a hospital and its admin, percentiles, process memory."""

from __future__ import annotations

import os
import re
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.e2e.processes import run  # noqa: E402  (the same process helpers the e2e tests use)

PASSWORD = "bench-password-2026"
ADMIN_EMAIL = "admin@bench.example"
# Benches log in far more often than a person: the per-address limit would only measure itself.
SERVE_ENV = {"HOSPITAL_ALERTS_LOGIN_RATE_PER_MINUTE": "100000", "HOSPITAL_ALERTS_LOG_LEVEL": "WARNING"}


@dataclass(frozen=True)
class BenchDatabase:
    url: str
    hospital_id: str
    admin_email: str = ADMIN_EMAIL
    admin_password: str = PASSWORD


@contextmanager
def throwaway_database(prefix: str, *, keep: bool = False, kept: str = "") -> Iterator[tuple[str, str]]:
    """An empty database (its name and URL) on DATABASE_URL's server (or the embedded PostgreSQL), dropped at
    the end whatever happens, unless ``keep``: then the bench says so (``kept`` tells how to use it again)."""
    server = server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(with_database(server, "postgres"), autocommit=True) as conn:
        conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    try:
        yield name, with_database(server, name)
    finally:
        if keep:
            step(f"database {name} kept: {kept or f'drop it with DROP DATABASE {name}'}")
        else:
            with psycopg.connect(with_database(server, "postgres"), autocommit=True) as conn:
                conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


def named_statements(path: Path) -> dict[str, str]:
    """The statements of a bench SQL file, by their ``-- name:`` line (each block runs the text after it)."""
    named: dict[str, str] = {}
    for block in re.split(r"^-- name: ", path.read_text(), flags=re.MULTILINE)[1:]:
        name, _, text = block.partition("\n")
        named[name.strip()] = text.strip()
    return named


@contextmanager
def bench_database(*, keep: bool = False) -> Iterator[BenchDatabase]:
    """A migrated throwaway database with one hospital and its admin (see throwaway_database)."""
    with throwaway_database("ha_bench", keep=keep) as (name, url):
        step(f"database {name}: migrating, creating a hospital and its admin")
        _check(run("migrate", "up", database_url=url, **SERVE_ENV))
        created = _check(run("create-hospital", "--name", "Bench General Hospital", database_url=url, **SERVE_ENV))
        hospital_id = created.stdout.strip().splitlines()[-1]
        _check(
            run(
                "create-admin", "--hospital-id", hospital_id, "--email", ADMIN_EMAIL, "--password", "-",
                database_url=url, stdin=PASSWORD, **SERVE_ENV,
            )
        )  # fmt: skip
        yield BenchDatabase(url, hospital_id)


def _check(result: object) -> object:
    if getattr(result, "returncode", 0) != 0:
        raise SystemExit(getattr(result, "stderr", "a command failed"))
    return result


def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    from service.db.embedded import embedded_database_url

    return embedded_database_url(REPO_ROOT / ".data")


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + database))


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, samples: list[float]) -> str:
    """One line: count, p50, p99 and max of ``samples`` (seconds), in milliseconds."""
    ms = [s * 1000 for s in samples]
    return (
        f"{name:<44} n={len(ms):>4}  p50={percentile(ms, 0.5):8.1f} ms  p99={percentile(ms, 0.99):8.1f} ms"
        f"  max={max(ms):8.1f} ms"
    )


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class PeakRss:
    """Samples a process's resident memory from a thread every ``interval`` seconds while the block runs:
    ``before``, ``peak`` and ``after``, in MiB."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.before = self.peak = self.after = float("nan")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name=f"rss-{pid}", daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_mib(self.pid))

    def __enter__(self) -> PeakRss:
        self.before = self.peak = rss_mib(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.after = rss_mib(self.pid)
        self.peak = max(self.peak, self.after)


def step(message: str) -> None:
    print(f"-- {message}", flush=True)
