"""The two log formats of the profiles: JSON lines for a collector, text lines for a person; the same fields."""

from __future__ import annotations

import calendar
import logging
import sys
import time

import msgspec

from service.logs import JsonFormatter, TextFormatter


def record() -> logging.LogRecord:
    made = logging.LogRecord("service.audit.seals", logging.WARNING, __file__, 1, "sealed %d rows", (42,), None)
    made.created = calendar.timegm((2026, 11, 30, 8, 0, 0))
    made.msecs = 7
    made.request_id = "req-1"
    made.duration_ms = 12.5
    return made


def test_json_lines_carry_the_message_the_request_id_and_the_extra_fields() -> None:
    JsonFormatter.converter = time.gmtime
    assert msgspec.json.decode(JsonFormatter().format(record())) == {
        "time": "2026-11-30T08:00:00.007Z",
        "level": "warning",
        "logger": "service.audit.seals",
        "message": "sealed 42 rows",
        "request_id": "req-1",
        "duration_ms": 12.5,
    }


def test_text_lines_carry_the_same_fields_for_a_person_to_read() -> None:
    JsonFormatter.converter = time.gmtime
    assert TextFormatter().format(record()) == (
        "2026-11-30T08:00:00.007Z WARNING service.audit.seals: sealed 42 rows  request_id=req-1 duration_ms=12.5"
    )


def test_a_record_with_its_exception_carries_the_traceback() -> None:
    # What HOSPITAL_ALERTS_DEBUG logs for an unexpected error; without this field the JSON line dropped it.
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        made = logging.LogRecord("service.errors", logging.ERROR, __file__, 1, "traceback", None, sys.exc_info())
    entry = msgspec.json.decode(JsonFormatter().format(made))
    assert entry["traceback"].startswith("Traceback (most recent call last):")
    assert entry["traceback"].endswith("RuntimeError: boom")
    assert "traceback=Traceback (most recent call last):" in TextFormatter().format(made)
