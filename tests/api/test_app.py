"""The app skeleton over HTTP: health, problem+json for every error, X-Request-ID, body limit, OpenAPI."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import msgspec
import pytest
from litestar import post
from litestar.exceptions import ImproperlyConfiguredException
from litestar.params import JSONBody

from service.app import create_app
from service.config import Settings, load_settings
from service.db import migrations
from tests.conftest import ScratchDatabases, serving

PROBLEM = "application/problem+json"


async def test_live_answers_without_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_names_the_schema_version(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "schemaVersion": migrations.migration_ids()[-1]}


async def test_an_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no such resource"}


async def test_a_wrong_method_is_a_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health/live")
    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert response.json() == {
        "type": "about:blank",
        "title": "Method Not Allowed",
        "status": 405,
        "detail": "this method is not allowed on this route (see the Allow header)",
    }


async def test_head_probes_the_health_routes(client: httpx.AsyncClient) -> None:
    for path in ("/health/live", "/health/ready"):
        response = await client.head(path)
        assert response.status_code == 200
        assert response.content == b""


async def test_ready_is_503_while_the_schema_is_behind(scratch_databases: ScratchDatabases) -> None:
    url = scratch_databases.create()
    ids = migrations.migration_ids()
    migrations.upgrade(url, progress=lambda _: None)
    migrations.downgrade(url, ids[-2], progress=lambda _: None)
    async with serving(create_app(load_settings({}, database_url=url))) as behind:
        response = await behind.get("/health/ready")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        assert response.json() == {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": f"the schema is behind this build: {ids[-1]} not applied",
        }
    empty = scratch_databases.create()
    async with serving(create_app(load_settings({}, database_url=empty))) as nothing:
        response = await nothing.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["detail"] == "the schema is behind this build: no migration has been applied"


@pytest.mark.parametrize("path", ["/schema/nothing", "/schema/redoc", "/schema/openapi.yaml", "/schema/x.json"])
async def test_an_unknown_docs_path_is_a_problem_too(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "no such resource"


@pytest.mark.parametrize("path", ["/health/live", "/no/such/route"])
async def test_a_valid_request_id_is_echoed(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"X-Request-ID": "req-2026.11_25"})
    assert response.headers["x-request-id"] == "req-2026.11_25"


@pytest.mark.parametrize("sent", ["has space", "x" * 129, "semi;colon", "\u00fcn\u00efcode".encode("latin-1"), ""])
async def test_an_invalid_request_id_is_replaced(client: httpx.AsyncClient, sent: str | bytes) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": sent})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_each_request_gets_its_own_id(client: httpx.AsyncClient) -> None:
    first = (await client.get("/health/live")).headers["x-request-id"]
    second = (await client.get("/health/live")).headers["x-request-id"]
    assert first != second


async def test_openapi_31_document_covers_the_routes(client: httpx.AsyncClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert {"/health/live", "/health/ready"} <= set(document["paths"])
    ready = document["paths"]["/health/ready"]["get"]["responses"]
    assert ready["503"]["content"][PROBLEM]["schema"]["$ref"].endswith("/Problem")
    # No invented example values: only the examples written in the code.
    assert "examples" not in document["components"]["schemas"]["Problem"]
    examples = ready["503"]["content"][PROBLEM]["examples"]
    assert [e["value"]["status"] for e in examples.values()] == [503]
    docs = await client.get("/schema")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")


async def test_every_documented_error_is_problem_json(client: httpx.AsyncClient) -> None:
    """Routes declare their errors with errors.problem_responses; Litestar's own error shape never shows."""
    document = (await client.get("/schema/openapi.json")).json()
    operation_ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operation_ids.append(operation["operationId"])
            assert "422" not in operation["responses"], f"{method} {path}"
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == [PROBLEM], f"{method} {path} {status}"
                    assert response["content"][PROBLEM]["schema"]["$ref"] == "#/components/schemas/Problem"
    assert len(operation_ids) == len(set(operation_ids))


# --- behaviour that needs a route with a body: the real app plus one route registered by the test ------------


