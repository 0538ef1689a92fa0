"""The named-SQL catalogue: every statement the service runs is a file ``sql/<domain>/<name>.sql``.

A file starts with a header, then exactly one statement, the text PostgreSQL prepares::

    -- name: acknowledge :one
    -- Moves an active alert to acknowledged; no row when it is not active (the caller answers 409).
    -- $1 hospital_id uuid, $2 alert_id uuid, $3 user_id uuid
    -- returns: AlertRow
    -- index: alerts_pkey
    UPDATE alerts SET ... WHERE hospital_id = $1 AND id = $2 AND status = 'active' RETURNING ...;

- ``name`` equals the file name; ``:one`` (a row or None), ``:many`` (a list), ``:exec`` (nothing),
  ``:rows`` (the number of rows changed) or ``:copy`` (a SELECT run as ``COPY (...) TO STDOUT``: PostgreSQL
  writes the bytes, in CSV, and they are streamed on; COPY takes no parameters, so such a statement takes
  none and reads what it needs from transaction-local settings a ``:one`` statement set before it);
  ``:utility`` is for ``VACUUM`` and ``ANALYZE``, which PostgreSQL cannot prepare: run as written, outside a
  transaction, with no parameters (the seed's last step).
- ``$n name type`` lines declare every parameter; the check compares them with what PostgreSQL infers.
- ``returns`` names the Row Struct (defined in ``service/<domain>/schemas.py`` or any imported module) that
  the result rows decode into; required for ``:one`` and ``:many``, absent otherwise.
- ``index`` names the index the statement relies on (documentation for the DBA; ``-`` for none).
- ``scope: all hospitals (why)`` marks the few statements that by nature span hospitals; every other
  statement that touches a tenant table (one with a ``hospital_id`` column, and ``hospitals``) takes the
  hospital id as ``$1`` and compares ``hospital_id = $1``. That check reads the SQL text: it is a lint that
  catches the forgotten filter, not a proof; the cross-hospital tests of every route are the proof.

``verify()`` (used by the tests and ``hospital-alerts check``) prepares every statement against the
migrated schema and compares parameters and result columns with the header and the Row Struct.
"""

from __future__ import annotations

import importlib
import re
import time
import uuid as uuid_module
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, TypeVar

import asyncpg
import msgspec
import msgspec.inspect as mi

from service.resources import resource_dir

Kind = Literal["one", "many", "exec", "rows", "copy", "utility"]


def _observe_nothing(name: str, seconds: float) -> None:
    return None


observe: Callable[[str, float], None] = _observe_nothing
"""Called after every statement with its qualified name and duration; the metrics set it (service.ops.metrics)."""


