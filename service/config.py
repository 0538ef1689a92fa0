"""Settings: one msgspec Struct read from the environment.

Every variable is listed in ``ENVIRONMENT`` (variable name -> field) and documented in the README's
configuration table; a test keeps the two in step.

``HOSPITAL_ALERTS_ENV`` picks a profile (``PROFILES``): the defaults that fit the environment (pool sizes, log
format) under whatever is set explicitly, and the safety rules it enforces (``__post_init__``): staging and
production need a secret key, a real database and TLS to a remote one; production also refuses debug.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlsplit

import msgspec

Environment = Literal["development", "staging", "production"]
LogFormat = Literal["json", "text"]

Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]


class ConfigError(Exception):
    """A setting in the environment is missing or out of range; the message names the variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the service reads from its environment, with the defaults of a development machine."""

    database_url: str | None = None
    """PostgreSQL URL. Unset: an embedded PostgreSQL (pgserver) with its data under ``data_dir``."""
    env: Environment = "development"
    secret_key: Annotated[str, msgspec.Meta(min_length=32)] | None = None
    """Encrypts TOTP secrets at rest and keys backup-code hashes; required in production. At least 32 characters:
    HKDF derives the keys from it but cannot add entropy it lacks (``openssl rand -base64 48`` makes one)."""
    login_rate_per_minute: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 30
    metrics_token: str | None = None
    slow_query_ms: Annotated[float, msgspec.Meta(gt=0, le=3_600_000)] = 200.0
    """A named SQL statement slower than this is logged (its name and duration) and counted in /metrics."""
    data_dir: str = ".data"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: LogFormat = "text"
    """``json``: one JSON object per line, for a log collector. ``text``: one readable line, for a terminal."""
    debug: bool = False
    """Answers an unexpected error (500) with the exception's type and message, and logs its traceback. Both can
    carry SQL and values, so production refuses it."""

    db_pool_min_size: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 2
    db_pool_max_size: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 10
    migration_lock_timeout: Seconds = 5.0
    """Longest a migration statement waits for a table lock before the migration fails (and rolls back). Waiting
    longer would queue every request that touches the table behind it."""
    db_acquire_timeout: Seconds = 5.0
    """Longest wait for a free pooled connection before the request is answered 503."""
    db_command_timeout: Seconds = 30.0
    """Longest a single statement may run."""
    db_connect_timeout: Seconds = 5.0
    db_statement_cache_size: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = 512
    """Prepared statements cached per connection (0 behind a transaction-mode pgbouncer)."""
    db_connection_idle_lifetime: Seconds = 300.0
    """A pooled connection idle this long is closed."""
    db_connection_max_lifetime: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = 1800.0
    """Every pooled connection is replaced within about this long (rebalances after a failover or DNS change)."""
    db_connection_max_queries: Annotated[int, msgspec.Meta(ge=1)] = 50_000
    """A pooled connection is replaced after this many queries (bounds its memory and plan cache)."""
    db_startup_timeout: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 30.0
    """How long ``serve`` waits for the database to answer at start before giving up."""
    audit_verify_connections: Annotated[int, msgspec.Meta(ge=1, le=64)] = 2
    """Connections that share the compliance report's integrity check (one per core of the database server
    that a report may use); at most half the pool. A report holds one more for its figures."""

    def __post_init__(self) -> None:
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError("db_pool_min_size must not exceed db_pool_max_size")
        if self.database_url is not None and not re.match(r"^postgres(ql)?://", self.database_url):
            raise ValueError("database_url must start with postgresql://")
        if self.env == "development":
            return
        # Staging and production hold real accounts (staging often a copy of production's): the same rules.
        if not self.secret_key:
            raise ValueError(f"secret_key is required when env is {self.env} (it encrypts TOTP secrets at rest)")
        if self.database_url is None:
            raise ValueError(
                f"database_url is required when env is {self.env} (the embedded PostgreSQL is for a laptop: "
                "no backups, no replicas)"
            )
        if not _tls_or_local(self.database_url):
            raise ValueError(
                f"database_url reaches a remote database without TLS, which env {self.env} refuses: add "
                "sslmode=verify-full (or sslmode=require) to it"
            )
        if self.env == "production" and self.debug:
            raise ValueError(
                "debug is refused when env is production: it answers errors with their SQL and values, which can "
                "carry patients' data and secrets"
            )

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None


_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
_TLS_MODES = {"require", "verify-ca", "verify-full"}


def _tls_or_local(url: str) -> bool:
    """Whether a PostgreSQL URL either asks for TLS (sslmode require or verify-*) or stays on this machine (a
    loopback address or a Unix socket), where TLS would protect nothing."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if (query.get("sslmode") or [""])[-1] in _TLS_MODES:
        return True
    socket_dir = (query.get("host") or [""])[-1]
    return (parts.hostname or "") in _LOCAL_HOSTS and (not socket_dir or socket_dir.startswith("/"))


