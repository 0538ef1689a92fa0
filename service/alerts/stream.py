"""The real-time stream: every alert event reaches every subscriber who may see it, once, in order, from
whichever process committed it.

How nothing is lost:

- Every change writes its event to ``alert_events`` and calls ``pg_notify`` in its own transaction; event ids
  commit in increasing order per hospital (``events.publish`` locks the hospital's log first).
- Each process holds one LISTEN connection of its own (not from the pool). A notification only says "hospital H
  has news": the process then reads every event of H after the last one it read (``events_after``), so a
  notification lost with a dropped connection costs nothing. After reconnecting, it reads again for every
  hospital it serves.
- One read per hospital serves all the process's subscribers of that hospital: the SQL applies the visibility
  rule for each kind of viewer listening. Each subscriber has a bounded queue; one too slow to keep up is
  disconnected (its client reconnects with Last-Event-ID and loses nothing) instead of holding anyone back.
- A subscriber that resumes with Last-Event-ID first reads the events it missed from the table, up to the point
  where the shared feed took over; an id the table no longer has gets one ``alert.resync`` event instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

import asyncpg
from litestar.response import ServerSentEventMessage

from service.alerts.lifecycle import Viewer
from service.alerts.schemas import StreamEventRow
from service.db import sql
from service.db.pool import Database, connect
from service.errors import is_database_unavailable

logger = logging.getLogger("service.alerts.stream")

CHANNEL = "alert_events"
QUEUE_SIZE = 1000
"""Events a subscriber may have waiting; beyond, it is too slow and is disconnected."""
BATCH = 500
KEEPALIVE_SECONDS = 10.0
"""Idle streams get a comment this often (API.md: at least every 15 s; 10 leaves room for a busy loop)."""
RECHECK_SECONDS = 15.0
"""How often a stream checks that its session is still live (revoked or deactivated: closed within 60 s)."""
RECONNECT_SECONDS = 1.0
FIRST_RECONNECT_SECONDS = 0.05
"""A dropped LISTEN connection is reopened at once (then every RECONNECT_SECONDS while that fails), so the
events committed meanwhile are late by a moment, not a second."""

ViewerKind = tuple[str, str, uuid.UUID | None]
SessionVerdict = Literal["live", "changed", "ended"]
StillAllowed = Callable[[], Awaitable[SessionVerdict]]
"""Whether a stream's session is still live, for the same role and department (else changed, or ended)."""


@dataclass(eq=False)
class Subscriber:
    viewer: Viewer
    queue: asyncio.Queue[StreamEventRow] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False

    @property
    def kind(self) -> ViewerKind:
        return self.viewer.params


class _Hospital:
    """A hospital this process streams: the id of the last event it read, and its subscribers."""

    def __init__(self, cursor: int) -> None:
        self.cursor = cursor
        self.subscribers: set[Subscriber] = set()
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None


