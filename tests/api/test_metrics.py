"""GET /metrics over HTTP: Prometheus text with every family API.md and the operators need, and the token."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
from litestar import Litestar
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.config import Settings
from service.ops import metrics
from tests.api.conftest import Staff
from tests.api.contract import assert_problem
from tests.conftest import serving

FAMILIES = {
    "hospital_alerts_http_requests": "counter",
    "hospital_alerts_http_request_duration_seconds": "histogram",
    "hospital_alerts_db_queries": "counter",
    "hospital_alerts_db_query_duration_seconds": "histogram",
    "hospital_alerts_db_slow_queries": "counter",
    "hospital_alerts_db_pool_size": "gauge",
    "hospital_alerts_db_pool_idle": "gauge",
    "hospital_alerts_db_pool_in_use": "gauge",
    "hospital_alerts_db_pool_waiting": "gauge",
    "hospital_alerts_db_pool_max": "gauge",
    "hospital_alerts_sse_subscribers": "gauge",
    "hospital_alerts_alert_escalations": "counter",
    "hospital_alerts_alert_expiries": "counter",
}


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Every sample of the exposition, by sample name (``..._total``, ``..._bucket``, ...)."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


async def test_metrics_expose_every_family_with_route_templates_and_query_names(
    client: httpx.AsyncClient, admin: Staff
) -> None:
    alert_id = "00000000-0000-4000-8000-000000000000"
    assert (await client.get(f"/api/v1/alerts/{alert_id}", headers=admin.headers)).status_code == 404
    assert (await client.get("/api/v1/auth/me", headers=admin.headers)).status_code == 200

    response = await client.get("/metrics")

    assert response.status_code == 200
    content_type = response.headers["content-type"]
    assert content_type.startswith("text/plain; version=") and content_type.count("charset=utf-8") == 1
    families = {family.name: family.type for family in text_string_to_metric_families(response.text)}
    assert {name: families.get(name) for name in FAMILIES} == FAMILIES
    found = samples(response.text)
    routes = {
        (labels["method"], labels["route"], labels["status"])
        for labels, _ in found["hospital_alerts_http_requests_total"]
    }
    # The route's template, never the id the client sent.
    assert ("GET", "/api/v1/alerts/{alert_id}", "404") in routes
    assert ("GET", "/api/v1/auth/me", "200") in routes
    assert alert_id not in response.text
    queries = {labels["query"] for labels, _ in found["hospital_alerts_db_queries_total"]}
    assert {"auth/authenticate", "alerts/get_alert"} <= queries
    assert all(re.fullmatch(r"[a-z_]+/[a-z0-9_]+", name) for name in queries)  # file names, never values
    [(_, size)] = found["hospital_alerts_db_pool_size"]
    [(_, in_use)] = found["hospital_alerts_db_pool_in_use"]
    assert size >= 1 and 0 <= in_use <= size


async def test_metrics_need_the_token_when_one_is_set(settings: Settings) -> None:
    app: Litestar = create_app(Settings(**{**_fields(settings), "metrics_token": "scrape-me-0123456789"}))
    async with serving(app) as http:
        missing = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
    assert_problem(missing, 401, "the metrics token is missing or wrong")
    assert_problem(wrong, 401, "the metrics token is missing or wrong")
    assert right.status_code == 200
    assert "hospital_alerts_http_requests_total" in right.text


def _fields(settings: Settings) -> dict[str, object]:
    import msgspec

    return msgspec.structs.asdict(settings)


async def test_a_slow_statement_is_logged_by_name_and_counted(
    client: httpx.AsyncClient, admin: Staff, caplog: pytest.LogCaptureFixture
) -> None:
    before = _slow_count("auth/authenticate", (await client.get("/metrics")).text)
    metrics.set_slow_query_threshold(0.000001)  # every statement is "slow"
    try:
        with caplog.at_level(logging.WARNING, logger="service.db.slow"):
            assert (await client.get("/api/v1/auth/me", headers=admin.headers)).status_code == 200
    finally:
        metrics.set_slow_query_threshold(Settings().slow_query_ms)
    lines = [r.getMessage() for r in caplog.records if r.name == "service.db.slow"]
    assert any(re.fullmatch(r"slow query auth/authenticate took \d+ ms", line) for line in lines), lines
    assert admin.headers["Authorization"].split()[-1] not in " ".join(lines)  # the name, never a parameter
    assert _slow_count("auth/authenticate", (await client.get("/metrics")).text) == before + 1


def _slow_count(query: str, text: str) -> float:
    return sum(
        value
        for labels, value in samples(text).get("hospital_alerts_db_slow_queries_total", [])
        if labels["query"] == query
    )
