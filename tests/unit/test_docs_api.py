"""docs/api.md states the permission table and the audit vocabulary exactly as the code has them."""

from __future__ import annotations

import re
from pathlib import Path

from service.audit.actions import AUDIT_ACTIONS
from service.auth.permissions import PERMISSIONS, Permission

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def table_after(heading: str) -> list[list[str]]:
    """The rows (cells stripped) of the first Markdown table after ``heading``, header and rule excluded."""
    text = API_MD.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    rows = []
    for line in section.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    return rows[2:]


def test_the_permission_table_is_the_code_s() -> None:
    roles = list(PERMISSIONS)
    documented = {row[0].strip("`"): dict(zip(roles, row[1:], strict=True)) for row in table_after("## Roles")}
    actual = {p.value: {role: PERMISSIONS[role].get(p, "-") for role in roles} for p in Permission}
    assert documented == actual


def test_the_audit_vocabulary_is_the_code_s() -> None:
    documented = [row[0].strip("`") for row in table_after("## The audit trail")]
    assert documented == list(AUDIT_ACTIONS)


def test_every_action_the_contract_names_is_in_the_vocabulary() -> None:
    # API.md: "Actions are dotted names, at least: ..."
    required = [
        "auth.login",
        "auth.logout",
        "auth.lockout",
        "auth.password_change",
        "auth.2fa_enable",
        "auth.2fa_disable",
        "user.create",
        "user.update",
        "user.role_change",
        "user.deactivate",
        "user.activate",
        "user.unlock",
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
        "access.denied",
    ]
    assert set(required) <= set(AUDIT_ACTIONS)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+", action) for action in AUDIT_ACTIONS)
