"""HTTP routes of /api/v1/alerts: raise, list, read, acknowledge, resolve, cancel and escalate alerts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import Body, HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.response import ServerSentEvent

from service.alerts import lifecycle
from service.alerts.lifecycle import NotOwnAlert, Viewer
from service.alerts.schemas import (
    AlertPage,
    AlertRow,
    AlertStatus,
    AlertWithEscalations,
    CancelAlert,
    CreateAlert,
    EscalateAlert,
    Priority,
)
from service.alerts.stream import EventHub, SessionVerdict, stream_events
from service.auth.guards import BEARER, CurrentActor, CurrentPrincipal, Db, deny, permit, session_still_live
from service.auth.permissions import Permission
from service.bodies import refuse_body
from service.errors import problem_responses
from service.pages import require_offsets

# `{alert_id:str}`, not `:uuid`: 401 and 403 come before a malformed id's 400 (see users.controller).
AlertId = Annotated[uuid.UUID, PathParameter(description="An alert of the caller's hospital that the caller may see")]
# Routes whose body is optional accept none, or {} (API.md's conventions).
OptionalCancel = Annotated[CancelAlert | None, Body(description="Optional: `{reason}`, at most 500 characters")]
OptionalEscalate = Annotated[EscalateAlert | None, Body(description="Optional: `{note}`, at most 500 characters")]


class AlertsController(Controller):
    path = "/alerts"
    tags = ["alerts"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    security = BEARER

    @post(
        "/",
        guards=[permit(Permission.CREATE_ALERT)],
        operation_id="createAlert",
        summary="Raise an alert",
        responses=problem_responses(400, 401, 403, 503),
    )
    async def create_alert(
        self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, data: JSONBody[CreateAlert]
    ) -> AlertRow:
        """Raises an alert in an active department of the caller's hospital. It escalates one level each time
        `ackTimeoutSeconds[priority]` passes without an acknowledgement, up to `maxEscalationLevel`."""
        return await lifecycle.create_alert(db, actor, principal, data)

    @get(
        "/active",
        guards=[permit(Permission.VIEW_ALERTS)],
        operation_id="listActiveAlerts",
        summary="Open alerts the caller may see",
        responses=problem_responses(400, 401, 403, 503),
    )
    async def list_active(
        self,
        db: Db,
        principal: CurrentPrincipal,
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="Alerts to return")] = 50,
    ) -> list[AlertRow]:
        """Active and acknowledged alerts the caller may see, critical first, then newest first."""
        return await lifecycle.list_active(db, Viewer.of(principal), limit)

    @get(
        "/",
        guards=[permit(Permission.VIEW_ALERTS)],
        operation_id="listAlerts",
        summary="Alert history",
        responses=problem_responses(400, 401, 403, 503),
    )
    async def list_alerts(
        self,
        db: Db,
        principal: CurrentPrincipal,
        status: Annotated[AlertStatus | None, QueryParameter(description="Only alerts in this status")] = None,
        priority: Annotated[Priority | None, QueryParameter(description="Only alerts of this priority")] = None,
        department_id: Annotated[uuid.UUID | None, QueryParameter(name="departmentId")] = None,
        created_from: Annotated[
            datetime | None, QueryParameter(name="from", description="Created at or after (RFC 3339)")
        ] = None,
        created_to: Annotated[
            datetime | None, QueryParameter(name="to", description="Created before (RFC 3339)")
        ] = None,
        cursor: Annotated[
            str | None, QueryParameter(max_length=200, description="nextCursor of the previous page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="Alerts per page")] = 50,
    ) -> AlertPage:
        """Every alert the caller may see, newest first; `nextCursor` fetches the next page (null on the last)."""
        require_offsets(**{"from": created_from, "to": created_to})
        return await lifecycle.list_alerts(
            db,
            Viewer.of(principal),
            status=status,
            priority=priority,
            department_id=department_id,
            created_from=created_from,
            created_to=created_to,
            cursor=cursor,
            limit=limit,
        )

    @get(
        "/stream",
        guards=[permit(Permission.VIEW_ALERTS)],
        operation_id="streamAlerts",
        summary="Real-time alert events (Server-Sent Events)",
        responses=problem_responses(400, 401, 403, 503),
    )
    async def stream(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: CurrentPrincipal,
        last_event_id: Annotated[
            str | None,
            HeaderParameter(name="Last-Event-ID", max_length=64, description="The id of the last event received"),
        ] = None,
    ) -> ServerSentEvent:
        """`text/event-stream` of `alert.created`, `alert.acknowledged`, `alert.resolved`, `alert.cancelled` and
        `alert.escalated` events for the alerts the caller may see; `data` is the alert object, `id` an
        increasing integer. Reconnect with `Last-Event-ID` to receive what was missed first (events are kept 24
        hours; an id no longer kept gets one `alert.resync` event: refetch the active list). A comment line at
        least every 15 s; the stream closes within 60 s of its session's end (after an `alert.resync` when
        the user's department or role changed: reconnect)."""
        digest: bytes = request.state.token_digest

        async def still_allowed() -> SessionVerdict:
            return await session_still_live(db, digest, principal)

        hub: EventHub = request.app.state.event_hub
        return ServerSentEvent(
            stream_events(hub, Viewer.of(principal), last_event_id, still_allowed),
            headers={"X-Accel-Buffering": "no"},  # (Cache-Control: no-store is on every /api answer)
        )

    @get(
        "/{alert_id:str}",
        guards=[permit(Permission.VIEW_ALERTS)],
        operation_id="getAlert",
        summary="One alert with its escalations",
        responses=problem_responses(400, 401, 403, 404, 503),
    )
    async def get_alert(self, db: Db, principal: CurrentPrincipal, alert_id: AlertId) -> AlertWithEscalations:
        """404 for an alert of another hospital, or one the caller may not see."""
        return await lifecycle.get_alert(db, Viewer.of(principal), alert_id)

    @post(
        "/{alert_id:str}/acknowledge",
        guards=[permit(Permission.ACKNOWLEDGE_ALERT)],
        before_request=refuse_body,
        status_code=200,
        operation_id="acknowledgeAlert",
        summary="Acknowledge an active alert",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def acknowledge(
        self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, alert_id: AlertId
    ) -> AlertRow:
        """Only from `active` (else 409); the alert stops escalating by time."""
        return await lifecycle.acknowledge(db, actor, principal, alert_id)

    @post(
        "/{alert_id:str}/resolve",
        guards=[permit(Permission.ACKNOWLEDGE_ALERT)],
        before_request=refuse_body,
        status_code=200,
        operation_id="resolveAlert",
        summary="Resolve an open alert",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def resolve(self, db: Db, principal: CurrentPrincipal, actor: CurrentActor, alert_id: AlertId) -> AlertRow:
        """From `active` or `acknowledged` (else 409)."""
        return await lifecycle.resolve(db, actor, principal, alert_id)

    @post(
        "/{alert_id:str}/cancel",
        guards=[permit(Permission.CANCEL_ALERT)],
        status_code=200,
        operation_id="cancelAlert",
        summary="Cancel an open alert",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: CurrentPrincipal,
        actor: CurrentActor,
        alert_id: AlertId,
        data: OptionalCancel = None,
    ) -> AlertRow:
        """From `active` or `acknowledged` (else 409). Operators may cancel only the alerts they raised (403)."""
        try:
            return await lifecycle.cancel(db, actor, principal, alert_id, data or CancelAlert())
        except NotOwnAlert:
            await deny(
                request, "not_own_alert", resource="alert", resource_id=alert_id,
                permission=Permission.CANCEL_ALERT.value,
            )  # fmt: skip
            raise

    @post(
        "/{alert_id:str}/escalate",
        guards=[permit(Permission.ESCALATE_ALERT)],
        status_code=200,
        operation_id="escalateAlert",
        summary="Escalate an open alert by hand",
        responses=problem_responses(400, 401, 403, 404, 409, 503),
    )
    async def escalate(
        self,
        db: Db,
        principal: CurrentPrincipal,
        actor: CurrentActor,
        alert_id: AlertId,
        data: OptionalEscalate = None,
    ) -> AlertRow:
        """One level up (reason `manual`); an active alert's acknowledgement deadline starts again. 409 when the
        alert is closed or at the hospital's `maxEscalationLevel`."""
        return await lifecycle.escalate(db, actor, principal, alert_id, data.note if data else None)
