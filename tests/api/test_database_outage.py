"""When the database goes away the process stays up, answers 503 problem+json with Retry-After, and recovers
by itself when the database returns; also when it is away at start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from service.app import create_app
from service.config import Settings, load_settings
from tests.conftest import serving
from tests.proxy import DatabaseProxy


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[DatabaseProxy]:
    database_proxy = DatabaseProxy(database_url)
    await database_proxy.start()
    yield database_proxy
    await database_proxy.cut()


def proxied_settings(proxy: DatabaseProxy) -> Settings:
    return load_settings(
        {},
        database_url=proxy.url,
        db_pool_min_size=1,
        db_pool_max_size=4,
        db_acquire_timeout=2.0,
        db_connect_timeout=1.0,
    )


async def wait_until_ready(client: httpx.AsyncClient, seconds: float = 15.0) -> int:
    status = 0
    for _ in range(int(seconds / 0.2)):
        status = (await client.get("/health/ready")).status_code
        if status == 200:
            break
        await asyncio.sleep(0.2)
    return status


async def assert_unavailable(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready", headers={"x-request-id": "outage-1"})
    assert response.status_code == 503
    assert response.headers["x-request-id"] == "outage-1"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "the database does not answer",
    }


async def test_the_database_going_away_is_503_and_recovery_is_automatic(proxy: DatabaseProxy) -> None:
    async with serving(create_app(proxied_settings(proxy))) as client:
        assert (await client.get("/health/ready")).status_code == 200

        await proxy.cut()
        await assert_unavailable(client)
        await assert_unavailable(client)  # still up, still answering
        assert (await client.get("/health/live")).status_code == 200

        await proxy.restore()
        assert await wait_until_ready(client) == 200


async def test_a_database_away_at_start_is_waited_for(proxy: DatabaseProxy) -> None:
    await proxy.cut()
    async with serving(create_app(proxied_settings(proxy))) as client:
        assert (await client.get("/health/live")).status_code == 200
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["detail"] == "the database is unavailable; try again shortly"
        assert response.headers["retry-after"] == "5"

        await proxy.restore()
        assert await wait_until_ready(client) == 200
