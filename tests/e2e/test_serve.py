"""``hospital-alerts serve`` as a real process: migrates on start, serves, stops cleanly; several at once."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from service.db import migrations
from tests.conftest import ScratchDatabases, with_database
from tests.e2e.processes import ServeProcess, run
from tests.probes import probes

pytestmark = pytest.mark.e2e


def test_serve_migrates_an_empty_database_then_serves(scratch_databases: ScratchDatabases, tmp_path: Path) -> None:
    url = scratch_databases.create()
    with ServeProcess(url, tmp_path / "serve.log") as server:
        server.wait_ready()
        response = httpx.get(f"{server.base_url}/health/ready", headers={"X-Request-ID": "e2e-1"})
        assert response.json() == {"status": "ready", "schemaVersion": migrations.migration_ids()[-1]}
        assert response.headers["x-request-id"] == "e2e-1"
        assert "server" not in response.headers  # no server banner
        missing = httpx.get(f"{server.base_url}/api/v1/nothing")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert httpx.get(f"{server.base_url}/schema/openapi.json").json()["openapi"].startswith("3.1")
    assert server.process.returncode == 0
    output = server.output()
    for migration_id in migrations.migration_ids():
        assert f"applied {migration_id}" in output


async def test_serve_demo_seeds_an_empty_database(scratch_databases: ScratchDatabases, tmp_path: Path) -> None:
    url = scratch_databases.create()
    with ServeProcess(url, tmp_path / "serve.log", "--demo") as server:
        server.wait_ready()
    assert "--demo: every demo user's password is demo-password-2026" in server.output()
    conn = await asyncpg.connect(url)
    try:
        counts = await probes().probe.row_counts.one(conn)
    finally:
        await conn.close()
    assert counts is not None and (counts.hospitals, counts.users) == (2, 12)

    with ServeProcess(url, tmp_path / "again.log", "--demo") as again:
        again.wait_ready()
    assert "--demo: the database already holds hospitals; not seeding" in again.output()


def test_several_processes_starting_at_once_share_one_migration(
    scratch_databases: ScratchDatabases, tmp_path: Path
) -> None:
    url = scratch_databases.create()
    servers = [ServeProcess(url, tmp_path / f"serve-{n}.log") for n in range(3)]
    try:
        for server in servers:
            server.wait_ready()
    finally:
        codes = [server.stop() for server in servers]
    assert codes == [0, 0, 0]
    applied = [line for server in servers for line in server.output().splitlines() if line.startswith("applied 0")]
    assert sorted(applied_id.split()[1] for applied_id in applied) == migrations.migration_ids()


def test_serve_with_two_workers(database_url: str, tmp_path: Path) -> None:
    with ServeProcess(database_url, tmp_path / "serve.log", "--workers", "2") as server:
        server.wait_ready()
        assert all(httpx.get(f"{server.base_url}/health/live").status_code == 200 for _ in range(20))
    assert server.process.returncode == 0


def test_serve_under_granian_with_two_workers(database_url: str, tmp_path: Path) -> None:
    with ServeProcess(database_url, tmp_path / "serve.log", "--server", "granian", "--workers", "2") as server:
        server.wait_ready()
        answers = [httpx.get(f"{server.base_url}/health/ready") for _ in range(20)]
        assert {a.status_code for a in answers} == {200}
        assert all(a.headers["x-request-id"] for a in answers)
        assert "with 2 granian worker(s)" in server.output()
    assert server.process.returncode == 0


def test_a_client_that_leaves_before_its_body_arrives_is_logged_as_information_not_error(
    database_url: str, tmp_path: Path
) -> None:
    with ServeProcess(database_url, tmp_path / "serve.log", HOSPITAL_ALERTS_LOG_FORMAT="json") as server:
        server.wait_ready()
        with socket.create_connection(("127.0.0.1", server.port)) as raw:
            raw.sendall(
                b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n" + b'{"email": "'
            )
        deadline = time.monotonic() + 10
        while "the client disconnected before its request body arrived" not in server.output():
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.1)
    logged = [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]
    gone = [e for e in logged if e["message"] == "the client disconnected before its request body arrived"]
    assert [e["level"] for e in gone] == ["info"]
    assert [e for e in logged if e["level"] == "error"] == []


def test_production_refuses_to_serve_a_database_holding_demo_data(
    scratch_databases: ScratchDatabases, tmp_path: Path
) -> None:
    url = scratch_databases.create()
    migrations.upgrade(url, progress=lambda _: None)
    assert run("seed", "--demo", database_url=url).returncode == 0
    production = {"HOSPITAL_ALERTS_ENV": "production", "HOSPITAL_ALERTS_SECRET_KEY": "k" * 32}
    with ServeProcess(url, tmp_path / "serve.log", **production) as server:
        assert server.process.wait(60) == 1
    assert server.output().strip().splitlines()[-1] == (
        "hospital-alerts: the database holds demo or seed data (2 hospital(s) whose accounts' passwords are "
        "published): production refuses to serve it; use a database without them"
    )


def test_production_serves_a_database_without_demo_data(scratch_databases: ScratchDatabases, tmp_path: Path) -> None:
    url = scratch_databases.create()
    migrations.upgrade(url, progress=lambda _: None)
    assert run("create-hospital", "--name", "Real General", database_url=url).returncode == 0
    production = {"HOSPITAL_ALERTS_ENV": "production", "HOSPITAL_ALERTS_SECRET_KEY": "k" * 32}
    with ServeProcess(url, tmp_path / "serve.log", **production) as server:
        server.wait_ready()
    assert server.process.returncode == 0


def test_serve_gives_up_on_an_unreachable_database(tmp_path: Path) -> None:
    server = ServeProcess(
        "postgresql://postgres@127.0.0.1:1/nowhere", tmp_path / "serve.log", HOSPITAL_ALERTS_DB_STARTUP_TIMEOUT="1"
    )
    assert server.process.wait(timeout=60) == 1
    server.stop()
    output = server.output()
    assert "waiting up to 1 s for the database" in output
    assert "hospital-alerts: cannot reach the database at 127.0.0.1:1/nowhere: " in output
    assert "Traceback" not in output


def test_serve_does_not_wait_for_a_database_that_does_not_exist(database_url: str, tmp_path: Path) -> None:
    """A wrong database name (or password) will not fix itself: fail at once, saying why."""
    missing = with_database(database_url, "no_such_database")
    server = ServeProcess(missing, tmp_path / "serve.log", HOSPITAL_ALERTS_DB_STARTUP_TIMEOUT="60")
    assert server.process.wait(timeout=30) == 1
    server.stop()
    output = server.output()
    assert 'database "no_such_database" does not exist' in output
    assert "waiting up to" not in output
