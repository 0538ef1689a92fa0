"""Health checks: /health/live and /health/ready (outside /api/v1, for load balancers and orchestrators)."""

from __future__ import annotations

from litestar import Controller, HttpMethod, route
from litestar.datastructures import State
from litestar.types import OperationIDCreator

from service.errors import problem_spec
from service.ops.health import schema_version
from service.ops.schemas import Liveness, Readiness


def by_method(name: str) -> OperationIDCreator:
    """operationIds for a handler that serves several methods: getReadiness, headReadiness."""

    def create(handler: object, method: str, path: object) -> str:
        return f"{method.lower()}{name}"

    return create


class HealthController(Controller):
    path = "/health"
    tags = ["operations"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    # HEAD too: some load balancers probe with it.
    @route(
        "/live", http_method=[HttpMethod.GET, HttpMethod.HEAD], operation_id=by_method("Liveness"), summary="Liveness"
    )
    async def live(self) -> Liveness:
        """200 while the process runs; it does not touch the database."""
        return Liveness()

    @route(
        "/ready",
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        operation_id=by_method("Readiness"),
        summary="Readiness",
        responses={
            503: problem_spec(
                503,
                description="The database does not answer, or its schema is behind this build (Retry-After set).",
                detail="the database does not answer",
            )
        },
    )
    async def ready(self, state: State) -> Readiness:
        """200 when the database answers and its schema carries every migration of this build, else 503."""
        version = await schema_version(state.db, state.migration_ids)
        return Readiness(status="ready", schema_version=version)
