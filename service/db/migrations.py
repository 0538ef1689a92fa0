"""Schema migrations: yoyo, plain SQL files in migrations/, applied under a PostgreSQL advisory lock.

Several processes may start at once (``serve --workers``, a rolling deploy): the first takes the lock and
migrates, the others wait for it and then find nothing left to do. The lock is a session-level advisory
lock, so a process that dies releases it with its connection; nothing is left to break by hand.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg

from service.db.catalogue import load_query
from service.resources import resource_dir

# "ha-migr" as an integer: the advisory lock key every hospital-alerts process uses for migrations.
MIGRATION_LOCK_KEY = int.from_bytes(b"ha-migr", "big")
EMPTY_SCHEMA = "0"
DEFAULT_STATEMENT_LOCK_TIMEOUT = 5.0
"""Seconds a migration statement waits for a lock (HOSPITAL_ALERTS_MIGRATION_LOCK_TIMEOUT)."""

Progress = Callable[[str], None]


class MigrationError(Exception):
    """A migration could not be run; the message says why, without credentials."""


@dataclass(frozen=True)
class MigrationState:
    id: str
    description: str
    applied: bool
    known: bool = True
    """False for a migration the database has but this build does not: a newer release applied it."""


def migrations_dir() -> Path:
    return resource_dir("migrations")


def migration_ids() -> list[str]:
    """Ids of this build's migrations, in the order they apply."""
    return [m.id for m in _read()]


def yoyo_url(database_url: str) -> str:
    """yoyo names its drivers in the scheme; psycopg 3 is ``postgresql+psycopg``."""
    scheme, _, rest = database_url.partition("://")
    if scheme not in ("postgres", "postgresql"):
        raise MigrationError("DATABASE_URL must start with postgresql://")
    return f"postgresql+psycopg://{rest}"


def _read():  # type: ignore[no-untyped-def]
    from yoyo import read_migrations

    return read_migrations(str(migrations_dir()))


def _description(migration_id: str) -> str:
    path = migrations_dir() / f"{migration_id}.sql"
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip().lstrip("-").strip()
        if text:
            return text
    return ""


