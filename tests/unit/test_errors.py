"""The single mapping from errors to problem+json, and the translation of validation details."""

from __future__ import annotations

import asyncpg
import pytest

from service.errors import FieldError, first_error, is_database_unavailable, validation_errors


def postgres_error(cls: type[asyncpg.PostgresError]) -> asyncpg.PostgresError:
    return cls("message that may hold data and must never reach a client")


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "refused"),
        ConnectionResetError(104, "reset"),
        TimeoutError(),
        asyncpg.InterfaceError("connection is closed"),
        postgres_error(asyncpg.ConnectionDoesNotExistError),
        postgres_error(asyncpg.CannotConnectNowError),
        postgres_error(asyncpg.AdminShutdownError),
        postgres_error(asyncpg.TooManyConnectionsError),
        postgres_error(asyncpg.QueryCanceledError),
    ],
)
def test_these_mean_the_database_is_unavailable(exc: BaseException) -> None:
    assert is_database_unavailable(exc)


@pytest.mark.parametrize(
    "exc",
    [postgres_error(asyncpg.UniqueViolationError), postgres_error(asyncpg.UndefinedColumnError), ValueError("x")],
)
def test_these_do_not(exc: BaseException) -> None:
    assert not is_database_unavailable(exc)


def test_a_task_groups_failure_is_its_first_error_out_of_any_nesting() -> None:
    # The compliance report runs tasks inside tasks: an unavailable database must still read as one (503).
    refused = ConnectionRefusedError(111, "refused")
    nested = ExceptionGroup("report", [ExceptionGroup("integrity", [refused, ValueError("later")]), KeyError("x")])
    assert first_error(nested) is refused
    assert is_database_unavailable(first_error(nested))


def test_validation_details_become_dotted_fields_and_plain_messages() -> None:
    extra = [
        {"message": "Expected `str` of length >= 2", "key": "name", "source": "body"},
        {"message": "Expected `int` <= 6", "key": "shiftSchedule[2].day", "source": "body"},
        {"message": "Object contains unknown field `role`", "key": "data", "source": "body"},
        {"message": "Object missing required field `email`", "key": "users[3]", "source": "body"},
        {"message": "Expected `int`, got `str`", "key": "limit", "source": "query"},
        {"message": "'data'", "key": "data", "source": "body"},
    ]
    assert validation_errors(extra) == [
        FieldError("name", "Expected str of length >= 2"),
        FieldError("shiftSchedule[2].day", "Expected int <= 6"),
        FieldError("role", "is not a known field"),
        FieldError("users[3].email", "is required"),
        FieldError("limit", "Expected int, got str"),
        FieldError("", "a JSON body is required"),
    ]
