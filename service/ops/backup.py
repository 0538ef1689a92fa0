"""``hospital-alerts backup`` and ``restore``: a pg_dump of the database with a manifest that proves it.

Backup opens a read-only repeatable-read transaction, exports its snapshot and runs ``pg_dump --format=custom
--snapshot`` on it, so the dump holds exactly what that transaction sees. In the same snapshot it counts every
table's rows and reads the audit chain's head; the manifest (``<dump>.json``) records them with the dump's
SHA-256, size, schema version and pg_dump's version.

Restore checks the dump against its manifest's SHA-256, refuses a target database that has tables, runs
``pg_restore --exit-on-error`` and ``ANALYZE``, then compares every table's row count with the manifest and
verifies the audit chain (every sealed row's digest, every seal) in the restored database.

The password of the database URL never reaches a command line (where ``ps`` would show it): pg_dump and
pg_restore get it in ``PGPASSWORD``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from service.audit.seals import verify_chain
from service.config import Settings
from service.db.catalogue import load_query
from service.db.pool import connect
from service.db.urls import describe_database


class BackupError(Exception):
    """The backup or restore cannot go on (the message says why)."""


@dataclass(frozen=True)
class RestoreReport:
    row_counts: dict[str, int]
    mismatches: list[str]
    chain_problems: list[str]
    checked_rows: int
    checked_seals: int

    @property
    def ok(self) -> bool:
        return not self.mismatches and not self.chain_problems


def _tool(name: str) -> str:
    """PostgreSQL's ``name`` from the PATH, else the one the embedded PostgreSQL (pgserver) ships, so a laptop
    with only Python can back up its embedded database too."""
    path = shutil.which(name)
    if path is None:
        with suppress(ImportError):
            from pgserver._commands import POSTGRES_BIN_PATH  # type: ignore[import-not-found]

            bundled = Path(POSTGRES_BIN_PATH) / name
            path = str(bundled) if bundled.is_file() else None
    if path is None:
        raise BackupError(f"{name} is not installed: install PostgreSQL's client tools (postgresql-client)")
    return path


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """``url`` without its password, and the environment that carries the password instead."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = parts.password
        netloc = parts.netloc.rsplit("@", 1)
        user = (parts.username or "") + "@" if parts.username else ""
        parts = parts._replace(netloc=user + netloc[-1])
    return urlunsplit(parts), env


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as dump:
        while chunk := dump.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".json")


async def backup(url: str, settings: Settings, output: Path | None) -> Path:
    """Dump the database at ``url`` to ``output`` (default ``backups/hospital-alerts-<UTC time>.dump``) with its
    manifest beside it; returns the dump's path."""
    pg_dump = _tool("pg_dump")
    created = datetime.now(UTC)
    output = output or Path("backups") / f"hospital-alerts-{created:%Y%m%dT%H%M%SZ}.dump"
    if output.exists():
        raise BackupError(f"{output} exists already: choose another --output")
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    conn = await connect(url, settings)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await load_query("ops/export_snapshot").one(conn)
            assert snapshot is not None
            counts = {row.table_name: row.row_count for row in await load_query("ops/table_row_counts").many(conn)}
            head = await load_query("audit/latest_seal").one(conn)
            applied = await load_query("ops/applied_migrations").many(conn)
            target, env = _libpq(url)
            # The snapshot lives while this transaction does: pg_dump runs inside it.
            dumped = subprocess.run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot.snapshot}", f"--file={partial}",
                 f"--dbname={target}"],
                env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
    finally:
        await conn.close()
    if dumped.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {(dumped.stderr.strip().splitlines() or ['no message'])[-1]}")
    partial.rename(output)
    version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    manifest = {
        "file": output.name,
        "sha256": _sha256(output),
        "bytes": output.stat().st_size,
        "created_at": created.isoformat(),
        "database": describe_database(url),
        "schema_version": applied[-1].migration_id if applied else None,
        "row_counts": counts,
        "audit_chain_head": f"{head.seq}:{head.seal_hash.hex()}" if head else None,
        "pg_dump": version,
    }
    manifest_path(output).write_text(json.dumps(manifest, indent=2) + "\n")
    return output


def read_manifest(dump: Path) -> dict[str, object]:
    if not dump.is_file():
        raise BackupError(f"{dump} is not a file")
    try:
        manifest: dict[str, object] = json.loads(manifest_path(dump).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{manifest_path(dump)} is missing or not JSON: the dump cannot be checked") from None
    if manifest.get("sha256") != _sha256(dump):
        raise BackupError(f"{dump}'s SHA-256 differs from its manifest's: the dump is damaged or not this backup")
    return manifest


async def restore(dump: Path, target_url: str, settings: Settings) -> RestoreReport:
    """Restore ``dump`` into the empty database at ``target_url`` and verify it against its manifest."""
    manifest = read_manifest(dump)
    pg_restore = _tool("pg_restore")
    conn = await connect(target_url, settings)
    try:
        tables = await load_query("ops/count_tables").one(conn)
        if tables is not None and tables.count:
            raise BackupError(
                f"{describe_database(target_url)} has {tables.count} table(s): restore needs an empty database"
            )
        target, env = _libpq(target_url)
        restored = subprocess.run(
            [pg_restore, "--exit-on-error", "--no-owner", "--no-privileges", f"--dbname={target}", str(dump)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if restored.returncode != 0:
            raise BackupError(f"pg_restore failed: {(restored.stderr.strip().splitlines() or ['no message'])[-1]}")
        await load_query("ops/analyze_all").utility(conn, timeout=3600)
        counts = {row.table_name: row.row_count for row in await load_query("ops/table_row_counts").many(conn)}
        expected = manifest.get("row_counts")
        assert isinstance(expected, dict)
        mismatches = [
            f"{table}: {counts.get(table)} rows restored, {rows} in the backup"
            for table, rows in sorted(expected.items())
            if counts.get(table) != rows
        ]
        verdict = await verify_chain(conn, None)
    finally:
        await conn.close()
    return RestoreReport(counts, mismatches, verdict.problems(), verdict.checked_rows, verdict.checked_seals)
