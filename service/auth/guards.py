"""Authentication and authorization of /api/v1 requests, as Litestar guards.

``authenticate`` runs first on every route of the API router (a route opts out with ``opt={"public": True}``):
one indexed statement turns the bearer token into a Principal, or the request is 401. ``permit(permission)``
then asks the permission table; a refusal is 403 and is audited as ``access.denied``. Guards run before the
body is read, so the order of answers is API.md's: 401, then 403, then 400.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Any, Literal

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.types import Guard

from service.audit.schemas import Actor
from service.audit.writer import record
from service.auth.permissions import Permission, scope_of
from service.auth.schemas import Principal
from service.auth.tokens import token_digest
from service.db import sql
from service.db.pool import Database
from service.errors import Forbidden, Unauthorized

# Tokens we issue are 43 characters of base64url; anything else is refused without a database round trip.
_BEARER = re.compile(r"^(?i:bearer) +([A-Za-z0-9_-]{20,128})$")  # the scheme is case-insensitive (RFC 9110)
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hospital-alerts"'}
PASSWORD_CHANGE_REQUIRED = "password change required"
ROLE_FORBIDDEN = "your role may not do this"
MAX_USER_AGENT = 512

# Route opts: "public" skips authentication (login); "password_change_allowed" keeps a route open to a user
# who still has to replace a temporary password (/me, /password, /logout).
PUBLIC = {"public": True}
# The OpenAPI security requirement of every authenticated route (named per route: Litestar adds the requirements
# of every layer together, so a router-wide one could not be taken off the login routes).
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
PASSWORD_CHANGE_ALLOWED = {"password_change_allowed": True}


def database_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Database:
    return connection.app.state.db  # type: ignore[no-any-return]


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The client's IP address (uvicorn has applied X-Forwarded-For from trusted proxies), or None."""
    host = connection.client.host if connection.client else None
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def user_agent_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    agent = connection.headers.get("user-agent")
    return agent[:MAX_USER_AGENT] if agent else None


def anonymous_actor(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    """The actor of a request made before any login (the login routes)."""
    return Actor(ip_address=client_address(connection), user_agent=user_agent_of(connection))


def actor_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    """The actor of an authenticated request, for its audit rows."""
    principal: Principal = connection.state.principal
    return Actor(
        hospital_id=principal.hospital_id,
        user_id=principal.user_id,
        session_id=principal.session_id,
        ip_address=client_address(connection),
        user_agent=user_agent_of(connection),
    )


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Router guard: the bearer token's live session, or 401; a pending temporary password allows only a few routes."""
    if handler.opt.get("public"):
        return
    header = connection.headers.get("authorization")
    if not header:
        raise Unauthorized("authentication required: send Authorization: Bearer <token>", headers=_CHALLENGE)
    match = _BEARER.match(header)
    principal = None
    if match:
        digest = token_digest(match.group(1))
        async with database_of(connection).connection() as conn:
            principal = await sql.auth.authenticate.one(conn, digest)
    if principal is None:
        raise Unauthorized("the token is invalid, expired or revoked", headers=_CHALLENGE)
    connection.state.principal = principal
    connection.state.token_digest = digest
    if principal.must_change_password and not handler.opt.get("password_change_allowed"):
        await deny(connection, "password_change_required")
        raise Forbidden(PASSWORD_CHANGE_REQUIRED)


def permit(permission: Permission) -> Guard:
    """Route guard: the caller's role may take ``permission`` (at some scope), else 403, audited."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal: Principal = connection.state.principal
        if scope_of(principal.role, permission) is None:
            await deny(connection, "role", permission=permission.value)
            raise Forbidden(ROLE_FORBIDDEN)

    return guard


async def deny(
    connection: ASGIConnection[Any, Any, Any, Any],
    reason: str,
    *,
    resource: str | None = None,
    resource_id: uuid.UUID | None = None,
    **metadata: Any,
) -> None:
    """Audit a refused request as ``access.denied``, in a transaction of its own: the request changes nothing."""
    async with database_of(connection).transaction() as conn:
        await record(
            conn,
            actor_of(connection),
            "access.denied",
            outcome="failure",
            resource=resource,
            resource_id=resource_id,
            metadata={
                "reason": reason,
                "method": connection.scope.get("method"),
                "path": connection.url.path,
                **metadata,
            },
        )


async def session_still_live(
    db: Database, token_digest: bytes, principal: Principal
) -> Literal["live", "changed", "ended"]:
    """Whether the session a long request (the stream) started with is still live ("ended": revoked, expired,
    or its user deactivated) and its user still the same role in the same department ("changed")."""
    async with db.connection() as conn:
        now = await sql.auth.authenticate.one(conn, token_digest)
    if now is None or now.session_id != principal.session_id:
        return "ended"
    if (now.role, now.department_id) != (principal.role, principal.department_id):
        return "changed"
    return "live"


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    return request.state.principal  # type: ignore[no-any-return]


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    return actor_of(request)


def provide_database(request: Request[Any, Any, Any]) -> Database:
    return database_of(request)


# The dependencies of /api/v1 handlers, named explicitly (Litestar 3 drops inferred dependencies).
CurrentPrincipal = NamedDependency[Principal]
CurrentActor = NamedDependency[Actor]
Db = NamedDependency[Database]
