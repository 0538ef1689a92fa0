"""The interactive API docs at ``/schema``, served whole by the service.

Litestar's Swagger UI page loads its script and stylesheet from a CDN by default; a hospital's closed network
reaches none, and the page would render blank. Swagger UI's files ship inside this package instead
(``swagger-ui/``, see its VENDORED.md) and are served under ``/schema/assets/<version>/``, outside the OpenAPI
document. The version is part of every URL, so the files can be cached for a year: a new release has new URLs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated

from litestar import Response, get
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.params import PathParameter

from service.errors import NotFound

SWAGGER_UI_VERSION = "5.35.0"
DOCS_PATH = "/schema"
ASSETS_PATH = f"{DOCS_PATH}/assets/{SWAGGER_UI_VERSION}"
CACHE_FOREVER = "public, max-age=31536000, immutable"

_DIST = Path(__file__).parent / "swagger-ui"
MEDIA_TYPES = {
    # Litestar adds "; charset=utf-8" to text types.
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def asset_url(name: str) -> str:
    """The absolute path the page loads ``name`` from."""
    return f"{ASSETS_PATH}/{name}"


def swagger_render_plugin() -> SwaggerRenderPlugin:
    """Swagger UI at ``/schema``, every file it loads served by this app."""
    return SwaggerRenderPlugin(
        js_url=asset_url("swagger-ui-bundle.js"),
        css_url=asset_url("swagger-ui.css"),
        standalone_preset_js_url=asset_url("swagger-ui-standalone-preset.js"),
        favicon=f"<link rel='icon' type='image/png' href='{asset_url('favicon-32x32.png')}'>",
    )


@cache
def _read(name: str) -> bytes:
    return (_DIST / name).read_bytes()


# Registered on the /schema router: the path is relative to it.
@get("/assets/{version:str}/{name:str}", include_in_schema=False, sync_to_thread=False)
def swagger_ui_asset(
    version: Annotated[str, PathParameter()], name: Annotated[str, PathParameter()]
) -> Response[bytes]:
    """One of Swagger UI's files; any other name, or another version's, is a 404 problem."""
    if version != SWAGGER_UI_VERSION or name not in MEDIA_TYPES:
        raise NotFound("no such resource")
    return Response(_read(name), media_type=MEDIA_TYPES[name], headers={"cache-control": CACHE_FOREVER})
