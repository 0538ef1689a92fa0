"""Settings from the environment: defaults, conversion, and errors that name the variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.config import ENVIRONMENT, ConfigError, Settings, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_need_no_environment() -> None:
    settings = load_settings({})
    assert settings == Settings()
    assert settings.uses_embedded_database
    assert (settings.env, settings.login_rate_per_minute, settings.db_pool_max_size) == ("development", 30, 10)


def test_values_are_read_and_converted() -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "postgresql://app@db.internal:5432/alerts?sslmode=verify-full",
            "HOSPITAL_ALERTS_ENV": "staging",
            "HOSPITAL_ALERTS_SECRET_KEY": "k" * 32,
            "HOSPITAL_ALERTS_DB_POOL_MAX_SIZE": "25",
            "HOSPITAL_ALERTS_DB_ACQUIRE_TIMEOUT": "2.5",
            "HOSPITAL_ALERTS_LOGIN_RATE_PER_MINUTE": "",  # empty counts as unset
        }
    )
    assert settings.database_url == "postgresql://app@db.internal:5432/alerts?sslmode=verify-full"
    assert (settings.env, settings.db_pool_max_size, settings.db_acquire_timeout) == ("staging", 25, 2.5)
    assert settings.login_rate_per_minute == 30
    assert not settings.uses_embedded_database


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HOSPITAL_ALERTS_DB_POOL_MAX_SIZE": "many"}, "HOSPITAL_ALERTS_DB_POOL_MAX_SIZE: Expected `int`, got `str`"),
        ({"HOSPITAL_ALERTS_DB_POOL_MAX_SIZE": "0"}, "HOSPITAL_ALERTS_DB_POOL_MAX_SIZE: Expected `int` >= 1"),
        (
            {"HOSPITAL_ALERTS_AUDIT_VERIFY_CONNECTIONS": "0"},
            "HOSPITAL_ALERTS_AUDIT_VERIFY_CONNECTIONS: Expected `int` >= 1",
        ),
        ({"HOSPITAL_ALERTS_ENV": "prod"}, "HOSPITAL_ALERTS_ENV: Invalid enum value 'prod'"),
        (
            {"HOSPITAL_ALERTS_DB_POOL_MIN_SIZE": "20"},
            "HOSPITAL_ALERTS_DB_POOL_MIN_SIZE must not exceed HOSPITAL_ALERTS_DB_POOL_MAX_SIZE",
        ),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must start with postgresql://"),
        (
            {"HOSPITAL_ALERTS_ENV": "production"},
            "HOSPITAL_ALERTS_SECRET_KEY is required when HOSPITAL_ALERTS_ENV is production "
            "(it encrypts TOTP secrets at rest)",
        ),
        (
            {"HOSPITAL_ALERTS_ENV": "production", "HOSPITAL_ALERTS_SECRET_KEY": "k" * 32},
            "DATABASE_URL is required when HOSPITAL_ALERTS_ENV is production (the embedded PostgreSQL is for a "
            "laptop: no backups, no replicas)",
        ),
        (
            {
                "HOSPITAL_ALERTS_ENV": "production",
                "HOSPITAL_ALERTS_SECRET_KEY": "k" * 32,
                "DATABASE_URL": "postgresql://app:pw@db.internal:5432/alerts",
            },
            "DATABASE_URL reaches a remote database without TLS, which HOSPITAL_ALERTS_ENV production refuses: add "
            "sslmode=verify-full (or sslmode=require) to it",
        ),
        (
            {
                "HOSPITAL_ALERTS_ENV": "production",
                "HOSPITAL_ALERTS_SECRET_KEY": "k" * 32,
                "DATABASE_URL": "postgresql://app:pw@db.internal/alerts?sslmode=prefer",
            },
            "DATABASE_URL reaches a remote database without TLS, which HOSPITAL_ALERTS_ENV production refuses: add "
            "sslmode=verify-full (or sslmode=require) to it",
        ),
        (
            {"HOSPITAL_ALERTS_SECRET_KEY": "s" * 31},
            "HOSPITAL_ALERTS_SECRET_KEY: Expected `str` of length >= 32",
        ),
    ],
)
def test_an_invalid_value_names_its_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(environ)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:pw@db.internal:5432/alerts?sslmode=verify-full",
        "postgresql://app:pw@db.internal/alerts?sslmode=require",
        "postgresql://app@127.0.0.1:5432/alerts",
        "postgresql://app@localhost/alerts",
        "postgresql://app@[::1]/alerts",
        "postgresql:///alerts?host=/var/run/postgresql",
    ],
)
def test_production_accepts_tls_or_a_database_on_this_machine(url: str) -> None:
    settings = load_settings(
        {"HOSPITAL_ALERTS_ENV": "production", "HOSPITAL_ALERTS_SECRET_KEY": "k" * 32, "DATABASE_URL": url}
    )
    assert settings.env == "production"
    assert settings.database_url == url


PRODUCTION = {"HOSPITAL_ALERTS_SECRET_KEY": "k" * 32, "DATABASE_URL": "postgresql://app@127.0.0.1/alerts"}


@pytest.mark.parametrize(
    ("env", "pool", "log_format"),
    [("development", (2, 10), "text"), ("staging", (2, 10), "json"), ("production", (5, 20), "json")],
)
def test_each_environment_has_its_profile(env: str, pool: tuple[int, int], log_format: str) -> None:
    settings = load_settings({**PRODUCTION, "HOSPITAL_ALERTS_ENV": env})
    assert (settings.db_pool_min_size, settings.db_pool_max_size) == pool
    assert settings.log_format == log_format
    assert not settings.debug


def test_a_variable_that_is_set_wins_over_the_profile() -> None:
    settings = load_settings(
        {
            **PRODUCTION,
            "HOSPITAL_ALERTS_ENV": "production",
            "HOSPITAL_ALERTS_LOG_FORMAT": "text",
            "HOSPITAL_ALERTS_DB_POOL_MAX_SIZE": "40",
        }
    )
    assert (settings.db_pool_min_size, settings.db_pool_max_size, settings.log_format) == (5, 40, "text")


def test_a_pool_capped_below_the_profiles_minimum_keeps_its_cap() -> None:
    settings = load_settings(
        {**PRODUCTION, "HOSPITAL_ALERTS_ENV": "production", "HOSPITAL_ALERTS_DB_POOL_MAX_SIZE": "3"}
    )
    assert (settings.db_pool_min_size, settings.db_pool_max_size) == (3, 3)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"HOSPITAL_ALERTS_ENV": "staging"},
            "HOSPITAL_ALERTS_SECRET_KEY is required when HOSPITAL_ALERTS_ENV is staging "
            "(it encrypts TOTP secrets at rest)",
        ),
        (
            {"HOSPITAL_ALERTS_ENV": "staging", "HOSPITAL_ALERTS_SECRET_KEY": "k" * 32},
            "DATABASE_URL is required when HOSPITAL_ALERTS_ENV is staging (the embedded PostgreSQL is for a "
            "laptop: no backups, no replicas)",
        ),
        (
            {**PRODUCTION, "HOSPITAL_ALERTS_ENV": "staging", "DATABASE_URL": "postgresql://app@db.internal/alerts"},
            "DATABASE_URL reaches a remote database without TLS, which HOSPITAL_ALERTS_ENV staging refuses: add "
            "sslmode=verify-full (or sslmode=require) to it",
        ),
        (
            {**PRODUCTION, "HOSPITAL_ALERTS_ENV": "production", "HOSPITAL_ALERTS_DEBUG": "true"},
            "HOSPITAL_ALERTS_DEBUG is refused when HOSPITAL_ALERTS_ENV is production: it answers errors with their "
            "SQL and values, which can carry patients' data and secrets",
        ),
        ({"HOSPITAL_ALERTS_DEBUG": "maybe"}, "HOSPITAL_ALERTS_DEBUG: Expected `bool`, got `str`"),
        ({"HOSPITAL_ALERTS_LOG_FORMAT": "xml"}, "HOSPITAL_ALERTS_LOG_FORMAT: Invalid enum value 'xml'"),
    ],
)
def test_staging_and_production_refuse_unsafe_settings(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(environ)
    assert str(error.value) == message


def test_debug_is_allowed_in_staging_and_development() -> None:
    assert load_settings({**PRODUCTION, "HOSPITAL_ALERTS_ENV": "staging", "HOSPITAL_ALERTS_DEBUG": "true"}).debug
    assert load_settings({"HOSPITAL_ALERTS_DEBUG": "1"}).debug


def test_every_variable_is_in_the_readme_configuration_table() -> None:
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README.read_text(encoding="utf-8"), re.M))
    assert set(ENVIRONMENT) <= documented, sorted(set(ENVIRONMENT) - documented)
