"""Health checks: /health/live and /health/ready (outside /api/v1, for load balancers and orchestrators)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from service.errors import PROBLEM_MEDIA_TYPE, Problem
from service.ops.health import schema_version
from service.ops.schemas import Liveness, Readiness


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/live", operation_id="getLiveness", summary="Liveness")
    async def live(self) -> Liveness:
        """200 while the process runs; it does not touch the database."""
        return Liveness()

    @get(
        "/ready",
        operation_id="getReadiness",
        summary="Readiness",
        responses={
            503: ResponseSpec(
                data_container=Problem,
                description="The database does not answer, or its schema is behind this build (Retry-After set).",
                media_type=PROBLEM_MEDIA_TYPE,
                generate_examples=False,
                examples=[
                    Example(
                        summary="database away",
                        value={
                            "type": "about:blank",
                            "title": "Service Unavailable",
                            "status": 503,
                            "detail": "the database does not answer",
                        },
                    )
                ],
            )
        },
    )
    async def ready(self, state: State) -> Readiness:
        """200 when the database answers and its schema carries every migration of this build, else 503."""
        version = await schema_version(state.db, state.migration_ids)
        return Readiness(status="ready", schema_version=version)
