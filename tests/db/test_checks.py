"""The pre-deploy checks that need only a connection (the command line's own tests run them end to end)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from service.db.pool import Database
from service.ops.checks import clock_check


def moved(by: timedelta):  # type: ignore[no-untyped-def]
    return lambda: datetime.now(UTC) + by


async def test_the_clock_check_passes_when_the_clocks_agree(db: Database) -> None:
    async with db.connection() as conn:
        result = await clock_check(conn)
    assert result.ok, result.summary
    assert re.fullmatch(
        r"the database's clock is 0\.\d{3} s (ahead of|behind) this machine's "
        r"\(round trip \d+\.\d ms; at most 2 s allowed\)",
        result.summary,
    ), result.summary


@pytest.mark.parametrize(("shift", "word"), [(timedelta(seconds=-5), "ahead of"), (timedelta(seconds=3), "behind")])
async def test_the_clock_check_fails_past_two_seconds_either_way(db: Database, shift: timedelta, word: str) -> None:
    async with db.connection() as conn:
        result = await clock_check(conn, local_clock=moved(shift))
    assert not result.ok
    assert result.name == "clock"
    assert re.fullmatch(
        rf"the database's clock is (4|5|2|3)\.\d{{3}} s {word} this machine's "
        r"\(round trip \d+\.\d ms; at most 2 s allowed\): synchronise both with NTP",
        result.summary,
    ), result.summary


async def test_the_clock_check_allows_a_second_of_skew(db: Database) -> None:
    async with db.connection() as conn:
        result = await clock_check(conn, local_clock=moved(timedelta(seconds=1)))
    assert result.ok, result.summary
    assert result.summary.startswith("the database's clock is 0.9") or result.summary.startswith(
        "the database's clock is 1.0"
    ), result.summary
