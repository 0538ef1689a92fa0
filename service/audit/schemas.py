"""Shapes of the audit domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from service.db.catalogue import Row
from service.ops.schemas import LockRow  # noqa: F401 (sql/audit/try_seal_lock.sql returns it)


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


# --- GET /audit/logs ---------------------------------------------------------------------------------------

Outcome = Literal["success", "failure"]
ExportFormat = Literal["csv", "ndjson"]

# The limits of audit_logs' CHECK constraints: a filter no row can match is the client's mistake, not "no rows".
ACTION_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
RESOURCE_PATTERN = r"^[a-z][a-z0-9_]*$"
NAME_MAX = 64
RESOURCE_ID_MAX = 200
ActionName = Annotated[
    str, msgspec.Meta(pattern=ACTION_PATTERN, max_length=NAME_MAX, description="A dotted action name: auth.login")
]
ResourceName = Annotated[
    str, msgspec.Meta(pattern=RESOURCE_PATTERN, max_length=NAME_MAX, description="A resource type: user, alert, ...")
]
ResourceId = Annotated[str, msgspec.Meta(min_length=1, max_length=RESOURCE_ID_MAX, description="The resource's id")]


class AuditLogRow(Row, rename="camel"):
    """One audit row as the API shows it."""

    id: uuid.UUID
    user_id: uuid.UUID | None
    hospital_id: uuid.UUID | None
    action: str
    resource: str | None
    resource_id: str | None
    outcome: Outcome
    ip_address: str | None
    user_agent: str | None
    session_id: uuid.UUID | None
    metadata: dict[str, Any]
    timestamp: datetime
    retention_until: datetime


class AuditLogPage(msgspec.Struct, rename="camel"):
    """A page of GET /audit/logs, newest first; ``next_cursor`` is null on the last page."""

    logs: list[AuditLogRow]
    next_cursor: str | None


class AuditFilters(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    """The filters of GET /audit/logs other than the time range (each optional: null or absent is any)."""

    user_id: uuid.UUID | None = None
    action: ActionName | None = None
    resource: ResourceName | None = None
    resource_id: ResourceId | None = None
    outcome: Outcome | None = None


# --- exports -----------------------------------------------------------------------------------------------


class CreateExport(msgspec.Struct, rename={"from_time": "from", "to_time": "to"}, forbid_unknown_fields=True):
    """POST /audit/exports: the rows with ``from <= timestamp < to`` that match ``filters``."""

    from_time: datetime
    to_time: datetime
    format: ExportFormat
    filters: AuditFilters | None = None


class ExportRow(Row):
    id: uuid.UUID
    format: ExportFormat
    created_at: datetime
    expires_at: datetime
    expired: bool
    """By the database's clock, the one the download's check reads."""


class Export(msgspec.Struct, rename="camel"):
    """An export request; download it from ``downloadUrl`` (same bearer auth) until ``expiresAt``."""

    id: uuid.UUID
    status: Literal["ready", "expired"]
    format: ExportFormat
    created_at: datetime
    expires_at: datetime
    download_url: str


class BoundExportRow(Row):
    format: ExportFormat
    bound_hospital_id: str
    bound_export_id: str


class AuditCsvRow(Row, rename="camel"):
    """The columns of a CSV export, in API.md's order; everything as the text the file holds."""

    id: uuid.UUID
    user_id: uuid.UUID | None
    hospital_id: uuid.UUID | None
    action: str
    resource: str | None
    resource_id: str | None
    outcome: str
    ip_address: str | None
    user_agent: str | None
    session_id: uuid.UUID | None
    metadata: str
    timestamp: str
    retention_until: str


class AuditNdjsonRow(Row):
    line: str


# --- compliance report -------------------------------------------------------------------------------------


class ReportRow(Row):
    actions: list[dict[str, Any]]
    failed_logins: int
    lockouts: int
    users_without_2fa: int
    inactive_users: int
    role_changes: int
    exports: int
    ack_time_seconds: dict[str, Any]
    escalations: dict[str, int]


class ActionCount(msgspec.Struct):
    action: str
    outcome: Outcome
    count: int


class AckTimes(msgspec.Struct):
    """Alerts of one priority acknowledged, with the median and 90th percentile seconds to acknowledge (null
    when none was)."""

    count: int
    median: float | None
    p90: float | None


class AckTimesByPriority(msgspec.Struct):
    low: AckTimes
    medium: AckTimes
    high: AckTimes
    critical: AckTimes


class EscalationCounts(msgspec.Struct):
    timeout: int
    manual: int
    no_response: int


class Integrity(msgspec.Struct, rename="camel"):
    """The chain's verdict: ``verified`` when every checked row and seal is as sealed; ``firstBadRowId`` names
    the first row changed, deleted or inserted behind the service's back (null when verified, or when the
    fault is in a seal)."""

    verified: bool
    checked_rows: int
    first_bad_row_id: str | None


class ComplianceReport(msgspec.Struct, rename="camel"):
    """GET /audit/compliance-report: the hospital's compliance figures for ``from <= t < to``."""

    from_time: datetime = msgspec.field(name="from")
    to_time: datetime = msgspec.field(name="to")
    actions: list[ActionCount]
    failed_logins: int
    lockouts: int
    users_without_2fa: int = msgspec.field(name="usersWithout2fa")  # API.md's spelling; camel would say 2Fa
    inactive_users: int
    role_changes: int
    exports: int
    ack_time_seconds: AckTimesByPriority
    escalations: EscalationCounts
    integrity: Integrity


# --- seals, verification, retention ------------------------------------------------------------------------


class SealBoundRow(Row):
    last_seq: int
    last_hash: bytes
    sealed_from: datetime | None
    bound: datetime


class SealWindowRow(Row):
    sealed_to: datetime
    ends_month: bool
    row_count: int


class SealRow(Row):
    seq: int
    row_count: int
    seal_hash: bytes
    sealed_to: datetime


class SealCheckRow(Row):
    checked_seals: int
    bad_seq: int | None
    problem: str | None


class PlanSettingsRow(Row):
    parallel_setup_cost: str
    parallel_tuple_cost: str
    work_mem: str
    jit: str


class SettingRow(Row):
    setting: str


class ApplicationNameRow(Row):
    application_name: str


class SpanRow(Row):
    from_time: datetime | None
    to_time: datetime | None
    first_seq: int | None
    last_seq: int | None


class PartCheckRow(Row):
    checked_seals: int
    checked_rows: int
    intact: bool


class UnsealedRow(Row):
    unsealed_rows: int


class RowCheckRow(Row):
    checked_rows: int
    unsealed_rows: int
    bad_row_id: uuid.UUID | None
    problem: str | None
    bad_seq: int | None


class CreatedRow(Row):
    created: int


class PurgedRow(Row):
    partition_name: str
    range_from: datetime
    range_to: datetime
    row_count: int


MAINTENANCE_ACTOR = Actor(user_agent="hospital-alerts-maintenance")
"""The background loops acting without a user (the retention purge)."""
