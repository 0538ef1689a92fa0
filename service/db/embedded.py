"""Embedded PostgreSQL (pgserver) for a machine with only Python: used when DATABASE_URL is unset.

The cluster lives under ``<data_dir>/pg`` and is kept between runs. pgserver shares one server among the
processes that ask for the same directory and stops it when the last of them exits.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

logger = logging.getLogger("service.db.embedded")

_servers: dict[Path, object] = {}


def embedded_database_url(data_dir: str | Path) -> str:
    """Start (or join) the embedded PostgreSQL under ``data_dir/pg`` and return its URL."""
    path = (Path(data_dir) / "pg").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about an unset XDG_RUNTIME_DIR on servers
        import pgserver

        server = _servers.get(path)
        if server is None:
            logger.info("starting embedded PostgreSQL in %s", path)
            server = pgserver.get_server(path, cleanup_mode="stop")
            _servers[path] = server
    return server.get_uri()  # type: ignore[attr-defined]
