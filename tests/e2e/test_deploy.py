"""scripts/deploy.sh and scripts/rollback.sh as an on-call engineer runs them, against a scratch database: a
first install, a deploy that brings a migration, a deploy whose health check fails and rolls itself back, and a
rollback by hand to the first release.

The releases are real builds of this checkout (the service, its SQL and its migrations copied into a directory
with bin/hospital-alerts), differing as releases do: the second brings a migration (tests/migrations/0100), the
third another one (0101) and a start-up that crashes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import ScratchDatabases
from tests.e2e.processes import REPO_ROOT, environment, free_port
from tests.probes import probes

pytestmark = pytest.mark.e2e

SCRIPTS = REPO_ROOT / "scripts"
TEST_MIGRATIONS = REPO_ROOT / "tests" / "migrations"
BROKEN_START = """

def create_app_from_env() -> Litestar:  # this release is broken on purpose (tests/e2e/test_deploy.py)
    raise RuntimeError("this build cannot start: a deliberately broken release")
"""


def build_release(root: Path, name: str, test_migrations: list[str], *, broken: bool = False) -> Path:
    release = root / name
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("service", "sql", "migrations"):
        shutil.copytree(REPO_ROOT / part, release / part, ignore=ignore)
    for migration in test_migrations:
        for path in TEST_MIGRATIONS.glob(f"{migration}*.sql"):
            shutil.copy(path, release / "migrations")
    if broken:
        with (release / "service" / "app.py").open("a") as app:
            app.write(BROKEN_START)
    program = release / "bin" / "hospital-alerts"
    program.parent.mkdir()
    program.write_text(f"#!/bin/sh\nPYTHONPATH='{release}' exec '{sys.executable}' -m service \"$@\"\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return release


class Host:
    """The machine being deployed to: a state directory, a port, and the scripts run with its environment."""

    def __init__(self, database_url: str, state_dir: Path) -> None:
        self.database_url = database_url
        self.state_dir = state_dir
        self.port = free_port()
        self.env = environment(database_url)

    def run(self, script: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                str(SCRIPTS / script),
                *args,
                "--state-dir",
                str(self.state_dir),
                "--port",
                str(self.port),
                "--health-timeout",
                "60",
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=self.state_dir.parent,
        )

    def current(self) -> Path:
        return (self.state_dir / "current").resolve()

    def ready(self) -> int:
        return httpx.get(f"http://127.0.0.1:{self.port}/health/ready", timeout=5).status_code

    def history(self) -> list[str]:
        return [line.split(" ", 1)[1] for line in (self.state_dir / "history").read_text().splitlines()]

    def stop(self) -> None:
        pid_file = self.state_dir / "serve.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGKILL)


def run_release(release: Path, command: str, host: Host) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(release / "bin" / "hospital-alerts"), *command.split()],
        env=host.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def host(scratch_databases: ScratchDatabases, tmp_path: Path) -> Iterator[Host]:
    machine = Host(scratch_databases.create(), tmp_path / "state")
    try:
        yield machine
    finally:
        machine.stop()


async def alerts_shape(url: str) -> tuple[list[str], dict[str, bool]]:
    conn = await asyncpg.connect(url)
    try:
        columns = [row.name for row in await probes().probe.alerts_columns.many(conn)]
        indexes = {row.name: row.valid for row in await probes().probe.alerts_indexes.many(conn)}
    finally:
        await conn.close()
    return columns, indexes


async def test_deploy_migrates_and_serves_a_failed_deploy_rolls_back_and_rollback_returns_to_a_release(
    host: Host, tmp_path: Path
) -> None:
    releases = tmp_path / "releases"
    first = build_release(releases, "r1", [])
    second = build_release(releases, "r2", ["0100"])
    broken = build_release(releases, "r3", ["0100", "0101"], broken=True)

    # A first install on an empty database: nothing to back up, nothing to roll back to.
    installed = host.run("deploy.sh", "--release", str(first))
    assert installed.returncode == 0, installed.stderr
    assert "the database has no schema yet (a first install): nothing to back up" in installed.stderr
    assert host.current() == first and host.ready() == 200

    # A release that brings a migration: backed up first, migrated, serving.
    deployed = host.run("deploy.sh", "--release", str(second))
    assert deployed.returncode == 0, deployed.stderr
    assert host.current() == second and host.ready() == 200
    columns, _ = await alerts_shape(host.database_url)
    assert "triage_note" in columns
    (backup,) = (host.state_dir / "backups").glob("before-r2-*.dump")
    assert backup.with_name(backup.name + ".json").exists()
    assert f"backup: {backup}" in deployed.stderr

    # A release that migrates, passes its checks, and cannot start: rolled back by itself.
    failed = host.run("deploy.sh", "--release", str(broken))
    assert failed.returncode == 1
    assert "this build cannot start: a deliberately broken release" in failed.stderr
    assert failed.stderr.splitlines()[-1] == (
        f"deploy.sh: deploy failed at health; rolled back: {second} is serving again, the schema is at "
        "0100.add-alert-triage-note"
    )
    assert host.current() == second and host.ready() == 200
    columns, indexes = await alerts_shape(host.database_url)
    assert "triage_note" in columns and "alerts_created_by_idx" not in indexes

    # The first release against the second's schema: it runs (releases stay compatible with the one before), it
    # sees the migration it does not know, and neither script lets it silently ignore that.
    status = run_release(first, "migrate status", host)
    assert "newer    0100.add-alert-triage-note" in status.stdout
    assert status.stdout.splitlines()[-1] == "7 applied, 0 pending, 1 newer than this build (a newer release's)"
    checked = run_release(first, "check", host)
    assert checked.returncode == 0, checked.stdout
    assert "ok    migrations: all 7 applied; 1 newer migration(s) that this build does not know" in checked.stdout
    downgrade = host.run("deploy.sh", "--release", str(first))
    assert downgrade.returncode == 1
    assert downgrade.stderr.splitlines()[-1] == (
        f"deploy.sh: the database has migrations {first} does not know (0100.add-alert-triage-note): it is older "
        "than the schema; go back to it with rollback.sh, which removes them first. Nothing was changed"
    )
    wrong_to = host.run("rollback.sh", "--to", "0100.add-alert-triage-note", "--release", str(first))
    assert wrong_to.returncode == 1
    assert wrong_to.stderr.splitlines()[-1] == (
        f"rollback.sh: --to 0100.add-alert-triage-note is not the schema of {first}, whose last migration is "
        "0007.create-audit-seals: run it again with --to 0007.create-audit-seals. Nothing was changed"
    )
    assert host.current() == second and host.ready() == 200

    # By hand, back to the first release: its schema, its check, its health.
    rolled_back = host.run("rollback.sh", "--to", "0007.create-audit-seals", "--release", str(first))
    assert rolled_back.returncode == 0, rolled_back.stderr
    assert rolled_back.stderr.splitlines()[-1].startswith(
        f"rollback.sh: rolled back: {first} is serving on http://127.0.0.1:{host.port} (pid "
    )
    assert host.current() == first and host.ready() == 200
    columns, _ = await alerts_shape(host.database_url)
    assert "triage_note" not in columns
    assert len(list((host.state_dir / "backups").glob("before-rollback-to-r1-*.dump"))) == 1

    history = host.history()
    assert history[0] == f"deploy {first} OK (schema 0007.create-audit-seals, backup none)"
    assert history[1].startswith(f"deploy {second} OK (schema 0100.add-alert-triage-note, backup ")
    assert history[2] == f"deploy {broken} FAILED at health; rolled back to {second}"
    assert history[3] == f"deploy {first} REFUSED: the database is ahead of it"
    assert history[4].startswith(f"rollback to {first} OK (schema 0007.create-audit-seals, backup ")


def test_the_scripts_say_what_is_missing(host: Host, tmp_path: Path) -> None:
    no_release = host.run("deploy.sh")
    assert no_release.returncode == 2
    assert no_release.stderr.splitlines()[0] == "deploy.sh: --release DIR is required"

    not_a_release = host.run("deploy.sh", "--release", str(tmp_path))
    assert not_a_release.returncode == 2
    assert not_a_release.stderr.splitlines()[0] == (
        f"deploy.sh: {tmp_path} is not a release: it has no executable bin/hospital-alerts"
    )

    release = build_release(tmp_path / "releases", "r1", [])
    nothing_deployed = host.run("rollback.sh", "--to", "0", "--release", str(release))
    assert nothing_deployed.returncode == 1
    assert nothing_deployed.stderr.splitlines()[-1] == (
        f"rollback.sh: nothing was deployed in {host.state_dir} (no current release): nothing to roll back"
    )