def _backend(database_url: str, lock_timeout: float):  # type: ignore[no-untyped-def]
    """yoyo's connection, whose every statement waits at most ``lock_timeout`` seconds for a lock: a migration
    that cannot lock a table at once fails and rolls back, rather than queueing every request behind it."""
    from yoyo import get_backend

    parts = urlsplit(yoyo_url(database_url))
    query = parse_qsl(parts.query, keep_blank_values=True)
    options = " ".join([v for k, v in query if k == "options"] + [f"-c lock_timeout={round(lock_timeout * 1000)}ms"])
    query = [(k, v) for k, v in query if k != "options"] + [("options", options)]
    try:
        return get_backend(urlunsplit(parts._replace(query=urlencode(query, quote_via=quote))))
    except psycopg.Error as exc:
        raise MigrationError(f"cannot reach the database: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class _MigrationLock:
    """The advisory lock held while migrating, on a connection of its own."""

    def __init__(self, database_url: str, progress: Progress, timeout: float) -> None:
        self._url = database_url
        self._try = load_query("ops/try_migration_lock")
        self._release = load_query("ops/release_migration_lock")
        self._progress = progress
        self._timeout = timeout
        self._conn: psycopg.Connection | None = None

    def __enter__(self) -> _MigrationLock:
        try:
            self._conn = psycopg.connect(
                self._url, autocommit=True, cursor_factory=psycopg.RawCursor, connect_timeout=10
            )
        except psycopg.Error as exc:
            raise MigrationError(f"cannot reach the database: {_first_line(exc)}") from None
        deadline = time.monotonic() + self._timeout
        said = False
        while not self._try_lock():
            if not said:
                self._progress("waiting for another process to finish migrating ...")
                said = True
            if time.monotonic() > deadline:
                self._conn.close()
                raise MigrationError(f"another process held the migration lock for over {self._timeout:.0f} s")
            time.sleep(0.2)
        return self

    def _try_lock(self) -> bool:
        row = self._try.one_sync(self._conn, MIGRATION_LOCK_KEY)
        return bool(row and row.acquired)

    def __exit__(self, *exc_info: object) -> None:
        assert self._conn is not None
        try:
            self._release.one_sync(self._conn, MIGRATION_LOCK_KEY)
        finally:
            self._conn.close()


def status(database_url: str) -> list[MigrationState]:
    """Every migration of this build and whether it is applied, then any the database has that this build does not
    know (``known`` False: a newer release's). Only reads: safe under a read-only role."""
    applied_query = load_query("ops/applied_migrations")
    try:
        with psycopg.connect(
            database_url, autocommit=True, cursor_factory=psycopg.RawCursor, connect_timeout=10
        ) as conn:
            applied = [row.migration_id for row in applied_query.many_sync(conn)]
    except psycopg.errors.UndefinedTable:
        applied = []  # yoyo's bookkeeping does not exist yet: nothing applied
    except psycopg.Error as exc:
        raise MigrationError(f"cannot reach the database: {_first_line(exc)}") from None
    states = [MigrationState(m.id, _description(m.id), m.id in applied) for m in _read()]
    ours = {state.id for state in states}
    # Applied in order, so the newest release's migrations come last, after this build's own.
    newer = [migration_id for migration_id in applied if migration_id not in ours]
    return states + [MigrationState(m, "a newer release's migration", True, known=False) for m in newer]


def upgrade(
    database_url: str,
    *,
    progress: Progress = print,
    lock_timeout: float = 600.0,
    statement_lock_timeout: float = DEFAULT_STATEMENT_LOCK_TIMEOUT,
) -> list[str]:
    """Apply every pending migration in order, under the lock; returns the ids applied.

    ``lock_timeout``: how long to wait for another process's migration lock; ``statement_lock_timeout``: how long
    one statement of a migration waits for a table's lock before the migration fails."""
    return _migrate(
        database_url,
        "apply",
        lambda backend: backend.to_apply(_read()),
        progress,
        lock_timeout,
        statement_lock_timeout,
    )


def downgrade(
    database_url: str,
    target: str,
    *,
    progress: Progress = print,
    lock_timeout: float = 600.0,
    statement_lock_timeout: float = DEFAULT_STATEMENT_LOCK_TIMEOUT,
) -> list[str]:
    """Roll back, newest first, every applied migration that comes after ``target`` (``0``: all of them).

    Raises MigrationError when ``target`` is not a migration of this build.
    """
    migrations = _read()
    ids = [m.id for m in migrations]
    if target != EMPTY_SCHEMA and target not in ids:
        raise MigrationError(f"unknown migration '{target}'; known: {', '.join(ids)} (or 0 for an empty schema)")
    keep = set() if target == EMPTY_SCHEMA else set(ids[: ids.index(target) + 1])
    return _migrate(
        database_url,
        "rollback",
        lambda backend: [m for m in backend.to_rollback(migrations) if m.id not in keep],
        progress,
        lock_timeout,
        statement_lock_timeout,
    )


_WORDS = {"apply": ("applying", "applied", "apply"), "rollback": ("rolling back", "rolled back", "roll back")}


def _migrate(
    database_url: str,
    direction: str,
    choose: Callable[[Any], Any],
    progress: Progress,
    lock_timeout: float,
    statement_lock_timeout: float,
) -> list[str]:
    """Under the migration lock, run ``direction`` (apply or rollback) on each migration ``choose`` picks."""
    doing, done_word, verb = _WORDS[direction]
    done: list[str] = []
    # yoyo logs a failed step with its traceback; the MigrationError raised below says what failed, once.
    logging.getLogger("yoyo").setLevel(logging.CRITICAL)
    with _MigrationLock(database_url, progress, lock_timeout):
        backend = _backend(database_url, statement_lock_timeout)
        step = backend.apply_one if direction == "apply" else backend.rollback_one
        try:
            for migration in choose(backend):
                started = time.monotonic()
                progress(f"{doing} {migration.id} ...")
                try:
                    step(migration)
                except psycopg.errors.LockNotAvailable:
                    raise MigrationError(
                        f"could not {verb} {migration.id}: a table it changes stayed locked by another session for "
                        f"over {statement_lock_timeout:g} s, so it gave up and changed nothing; find the long "
                        "transaction in pg_stat_activity, or run it again when the database is quieter"
                    ) from None
                except psycopg.Error as exc:
                    raise MigrationError(f"could not {verb} {migration.id}: {_first_line(exc)}") from None
                progress(f"{done_word} {migration.id} ({time.monotonic() - started:.2f} s)")
                done.append(migration.id)
        finally:
            backend.connection.close()
    return done
