"""Fixtures: a throwaway database per test run, migrated once; the real app; a fresh hospital per test.

The server is the one DATABASE_URL names (CI: the machine's PostgreSQL), or, when it is unset, the embedded
PostgreSQL under ./.data/ that the service itself uses. Each run creates its own database there and drops it
at the end, so nothing depends on data left by an earlier run.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
import uvicorn
from litestar import Litestar
from psycopg import sql as pgsql

from service.app import create_app
from service.config import Settings, load_settings
from service.db import get_catalogue, migrations
from service.db.catalogue import Catalogue
from service.db.pool import Database

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database of the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL of a maintenance database on the test server (DATABASE_URL's server, or the embedded one)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return with_database(url, "postgres")
    from service.db.embedded import embedded_database_url

    return embedded_database_url(os.path.join(REPO_ROOT, ".data"))


class ScratchDatabases:
    """Creates empty databases on the test server and drops every one of them at the end of the run."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: list[str] = []

    def create(self, prefix: str = "ha_test", *, timezone: str | None = None) -> str:
        """A new empty database; ``timezone`` sets its sessions' default time zone."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
            if timezone is not None:
                conn.execute(
                    pgsql.SQL("ALTER DATABASE {} SET timezone TO {}").format(
                        pgsql.Identifier(name), pgsql.Literal(timezone)
                    )
                )
        self.created.append(name)
        return with_database(self.server_url, name)

    def drop_all(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            for name in self.created:
                conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


@pytest.fixture(scope="session")
def scratch_databases(server_url: str) -> Iterator[ScratchDatabases]:
    databases = ScratchDatabases(server_url)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def database_url(scratch_databases: ScratchDatabases) -> str:
    """The run's database, migrated to the latest version once."""
    url = scratch_databases.create()
    migrations.upgrade(url, progress=lambda _: None)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # Every test logs in from 127.0.0.1: the per-address login limit is tested on its own, with its own app.
    return load_settings(
        {}, database_url=database_url, db_pool_min_size=1, db_pool_max_size=8, login_rate_per_minute=100_000
    )


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return get_catalogue()


@pytest.fixture(scope="session")
async def db(settings: Settings, database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, settings)
    await database.open()
    yield database
    await database.close()


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """Serve ``app`` with a real uvicorn on a free port, in the test's event loop, and talk to it over HTTP.

    (Litestar's test client runs the lifespan in a thread of its own, which would put the pool on another
    event loop than the tests' proxies and listeners; a real server keeps everything on one loop.)
    """
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the server stopped during start-up")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            yield http
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app) as http:
        yield http


@pytest.fixture
async def hospital_id(db: Database) -> uuid.UUID:
    """A fresh tenant for one test: tests never see each other's rows."""
    from service.db import sql

    new_id = uuid.uuid4()
    async with db.transaction() as conn:
        await sql.hospital.create_hospital.one(conn, new_id, f"Test hospital {new_id.hex[:8]}", None, None, None)
    return new_id