ENVIRONMENT: dict[str, str] = {
    "DATABASE_URL": "database_url",
    "HOSPITAL_ALERTS_ENV": "env",
    "HOSPITAL_ALERTS_SECRET_KEY": "secret_key",
    "HOSPITAL_ALERTS_LOGIN_RATE_PER_MINUTE": "login_rate_per_minute",
    "HOSPITAL_ALERTS_METRICS_TOKEN": "metrics_token",
    "HOSPITAL_ALERTS_SLOW_QUERY_MS": "slow_query_ms",
    "HOSPITAL_ALERTS_DATA_DIR": "data_dir",
    "HOSPITAL_ALERTS_LOG_LEVEL": "log_level",
    "HOSPITAL_ALERTS_LOG_FORMAT": "log_format",
    "HOSPITAL_ALERTS_DEBUG": "debug",
    "HOSPITAL_ALERTS_MIGRATION_LOCK_TIMEOUT": "migration_lock_timeout",
    "HOSPITAL_ALERTS_DB_POOL_MIN_SIZE": "db_pool_min_size",
    "HOSPITAL_ALERTS_DB_POOL_MAX_SIZE": "db_pool_max_size",
    "HOSPITAL_ALERTS_DB_ACQUIRE_TIMEOUT": "db_acquire_timeout",
    "HOSPITAL_ALERTS_DB_COMMAND_TIMEOUT": "db_command_timeout",
    "HOSPITAL_ALERTS_DB_CONNECT_TIMEOUT": "db_connect_timeout",
    "HOSPITAL_ALERTS_DB_STATEMENT_CACHE_SIZE": "db_statement_cache_size",
    "HOSPITAL_ALERTS_DB_CONNECTION_IDLE_LIFETIME": "db_connection_idle_lifetime",
    "HOSPITAL_ALERTS_DB_CONNECTION_MAX_LIFETIME": "db_connection_max_lifetime",
    "HOSPITAL_ALERTS_DB_CONNECTION_MAX_QUERIES": "db_connection_max_queries",
    "HOSPITAL_ALERTS_DB_STARTUP_TIMEOUT": "db_startup_timeout",
    "HOSPITAL_ALERTS_AUDIT_VERIFY_CONNECTIONS": "audit_verify_connections",
}
_VARIABLE_OF_FIELD = {field: variable for variable, field in ENVIRONMENT.items()}

PROFILES: dict[str, dict[str, object]] = {
    # A laptop: few connections, logs a person reads.
    "development": {"db_pool_min_size": 2, "db_pool_max_size": 10, "log_format": "text"},
    # Production's shape at a smaller size, logs for the collector.
    "staging": {"db_pool_min_size": 2, "db_pool_max_size": 10, "log_format": "json"},
    # Connections kept warm for a burst (a mass-casualty event raises many alerts at once); 20 per process, so
    # PostgreSQL's max_connections must exceed 20 x the number of processes (docs/operations.md).
    "production": {"db_pool_min_size": 5, "db_pool_max_size": 20, "log_format": "json"},
}
"""Each environment's defaults; a variable that is set wins over its profile's value."""


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read Settings from ``environ`` (default: the process environment); ``overrides`` win over it.

    Empty variables count as unset. Raises ConfigError naming the variable when a value is invalid.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {
        field: environ[variable] for variable, field in ENVIRONMENT.items() if environ.get(variable, "") != ""
    }
    values.update(overrides)
    _apply_profile(values)
    try:
        return msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _apply_profile(values: dict[str, object]) -> None:
    profile = PROFILES.get(str(values.get("env", "development")))
    if profile is None:
        return  # an unknown environment: conversion names the variable
    min_is_explicit = "db_pool_min_size" in values
    for field, default in profile.items():
        values.setdefault(field, default)
    if not min_is_explicit:
        # A pool capped below the profile's minimum keeps its cap open, rather than refusing to start.
        # A cap that is not a number is left as it is: conversion names its variable.
        with contextlib.suppress(ValueError):
            values["db_pool_min_size"] = min(int(str(values["db_pool_min_size"])), int(str(values["db_pool_max_size"])))


def describe_profile(settings: Settings) -> str:
    """One line for the start of ``serve`` and for ``check``: the environment and what it chose."""
    return (
        f"{settings.env}: pool of {settings.db_pool_min_size} to {settings.db_pool_max_size} connections per "
        f"process, {settings.log_format} logs at {settings.log_level}, debug {'on' if settings.debug else 'off'}"
    )


def _describe(exc: msgspec.ValidationError) -> str:
    message = str(exc)
    match = re.search(r" - at `\$\.(\w+)`", message)
    if match:
        field = match.group(1)
        reason = message[: match.start()]
        return f"{_VARIABLE_OF_FIELD.get(field, field)}: {reason}"
    for field, variable in _VARIABLE_OF_FIELD.items():
        message = re.sub(rf"\b{field}\b", variable, message)
    return message
