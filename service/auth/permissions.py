"""The permission table of API.md's roles section: role -> the actions it may take, and over what.

Guards read this table (``permit``); nothing else compares roles. Where the table says "if visible" or "own
alerts", the guard lets the role through and the domain logic narrows the rows by the scope written here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from service.users.schemas import Role


class Permission(StrEnum):
    CREATE_ALERT = "alerts.create"
    VIEW_ALERTS = "alerts.view"
    ACKNOWLEDGE_ALERT = "alerts.acknowledge"
    """Acknowledge and resolve."""
    ESCALATE_ALERT = "alerts.escalate"
    CANCEL_ALERT = "alerts.cancel"
    READ_USERS = "users.read"
    READ_SELF = "users.read_self"
    MANAGE_USERS = "users.manage"
    """Create, update, deactivate, activate, unlock users and change their roles."""
    READ_HOSPITAL = "hospital.read"
    MANAGE_HOSPITAL = "hospital.manage"
    """Change hospital settings and manage departments."""
    READ_AUDIT = "audit.read"
    """Audit logs, exports and the compliance report."""


Scope = Literal["hospital", "visible", "own"]
"""Over which rows: the whole hospital, the alerts the user may see (API.md's visible set), or their own."""

P = Permission
_EVERYONE: dict[Permission, Scope] = {P.READ_SELF: "hospital", P.READ_HOSPITAL: "hospital"}

PERMISSIONS: dict[Role, dict[Permission, Scope]] = {
    "operator": {
        **_EVERYONE,
        P.CREATE_ALERT: "hospital",
        P.VIEW_ALERTS: "hospital",
        P.ESCALATE_ALERT: "hospital",
        P.CANCEL_ALERT: "own",
    },
    "nurse": {
        **_EVERYONE,
        P.VIEW_ALERTS: "visible",
        P.ACKNOWLEDGE_ALERT: "visible",
        P.ESCALATE_ALERT: "visible",
    },
    "doctor": {
        **_EVERYONE,
        P.VIEW_ALERTS: "visible",
        P.ACKNOWLEDGE_ALERT: "visible",
        P.ESCALATE_ALERT: "visible",
    },
    "head_doctor": {
        **_EVERYONE,
        P.CREATE_ALERT: "hospital",
        P.VIEW_ALERTS: "hospital",
        P.ACKNOWLEDGE_ALERT: "hospital",
        P.ESCALATE_ALERT: "hospital",
        P.CANCEL_ALERT: "hospital",
        P.READ_USERS: "hospital",
    },
    "admin": {
        **_EVERYONE,
        P.CREATE_ALERT: "hospital",
        P.VIEW_ALERTS: "hospital",
        P.ESCALATE_ALERT: "hospital",
        P.CANCEL_ALERT: "hospital",
        P.READ_USERS: "hospital",
        P.MANAGE_USERS: "hospital",
        P.MANAGE_HOSPITAL: "hospital",
        P.READ_AUDIT: "hospital",
    },
}


def scope_of(role: Role, permission: Permission) -> Scope | None:
    """The scope ``role`` has for ``permission``, or None when it may not act at all."""
    return PERMISSIONS[role].get(permission)
