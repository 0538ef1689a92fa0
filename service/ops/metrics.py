"""Prometheus metrics (prometheus_client): what an operator graphs and alerts on.

One registry per process. HTTP requests by route template, the pool, every named SQL statement by its file's
name (never its parameters), slow statements, SSE subscribers, and the background loops' escalations and
expiries. ``GET /metrics`` serves them, behind ``HOSPITAL_ALERTS_METRICS_TOKEN`` when it is set.
"""

from __future__ import annotations

import hmac
import logging
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from litestar import Request, Response, get
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from service.errors import problem_response

logger = logging.getLogger("service.db.slow")

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "hospital_alerts_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "hospital_alerts_http_request_duration_seconds",
    "Time to answer an HTTP request (a stream: its whole life), by method and route template.",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
DB_QUERIES = Counter(
    "hospital_alerts_db_queries",
    "Named SQL statements run, by file (sql/<domain>/<name>.sql).",
    ["query"],
    registry=REGISTRY,
)
DB_QUERY_DURATION = Histogram(
    "hospital_alerts_db_query_duration_seconds",
    "Time a named SQL statement took, by file.",
    ["query"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
DB_SLOW_QUERIES = Counter(
    "hospital_alerts_db_slow_queries",
    "Named SQL statements slower than HOSPITAL_ALERTS_SLOW_QUERY_MS, by file.",
    ["query"],
    registry=REGISTRY,
)
ESCALATIONS = Counter(
    "hospital_alerts_alert_escalations",
    "Alerts the escalation loop raised a level because nobody acknowledged them in time.",
    registry=REGISTRY,
)
EXPIRIES = Counter(
    "hospital_alerts_alert_expiries",
    "Open alerts the expiry loop resolved at their expiresAt.",
    registry=REGISTRY,
)

_slow_query_seconds = 0.2
# The exposition format's content type without its charset, which Litestar adds to every text/* response.
_MEDIA_TYPE = "; ".join(part for part in CONTENT_TYPE_LATEST.split("; ") if not part.startswith("charset="))


def set_slow_query_threshold(milliseconds: float) -> None:
    """Statements slower than this are logged (name and duration, never parameters) and counted."""
    global _slow_query_seconds
    _slow_query_seconds = milliseconds / 1000.0


def observe_query(name: str, seconds: float) -> None:
    """Count one run of the statement ``name`` (``domain/name``) and its duration; log it when slow."""
    DB_QUERIES.labels(name).inc()
    DB_QUERY_DURATION.labels(name).observe(seconds)
    if seconds >= _slow_query_seconds:
        DB_SLOW_QUERIES.labels(name).inc()
        logger.warning("slow query %s took %.0f ms", name, seconds * 1000, extra={"query": name, "ms": seconds * 1000})


class _LiveCollector(Collector):
    """Gauges read when scraped from the objects that know them: every pool and every event hub of the process."""

    def __init__(self) -> None:
        self.pools: weakref.WeakSet[Any] = weakref.WeakSet()
        self.hubs: weakref.WeakSet[Any] = weakref.WeakSet()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pools = [db for db in self.pools if db.pool is not None]
        families = {
            "size": ("Connections the pool holds.", lambda db: db.pool.get_size()),
            "idle": ("Connections idle in the pool.", lambda db: db.pool.get_idle_size()),
            "in_use": ("Connections lent out.", lambda db: db.pool.get_size() - db.pool.get_idle_size()),
            "waiting": ("Requests waiting for a connection.", lambda db: db.waiting),
            "max": ("The most connections the pool may open.", lambda db: db.pool.get_max_size()),
        }
        for name, (text, read) in families.items():
            yield _gauge(f"hospital_alerts_db_pool_{name}", text, sum(read(db) for db in pools))
        yield _gauge(
            "hospital_alerts_sse_subscribers",
            "Clients connected to GET /api/v1/alerts/stream.",
            sum(hub.subscriber_count for hub in self.hubs),
        )


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, text)
    family.add_metric([], value)
    return family


LIVE = _LiveCollector()
REGISTRY.register(LIVE)


def watch(*, pool: Any = None, hub: Any = None) -> None:
    """Include a pool (service.db.pool.Database) or an event hub in the gauges while it lives."""
    if pool is not None:
        LIVE.pools.add(pool)
    if hub is not None:
        LIVE.hubs.add(hub)


class MetricsMiddleware:
    """ASGI middleware of every route: counts the request and times it, by the route's template (so
    ``/api/v1/alerts/{alert_id:str}`` is one series, whatever the id)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("path_template") or "unmatched"
            method = scope.get("method", "GET")
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)


def metrics_route(token: str | None) -> Callable[..., Any]:
    """``GET /metrics``: the registry in Prometheus' text format; with ``token``, only for that bearer token."""

    @get("/metrics", include_in_schema=True, tags=["operations"], operation_id="getMetrics", summary="Metrics")
    async def metrics(request: Request[Any, Any, Any]) -> Response[Any]:
        """Prometheus text format. Open, unless HOSPITAL_ALERTS_METRICS_TOKEN is set: then it needs
        `Authorization: Bearer <that token>` (401 otherwise)."""
        if token is not None and not _bearer_matches(request.headers.get("authorization"), token):
            return problem_response(401, "the metrics token is missing or wrong")  # type: ignore[return-value]
        return Response(generate_latest(REGISTRY), media_type=_MEDIA_TYPE)

    return metrics


def _bearer_matches(header: str | None, token: str) -> bool:
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
