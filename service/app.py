"""The Litestar application: routes, lifespan, the problem+json exception handler, request ids, OpenAPI."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from litestar import Litestar, Response, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from service import __version__
from service.alerts.controller import AlertsController
from service.alerts.loops import run_alert_loops
from service.alerts.stream import EventHub
from service.apidocs import DOCS_PATH, swagger_render_plugin, swagger_ui_asset
from service.audit.controller import AuditController
from service.audit.seals import run_sealer
from service.auth.controller import AuthController
from service.auth.guards import authenticate, provide_actor, provide_database, provide_principal
from service.auth.secrets import SecretBox
from service.config import Settings, load_settings
from service.db import catalogue, get_catalogue
from service.db.embedded import embedded_database_url
from service.db.migrations import migration_ids
from service.db.pool import Database
from service.errors import handle_exception, problem_response
from service.hospital.controller import HospitalController
from service.logs import RequestIdMiddleware, add_request_id_header, configure_logging
from service.ops import metrics
from service.ops.controller import HealthController
from service.ops.maintenance import run_maintenance
from service.users.controller import UsersController

MAX_BODY_BYTES = 1024 * 1024

API_DESCRIPTION = """\
Raise, route, escalate and audit staff alerts across many hospitals.

Every error is an RFC 9457 problem (`application/problem+json`) with `type`, `title`, `status`, `detail` and,
for validation, `errors: [{field, message}]`. Authenticated routes take `Authorization: Bearer <token>`.
Every response carries `X-Request-ID`.
"""


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the application from ``settings`` (default: read from the environment).

    With no DATABASE_URL, an embedded PostgreSQL is started (or joined) under the data directory. The
    pool opens in the lifespan; when the database is away it keeps retrying and requests get 503 meanwhile.
    """
    settings = settings or load_settings()
    database_url = settings.database_url or embedded_database_url(settings.data_dir)
    get_catalogue()  # load and check every SQL file now: a broken one stops the start, not a request later
    db = Database(database_url, settings)
    hub = EventHub(db)
    metrics.watch(pool=db, hub=hub)
    metrics.set_slow_query_threshold(settings.slow_query_ms)
    catalogue.observe = metrics.observe_query

    @asynccontextmanager
    async def database_lifespan(_: Litestar) -> AsyncIterator[None]:
        await db.open()
        hub.start()
        loops = [
            asyncio.create_task(run_maintenance(db), name="maintenance"),
            asyncio.create_task(run_alert_loops(db), name="alert-loops"),
            asyncio.create_task(run_sealer(db), name="audit-sealer"),
        ]
        # Everything built so far (modules, the app, the catalogue, the pool) lives as long as the process: moved
        # out of the garbage collector's generations, a full collection scans only what requests create. Measured
        # under load (bench/load.py, docs/performance.md): full collections of ~35 ms each, three a second,
        # made the worst latencies of every scenario.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            for loop in loops:
                loop.cancel()
            for loop in loops:
                with suppress(asyncio.CancelledError):
                    await loop
            await hub.stop()
            await db.close()
            gc.unfreeze()  # a process that builds another app (the tests) can collect this one

    return Litestar(
        route_handlers=[HealthController, metrics.metrics_route(settings.metrics_token), api_router()],
        lifespan=[database_lifespan],
        state=State(
            {
                "settings": settings,
                "db": db,
                "event_hub": hub,
                "migration_ids": migration_ids(),
                "secret_box": SecretBox(settings.secret_key),
            }
        ),
        exception_handlers={Exception: handle_exception},
        before_send=[add_request_id_header, forbid_caching],
        middleware=[RequestIdMiddleware, metrics.MetricsMiddleware],
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="hospital-alerts",
            version=__version__,
            description=API_DESCRIPTION,
            # Swagger UI's files come from the app itself (service/apidocs), never a CDN: closed networks reach none.
            render_plugins=[swagger_render_plugin()],
            openapi_router=Router(
                DOCS_PATH,
                route_handlers=[swagger_ui_asset],
                include_in_schema=False,
                after_request=_problem_for_missing_docs,
            ),
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="An opaque session token from POST /api/v1/auth/login.",
                    )
                }
            ),
        ),
        # Logging is configured once by configure_logging (JSON lines); Litestar adds no handlers of its own.
        logging_config=None,
        # Only the problem+json handler reads it (service/errors.py); production refuses it (service/config.py).
        debug=settings.debug,
    )


def api_router() -> Router:
    """/api/v1: every route authenticated by bearer token (the login routes opt out), with the caller as
    dependencies: ``principal`` (who), ``actor`` (who and from where, for audit rows) and ``db``."""
    return Router(
        "/api/v1",
        route_handlers=[AuthController, UsersController, HospitalController, AlertsController, AuditController],
        guards=[authenticate],
        dependencies={
            "principal": Provide(provide_principal, sync_to_thread=False),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "db": Provide(provide_database, sync_to_thread=False),
        },
    )


async def forbid_caching(message: Any, scope: Any) -> None:
    """``before_send``: no /api/v1 answer may be kept by a browser or proxy cache (they carry tokens, temporary
    passwords, TOTP secrets and patients' care data)."""
    if message["type"] == "http.response.start" and scope.get("path", "").startswith("/api/"):
        message.setdefault("headers", []).append((b"cache-control", b"no-store"))


def _problem_for_missing_docs(response: Response) -> Response:
    # Litestar answers an unknown /schema/... path with an HTML page of its own; every error here is problem+json.
    if response.status_code == 404:
        return problem_response(404, "no such resource")
    return response


def create_app_from_env() -> Litestar:
    """Factory for ``uvicorn --factory`` and ``serve``'s worker processes: settings and logging from the environment."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
