"""The pool: connections carry the codecs, and are replaced after their maximum lifetime."""

from __future__ import annotations

import asyncio

import pytest

from service.config import Settings, load_settings
from service.db.pool import Database
from service.errors import ServiceUnavailable
from tests.probes import probes


async def backend_pid(db: Database) -> int:
    async with db.connection() as conn:
        row = await probes().probe.backend_pid.one(conn)
    assert row is not None
    return row.pid


async def test_connections_are_replaced_after_their_lifetime(database_url: str) -> None:
    short_lived = load_settings(
        {}, database_url=database_url, db_pool_min_size=1, db_pool_max_size=1, db_connection_max_lifetime=0.3
    )
    db = Database(database_url, short_lived)
    await db.open()
    try:
        first = await backend_pid(db)
        assert await backend_pid(db) == first  # reused while young
        await asyncio.sleep(0.5)
        await backend_pid(db)  # released after expiry: closed, not returned to the pool
        assert await backend_pid(db) != first
    finally:
        await db.close()


async def test_a_pool_without_the_database_answers_503(settings: Settings) -> None:
    db = Database("postgresql://postgres@127.0.0.1:1/nowhere", settings)
    await db.open()
    try:
        with pytest.raises(ServiceUnavailable) as error:
            async with db.connection():
                pass
        assert error.value.detail == "the database is unavailable; try again shortly"
        assert error.value.headers == {"Retry-After": "5"}
    finally:
        await db.close()