class EventHub:
    """One per process: the LISTEN connection, the hospitals being streamed, and their subscribers."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._hospitals: dict[uuid.UUID, _Hospital] = {}
        self._listener: asyncio.Task[None] | None = None
        self._connection: asyncpg.Connection | None = None
        self.listening = asyncio.Event()
        self.reconnects = 0

    # --- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._listener = asyncio.create_task(self._listen_forever(), name="alert-events-listener")

    async def stop(self) -> None:
        tasks = [t for t in [self._listener, *(h.task for h in self._hospitals.values())] if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()

    @property
    def subscriber_count(self) -> int:
        return sum(len(h.subscribers) for h in self._hospitals.values())

    def subscribers_of(self, hospital_id: uuid.UUID) -> frozenset[Subscriber]:
        hospital = self._hospitals.get(hospital_id)
        return frozenset(hospital.subscribers) if hospital else frozenset()

    # --- subscribers ----------------------------------------------------------------------------------------

    async def subscribe(self, viewer: Viewer) -> tuple[Subscriber, int]:
        """Register a subscriber; returns it and the id from which the shared feed delivers to it (every event
        after that id reaches its queue)."""
        hospital = self._hospitals.get(viewer.hospital_id)
        if hospital is None:
            async with self.db.connection() as conn:
                last = await sql.alerts.last_event_id.one(conn, viewer.hospital_id)
            assert last is not None
            hospital = self._hospitals.get(viewer.hospital_id)  # another subscriber may have come meanwhile
            if hospital is None:
                hospital = self._hospitals[viewer.hospital_id] = _Hospital(last.id)
                hospital.task = asyncio.create_task(self._serve(viewer.hospital_id, hospital))
                hospital.wake.set()  # a notification may have come before the hospital was tracked
        subscriber = Subscriber(viewer)
        hospital.subscribers.add(subscriber)
        return subscriber, hospital.cursor

    def unsubscribe(self, subscriber: Subscriber) -> None:
        hospital = self._hospitals.get(subscriber.viewer.hospital_id)
        if hospital is None:
            return
        hospital.subscribers.discard(subscriber)
        if not hospital.subscribers:
            del self._hospitals[subscriber.viewer.hospital_id]
            if hospital.task is not None:
                hospital.task.cancel()

    # --- reading and fanning out ----------------------------------------------------------------------------

    async def _serve(self, hospital_id: uuid.UUID, hospital: _Hospital) -> None:
        while True:
            await hospital.wake.wait()
            hospital.wake.clear()
            try:
                await self._deliver_new(hospital_id, hospital)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # retried at the next notification or reconnect
                if is_database_unavailable(exc):
                    logger.warning("stream read skipped: the database is unavailable")
                else:
                    logger.error("stream read failed: %s", type(exc).__name__)
                await asyncio.sleep(RECONNECT_SECONDS)
                hospital.wake.set()

    async def _deliver_new(self, hospital_id: uuid.UUID, hospital: _Hospital) -> None:
        while hospital.subscribers:
            kinds = sorted({s.kind for s in hospital.subscribers}, key=str)
            async with self.db.connection() as conn:
                rows = await read_events(conn, hospital_id, hospital.cursor, None, kinds)
            if {s.kind for s in hospital.subscribers} - set(kinds):
                continue  # a new kind of viewer subscribed during the read: read again, for it too
            if not rows:
                return
            position = {kind: i for i, kind in enumerate(kinds)}
            for row in rows:
                for subscriber in list(hospital.subscribers):
                    index = position.get(subscriber.kind)
                    if index is None or not row.visible_to[index] or subscriber.overflowed:
                        continue
                    try:
                        subscriber.queue.put_nowait(row)
                    except asyncio.QueueFull:
                        subscriber.overflowed = True
                hospital.cursor = row.id
            if len(rows) < BATCH:
                return

    # --- the LISTEN connection ------------------------------------------------------------------------------

    async def _listen_forever(self) -> None:
        while True:
            try:
                connection = await connect(self.db.url, self.db.settings)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("stream listener cannot connect (%s); retrying", type(exc).__name__)
                await asyncio.sleep(RECONNECT_SECONDS)
                continue
            self._connection = connection
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _, lost=lost: lost.set())
            try:
                await connection.add_listener(CHANNEL, self._notified)
                self.listening.set()
                # Whatever was committed while no connection listened is read now.
                for hospital in self._hospitals.values():
                    hospital.wake.set()
                await lost.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning("stream listener failed (%s); reconnecting", type(exc).__name__)
            finally:
                self.listening.clear()
                if not connection.is_closed():
                    connection.terminate()
            self.reconnects += 1
            logger.warning("stream listener lost its connection; reconnecting")
            await asyncio.sleep(FIRST_RECONNECT_SECONDS)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        hospital_text, _, _ = payload.partition(":")
        try:
            hospital = self._hospitals.get(uuid.UUID(hospital_text))
        except ValueError:
            return
        if hospital is not None:
            hospital.wake.set()


async def read_events(
    conn: asyncpg.Connection, hospital_id: uuid.UUID, after: int, up_to: int | None, kinds: list[ViewerKind]
) -> list[StreamEventRow]:
    return await sql.alerts.events_after.many(
        conn,
        hospital_id,
        after,
        up_to,
        [k[0] for k in kinds],
        [k[1] for k in kinds],
        [k[2] for k in kinds],
        BATCH,
    )


def message(row: StreamEventRow) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=row.data, event=row.event_type, id=str(row.id))


async def stream_events(
    hub: EventHub, viewer: Viewer, last_event_id: str | None, still_allowed: StillAllowed
) -> AsyncIterator[ServerSentEventMessage]:
    """The events one client may see: missed ones first (Last-Event-ID), then live ones, with keep-alive
    comments, until the client leaves, falls too far behind, or its session ends."""
    subscriber, feed_start = await hub.subscribe(viewer)
    try:
        yield ServerSentEventMessage(comment="connected", data=None, retry=1000)  # a comment dispatches no event
        # The last id this client has. The feed may still bring events up to it (the client saw them through a
        # process ahead of this one): they are not sent twice.
        sent = feed_start
        if last_event_id is not None:
            after = _event_id(last_event_id)
            async with hub.db.connection() as conn:
                known = None if after is None else await sql.alerts.find_event.one(conn, viewer.hospital_id, after)
            if after is None or known is None:
                yield ServerSentEventMessage(event="alert.resync", data="{}", id=str(feed_start))
            else:
                async for replayed in _replay(hub.db, viewer, after, feed_start):
                    yield replayed
                sent = max(after, feed_start)
        last_checked = time.monotonic()
        while True:
            if subscriber.overflowed:
                logger.info("stream subscriber too slow: disconnected")
                return
            try:
                row = await asyncio.wait_for(subscriber.queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive", data=None)
            else:
                if row.id > sent:
                    sent = row.id
                    yield message(row)
            if time.monotonic() - last_checked >= RECHECK_SECONDS:
                last_checked = time.monotonic()
                verdict = await still_allowed()
                if verdict == "changed":
                    # The user now sees another set of alerts (a new department): what this stream sent was for
                    # the old one. Tell the client to refetch, from here on, and end; it reconnects as it is now.
                    yield ServerSentEventMessage(event="alert.resync", data="{}", id=str(sent))
                if verdict != "live":
                    return
    finally:
        hub.unsubscribe(subscriber)


def _event_id(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


async def _replay(db: Database, viewer: Viewer, after: int, feed_start: int) -> AsyncIterator[ServerSentEventMessage]:
    """The events after ``after`` up to ``feed_start`` (where the shared feed takes over) the viewer may see."""
    while after < feed_start:
        async with db.connection() as conn:
            rows = await read_events(conn, viewer.hospital_id, after, feed_start, [viewer.params])
        if not rows:
            return
        for row in rows:
            if row.visible_to[0]:
                yield message(row)
            after = row.id
