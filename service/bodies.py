"""Rules about request bodies that a request Struct cannot state: a route that takes no body."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request

from service.errors import BadRequest


async def refuse_body(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of a route that takes no body: none, or ``{}``, else 400 (after the guards, so 401 and
    403 still come first). A body the route would silently ignore is a client's mistake worth telling."""
    body = await request.body()
    if not body.strip():
        return
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise BadRequest("the body is not valid JSON") from None
    if decoded != {}:
        raise BadRequest("this route takes no body: send none, or {}")
