"""Shapes of the operations domain: health answers and the rows of sql/ops/."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from service.db.catalogue import Row
from service.hospital.schemas import CountRow  # noqa: F401  (ops/count_tables and count_demo_hospitals return it)


class TableCountRow(Row):
    table_name: str
    row_count: int


class SnapshotRow(Row):
    snapshot: str


class ClockRow(Row):
    now: datetime


class LockRow(Row):
    acquired: bool


class UnlockRow(Row):
    released: bool


class AppliedMigrationRow(Row):
    migration_id: str


class Liveness(msgspec.Struct):
    """The process is running."""

    status: Literal["ok"] = "ok"


class Readiness(msgspec.Struct, rename="camel"):
    """The database answers and its schema is at the version this build expects."""

    status: Literal["ready"]
    schema_version: str


class SchemaObjectRow(Row):
    """One object of the database schema and its definition (migration round trip, docs/schema.md)."""

    kind: str
    name: str
    definition: str


class NameRow(Row):
    """A name from the system catalogue (a table, an index)."""

    name: str
