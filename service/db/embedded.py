"""Embedded PostgreSQL (pgserver) for a machine with only Python: used when DATABASE_URL is unset.

The cluster lives under ``<data_dir>/pg`` and is kept between runs. pgserver shares one server among the
processes that ask for the same directory and stops it when the last of them exits.
"""

from __future__ import annotations

import warnings
from pathlib import Path


def embedded_database_url(data_dir: str | Path) -> str:
    """Start (or join) the embedded PostgreSQL under ``data_dir/pg`` and return its URL."""
    path = (Path(data_dir) / "pg").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about an unset XDG_RUNTIME_DIR on servers
        import pgserver

        # pgserver keeps one handle per directory in this process and one server per directory on the machine.
        server = pgserver.get_server(path, cleanup_mode="stop")
    return server.get_uri()
