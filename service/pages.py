"""What the lists that grow without bound (alert history, audit logs) share: their time range's check and
keyset pagination's cursor.

The cursor is the sort key of the last row of a page, ``(time, id)``, base64url-encoded: opaque to clients,
and the next page's statement continues strictly after it, so every row is seen exactly once.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from service.errors import BadRequest, FieldError


def encode_cursor(at: datetime, row_id: uuid.UUID) -> str:
    """The cursor after the row with sort key ``(at, row_id)``."""
    text = f"{at.isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The sort key a cursor carries; 400 naming ``cursor`` when it is not one this service gave."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, row_id = text.split("|")
        parsed = datetime.fromisoformat(at)
        if parsed.tzinfo is None:
            raise ValueError("no offset")
        return parsed, uuid.UUID(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(
            "the request is not valid", errors=[FieldError("cursor", "is not a cursor this service gave")]
        ) from None


def require_offsets(**times: datetime | None) -> None:
    """400 naming each time given without a UTC offset: with none, a time names no instant (whose midnight?)."""
    errors = [
        FieldError(name, "needs a UTC offset (RFC 3339)")
        for name, value in times.items()
        if value is not None and value.tzinfo is None
    ]
    if errors:
        raise BadRequest("the request is not valid", errors=errors)
