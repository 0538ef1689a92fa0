"""Domain errors and their single mapping to RFC 9457 problem details.

Every error response of the service is built here: domain errors raised by the logic, Litestar's own
HTTP exceptions (validation, unknown route, wrong method, body too large), and asyncpg errors, mapped by
their SQLSTATE. Nothing else writes an error body, so no response can carry a traceback, SQL text or a
value from the database.
"""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
from http import HTTPStatus
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, InternalServerException, SerializationException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example

from service.logs import request_id_of
from service.validation import FIELD_MARK

logger = logging.getLogger("service.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = "the database is unavailable; try again shortly"


class FieldError(msgspec.Struct):
    """One invalid input: ``field`` is a dotted path with indexes (``users[2].email``); empty for the whole body."""

    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """RFC 9457 problem details, the body of every error response; ``errors`` only for validation and bulk conflicts."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class DomainError(Exception):
    """An error the service answers on purpose; subclasses fix the status."""

    status_code: int = 500

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class BadRequest(DomainError):
    status_code = 400


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(DomainError):
    status_code = 503

    def __init__(self, detail: str = DATABASE_UNAVAILABLE) -> None:
        super().__init__(detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


# SQLSTATE classes and codes that mean "the database cannot be reached right now" rather than "this
# request is wrong": connection exceptions (08), operator intervention (57P01..57P05), too many
# connections (53300), cannot connect now (57P03), query cancelled by timeout (57014).
_UNAVAILABLE_SQLSTATES = {"53300", "57014", "57P01", "57P02", "57P03", "57P04", "57P05"}

_SQLSTATE_ANSWERS: dict[str, tuple[int, str]] = {
    "23505": (409, "the resource already exists"),
    "23503": (409, "the change refers to a resource that does not exist or is still referred to"),
    # A character the database cannot store (NUL in text): the edge refuses these field by field; this is the net.
    "22021": (400, "the request contains a character that cannot be stored"),
    "22P05": (400, "the request contains a character that cannot be stored"),
    "23514": (400, "the change breaks a rule of the data model"),
    "22001": (400, "a value is too long"),
    "40001": (409, "the change conflicted with a concurrent change; try again"),
    "40P01": (409, "the change conflicted with a concurrent change; try again"),
}


def first_error(group: BaseExceptionGroup) -> BaseException:
    """The first failure a task group collected, out of any nesting: what the request as a whole failed of
    (so that an unavailable database still answers 503, not 500)."""
    first: BaseException = group
    while isinstance(first, BaseExceptionGroup):
        first = first.exceptions[0]
    return first


def is_database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means the database is unreachable or refusing work, not that the request is wrong."""
    if isinstance(exc, asyncpg.PostgresError):
        state = exc.sqlstate or ""
        return state.startswith("08") or state in _UNAVAILABLE_SQLSTATES
    return isinstance(
        exc,
        (
            OSError,  # refused, reset, unreachable
            asyncio.TimeoutError,  # pool acquire or connect timed out
            asyncpg.InterfaceError,  # "connection is closed", pool closing
            asyncpg.exceptions.ConnectionDoesNotExistError,
        ),
    )


# RFC 9110's names, fixed here so that a title does not change with the Python version.
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def problem(status: int, detail: str, errors: list[FieldError] | None = None) -> Problem:
    title = _TITLES.get(status) or HTTPStatus(status).phrase
    return Problem(type="about:blank", title=title, status=status, detail=detail, errors=errors)


# What each error status means on this API, for the OpenAPI document.
_DESCRIPTIONS = {
    400: "The body or a parameter is not valid; `errors` names each field (`users[2].email`).",
    401: "The token is missing, invalid, expired or revoked, or the login failed.",
    403: "The caller's role may never do this, or the caller must first change a temporary password.",
    404: "No such resource, or it belongs to another hospital, or the caller may not see it.",
    409: "Conflict: a duplicate, or a state change that is no longer possible.",
    413: "The body is larger than 1 MiB.",
    429: "Rate limited: try again after Retry-After seconds.",
    503: "The database is unavailable: try again after Retry-After seconds.",
}


def problem_spec(status: int, *, description: str | None = None, detail: str | None = None) -> ResponseSpec:
    """The OpenAPI response of one error status: problem+json, with one example written here, not invented."""
    example = problem(status, detail or _DESCRIPTIONS[status])
    return ResponseSpec(
        data_container=Problem,
        media_type=PROBLEM_MEDIA_TYPE,
        description=description or _DESCRIPTIONS[status],
        generate_examples=False,
        examples=[Example(summary=example.title, value=msgspec.to_builtins(example))],
    )


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """``responses=`` for a route: each status documented as problem+json (this replaces Litestar's own 400)."""
    return {status: problem_spec(status) for status in statuses}


def problem_response(
    status: int, detail: str, *, errors: list[FieldError] | None = None, headers: dict[str, str] | None = None
) -> Response[Problem]:
    return Response(
        problem(status, detail, errors),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """The one exception handler of the app: every error becomes problem+json."""
    if isinstance(exc, DomainError):
        return problem_response(exc.status_code, exc.detail, errors=exc.errors, headers=exc.headers)
    if isinstance(exc, ValidationException):
        errors = validation_errors(exc.extra, _parameter_names(request))
        if not errors and (missing := _MISSING_PARAMETER.match(exc.detail or "")):
            errors = [FieldError(field=missing.group(1), message="is required")]
        return problem_response(400, "the request is not valid", errors=errors, headers=exc.headers)
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return problem_response(exc.status_code, _http_detail(exc), headers=exc.headers)
    if isinstance(exc, InternalServerException) and exc.detail == _CLIENT_GONE:
        # The client closed its connection before its body arrived (a load generator stopping, a phone losing its
        # network): nothing failed here, and nobody is left to read the answer.
        logger.info(
            "the client disconnected before its request body arrived",
            extra={"request_id": request_id_of(request.scope)},
        )
        return problem_response(400, "the client disconnected before its request body arrived")
    if is_database_unavailable(exc):
        logger.warning(
            "database unavailable: %s", type(exc).__name__, extra={"request_id": request_id_of(request.scope)}
        )
        return problem_response(503, DATABASE_UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, asyncpg.PostgresError) and exc.sqlstate in _SQLSTATE_ANSWERS:
        status, detail = _SQLSTATE_ANSWERS[exc.sqlstate]
        logger.info(
            "database refused a change: sqlstate=%s constraint=%s",
            exc.sqlstate,
            getattr(exc, "constraint_name", None),
            extra={"request_id": request_id_of(request.scope)},
        )
        return problem_response(status, detail)
    _log_unexpected(request, exc)
    if request.app.debug:
        # HOSPITAL_ALERTS_DEBUG, on a developer's machine or in staging only (production refuses it).
        logger.error(
            "traceback of the unexpected error", exc_info=exc, extra={"request_id": request_id_of(request.scope)}
        )
        return problem_response(500, f"an unexpected error occurred: {type(exc).__name__}: {_first_line(exc)}")
    return problem_response(500, "an unexpected error occurred; it has been logged")


_CLIENT_GONE = "client disconnected prematurely"
"""Litestar's detail of the InternalServerException it raises when the body stream ends in a disconnect."""


def _http_detail(exc: HTTPException) -> str:
    details = {
        404: "no such resource",
        405: "this method is not allowed on this route (see the Allow header)",
        413: "the request body is larger than 1 MiB",
        415: "the body must be JSON: send it with Content-Type: application/json",
    }
    if exc.status_code in details:
        return details[exc.status_code]
    if exc.status_code == 400 and isinstance(exc.__cause__, SerializationException):
        return "the body is not valid JSON"
    return exc.detail or HTTPStatus(exc.status_code).phrase


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:500]


def _log_unexpected(request: Request[Any, Any, Any], exc: Exception) -> None:
    # The location of the failure, never the traceback's text or the exception's message: both can carry
    # SQL text or values (passwords, tokens) that must not reach the logs.
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else "unknown"
    logger.error(
        "unexpected %s at %s (sqlstate=%s)",
        type(exc).__name__,
        where,
        getattr(exc, "sqlstate", None),
        extra={"request_id": request_id_of(request.scope)},
    )


_MISSING = re.compile(r"^Object missing required field `([^`]+)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `([^`]+)`$")
# Litestar's own message for an absent required parameter (no details attached): the client sent no ``from``.
_MISSING_PARAMETER = re.compile(r"^Missing required (?:query|header|cookie) parameter '([^']+)'")


def _parameter_names(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The handler's parameters that the client knows by another name (``created_from`` is ``from``)."""
    signature = getattr(request.scope.get("route_handler"), "parsed_fn_signature", None)
    names: dict[str, str] = {}
    for name, field in signature.parameters.items() if signature is not None else ():
        alias = getattr(field.kwarg_definition, "name", None) or getattr(field.kwarg_definition, "query", None)
        if isinstance(alias, str):
            names[name] = alias
    return names


def validation_errors(extra: Any, parameter_names: dict[str, str] | None = None) -> list[FieldError]:
    """Litestar's validation details -> FieldErrors with dotted paths and plain messages; a query parameter is
    named as the client sent it (its declared name, else the camelCase of the Python one)."""
    errors: list[FieldError] = []
    for item in extra if isinstance(extra, list) else []:
        message = str(item.get("message", "invalid value"))
        key = str(item.get("key", ""))
        if key == "data":  # the body itself
            key = ""
        elif item.get("source") == "query":
            # Litestar names a query parameter by its Python name; the client knows it by the name it sent
            # (``created_from`` -> ``from``, ``is_active`` -> ``isActive``). Path parameters keep the name the
            # OpenAPI document gives them (``user_id``).
            key = (parameter_names or {}).get(key) or _camel(key)
        errors.append(_field_error(key, message))
    return errors


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _field_error(key: str, message: str) -> FieldError:
    """One msgspec message about the object at ``key`` -> a FieldError naming the field itself."""
    if message.startswith(FIELD_MARK):  # raised by an Input's __post_init__: "\0field\0message"
        _, field, message = message.split(FIELD_MARK, 2)
        return FieldError(field=f"{key}.{field}" if key else field, message=message)
    for pattern, text in ((_MISSING, "is required"), (_UNKNOWN, "is not a known field")):
        match = pattern.match(message)
        if match:
            return FieldError(field=f"{key}.{match.group(1)}" if key else match.group(1), message=text)
    if message == "Invalid UUID":
        message = "is not a UUID"
    if message == "'data'":  # no body where one is required
        message = "a JSON body is required"
    return FieldError(field=key, message=message.replace("`", ""))


_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)


def msgspec_field_error(exc: msgspec.ValidationError, prefix: str = "") -> FieldError:
    """A FieldError for a msgspec ValidationError raised while converting the object at ``prefix``
    (``users[3]``): the path msgspec names is appended to it."""
    match = _AT.match(str(exc))
    assert match is not None  # the pattern matches any text
    path = (match.group("path") or "").lstrip(".")
    key = f"{prefix}.{path}" if prefix and path else prefix or path
    key = key.replace(".[", "[")
    return _field_error(key, match.group("message"))
