"""Shapes of the audit domain."""

from __future__ import annotations

import uuid

import msgspec


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who acts, and from where: the context every audit row records.

    ``hospital_id`` and ``user_id`` are None for the command line acting without a user, and for a failed
    login with an unknown email.
    """

    hospital_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    ip_address: str | None = None
    user_agent: str | None = None


CLI_ACTOR = Actor(user_agent="hospital-alerts-cli")
