"""What the API tests expect of every answer, written out once: the problem body, the user object's fields,
timestamps, and the service's messages (a changed message is a changed contract, so the tests spell them)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import httpx

PROBLEM = "application/problem+json"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$")
ROLES = ("operator", "nurse", "doctor", "head_doctor", "admin")
# API.md's user object, exactly: never a password hash, TOTP secret or backup code.
USER_KEYS = frozenset(
    {
        "id",
        "hospitalId",
        "email",
        "name",
        "role",
        "department",
        "licenseNumber",
        "specialization",
        "shiftSchedule",
        "isActive",
        "isLocked",
        "lockoutUntil",
        "twoFactorEnabled",
        "lastLoginAt",
        "createdAt",
        "updatedAt",
    }
)

NOT_VALID = "the request is not valid"
NO_TOKEN = "authentication required: send Authorization: Bearer <token>"
TOKEN_REFUSED = "the token is invalid, expired or revoked"
ROLE_FORBIDDEN = "your role may not do this"
PASSWORD_CHANGE_REQUIRED = "password change required"
LOGIN_FAILED = "the login failed: wrong email or password, or the account may not sign in now"

FieldErrors = Sequence[dict[str, str]] | Sequence[tuple[str, str]]


def problem(status: int, detail: str, errors: FieldErrors | None = None) -> dict[str, Any]:
    """The RFC 9457 body the service answers with; ``errors`` as dicts or as (field, message) pairs."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = [
            error if isinstance(error, dict) else {"field": error[0], "message": error[1]} for error in errors
        ]
    return body


def assert_problem(response: httpx.Response, status: int, detail: str, errors: FieldErrors | None = None) -> None:
    """An RFC 9457 problem with exactly this status, detail and errors."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == problem(status, detail, errors)
