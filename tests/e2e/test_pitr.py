"""scripts/pitr.sh as an on-call engineer runs it: a throwaway cluster built with the machine's PostgreSQL
archives its WAL through the script, is backed up, written to twice and lost; restored to a moment between the
two writes, it holds the first and not the second. And the archive never overwrites a segment it holds.

The cluster is the machine's own initdb, not the test server (DATABASE_URL): point-in-time recovery works on a
whole cluster, its configuration and its data directory, which a shared server must not be put through. As
root, every cluster command runs as the ``postgres`` OS user (initdb and postgres refuse root), in directories
that user owns.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from tests.e2e.processes import REPO_ROOT, free_port

pytestmark = pytest.mark.e2e

SCRIPT = REPO_ROOT / "scripts" / "pitr.sh"
PROGRAMS = ("initdb", "pg_ctl", "postgres", "pg_basebackup", "pg_verifybackup", "psql")


def postgres_bindir() -> Path | None:
    """Where the script itself looks: PG_BINDIR, else pg_config --bindir, else the PATH's pg_ctl."""
    candidates = [os.environ.get("PG_BINDIR")]
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(found.stdout.strip())
    if shutil.which("pg_ctl"):
        candidates.append(str(Path(shutil.which("pg_ctl") or "").parent))
    for candidate in candidates:
        if candidate and all((Path(candidate) / program).is_file() for program in PROGRAMS):
            return Path(candidate)
    return None


