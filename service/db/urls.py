"""Showing a database URL without its credentials."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit


def describe_database(url: str) -> str:
    """``host:port/database`` (or the socket directory) of ``url``; never the user's password."""
    parts = urlsplit(url)
    host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[0]
    port = f":{parts.port}" if parts.port else ""
    database = parts.path.lstrip("/") or "postgres"
    return f"{host}{port}/{database}"
