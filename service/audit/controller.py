"""HTTP routes of /api/v1/audit: the audit logs, their exports and the compliance report (admins only)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.response import Stream

from service.audit import trail
from service.audit.schemas import (
    ACTION_PATTERN,
    NAME_MAX,
    RESOURCE_ID_MAX,
    RESOURCE_PATTERN,
    ActionName,
    AuditFilters,
    AuditLogPage,
    ComplianceReport,
    CreateExport,
    Export,
    Outcome,
    ResourceId,
    ResourceName,
)
from service.auth.guards import BEARER, CurrentActor, CurrentPrincipal, Db, permit
from service.auth.permissions import Permission
from service.bodies import refuse_body
from service.errors import BadRequest, FieldError, problem_responses
from service.pages import require_offsets


@dataclass
class DownloadOperation(Operation):
    """The download's OpenAPI operation: a 200 of CSV or NDJSON text, not JSON."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            text = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
            ok.content = {"text/csv": text, "application/x-ndjson": text}


# `{export_id:str}`, not `:uuid`: 401 and 403 come before a malformed id's 400 (see users.controller).
ExportId = Annotated[uuid.UUID, PathParameter(description="An export of the caller's hospital")]
_AUDIT = [permit(Permission.READ_AUDIT)]


def _period(from_time: datetime | None, to_time: datetime | None) -> None:
    """400 for a time without an offset, or a ``to`` not later than ``from``."""
    require_offsets(**{"from": from_time, "to": to_time})
    if from_time is not None and to_time is not None and to_time <= from_time:
        raise BadRequest("the request is not valid", errors=[FieldError("to", "must be later than from")])


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    security = BEARER

    @get(
        "/logs",
        guards=_AUDIT,
        before_request=refuse_body,
        operation_id="listAuditLogs",
        summary="Audit logs",
        responses=problem_responses(400, 401, 403, 503),
    )
    async def list_logs(
        self,
        db: Db,
        actor: CurrentActor,
        from_time: Annotated[datetime | None, QueryParameter(name="from", description="At or after (RFC 3339)")] = None,
        to_time: Annotated[datetime | None, QueryParameter(name="to", description="Before (RFC 3339)")] = None,
        user_id: Annotated[uuid.UUID | None, QueryParameter(name="userId", description="Only this user's rows")] = None,
        # The limits are given to QueryParameter too: Litestar applies a parameter's own constraints, not those
        # inside an Optional's Annotated type.
        action: Annotated[
            ActionName | None,
            QueryParameter(pattern=ACTION_PATTERN, max_length=NAME_MAX, description="Only this action"),
        ] = None,
        resource: Annotated[
            ResourceName | None,
            QueryParameter(pattern=RESOURCE_PATTERN, max_length=NAME_MAX, description="Only this resource type"),
        ] = None,
        resource_id: Annotated[
            ResourceId | None,
            QueryParameter(
                name="resourceId", min_length=1, max_length=RESOURCE_ID_MAX, description="Only this resource"
            ),
        ] = None,
        outcome: Annotated[Outcome | None, QueryParameter(description="Only this outcome")] = None,
        cursor: Annotated[
            str | None, QueryParameter(max_length=200, description="nextCursor of the previous page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500, description="Rows per page")] = 100,
    ) -> AuditLogPage:
        """The hospital's audit rows, newest first (by `timestamp`, then `id`); `nextCursor` fetches the next
        page (null on the last). Every filter is optional; `from` is inclusive, `to` exclusive. Reading them is
        itself audited (`audit.view`)."""
        _period(from_time, to_time)
        filters = AuditFilters(
            user_id=user_id, action=action, resource=resource, resource_id=resource_id, outcome=outcome
        )
        return await trail.list_logs(
            db, actor, from_time=from_time, to_time=to_time, filters=filters, cursor=cursor, limit=limit
        )

    @post(
        "/exports",
        guards=_AUDIT,
        operation_id="createAuditExport",
        summary="Request an export of audit logs",
        responses=problem_responses(400, 401, 403, 503),
    )
    async def create_export(self, db: Db, actor: CurrentActor, data: JSONBody[CreateExport]) -> Export:
        """Records an export of the rows with `from <= timestamp < to` matching `filters` (the query parameters
        of GET /audit/logs), and returns where to download it for the next hour. The download streams every
        row, oldest first, as CSV (a header line, then the audit row's fields in the API's order, `metadata` as
        JSON text) or NDJSON (one audit row object per line). Audited (`audit.export`)."""
        _period(data.from_time, data.to_time)
        return await trail.create_export(db, actor, data)

    @get(
        "/exports/{export_id:str}",
        guards=_AUDIT,
        before_request=refuse_body,
        operation_id="getAuditExport",
        summary="An export request",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def get_export(self, db: Db, actor: CurrentActor, export_id: ExportId) -> Export:
        """An export of the caller's hospital; `status` is `expired` an hour after it was requested."""
        return await trail.get_export(db, actor, export_id)

    @get(
        "/exports/{export_id:str}/download",
        guards=_AUDIT,
        before_request=refuse_body,
        operation_id="downloadAuditExport",
        summary="Download an export",
        responses=problem_responses(400, 401, 403, 404, 503),
        response_description="The rows as CSV (text/csv) or NDJSON (application/x-ndjson), streamed",
        operation_class=DownloadOperation,
    )
    async def download_export(
        self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, export_id: ExportId
    ) -> Stream:
        """The export's rows, streamed straight from the database in constant memory however many there are.
        404 once the export has expired (an hour after it was requested). Each download is audited
        (`audit.download`)."""
        fmt = await trail.start_download(db, actor, export_id)
        return Stream(
            trail.download(db, principal.hospital_id, export_id, fmt),
            media_type=trail.MEDIA_TYPES[fmt],
            headers={"Content-Disposition": f'attachment; filename="audit-{export_id}.{fmt}"'},
        )

    @get(
        "/compliance-report",
        guards=_AUDIT,
        before_request=refuse_body,
        operation_id="getComplianceReport",
        summary="Compliance report for a period",
        responses=problem_responses(400, 401, 403, 503),
    )
    async def compliance_report(
        self,
        db: Db,
        actor: CurrentActor,
        from_time: Annotated[datetime, QueryParameter(name="from", description="Period start, inclusive (RFC 3339)")],
        to_time: Annotated[datetime, QueryParameter(name="to", description="Period end, exclusive (RFC 3339)")],
    ) -> ComplianceReport:
        """The hospital's figures for the period: audit rows by action and outcome, failed logins, lockouts,
        role changes and exports in it; time to acknowledge the alerts raised in it (seconds, by priority);
        escalations in it by reason; active users without 2FA and active users with no login for 90 days (as
        they stand now); and the integrity of the period's sealed audit rows. Audited (`audit.view`)."""
        _period(from_time, to_time)
        return await trail.compliance_report(db, actor, from_time, to_time)
