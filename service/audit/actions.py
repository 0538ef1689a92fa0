"""The audit vocabulary: every action an audit row may name, with what it records.

``audit.writer.record`` takes only these names (mypy checks every call), and docs/api.md lists exactly these
(a test compares the two), so the compliance officer's list and the code cannot drift apart.
"""

from __future__ import annotations

from typing import Literal, get_args

AuditAction = Literal[
    "auth.login",
    "auth.2fa_challenge",
    "auth.logout",
    "auth.lockout",
    "auth.password_change",
    "auth.2fa_setup",
    "auth.2fa_enable",
    "auth.2fa_disable",
    "user.create",
    "user.update",
    "user.role_change",
    "user.deactivate",
    "user.activate",
    "user.unlock",
    "hospital.create",
    "hospital.update",
    "department.create",
    "department.update",
    "alert.create",
    "alert.acknowledge",
    "alert.resolve",
    "alert.cancel",
    "alert.escalate",
    "alert.expire",
    "audit.view",
    "audit.export",
    "audit.download",
    "audit.purge",
    "access.denied",
]

AUDIT_ACTIONS: tuple[str, ...] = get_args(AuditAction)
