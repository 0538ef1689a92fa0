"""Reading the audit trail: the query API, exports and the compliance report. Every read is itself audited:
``audit.view`` in the same transaction as the read; an export's download as ``audit.download`` committed
before its first byte is read (the rows then stream from a read-only transaction of their own); the report's
integrity check runs on a connection of its own beside the figures and their ``audit.view`` row."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from service.audit.schemas import (
    AckTimesByPriority,
    ActionCount,
    Actor,
    AuditFilters,
    AuditLogPage,
    AuditLogRow,
    ComplianceReport,
    CreateExport,
    EscalationCounts,
    Export,
    ExportFormat,
    ExportRow,
    Integrity,
    ReportRow,
)
from service.audit.seals import Verdict, verify_period
from service.audit.writer import record
from service.db import sql
from service.db.catalogue import Query
from service.db.pool import Database
from service.errors import NotFound, first_error
from service.pages import decode_cursor, encode_cursor

logger = logging.getLogger("service.audit")

NO_SUCH_EXPORT = "no such export, or it has expired"
EXPORT_PATH = "/api/v1/audit/exports/{id}/download"

# COPY's options per format. NDJSON: CSV with a quote and a delimiter JSON text never holds (it escapes every
# control character), so each line is exactly row_to_json's text.
_COPY_OPTIONS: dict[str, dict[str, Any]] = {
    "csv": {"header": True},
    "ndjson": {"quote": "\x01", "delimiter": "\x02"},
}
MEDIA_TYPES = {"csv": "text/csv", "ndjson": "application/x-ndjson"}  # Litestar adds "; charset=utf-8" to text/*
DOWNLOAD_TIMEOUT_SECONDS = 6 * 3600.0
"""How long one download may take: COPY waits while the client reads, so the pool's command timeout (seconds)
would cut a large export to a slow client short."""
_CHUNKS_IN_FLIGHT = 8
"""Chunks of COPY output buffered between PostgreSQL and a slow client: the memory bound of a download."""


RECENT_WINDOW = timedelta(days=35)
"""How far below its upper bound GET /audit/logs looks first (list_logs): the current month and the last."""


def _list_statement(filters: AuditFilters) -> Query[Any]:
    """The statement whose index leads with the most selective filter given (see docs/schema.md)."""
    if filters.resource_id is not None:
        return sql.audit.list_logs_by_resource_id
    if filters.user_id is not None:
        return sql.audit.list_logs_by_user
    if filters.action is not None:
        return sql.audit.list_logs_by_action
    if filters.resource is not None:
        return sql.audit.list_logs_by_resource
    if filters.outcome == "failure":
        return sql.audit.list_logs_failures
    return sql.audit.list_logs


def _filter_args(filters: AuditFilters) -> tuple[Any, ...]:
    return (filters.user_id, filters.action, filters.resource, filters.resource_id, filters.outcome)


def _filter_metadata(filters: AuditFilters) -> dict[str, Any]:
    """The filters given, by the names the client used (``userId``), for the audit row."""
    given: dict[str, Any] = msgspec.to_builtins(filters)
    return {key: value for key, value in given.items() if value is not None}


async def list_logs(
    db: Database,
    actor: Actor,
    *,
    from_time: datetime | None,
    to_time: datetime | None,
    filters: AuditFilters,
    cursor: str | None,
    limit: int,
) -> AuditLogPage:
    """One page of the hospital's audit rows, newest first; audited as ``audit.view``."""
    before_time, before_id = decode_cursor(cursor) if cursor else (None, None)
    statement = _list_statement(filters)
    # The recent window first: the rows of the last few weeks below the page's upper bound sit in one or two
    # monthly partitions, where the whole range probes every partition (72 of them for six years: an index
    # descent and a lock each, ten times the cost). When the window holds a full page, that page is the answer:
    # every row outside it is older than every row in it. Else the whole range is read.
    upper = min((t for t in (to_time, before_time) if t is not None), default=None) or datetime.now(UTC)
    window_from = upper - RECENT_WINDOW
    async with db.transaction() as conn:

        async def read_from(lower: datetime | None) -> list[AuditLogRow]:
            return await statement.many(
                conn, actor.hospital_id, lower, to_time, before_time, before_id, *_filter_args(filters), limit + 1
            )

        rows: list[AuditLogRow] = []
        if from_time is None or from_time < window_from:
            rows = await read_from(window_from)
        if len(rows) <= limit:
            rows = await read_from(from_time)
        page = rows[:limit]
        await record(
            conn,
            actor,
            "audit.view",
            resource="audit_log",
            metadata={
                "what": "logs",
                **_filter_metadata(filters),
                **_period_metadata(from_time, to_time),
                "cursor": cursor is not None,
                "rows": len(page),
            },
        )
    next_cursor = encode_cursor(page[-1].timestamp, page[-1].id) if len(rows) > limit else None
    return AuditLogPage(logs=page, next_cursor=next_cursor)


def _period_metadata(from_time: datetime | None, to_time: datetime | None) -> dict[str, str]:
    period = {}
    if from_time is not None:
        period["from"] = from_time.isoformat()
    if to_time is not None:
        period["to"] = to_time.isoformat()
    return period


# --- exports -----------------------------------------------------------------------------------------------


def _export(row: ExportRow) -> Export:
    return Export(
        id=row.id,
        status="expired" if row.expired else "ready",
        format=row.format,
        created_at=row.created_at,
        expires_at=row.expires_at,
        download_url=EXPORT_PATH.format(id=row.id),
    )


