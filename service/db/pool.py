"""The asyncpg pool of one process, and what keeps the process up while PostgreSQL is away.

When the database cannot be reached at start, the pool is created in the background, retrying every few
seconds; until then, and whenever connections fail later, requests are answered 503 (errors.py maps the
connection errors) and the pool replaces dead connections by itself on the next acquire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec

from service.config import Settings
from service.errors import ServiceUnavailable, is_database_unavailable

logger = logging.getLogger("service.db")

# What connecting can raise when the database is away, refuses us, or the URL names nothing that exists.
CONNECT_ERRORS = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)

_json_encode = msgspec.json.Encoder().encode
_json_decode = msgspec.json.Decoder().decode


async def init_connection(conn: asyncpg.Connection) -> None:
    """Codecs every connection gets: json/jsonb through msgspec, inet as text."""
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name,
            schema="pg_catalog",
            encoder=lambda value: _json_encode(value).decode(),
            decoder=_json_decode,
            format="text",
        )
    await conn.set_type_codec("inet", schema="pg_catalog", encoder=str, decoder=str, format="text")


async def keep_session(conn: asyncpg.Connection) -> None:
    """What a connection needs when it goes back to the pool: nothing more than asyncpg does anyway (roll back an
    open transaction, drop listeners).

    asyncpg's default also runs ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`` on every
    release: a round trip per borrowing, two or three per request. No statement of the catalogue leaves session
    state behind (settings are ``set_config(..., true)``, local to the transaction; advisory locks are
    ``_xact_`` locks; LISTEN has its own connection outside the pool): tests/db/test_catalogue.py checks it.
    """
    return None


def connect_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for asyncpg.connect / create_pool shared by the pool and single connections."""
    return {
        "timeout": settings.db_connect_timeout,
        "command_timeout": settings.db_command_timeout,
        "statement_cache_size": settings.db_statement_cache_size,
        "server_settings": {
            "application_name": "hospital-alerts",
            # JIT compilation costs more than it saves on short OLTP statements.
            "jit": "off",
        },
    }


async def connect(url: str, settings: Settings) -> asyncpg.Connection:
    """One connection outside the pool (the CLI, LISTEN), with the same codecs as pooled ones."""
    conn = await asyncpg.connect(url, **connect_options(settings))
    await init_connection(conn)
    return conn


class Database:
    """The pool and how to borrow from it: ``async with db.connection() as conn`` or ``db.transaction()``."""

    RETRY_SECONDS = 2.0

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.settings = settings
        self._pool: asyncpg.Pool | None = None
        self._opener: asyncio.Task[None] | None = None
        self._recycler: asyncio.Task[None] | None = None
        self.waiting = 0

    @property
    def pool(self) -> asyncpg.Pool | None:
        return self._pool

    async def open(self) -> None:
        """Create the pool; when the database does not answer, keep trying in the background."""
        if not await self._try_open():
            logger.warning("database unavailable at start; retrying every %.0f s", self.RETRY_SECONDS)
            self._opener = asyncio.create_task(self._keep_opening(), name="db-open")
        self._recycler = asyncio.create_task(self._recycle_connections(), name="db-recycle")

    async def _try_open(self) -> bool:
        settings = self.settings
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=settings.db_pool_min_size,
                max_size=settings.db_pool_max_size,
                max_queries=settings.db_connection_max_queries,
                max_inactive_connection_lifetime=settings.db_connection_idle_lifetime,
                init=init_connection,
                reset=keep_session,
                **connect_options(settings),
            )
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            return False
        return True

    async def _keep_opening(self) -> None:
        while True:
            try:
                if await self._try_open():
                    break
            except Exception as exc:  # refused for another reason (credentials): say so, keep trying
                logger.error(
                    "database refused the connection: %s (sqlstate=%s)",
                    type(exc).__name__,
                    getattr(exc, "sqlstate", None),
                )
            await asyncio.sleep(self.RETRY_SECONDS)
        logger.info("database reachable; pool open")

    async def _recycle_connections(self) -> None:
        # asyncpg has no maximum connection age; expiring the pool's connections at this interval replaces
        # each one the next time it is released, so none lives much longer than db_connection_max_lifetime.
        while True:
            await asyncio.sleep(self.settings.db_connection_max_lifetime)
            if self._pool is not None:
                await self._pool.expire_connections()

    async def close(self) -> None:
        for task in (self._opener, self._recycler):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._opener = self._recycler = None
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), timeout=10)
            except (TimeoutError, OSError, asyncpg.InterfaceError):
                self._pool.terminate()
            self._pool = None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[asyncpg.Connection]:
        """Borrow a pooled connection; 503 when there is no pool yet or none frees up in time."""
        pool = self._pool
        if pool is None:
            raise ServiceUnavailable()
        self.waiting += 1  # requests waiting for a connection: a gauge of /metrics
        try:
            conn = await pool.acquire(timeout=self.settings.db_acquire_timeout)
        finally:
            self.waiting -= 1
        try:
            yield conn
        finally:
            await pool.release(conn)

    @asynccontextmanager
    async def transaction(self, *, readonly: bool = False) -> AsyncIterator[asyncpg.Connection]:
        """Borrow a connection inside one transaction: committed when the block ends, rolled back on error.

        ``readonly``: a read-only snapshot (repeatable read), for several reads that must agree (a page and its total).
        """
        isolation = "repeatable_read" if readonly else None
        async with self.connection() as conn, conn.transaction(isolation=isolation, readonly=readonly):
            yield conn
