"""docs/schema.md from the live schema: the Mermaid ER diagram and the table list are generated, never typed.

    python -m service.ops.schema_doc            # rewrite the generated blocks of docs/schema.md
    python -m service.ops.schema_doc --check    # exit 1 when docs/schema.md is out of date

Both read the database DATABASE_URL names (migrated to the latest version). A test runs the check against
the test database, so a migration that changes the schema without the docs fails the build.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from service.ops.schemas import SchemaObjectRow

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
_BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.S)
_FOREIGN_KEY = re.compile(r"^FOREIGN KEY \((?P<columns>[^)]*)\) REFERENCES (?P<table>\w+)\((?P<target>[^)]*)\)")
_INDEX_TABLE = re.compile(r" ON (?:ONLY )?public\.(?P<table>\w+) ")
_SHORT_TYPES = {
    "timestamp with time zone": "timestamptz",
    "text[]": "text_array",
    "character varying": "varchar",
    "double precision": "float8",
}


@dataclass
class Column:
    name: str
    type: str
    not_null: bool
    position: int = 0
    keys: list[str] = field(default_factory=list)


@dataclass
class Table:
    name: str
    comment: str
    columns: list[Column] = field(default_factory=list)
    foreign_keys: list[tuple[list[str], str]] = field(default_factory=list)


def tables_of(objects: list[SchemaObjectRow]) -> dict[str, Table]:
    """The schema's tables (partitions folded into their parent), with columns, keys and comments."""
    tables: dict[str, Table] = {}
    partitions: set[str] = set()
    for obj in objects:
        if obj.kind == "table":
            parts = obj.definition.split(" | ")
            if len(parts) > 1 and parts[1].startswith(("FOR VALUES", "DEFAULT")):
                partitions.add(obj.name)
                continue
            tables[obj.name] = Table(obj.name, parts[-1] if len(parts) > 1 else "")
    for obj in objects:
        if obj.kind == "column":
            table_name, column = obj.name.split(".", 1)
            if table_name in tables:
                parts = obj.definition.split(" | ")
                tables[table_name].columns.append(
                    Column(column, _SHORT_TYPES.get(parts[1], parts[1]), "not null" in parts, position=int(parts[0]))
                )
    for each in tables.values():
        each.columns.sort(key=lambda c: c.position)
    for obj in objects:
        if obj.kind != "constraint":
            continue
        table, _ = obj.name.split(".", 1)
        if table not in tables:
            continue
        definition = obj.definition.split(" | ")[0]
        by_name = {c.name: c for c in tables[table].columns}
        if definition.startswith("PRIMARY KEY"):
            for name in _names(definition[definition.index("(") + 1 : definition.index(")")]):
                by_name[name].keys.append("PK")
        elif match := _FOREIGN_KEY.match(definition):
            columns = _names(match.group("columns"))
            tables[table].foreign_keys.append((columns, match.group("table")))
            for name in columns:
                # hospital_id in a composite key is the tenancy guard, not the relationship itself.
                if (name != "hospital_id" or match.group("table") == "hospitals") and "FK" not in by_name[name].keys:
                    by_name[name].keys.append("FK")
    return tables


def _names(text: str) -> list[str]:
    return [n.strip().strip('"') for n in text.split(",")]


def index_names(objects: list[SchemaObjectRow]) -> dict[str, str]:
    """Index name -> table, for the tables of tables_of (indexes of individual partitions left out)."""
    tables = tables_of(objects)
    result = {}
    for obj in objects:
        if obj.kind == "index":
            match = _INDEX_TABLE.search(obj.definition)
            if match and match.group("table") in tables:
                result[obj.name] = match.group("table")
    return result


def render_er_diagram(objects: list[SchemaObjectRow]) -> str:
    tables = tables_of(objects)
    lines = ["```mermaid", "erDiagram"]
    for table in sorted(tables.values(), key=lambda t: t.name):
        for columns, target in sorted(table.foreign_keys, key=lambda fk: (fk[1], fk[0])):
            own = [c for c in columns if not (c == "hospital_id" and target != "hospitals")] or columns
            nullable = any(not next(c for c in table.columns if c.name == name).not_null for name in own)
            one_to_one = set(columns) == {c.name for c in table.columns if "PK" in c.keys}
            left = "|o" if nullable else "||"
            right = "o|" if one_to_one else "o{"
            lines.append(f'    {target} {left}--{right} {table.name} : "{", ".join(own)}"')
    for table in sorted(tables.values(), key=lambda t: t.name):
        lines.append(f"    {table.name} {{")
        for column in table.columns:
            keys = f" {', '.join(column.keys)}" if column.keys else ""
            lines.append(f"        {column.type} {column.name}{keys}")
        lines.append("    }")
    lines.append("```")
    return "\n".join(lines) + "\n"


def render_table_list(objects: list[SchemaObjectRow]) -> str:
    rows = ["| table | purpose (its COMMENT ON TABLE) |", "|---|---|"]
    for table in sorted(tables_of(objects).values(), key=lambda t: t.name):
        rows.append(f"| `{table.name}` | {table.comment.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


RENDERERS = {"er-diagram": render_er_diagram, "tables": render_table_list}


def regenerate(text: str, objects: list[SchemaObjectRow]) -> str:
    """``text`` with every generated block re-rendered from ``objects``."""

    def replace(match: re.Match[str]) -> str:
        body = RENDERERS[match.group("name")](objects)
        return f"{match.group(1)}{body}{match.group(4)}"

    return _BLOCK.sub(replace, text)


def documented_indexes(text: str) -> list[str]:
    """Index names in the first column of docs/schema.md's index table (rows starting with '| `name`')."""
    section = text.split("## Indexes", 1)[1] if "## Indexes" in text else ""
    return re.findall(r"^\| `(\w+)` \|", section, re.M)


async def _live_objects() -> list[SchemaObjectRow]:
    from service.config import load_settings
    from service.db import sql
    from service.db.pool import connect

    settings = load_settings()
    if not settings.database_url:
        raise SystemExit("set DATABASE_URL to a migrated database")
    conn = await connect(settings.database_url, settings)
    try:
        return await sql.ops.schema_objects.many(conn)
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/schema.md is out of date")
    args = parser.parse_args()
    objects = asyncio.run(_live_objects())
    current = DOC_PATH.read_text(encoding="utf-8")
    fresh = regenerate(current, objects)
    if args.check:
        if fresh != current:
            print("docs/schema.md is out of date: run python -m service.ops.schema_doc", file=sys.stderr)
            return 1
        return 0
    DOC_PATH.write_text(fresh, encoding="utf-8")
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