async def create_export(db: Database, actor: Actor, request: CreateExport) -> Export:
    """Record an export request (audited as ``audit.export`` with its filters); the rows are read when it is
    downloaded."""
    filters = request.filters or AuditFilters()
    assert actor.hospital_id is not None and actor.user_id is not None
    async with db.transaction() as conn:
        row = await sql.audit.create_export.one(
            conn,
            actor.hospital_id,
            actor.user_id,
            request.format,
            request.from_time,
            request.to_time,
            *_filter_args(filters),
        )
        assert row is not None
        await record(
            conn,
            actor,
            "audit.export",
            resource="audit_export",
            resource_id=row.id,
            metadata={
                "format": request.format,
                **_period_metadata(request.from_time, request.to_time),
                "filters": _filter_metadata(filters),
            },
        )
    return _export(row)


async def get_export(db: Database, actor: Actor, export_id: uuid.UUID) -> Export:
    """One export request of the hospital (404 for another hospital's); audited as ``audit.view``."""
    async with db.transaction() as conn:
        row = await sql.audit.get_export.one(conn, actor.hospital_id, export_id)
        if row is None:
            raise NotFound(NO_SUCH_EXPORT)
        await record(
            conn, actor, "audit.view", resource="audit_export", resource_id=export_id, metadata={"what": "export"}
        )
    return _export(row)


async def start_download(db: Database, actor: Actor, export_id: uuid.UUID) -> ExportFormat:
    """Check the export can be downloaded (404 when it is another hospital's, unknown or expired) and audit the
    download as ``audit.download``, before the first byte is sent; the export's format."""
    async with db.transaction() as conn:
        bound = await sql.audit.bind_export.one(conn, actor.hospital_id, export_id)
        if bound is None:
            raise NotFound(NO_SUCH_EXPORT)
        await record(
            conn,
            actor,
            "audit.download",
            resource="audit_export",
            resource_id=export_id,
            metadata={"format": bound.format},
        )
    return bound.format


async def download(
    db: Database, hospital_id: uuid.UUID, export_id: uuid.UUID, fmt: ExportFormat
) -> AsyncIterator[bytes]:
    """The export's bytes as PostgreSQL's COPY writes them, passed on chunk by chunk.

    At most a few chunks wait between the database and the client: when the client reads slowly, COPY waits,
    so memory stays flat whatever the number of rows.
    """
    chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=_CHUNKS_IN_FLIGHT)
    statement = sql.audit.export_csv if fmt == "csv" else sql.audit.export_ndjson

    async def produce() -> None:
        try:
            async with db.transaction(readonly=True) as conn:
                await sql.audit.mark_reader.one(conn)  # the sealer need not wait for a slow client
                await sql.audit.plan_export.one(conn)
                if await sql.audit.bind_export.one(conn, hospital_id, export_id) is not None:
                    await statement.copy(conn, chunks.put, timeout=DOWNLOAD_TIMEOUT_SECONDS, **_COPY_OPTIONS[fmt])
        except asyncio.CancelledError:
            raise  # the client is gone: nobody is left to tell, and a put could wait for ever
        except BaseException:
            await chunks.put(None)  # wake the reader, which then raises what the COPY raised
            raise
        await chunks.put(None)

    producer = asyncio.create_task(produce(), name=f"audit-export-{export_id}")
    try:
        while (chunk := await chunks.get()) is not None:
            yield bytes(chunk)  # asyncpg hands over bytearrays; the ASGI body must be bytes
        await producer  # raises what the COPY raised, ending the response short rather than silently
    except Exception as exc:
        logger.error("audit export %s ended early: %s", export_id, type(exc).__name__)
        raise
    finally:
        if not producer.done():
            producer.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await producer


# --- compliance report -------------------------------------------------------------------------------------


async def compliance_report(db: Database, actor: Actor, from_time: datetime, to_time: datetime) -> ComplianceReport:
    """The hospital's figures for ``[from_time, to_time)``, with the integrity verdict of its sealed rows in
    that period; audited as ``audit.view``.

    The verification (most of the work: a digest of every row) runs on connections of its own
    (:func:`~service.audit.seals.verify_period`), alongside the figures, which are read in the same
    transaction as their ``audit.view`` row.
    """

    hospital_id = actor.hospital_id
    assert hospital_id is not None  # an admin of a hospital

    async def check() -> Verdict:
        return await verify_period(db, hospital_id, from_time, to_time)

    async def figures() -> ReportRow | None:
        async with db.transaction() as conn:
            row = await sql.audit.compliance_report.one(conn, actor.hospital_id, from_time, to_time)
            await record(
                conn,
                actor,
                "audit.view",
                resource="compliance_report",
                metadata={"what": "compliance_report", **_period_metadata(from_time, to_time)},
            )
            return row

    try:
        async with asyncio.TaskGroup() as both:  # one failing cancels the other
            checking = both.create_task(check())
            reading = both.create_task(figures())
    except BaseExceptionGroup as failed:
        raise first_error(failed) from None
    verdict, row = checking.result(), reading.result()
    assert row is not None
    return ComplianceReport(
        from_time=from_time,
        to_time=to_time,
        actions=msgspec.convert(row.actions, list[ActionCount]),
        failed_logins=row.failed_logins,
        lockouts=row.lockouts,
        users_without_2fa=row.users_without_2fa,
        inactive_users=row.inactive_users,
        role_changes=row.role_changes,
        exports=row.exports,
        ack_time_seconds=msgspec.convert(row.ack_time_seconds, AckTimesByPriority),
        escalations=msgspec.convert(row.escalations, EscalationCounts),
        integrity=Integrity(
            verified=verdict.verified,
            checked_rows=verdict.checked_rows,
            first_bad_row_id=None if verdict.bad_row_id is None else str(verdict.bad_row_id),
        ),
    )
