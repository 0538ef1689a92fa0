"""Email addresses: trimmed, lower-cased, checked; the one normal form stored and compared."""

from __future__ import annotations

import re

MAX_LENGTH = 254
# No whitespace and no control character (PostgreSQL cannot store NUL) anywhere in either part.
_SHAPE = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s.\x00-\x1f\x7f]+(\.[^@\s.\x00-\x1f\x7f]+)+$")


def normalize_email(raw: str) -> str:
    """The stored form of ``raw``: trimmed and lower-case. Raises ValueError saying what is wrong."""
    email = raw.strip().lower()
    if not email:
        raise ValueError("is required")
    if len(email) > MAX_LENGTH:
        raise ValueError(f"must be at most {MAX_LENGTH} characters")
    if not _SHAPE.match(email):
        raise ValueError("is not an email address")
    return email