class Row(msgspec.Struct):
    """Base of every Struct a query decodes its rows into.

    Fields are declared in the statement's column order, with the column names (snake_case); a subclass may
    pass ``rename="camel"`` and be returned by the API as it is. Subclasses register themselves by class name
    so that a SQL header's ``returns:`` can name them.
    """

    registry: ClassVar[dict[str, type[Row]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        existing = Row.registry.get(cls.__name__)
        if existing is not None and existing.__module__ != cls.__module__:
            raise TypeError(f"two Row types are named {cls.__name__}: {existing.__module__} and {cls.__module__}")
        Row.registry[cls.__name__] = cls


R = TypeVar("R", bound=Row)


class CatalogueError(Exception):
    """The sql/ tree cannot be loaded, or does not match the schema; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Problem:
    """One reason a SQL file is wrong, with the file it is about."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Param:
    index: int
    name: str
    type: str


# Header type spellings -> the names asyncpg reports for the prepared statement's parameters and columns.
_TYPE_ALIASES = {
    "integer": "int4",
    "int": "int4",
    "bigint": "int8",
    "smallint": "int2",
    "boolean": "bool",
    "double precision": "float8",
    "real": "float4",
    "character varying": "varchar",
    "timestamp with time zone": "timestamptz",
}


def _canonical_type(name: str) -> str:
    name = name.strip().lower()
    if name.endswith("[]"):
        return _canonical_type(name[:-2]) + "[]"  # asyncpg names array types so
    return _TYPE_ALIASES.get(name, name)


_UTILITY = re.compile(r"^(VACUUM|ANALYZE)\b", re.I)
_HEADER_NAME = re.compile(r"^--\s*name:\s*(?P<name>[a-z][a-z0-9_]*)\s*:(?P<kind>one|many|exec|rows|copy|utility)\s*$")
_PARAM = re.compile(r"^\$(?P<index>\d+)\s+(?P<name>[a-z_][a-z0-9_]*)\s+(?P<type>[a-z][a-z0-9_ ]*(\[\])?)$")
_DIRECTIVE = re.compile(r"^--\s*(?P<key>returns|index|scope):\s*(?P<value>.+?)\s*$")


class Query(Generic[R]):
    """One named statement. Run it with ``one``/``many``/``exec``/``rows`` on a connection or the pool.

    asyncpg prepares the text on first use on each connection and keeps it in that connection's statement
    cache (``db_statement_cache_size``), so later calls skip parsing and planning.
    """

    __slots__ = (
        "_converters",
        "domain",
        "index",
        "kind",
        "name",
        "params",
        "path",
        "purpose",
        "returns",
        "row",
        "scope",
        "sql",
    )

    def __init__(
        self,
        *,
        domain: str,
        name: str,
        kind: Kind,
        sql: str,
        purpose: str,
        params: tuple[Param, ...],
        returns: str | None,
        index: str | None,
        scope: str | None,
        path: Path,
    ) -> None:
        self.domain = domain
        self.name = name
        self.kind = kind
        self.sql = sql
        self.purpose = purpose
        self.params = params
        self.returns = returns
        self.index = index
        self.scope = scope
        self.path = path
        self.row: type[R] | None = None
        self._converters: tuple[Any, ...] | None = None

    @property
    def qualified_name(self) -> str:
        return f"{self.domain}/{self.name}"

    def bind(self, row: type[R]) -> None:
        """Attach the Row type; JSON columns typed as Structs get converted, everything else is taken as is."""
        self.row = row
        converters: list[Any] = []
        needs_conversion = False
        for field in msgspec.structs.fields(row):
            if _wants_conversion(field.type):
                converters.append(field.type)
                needs_conversion = True
            else:
                converters.append(None)
        self._converters = tuple(converters) if needs_conversion else None

    def _decode(self, record: asyncpg.Record) -> R:
        row = self.row
        assert row is not None, f"{self.qualified_name} has no Row type"
        if self._converters is None:
            return row(*record)
        return row(
            *(
                value if conv is None or value is None else msgspec.convert(value, conv)
                for value, conv in zip(record, self._converters, strict=True)
            )
        )

    async def one(self, conn: Any, *args: Any, timeout: float | None = None) -> R | None:
        """Run a ``:one`` statement: its row decoded, or None when there is none.

        Fetches the whole result rather than asking for one row (``fetchrow``): PostgreSQL runs no parallel
        workers for a request that limits its rows, and a statement that aggregates a million rows (audit
        verification) needs them. ``timeout`` (seconds) replaces the connection's command timeout.
        """
        started = time.perf_counter()
        records = await conn.fetch(self.sql, *args, timeout=timeout)
        observe(self.qualified_name, time.perf_counter() - started)
        return self._decode(records[0]) if records else None

    def one_sync(self, conn: Any, *args: Any) -> R | None:
        """``one`` on a synchronous psycopg connection opened with ``cursor_factory=psycopg.RawCursor`` (which
        takes the native ``$n`` parameters): the command line's side, where there is no event loop."""
        record = conn.execute(self.sql, args).fetchone()
        return None if record is None else self._decode(record)

    def many_sync(self, conn: Any, *args: Any) -> list[R]:
        """``many`` on a synchronous psycopg connection (see ``one_sync``)."""
        return [self._decode(record) for record in conn.execute(self.sql, args).fetchall()]

    async def many(self, conn: Any, *args: Any) -> list[R]:
        """Run a ``:many`` statement: every row, decoded."""
        decode = self._decode
        started = time.perf_counter()
        records = await conn.fetch(self.sql, *args)
        observe(self.qualified_name, time.perf_counter() - started)
        return [decode(record) for record in records]

    async def copy(self, conn: Any, output: Any, **options: Any) -> str:
        """Run a ``:copy`` statement as ``COPY (<statement>) TO STDOUT`` in CSV with ``options`` (asyncpg's:
        ``header``, ``quote``, ``delimiter``, ...), each chunk of bytes passed to the coroutine ``output``."""
        started = time.perf_counter()
        status = await conn.copy_from_query(self.sql.rstrip().rstrip(";"), output=output, format="csv", **options)
        observe(self.qualified_name, time.perf_counter() - started)
        return str(status)

    async def exec(self, conn: Any, *args: Any) -> None:
        """Run an ``:exec`` statement."""
        started = time.perf_counter()
        await conn.execute(self.sql, *args)
        observe(self.qualified_name, time.perf_counter() - started)

    async def utility(self, conn: Any, *, timeout: float | None = None) -> None:
        """Run a ``:utility`` statement (VACUUM, ANALYZE) outside any transaction; ``timeout`` (seconds) replaces
        the connection's command timeout."""
        started = time.perf_counter()
        await conn.execute(self.sql, timeout=timeout)
        observe(self.qualified_name, time.perf_counter() - started)

    async def rows(self, conn: Any, *args: Any) -> int:
        """Run a ``:rows`` statement: how many rows it changed."""
        started = time.perf_counter()
        status = await conn.execute(self.sql, *args)
        observe(self.qualified_name, time.perf_counter() - started)
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    def __repr__(self) -> str:
        return f"<Query {self.qualified_name} :{self.kind}>"


class _Domain:
    """Attribute access to one domain's queries: ``catalogue.alerts.acknowledge``."""

    def __init__(self, domain: str, queries: dict[str, Query[Any]]) -> None:
        self._domain = domain
        self._queries = queries

    def __getattr__(self, name: str) -> Query[Any]:
        try:
            return self._queries[name]
        except KeyError:
            raise AttributeError(f"no query sql/{self._domain}/{name}.sql") from None


class Catalogue:
    """Every named statement under one sql/ directory."""

    def __init__(self, root: Path, queries: dict[str, Query[Any]]) -> None:
        self.root = root
        self._queries = queries
        by_domain: dict[str, dict[str, Query[Any]]] = {}
        for query in queries.values():
            by_domain.setdefault(query.domain, {})[query.name] = query
        self._domains = {domain: _Domain(domain, qs) for domain, qs in by_domain.items()}

    def __getattr__(self, domain: str) -> _Domain:
        try:
            return self.__dict__["_domains"][domain]
        except KeyError:
            raise AttributeError(f"no SQL domain sql/{domain}/") from None

    def __getitem__(self, qualified_name: str) -> Query[Any]:
        return self._queries[qualified_name]

    def __iter__(self) -> Iterator[Query[Any]]:
        return iter(sorted(self._queries.values(), key=lambda q: q.qualified_name))

    def __len__(self) -> int:
        return len(self._queries)

    async def verify(self, conn: asyncpg.Connection) -> list[Problem]:
        """Prepare every statement on ``conn`` and compare it with its header and Row type.

        Returns every problem found (an empty list when all is well): a statement that does not prepare (a
        typo, a missing column or table), parameters that differ from the header, result columns that differ
        in name, order or type from the Row's fields, and tenancy: a statement on tenant tables must take
        the hospital id (uuid) as $1 and filter on it, or declare ``scope: all hospitals (why)``.
        """
        from service.db import sql  # this build's ops statements, whatever catalogue is being verified

        tenant_tables = {row.name for row in await sql.ops.tenant_tables.many(conn)}
        indexes = {row.name for row in await sql.ops.index_names.many(conn)}
        problems: list[Problem] = []
        for query in self:
            problems.extend(tenancy_problems(query, tenant_tables))
            problems.extend(_index_problems(query, indexes))
            if query.kind == "utility":
                continue  # VACUUM and ANALYZE cannot be prepared; parse_file checked that it is one of them
            try:
                statement = await conn.prepare(query.sql)
            except asyncpg.PostgresError as exc:
                problems.append(Problem(_display(query.path), f"does not prepare: {exc}"))
                continue
            problems.extend(_parameter_problems(query, statement))
            problems.extend(_column_problems(query, statement))
        return problems


def _display(path: Path) -> str:
    parts = path.parts
    return "/".join(parts[parts.index("sql") :]) if "sql" in parts else str(path)


def parse_file(path: Path, domain: str) -> tuple[Query[Any] | None, list[Problem]]:
    """Parse one SQL file into a Query (None when its header is unusable) and the problems found."""
    shown = _display(path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    problems: list[Problem] = []
    if not lines or not (match := _HEADER_NAME.match(lines[0].strip())):
        return None, [Problem(shown, "the first line must be '-- name: <file name> :one|:many|:exec|:rows'")]
    name, kind = match.group("name"), match.group("kind")
    if name != path.stem:
        problems.append(Problem(shown, f"the header names '{name}' but the file is '{path.stem}.sql'"))
    purpose: list[str] = []
    params: list[Param] = []
    directives: dict[str, str] = {}
    body_start = len(lines)
    for number, raw in enumerate(lines[1:], start=1):
        line = raw.strip()
        if not line.startswith("--"):
            body_start = number
            break
        content = line[2:].strip()
        if directive := _DIRECTIVE.match(line):
            directives[directive.group("key")] = directive.group("value")
        elif content.startswith("$"):
            for item in content.split(","):
                param = _PARAM.match(item.strip())
                if param is None:
                    problems.append(Problem(shown, f"cannot read the parameter '{item.strip()}' (want '$n name type')"))
                    continue
                params.append(
                    Param(int(param.group("index")), param.group("name"), _canonical_type(param.group("type")))
                )
        elif content:
            purpose.append(content)
    sql = "\n".join(lines[body_start:]).strip()
    if not sql:
        problems.append(Problem(shown, "has no statement after its header"))
    if not purpose:
        problems.append(Problem(shown, "the header needs a sentence saying what the statement does"))
    if [p.index for p in params] != list(range(1, len(params) + 1)):
        problems.append(Problem(shown, "parameters must be declared in order as $1, $2, ..."))
    returns = directives.get("returns")
    if kind == "copy" and params:
        problems.append(Problem(shown, ":copy statements take no parameters (COPY cannot bind them)"))
    if kind in ("one", "many", "copy") and not returns:
        problems.append(Problem(shown, f":{kind} needs a '-- returns: <Row type>' line"))
    if kind == "utility" and (params or not _UTILITY.match(_COMMENT.sub("", sql).strip())):
        problems.append(
            Problem(shown, ":utility is for VACUUM and ANALYZE without parameters (they cannot be prepared); use :exec")
        )
    if kind in ("exec", "rows", "utility") and returns:
        problems.append(Problem(shown, f":{kind} returns no rows; remove '-- returns:'"))
    if "index" not in directives:
        problems.append(Problem(shown, "the header needs an '-- index:' line (the index it relies on, or '-')"))
    query: Query[Any] = Query(
        domain=domain,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        sql=sql,
        purpose=" ".join(purpose),
        params=tuple(params),
        returns=returns,
        index=directives.get("index"),
        scope=directives.get("scope"),
        path=path,
    )
    return query, problems


def load_catalogue(root: Path | None = None) -> Catalogue:
    """Read every ``sql/<domain>/<name>.sql``, resolve each ``returns`` to its Row type and return the catalogue.

    Raises CatalogueError listing every file that cannot be read or names an unknown Row type.
    """
    root = root or resource_dir("sql")
    queries: dict[str, Query[Any]] = {}
    problems: list[Problem] = []
    for path in sorted(root.glob("**/*.sql")):
        relative = path.relative_to(root)
        if len(relative.parts) != 2:
            problems.append(Problem(_display(path), "SQL files live exactly one level down: sql/<domain>/<name>.sql"))
            continue
        query, file_problems = _read_file(path, relative.parts[0])
        problems.extend(file_problems)
        if query is not None:
            queries[query.qualified_name] = query
    if problems:
        raise CatalogueError(problems)
    return Catalogue(root, queries)


def load_query(qualified_name: str, root: Path | None = None) -> Query[Any]:
    """Read one statement (``domain/name``) without loading the others, so that a broken file elsewhere cannot
    stop the one command that needs only this statement (migrating, or rolling back in an emergency)."""
    root = root or resource_dir("sql")
    domain, _, name = qualified_name.partition("/")
    query, problems = _read_file(root / domain / f"{name}.sql", domain)
    if query is None or problems:
        raise CatalogueError(problems)
    return query


def _read_file(path: Path, domain: str) -> tuple[Query[Any] | None, list[Problem]]:
    """parse_file, then bind the Row type the header names (imported from the domain's schemas module)."""
    _import_domain_schemas(domain)
    query, problems = parse_file(path, domain)
    if query is not None and query.returns:
        row = Row.registry.get(query.returns)
        if row is None:
            problems.append(Problem(_display(path), f"returns {query.returns}, which is not a Row type"))
        else:
            query.bind(row)
    return query, problems


def _import_domain_schemas(domain: str) -> None:
    # A domain's Row types live in service/<domain>/schemas.py (the same name everywhere).
    try:
        importlib.import_module(f"service.{domain}.schemas")
    except ModuleNotFoundError as exc:
        if exc.name not in (f"service.{domain}", f"service.{domain}.schemas"):
            raise


# --- tenancy -----------------------------------------------------------------------------------------------

_READ_REFERENCE = re.compile(r"\b(?:from|join|update)\s+(?:only\s+)?([a-z_][a-z0-9_]*)", re.I)
_WRITE_REFERENCE = re.compile(r"\binto\s+([a-z_][a-z0-9_]*)", re.I)
_HOSPITAL_FILTER = re.compile(r"\bhospital_id\s*=\s*\$1\b|\$1\s*=\s*(?:\w+\.)?hospital_id\b", re.I)
_HOSPITAL_ROW = re.compile(r"(?:\bhospitals\.|\b\w+\.|\s)id\s*=\s*\$1\b", re.I)
_USES_FIRST_PARAMETER = re.compile(r"\$1\b")
_COMMENT = re.compile(r"--[^\n]*")
# COPY binds no parameters: a :copy statement is confined by the hospital a :one statement set before it.
_COPY_CONFINED = "current_setting('hospital_alerts.export_hospital_id')::uuid"


def tenant_tables_of(sql: str, tenant_tables: set[str]) -> tuple[set[str], set[str]]:
    """The tenant tables a statement reads, updates or deletes from, and those it only inserts into."""
    text = _COMMENT.sub("", sql)
    read = {name.lower() for name in _READ_REFERENCE.findall(text)} & tenant_tables
    written = {name.lower() for name in _WRITE_REFERENCE.findall(text)} & tenant_tables
    return read, written - read


def tenancy_problems(query: Query[Any], tenant_tables: set[str]) -> list[Problem]:
    """A statement on tenant tables takes the hospital id (uuid) as $1 and is confined by it, or declares its scope.

    Confined means: a read, update or delete compares ``hospital_id = $1`` (reading ``hospitals`` alone,
    ``id = $1``); a plain insert uses $1.
    """
    shown = _display(query.path)
    if query.kind == "copy" and query.scope is None and _COPY_CONFINED not in query.sql:
        return [Problem(shown, f":copy statements read the hospital their :one statement bound: {_COPY_CONFINED}")]
    read, inserted = tenant_tables_of(query.sql, tenant_tables)
    if not read and not inserted:
        return []
    if query.scope is not None:
        if not re.match(r"^all hospitals \(.+\)$", query.scope):
            return [Problem(shown, "the scope line must read 'scope: all hospitals (why)'")]
        return []
    tables = ", ".join(sorted(read | inserted))
    first = query.params[0] if query.params else None
    if first is None or first.name != "hospital_id" or first.type != "uuid":
        return [
            Problem(
                shown,
                f"touches {tables} but does not take the hospital id as '$1 hospital_id uuid' "
                "(or declare 'scope: all hospitals (why)')",
            )
        ]
    text = _COMMENT.sub("", query.sql)
    # The hospitals table is keyed by id itself; any other tenant table needs its hospital_id compared.
    confined = _HOSPITAL_FILTER.search(text) or (read == {"hospitals"} and _HOSPITAL_ROW.search(text))
    if read and not confined:
        return [Problem(shown, f"reads or changes {', '.join(sorted(read))} but never filters on hospital_id = $1")]
    if not _USES_FIRST_PARAMETER.search(text):
        return [Problem(shown, "takes the hospital id as $1 but never uses it")]
    return []


def _index_problems(query: Query[Any], indexes: set[str]) -> list[Problem]:
    named = [name.strip() for name in (query.index or "").split(",") if name.strip() not in ("", "-")]
    return [
        Problem(_display(query.path), f"the header names the index {name}, which does not exist")
        for name in named
        if name not in indexes
    ]


# --- checks against a prepared statement --------------------------------------------------------------------


def _parameter_problems(query: Query[Any], statement: Any) -> list[Problem]:
    shown = _display(query.path)
    actual = [t.name for t in statement.get_parameters()]
    declared = [p.type for p in query.params]
    if len(actual) != len(declared):
        return [Problem(shown, f"the header declares {len(declared)} parameter(s), the statement takes {len(actual)}")]
    return [
        Problem(shown, f"${p.index} {p.name} is declared {p.type} but PostgreSQL reads it as {a}")
        for p, a in zip(query.params, actual, strict=True)
        if p.type != a
    ]


def _column_problems(query: Query[Any], statement: Any) -> list[Problem]:
    shown = _display(query.path)
    columns = [(a.name, a.type.name) for a in statement.get_attributes()]
    if query.kind in ("exec", "rows"):
        if columns and query.kind == "rows":
            return [Problem(shown, ":rows counts changed rows; the statement returns columns (use :one/:many)")]
        return []
    row = query.row
    if row is None:
        return []
    fields = msgspec.structs.fields(row)
    # A :copy statement's column names are the file's header line: the names the API uses.
    names = [f.encode_name if query.kind == "copy" else f.name for f in fields]
    column_names = [c for c, _ in columns]
    if column_names != names:
        missing = [n for n in names if n not in column_names]
        extra = [c for c in column_names if c not in names]
        detail = []
        if missing:
            detail.append(f"{row.__name__} fields not in the result: {', '.join(missing)}")
        if extra:
            detail.append(f"result columns not in {row.__name__}: {', '.join(extra)}")
        if not detail:
            detail.append(f"columns are in the order {', '.join(column_names)}; {row.__name__} has {', '.join(names)}")
        return [Problem(shown, "; ".join(detail))]
    problems = []
    for field, (column, pg_type) in zip(fields, columns, strict=True):
        if not _compatible(pg_type, field.type):
            problems.append(
                Problem(
                    shown, f"column {column} is {pg_type} but {row.__name__}.{field.name} is {_type_name(field.type)}"
                )
            )
    return problems


# PostgreSQL type -> the msgspec.inspect types a Row field may declare for it.
_SCALARS: dict[str, tuple[type, ...]] = {
    "uuid": (mi.UUIDType,),
    "text": (mi.StrType, mi.LiteralType, mi.EnumType),
    "varchar": (mi.StrType, mi.LiteralType, mi.EnumType),
    "name": (mi.StrType,),
    "bpchar": (mi.StrType,),
    "inet": (mi.StrType,),  # decoded as text by the pool's codec
    "int2": (mi.IntType,),
    "int4": (mi.IntType,),
    "int8": (mi.IntType,),
    "float4": (mi.FloatType,),
    "float8": (mi.FloatType,),
    "numeric": (mi.DecimalType, mi.FloatType),
    "bool": (mi.BoolType,),
    "timestamptz": (mi.DateTimeType,),
    "date": (mi.DateType,),
    "interval": (mi.TimeDeltaType,),
    "bytea": (mi.BytesType,),
    "json": (mi.AnyType, mi.DictType, mi.ListType, mi.StructType, mi.RawType),
    "jsonb": (mi.AnyType, mi.DictType, mi.ListType, mi.StructType, mi.RawType),
}


def _strip(info: Any) -> Any:
    """Drop Annotated constraints and an Optional wrapper: nullability is not visible in a prepared statement."""
    while isinstance(info, mi.Metadata):
        info = info.type
    if isinstance(info, mi.UnionType):
        rest = [t for t in info.types if not isinstance(t, mi.NoneType)]
        if len(rest) == 1:
            return _strip(rest[0])
    return info


def _compatible(pg_type: str, annotation: Any) -> bool:
    info = _strip(mi.type_info(annotation))
    if pg_type.endswith("[]"):  # asyncpg names array types so (text[])
        return isinstance(info, mi.ListType) and _compatible(pg_type[:-2], _annotation_of(info.item_type))
    allowed = _SCALARS.get(pg_type)
    return allowed is not None and isinstance(info, allowed)


def _annotation_of(info: Any) -> Any:
    # Rebuild a plain annotation from an inspect type for the recursive array check.
    mapping = {mi.UUIDType: uuid_module.UUID, mi.StrType: str, mi.IntType: int, mi.BoolType: bool, mi.FloatType: float}
    info = _strip(info)
    for cls, annotation in mapping.items():
        if isinstance(info, cls):
            return annotation
    return Any if isinstance(info, mi.AnyType) else object


def _wants_conversion(annotation: Any) -> bool:
    info = _strip(mi.type_info(annotation))
    if isinstance(info, mi.StructType):
        return True
    return isinstance(info, mi.ListType) and isinstance(_strip(info.item_type), mi.StructType)


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
