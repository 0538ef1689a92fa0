"""The one audit writer: every mutation, login attempt and refused action goes through ``record``.

It runs on the caller's connection, inside the caller's transaction, so the audit row commits with the
change it describes or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal

import asyncpg

from service.audit.actions import AuditAction
from service.audit.schemas import Actor
from service.db import sql

Outcome = Literal["success", "failure"]

# Defence in depth: metadata never carries a secret, even if a caller passes one by mistake.
# A key containing one of these words, or naming a 2FA code, has its value replaced.
_SECRET_WORDS = ("password", "token", "secret", "backupcode", "backup_code", "totp")
_SECRET_KEYS = {"otp", "twofactorcode", "two_factor_code"}
REDACTED = "[redacted]"


def scrub(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``metadata`` with the value of every secret-looking key replaced, at any depth, lists included."""
    return {key: REDACTED if _is_secret(key) else _scrub_value(value) for key, value in metadata.items()}


def _is_secret(key: str) -> bool:
    lowered = key.lower()
    return lowered in _SECRET_KEYS or any(word in lowered for word in _SECRET_WORDS)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return scrub(value)
    if isinstance(value, list | tuple):
        return [_scrub_value(item) for item in value]
    return value


async def record(
    conn: asyncpg.Connection,
    actor: Actor,
    action: AuditAction,
    *,
    outcome: Outcome = "success",
    resource: str | None = None,
    resource_id: str | uuid.UUID | None = None,
    metadata: Mapping[str, Any] | None = None,
    hospital_id: uuid.UUID | None = None,
) -> None:
    """Append one audit row for ``actor`` doing ``action`` (one of audit.actions.AuditAction).

    ``hospital_id`` defaults to the actor's; pass it when the command line acts on a hospital.
    """
    await sql.audit.record.exec(
        conn,
        hospital_id or actor.hospital_id,
        actor.user_id,
        action,
        resource,
        None if resource_id is None else str(resource_id),
        outcome,
        actor.ip_address,
        actor.user_agent,
        actor.session_id,
        scrub(metadata or {}),
    )
