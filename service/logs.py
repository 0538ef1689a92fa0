"""Request ids and structured (JSON) logs.

Every response carries ``X-Request-ID``: the client's own when it is 1..128 characters of
``[A-Za-z0-9._-]``, else a new one. The id is kept in the ASGI scope and in a context variable so that
every log line written while serving the request names it.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import time
import uuid
from typing import Any

import msgspec
from litestar.exceptions.http_exceptions import ClientException, RequestEntityTooLarge

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,128}$")
_current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def request_id_of(scope: Any) -> str:
    """The request id of this ASGI scope, chosen once and then remembered in the scope's state."""
    state = scope.setdefault("state", {})
    request_id = state.get("request_id")
    if request_id is None:
        request_id = uuid.uuid4().hex
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                if _VALID_REQUEST_ID.match(value):
                    request_id = value.decode("ascii")
                break
        state["request_id"] = request_id
    return request_id


async def add_request_id_header(message: Any, scope: Any) -> None:
    """Litestar ``before_send`` hook: stamps X-Request-ID on every HTTP response, errors and 404s included."""
    if message["type"] == "http.response.start":
        headers = message.setdefault("headers", [])
        headers.append((b"x-request-id", request_id_of(scope).encode("ascii")))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and any ``extra`` fields given."""

    _STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "color_message"}

    def format(self, record: logging.LogRecord) -> str:
        return msgspec.json.encode(self.entry(record), enc_hook=str).decode()

    def entry(self, record: logging.LogRecord) -> dict[str, Any]:
        """The fields of one line, in order: time, level, logger, message, request id, then the extras."""
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or _current_request_id.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in self._STANDARD and key != "request_id" and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            # Only HOSPITAL_ALERTS_DEBUG logs with exc_info (service/errors.py); production refuses it.
            entry["traceback"] = self.formatException(record.exc_info)
        return entry


class TextFormatter(JsonFormatter):
    """One readable line per record, for a person at a terminal: the same fields as the JSON lines, with the
    ``extra`` fields and the request id as ``key=value`` after the message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = self.entry(record)
        head = f"{entry.pop('time')} {entry.pop('level').upper():<7} {entry.pop('logger')}: {entry.pop('message')}"
        tail = " ".join(f"{key}={value}" for key, value in entry.items())
        return f"{head}  {tail}" if tail else head


def configure_logging(level: str = "INFO", log_format: str = "json") -> None:
    """Send the service's logs to stderr (UTC times): JSON lines for a collector, or readable text lines."""
    JsonFormatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TextFormatter() if log_format == "text" else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn's access log repeats what the metrics count; its error logger stays.
    logging.getLogger("uvicorn.access").disabled = True


class RequestIdMiddleware:
    """ASGI middleware: fixes the request id as the request starts, so log lines written while serving it carry
    it; and refuses at once a body announced larger than the limit (413) or of a type other than JSON (415),
    whether or not the route reads a body."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            _refuse_announced_oversize(scope)
            _refuse_non_json_body(scope)
            token = _current_request_id.set(request_id_of(scope))
            try:
                await self.app(scope, receive, send)
            finally:
                _current_request_id.reset(token)
        else:
            await self.app(scope, receive, send)


def _refuse_announced_oversize(scope: Any) -> None:
    limit = scope["route_handler"].resolve_request_max_body_size()
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            if limit is not None and value.isdigit() and int(value) > limit:
                raise RequestEntityTooLarge
            break


_JSON_MEDIA_TYPE = re.compile(rb"^\s*application/([a-z0-9.+-]*\+)?json\s*(;.*)?$", re.I)


def _refuse_non_json_body(scope: Any) -> None:
    # Every body this service takes is JSON. A body declared as something else (a form, XML, text/plain) is
    # refused with 415 rather than parsed as JSON anyway; a request with no Content-Type, or an empty body, is
    # left to the route (clients such as curl -d send a form type by default: they get a clear 415).
    content_type = None
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            content_type = value
        elif name == b"content-length" and value.strip() == b"0":
            return
    if content_type is not None and not _JSON_MEDIA_TYPE.match(content_type):
        raise ClientException(status_code=415)
