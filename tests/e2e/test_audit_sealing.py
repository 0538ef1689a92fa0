"""The sealer runs in every ``serve`` process: rows a real server writes are sealed within seconds, and the
command line then verifies them; a row changed behind the server's back is named."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx

from service.db import migrations
from tests.conftest import ScratchDatabases
from tests.e2e.processes import ServeProcess, run

PASSWORD = "correct horse battery staple"
UNSEALED = re.compile(r"; (\d+) newer rows are not sealed yet")


def test_a_serve_process_seals_what_it_writes_within_seconds(
    scratch_databases: ScratchDatabases, tmp_path: Path
) -> None:
    url = scratch_databases.create("ha_sealing")
    migrations.upgrade(url, progress=lambda _: None)
    hospital_id = run("create-hospital", "--name", "Sealing General", database_url=url).stdout.strip().splitlines()[-1]
    created = run(
        "create-admin",
        "--hospital-id",
        hospital_id,
        "--email",
        "seal@example.org",
        "--password",
        PASSWORD,
        database_url=url,
    )
    assert created.returncode == 0, created.stderr

    with ServeProcess(url, tmp_path / "serve.log") as server:
        server.wait_ready()
        login = httpx.post(
            f"{server.base_url}/api/v1/auth/login", json={"email": "seal@example.org", "password": PASSWORD}
        )
        assert login.status_code == 200
        token = login.json()["token"]
        page = httpx.get(f"{server.base_url}/api/v1/audit/logs", headers={"Authorization": f"Bearer {token}"})
        assert page.status_code == 200
        written_at = time.monotonic()

        # Within seconds every row is sealed (the loop runs every 2 s; a window is sealed once its oldest row has
        # waited 5 s, and 1 s after the last transaction that could still write into it).
        while True:
            verified = run("audit", "verify", "--hospital", hospital_id, database_url=url)
            assert verified.returncode == 0, verified.stdout + verified.stderr
            match = UNSEALED.search(verified.stdout)
            assert match is not None, verified.stdout
            if match.group(1) == "0":
                break
            assert time.monotonic() - written_at < 15, f"not sealed within 15 s:\n{verified.stdout}"
            time.sleep(0.5)
    # create-hospital, create-admin, the login and the read of the logs: four rows, all sealed.
    assert "and 4 rows in" in verified.stdout, verified.stdout
    assert verified.stdout.strip().endswith("the audit chain is intact")