@dataclass
class Workspace:
    """A directory the cluster's OS user owns, and the way to run commands as that user."""

    root: Path
    bindir: Path
    as_owner: list[str]
    data_dirs: list[Path] = field(default_factory=list)

    def run(self, *command: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """One command as the owner, in the workspace (the owner can read neither root's cwd nor its tmp_path)."""
        return subprocess.run(
            [*self.as_owner, *map(str, command)],
            cwd=self.root,
            env={**os.environ, "PG_BINDIR": str(self.bindir), **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def mkdir(self, name: str) -> Path:
        made = self.root / name
        assert self.run("mkdir", "-p", made).returncode == 0
        return made

    def pg_ctl(self, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(self.bindir / "pg_ctl", "-D", data, *args)


@pytest.fixture
def workspace() -> Iterator[Workspace]:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip(f"PostgreSQL's server programs ({', '.join(PROGRAMS)}) are not installed: set PG_BINDIR")
    root = Path(tempfile.mkdtemp(prefix="pitr-test-", dir="/tmp"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            pytest.skip("running as root and there is no postgres OS user to run initdb and postgres as")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_owner = ["runuser", "-u", "postgres", "--"]
    # The archive_command runs as the cluster's user, which may not be able to read the checkout.
    script = root / "pitr.sh"
    shutil.copyfile(SCRIPT, script)
    script.chmod(0o755)
    space = Workspace(root, bindir, as_owner)
    try:
        yield space
    finally:
        for data in space.data_dirs:
            if (data / "postmaster.pid").exists():
                space.pg_ctl(data, "stop", "-m", "immediate")
        shutil.rmtree(root, ignore_errors=True)


def connect(socket_dir: Path, port: int) -> psycopg.Connection:
    return psycopg.connect(host=str(socket_dir), port=port, user="postgres", dbname="postgres", autocommit=True)


def wait_until_archived(conn: psycopg.Connection, segment: str, timeout: float = 20) -> None:
    """pg_stat_archiver names the last segment archived; names of one timeline sort in WAL order."""
    deadline = time.monotonic() + timeout
    while True:
        archived, failed = conn.execute("SELECT last_archived_wal, last_failed_wal FROM pg_stat_archiver").fetchone()
        if archived is not None and archived >= segment:
            return
        assert failed is None, f"archive_command failed on {failed}: see the cluster's log"
        assert time.monotonic() < deadline, f"{segment} was not archived within {timeout} s (last: {archived})"
        time.sleep(0.1)


def test_a_restore_to_a_moment_between_two_writes_keeps_the_first_and_not_the_second(workspace: Workspace) -> None:
    script = workspace.root / "pitr.sh"
    archive = workspace.mkdir("archive")
    sockets = workspace.mkdir("sockets")
    data = workspace.root / "data"
    workspace.data_dirs.append(data)
    made = workspace.run(workspace.bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-N", "-E", "UTF8")
    assert made.returncode == 0, made.stderr

    # The cluster archives its WAL with exactly the lines an operator pastes from `configure`.
    configure = workspace.run(script, "configure", archive)
    assert configure.returncode == 0, configure.stderr
    assert f"archive_command = '{script} archive-wal {archive} %p %f'" in configure.stdout
    with (data / "postgresql.conf").open("a") as conf:
        # The socket directory is the configuration's, which a restored copy keeps (and psql does not know).
        conf.write(f"listen_addresses = '127.0.0.1'\nunix_socket_directories = '{sockets}'\n" + configure.stdout)
    port = free_port()
    started = workspace.pg_ctl(data, "-l", workspace.root / "data.log", "-o", f"-p {port}", "-w", "start")
    assert started.returncode == 0, started.stderr + (workspace.root / "data.log").read_text()
    client_env = {"PGHOST": str(sockets), "PGPORT": str(port), "PGUSER": "postgres"}

    with connect(sockets, port) as conn:
        conn.execute("CREATE TABLE pitr_probe (id integer PRIMARY KEY, note text NOT NULL)")
        clock = time.monotonic()
        backup = workspace.run(script, "base-backup", archive, env=client_env)
        backup_seconds = time.monotonic() - clock
        assert backup.returncode == 0, backup.stderr
        base = Path(backup.stdout.strip().splitlines()[-1])
        assert base.parent == archive / "base" and (base / "backup_manifest").is_file()

        conn.execute("INSERT INTO pitr_probe VALUES (1, 'first write')")
        # The server's clock, after the commit: the moment recovery must stop at.
        between: datetime = conn.execute("SELECT clock_timestamp()").fetchone()[0]
        time.sleep(1)
        conn.execute("INSERT INTO pitr_probe VALUES (2, 'second write')")
        last_segment = conn.execute("SELECT pg_walfile_name(pg_current_wal_lsn())").fetchone()[0]
        conn.execute("SELECT pg_switch_wal()")
        wait_until_archived(conn, last_segment)
    # The disaster: the cluster is gone without a clean shutdown; only the archive is left.
    assert workspace.pg_ctl(data, "stop", "-m", "immediate").returncode == 0

    restored = workspace.root / "restored"
    workspace.data_dirs.append(restored)
    target = between.isoformat(sep=" ")
    new_port = free_port()
    clock = time.monotonic()
    restore = workspace.run(
        script, "restore", archive, base, restored, target, "--start", str(new_port), env=client_env
    )
    restore_seconds = time.monotonic() - clock
    assert restore.returncode == 0, restore.stderr
    assert restore.stdout.splitlines()[0] == f"recovered to {target} in {restored}, running on port {new_port}"
    assert re.search(r"^pitr\.sh: recovery finished in [0-9.]+ s", restore.stderr, re.M), restore.stderr
    assert oct(restored.stat().st_mode & 0o777) == "0o700"
    # It stopped at the target, not at the end of the archive: the server says so, naming the second write's commit.
    log = (restored / "pitr-start.log").read_text()
    assert re.search(r"recovery stopping before commit of transaction \d+, time ", log), log

    with connect(sockets, new_port) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is False
        assert conn.execute("SELECT id, note FROM pitr_probe ORDER BY id").fetchall() == [(1, "first write")]
        # Promoted: it takes writes, on a new timeline of its own.
        conn.execute("INSERT INTO pitr_probe VALUES (3, 'after recovery')")
        current = conn.execute("SELECT pg_walfile_name(pg_current_wal_lsn())").fetchone()[0]
        assert current.startswith("00000002"), current

    # A second restore into the now-used directory is refused before anything is written.
    again = workspace.run(script, "restore", archive, base, restored, target, env=client_env)
    assert again.returncode == 1
    assert again.stderr.strip() == f"pitr.sh: {restored} is not empty: restore into a new directory"
    # The restored server archives into the same archive (its configuration is the original's): timeline 2 is
    # there now. A rehearsal, or a restore to another moment, from the same archive must still follow the
    # original history (timeline 1), and find the server's socket in its configuration, with no PGHOST.
    history = archive / "wal" / "00000002.history"
    deadline = time.monotonic() + 20
    while not history.exists():
        assert time.monotonic() < deadline, "the restored server did not archive its timeline history"
        time.sleep(0.1)
    rehearsal = workspace.root / "rehearsal"
    workspace.data_dirs.append(rehearsal)
    second_port = free_port()
    retried = workspace.run(script, "restore", archive, base, rehearsal, target, "--start", str(second_port))
    assert retried.returncode == 0, retried.stderr
    with connect(sockets, second_port) as conn:
        assert conn.execute("SELECT id, note FROM pitr_probe ORDER BY id").fetchall() == [(1, "first write")]
    print(f"\nbase backup {backup_seconds:.1f} s, restore and recovery {restore_seconds:.1f} s")
    print(backup.stderr + restore.stderr + log)


def test_archive_wal_keeps_an_identical_retry_and_refuses_to_overwrite_a_different_segment() -> None:
    """PostgreSQL retries archiving a segment it could not confirm: the same bytes again must succeed, but
    different bytes under an archived name mean two clusters share one archive, and the copy held is kept."""
    root = Path(tempfile.mkdtemp(prefix="pitr-archive-test-", dir="/tmp"))
    try:
        name = "000000010000000000000007"
        segment = root / "pg_wal" / name
        segment.parent.mkdir()
        segment.write_bytes(os.urandom(64 * 1024))
        archive = root / "archive"

        def archive_wal() -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [str(SCRIPT), "archive-wal", str(archive), str(segment), name], capture_output=True, text=True
            )

        first = archive_wal()
        assert first.returncode == 0, first.stderr
        archived = archive / "wal" / name
        assert archived.read_bytes() == segment.read_bytes()
        assert sorted(p.name for p in archived.parent.iterdir()) == [name]  # no temporary file left behind

        retry = archive_wal()
        assert retry.returncode == 0, retry.stderr
        assert retry.stderr.strip() == f"pitr.sh: {archived} is archived already with the same content"

        kept = archived.read_bytes()
        segment.write_bytes(os.urandom(64 * 1024))
        different = archive_wal()
        assert different.returncode == 1
        assert different.stderr.strip() == (
            f"pitr.sh: {archived} is archived already with different content: refusing to overwrite it"
        )
        assert archived.read_bytes() == kept
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_bad_usage_exits_2_with_the_usage_and_a_target_time_without_a_zone_is_refused() -> None:
    """A restore to a time without its zone would be read in the restored server's zone: the operator says."""
    nothing = subprocess.run([str(SCRIPT)], capture_output=True, text=True)
    assert nothing.returncode == 2
    assert nothing.stderr.startswith("pitr.sh: no command given\nusage: pitr.sh COMMAND ARGS...")

    zoneless = subprocess.run(
        [str(SCRIPT), "restore", "/nonexistent/archive", "/nonexistent/base", "/nonexistent/new", "2025-03-01 14:05"],
        capture_output=True,
        text=True,
    )
    assert zoneless.returncode == 2
    assert zoneless.stderr.splitlines()[0] == (
        "pitr.sh: TARGET_TIME must be like '2025-03-01 14:05:00+00' (date, time, and time zone), not '2025-03-01 14:05'"
    )
