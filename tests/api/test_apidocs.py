"""/schema works on a closed network: Swagger UI's files are served by the app itself, never a CDN."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest

from service.apidocs import ASSETS_PATH, SWAGGER_UI_VERSION

PROBLEM = "application/problem+json"
VENDORED = Path(__file__).resolve().parents[2] / "service" / "apidocs" / "swagger-ui"

ASSETS = [
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    ("swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"),
    ("swagger-ui.css", "text/css; charset=utf-8"),
    ("favicon-32x32.png", "image/png"),
]


async def test_the_docs_page_loads_every_file_from_the_app(client: httpx.AsyncClient) -> None:
    page = (await client.get("/schema")).text
    loaded = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert sorted(loaded) == sorted(f"/schema/assets/{SWAGGER_UI_VERSION}/{name}" for name, _ in ASSETS)
    assert "https://" not in page and "http://" not in page


@pytest.mark.parametrize(("name", "media_type"), ASSETS)
async def test_each_swagger_ui_file_is_served_and_cached_for_a_year(
    client: httpx.AsyncClient, name: str, media_type: str
) -> None:
    response = await client.get(f"{ASSETS_PATH}/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.content == (VENDORED / name).read_bytes()


def test_the_vendored_files_are_the_version_and_checksums_recorded() -> None:
    record = (VENDORED / "VENDORED.md").read_text()
    assert f"`swagger-ui-dist` {SWAGGER_UI_VERSION}" in record
    checksums = dict(re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", record, re.MULTILINE))
    assert sorted(checksums) == sorted(name for name, _ in ASSETS)
    for name, digest in checksums.items():
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == digest, name
    assert f'PACKAGE_VERSION:"{SWAGGER_UI_VERSION}"' in (VENDORED / "swagger-ui-bundle.js").read_text()


@pytest.mark.parametrize(
    "path",
    [
        f"/schema/assets/{SWAGGER_UI_VERSION}/index.html",  # in swagger-ui-dist, not served
        f"/schema/assets/{SWAGGER_UI_VERSION}/VENDORED.md",  # beside the files, not one of them
        f"/schema/assets/{SWAGGER_UI_VERSION}/__init__.py",
        f"/schema/assets/{SWAGGER_UI_VERSION}/..%2F__init__.py",
        "/schema/assets/5.0.0/swagger-ui.css",  # another version's URL
        "/schema/assets/swagger-ui.css",
        "/schema/assets",
    ],
)
async def test_an_unknown_asset_is_a_404_problem(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no such resource"}
    assert "cache-control" not in response.headers


async def test_the_assets_are_not_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert [path for path in paths if path.startswith("/schema")] == []