class Shift(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    day: Annotated[int, msgspec.Meta(ge=0, le=6)]


class EchoBody(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    user_name: Annotated[str, msgspec.Meta(min_length=2, max_length=100)]
    shifts: list[Shift] = []


@post("/test/echo", sync_to_thread=False)
def echo(data: JSONBody[EchoBody]) -> EchoBody:
    return data


@post("/test/boom", sync_to_thread=False)
def boom() -> None:
    raise RuntimeError("SELECT password_hash FROM users WHERE email = 'secret@example.com'")


@post("/test/boom-http", sync_to_thread=False)
def boom_http() -> None:
    raise ImproperlyConfiguredException("internal detail: SELECT secret FROM somewhere")


@pytest.fixture(scope="module")
async def body_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    app.register(echo)
    app.register(boom)
    app.register(boom_http)
    async with serving(app) as http:
        yield http


async def test_validation_errors_name_each_field(body_client: httpx.AsyncClient) -> None:
    response = await body_client.post("/test/echo", json={"userName": "a", "shifts": [{"day": 1}, {"day": 9}]})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["title"] == "Bad Request" and body["detail"] == "the request is not valid"
    assert body["errors"] == [{"field": "userName", "message": "Expected str of length >= 2"}]

    response = await body_client.post("/test/echo", json={"userName": "ab", "shifts": [{"day": 1}, {"day": 9}]})
    assert response.json()["errors"] == [{"field": "shifts[1].day", "message": "Expected int <= 6"}]


async def test_unknown_and_missing_fields_are_named(body_client: httpx.AsyncClient) -> None:
    response = await body_client.post("/test/echo", json={"userName": "ab", "role": "admin"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "role", "message": "is not a known field"}]

    response = await body_client.post("/test/echo", json={"shifts": []})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "userName", "message": "is required"}]

    response = await body_client.post("/test/echo", json={"userName": "ab", "shifts": [{"day": 1, "night": 1}]})
    assert response.json()["errors"] == [{"field": "shifts[0].night", "message": "is not a known field"}]


async def test_malformed_json_is_a_problem(body_client: httpx.AsyncClient) -> None:
    response = await body_client.post(
        "/test/echo", content=b'{"userName": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "the body is not valid JSON",
    }


async def test_a_body_over_one_mebibyte_is_refused(body_client: httpx.AsyncClient) -> None:
    big = b'{"userName": "' + b"x" * (1024 * 1024) + b'"}'
    response = await body_client.post(
        "/test/echo", content=big, headers={"content-type": "application/json", "x-request-id": "big-1"}
    )
    assert response.status_code == 413
    assert response.headers["x-request-id"] == "big-1"
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Content Too Large",
        "status": 413,
        "detail": "the request body is larger than 1 MiB",
    }


async def test_a_chunked_body_over_the_limit_is_refused(body_client: httpx.AsyncClient) -> None:
    """No Content-Length to refuse up front: the limit holds on the bytes actually received."""
    reader, writer = await asyncio.open_connection(body_client.base_url.host, body_client.base_url.port)
    writer.write(
        b"POST /test/echo HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"x" * 65536
    try:
        for _ in range(20):
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
    except ConnectionError:
        pass  # the server may answer and close before the whole body is sent
    head = await reader.readuntil(b"\r\n\r\n")
    writer.close()
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"content-type: application/problem+json" in head.lower()


async def test_a_body_just_under_the_limit_is_read(body_client: httpx.AsyncClient) -> None:
    response = await body_client.post("/test/echo", json={"userName": "ab", "shifts": [{"day": 3}] * 1000})
    assert response.status_code == 201
    assert len(response.json()["shifts"]) == 1000


async def test_an_unexpected_error_leaks_nothing(
    body_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await body_client.post("/test/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "an unexpected error occurred; it has been logged",
    }
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "unexpected RuntimeError at" in logged
    assert "secret@example.com" not in logged and "SELECT" not in logged and "Traceback" not in logged
    assert any(getattr(r, "request_id", None) == "boom-1" for r in caplog.records)
    assert response.headers["x-request-id"] == "boom-1"


async def test_a_server_side_http_exception_leaks_nothing_either(body_client: httpx.AsyncClient) -> None:
    response = await body_client.post("/test/boom-http")
    assert response.status_code == 500
    assert response.json()["detail"] == "an unexpected error occurred; it has been logged"
    assert "SELECT" not in response.text


async def test_debug_answers_an_unexpected_error_with_its_type_and_message_and_logs_the_traceback(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # HOSPITAL_ALERTS_DEBUG, for a developer's machine or staging: production refuses it (tests/unit/test_config.py).
    app = create_app(msgspec.structs.replace(settings, debug=True))
    app.register(boom)
    caplog.set_level(logging.INFO)
    async with serving(app) as http:
        response = await http.post("/test/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == (
        "an unexpected error occurred: RuntimeError: SELECT password_hash FROM users WHERE email = 'secret@example.com'"
    )
    assert any("Traceback" in (r.exc_text or "") for r in caplog.records)
