"""Reading SQL file headers: each mistake is reported with the file and what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.db.catalogue import CatalogueError, load_catalogue, parse_file, tenancy_problems

TENANT_TABLES = {"hospitals", "users", "departments"}

GOOD = """-- name: find_thing :one
-- Finds one thing of a hospital.
-- $1 hospital_id uuid, $2 thing_id uuid
-- returns: CountRow
-- index: users_pkey
SELECT count(*) AS count FROM users WHERE hospital_id = $1 AND id = $2;
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "sql" / "users" / f"{name}.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problems(tmp_path: Path, name: str, text: str) -> list[str]:
    query, found = parse_file(write(tmp_path, name, text), "users")
    if query is not None:
        found += tenancy_problems(query, TENANT_TABLES)
    return [p.reason for p in found]


def test_a_good_header_is_read_completely(tmp_path: Path) -> None:
    query, found = parse_file(write(tmp_path, "find_thing", GOOD), "users")
    assert found == []
    assert query is not None
    assert (query.qualified_name, query.kind, query.returns, query.index) == (
        "users/find_thing",
        "one",
        "CountRow",
        "users_pkey",
    )
    assert [(p.index, p.name, p.type) for p in query.params] == [(1, "hospital_id", "uuid"), (2, "thing_id", "uuid")]
    assert query.purpose == "Finds one thing of a hospital."
    assert query.sql.startswith("SELECT count(*)")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("SELECT 1;", "the first line must be '-- name: <file name> :one|:many|:exec|:rows'"),
        (GOOD.replace(":one", ":single"), "the first line must be '-- name: <file name> :one|:many|:exec|:rows'"),
        (
            GOOD.replace("name: find_thing", "name: other_thing"),
            "the header names 'other_thing' but the file is 'find_thing.sql'",
        ),
        (GOOD.replace("-- returns: CountRow\n", ""), ":one needs a '-- returns: <Row type>' line"),
        (
            GOOD.replace("-- index: users_pkey\n", ""),
            "the header needs an '-- index:' line (the index it relies on, or '-')",
        ),
        (
            GOOD.replace("-- Finds one thing of a hospital.\n", ""),
            "the header needs a sentence saying what the statement does",
        ),
        (GOOD.replace("$2 thing_id uuid", "$3 thing_id uuid"), "parameters must be declared in order as $1, $2, ..."),
        (
            GOOD.replace("$2 thing_id uuid", "$2 thing_id"),
            "cannot read the parameter '$2 thing_id' (want '$n name type')",
        ),
        (GOOD.replace(":one", ":exec"), ":exec returns no rows; remove '-- returns:'"),
    ],
)
def test_each_header_mistake_is_named(tmp_path: Path, text: str, reason: str) -> None:
    assert reason in problems(tmp_path, "find_thing", text)


def test_array_and_alias_types_are_canonical(tmp_path: Path) -> None:
    text = GOOD.replace("$2 thing_id uuid", "$2 codes text[], $3 n integer, $4 on boolean")
    query, _ = parse_file(write(tmp_path, "find_thing", text), "users")
    assert query is not None
    assert [p.type for p in query.params] == ["uuid", "text[]", "int4", "bool"]


def test_a_declared_scope_exempts_a_statement_from_the_hospital_rule(tmp_path: Path) -> None:
    text = (
        "-- name: by_email :one\n-- Login looks a user up by email.\n-- $1 email text\n"
        "-- scope: all hospitals (login names no hospital)\n-- returns: CountRow\n-- index: users_email_key\n"
        "SELECT count(*) AS count FROM users WHERE email = $1;\n"
    )
    assert problems(tmp_path, "by_email", text) == []
    assert problems(tmp_path, "by_email", text.replace("(login names no hospital)", "")) == [
        "the scope line must read 'scope: all hospitals (why)'"
    ]


def test_an_insert_into_a_tenant_table_must_use_the_hospital_parameter(tmp_path: Path) -> None:
    text = (
        "-- name: add :exec\n-- Adds a department.\n-- $1 hospital_id uuid, $2 name text\n-- index: -\n"
        "INSERT INTO departments (hospital_id, name, code) VALUES (gen_random_uuid(), $2, 'X');\n"
    )
    assert problems(tmp_path, "add", text) == ["takes the hospital id as $1 but never uses it"]


def test_a_file_nested_too_deep_is_refused(tmp_path: Path) -> None:
    nested = tmp_path / "sql" / "users" / "deeper" / "x.sql"
    nested.parent.mkdir(parents=True)
    nested.write_text(GOOD)
    with pytest.raises(CatalogueError) as error:
        load_catalogue(tmp_path / "sql")
    assert str(error.value) == "sql/users/deeper/x.sql: SQL files live exactly one level down: sql/<domain>/<name>.sql"
