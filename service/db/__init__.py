"""Database access: the pool, the named-SQL catalogue, embedded PostgreSQL and migrations.

``sql`` is the catalogue of this build, loaded on first use: ``await sql.users.get_user.one(conn, ...)``
runs ``sql/users/get_user.sql``. The path in the code is the path of the file.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from service.db.catalogue import Catalogue, load_catalogue


@cache
def get_catalogue() -> Catalogue:
    """The catalogue of this build's sql/ directory, loaded once per process."""
    return load_catalogue()


class _Sql:
    def __getattr__(self, domain: str) -> Any:
        return getattr(get_catalogue(), domain)


sql = _Sql()
