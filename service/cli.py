"""The ``hospital-alerts`` command: serve, migrate, seed, create-hospital, create-admin, check.

Exit codes: 0 success, 1 a failed check or operation (the database unreachable, an email taken), 2 bad usage
(a wrong argument or an invalid setting in the environment).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Coroutine, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from service import __version__
from service.config import ConfigError, Settings, describe_profile, load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
T = TypeVar("T")


class CommandFailed(Exception):
    """An operation failed for a reason the user can act on; the message says which (exit 1)."""


class DatabaseUnreachable(CommandFailed):
    """The database did not answer (refused, timed out, starting up): worth waiting for, unlike a wrong password."""


class UsageError(Exception):
    """An argument is wrong in a way argparse cannot see (exit 2)."""


def _say(message: str) -> None:
    print(message, flush=True)


def _warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hospital-alerts",
        description="Raise, route, escalate and audit staff alerts across many hospitals.",
        epilog="Configuration comes from the environment (DATABASE_URL and HOSPITAL_ALERTS_*); see the README.",
    )
    parser.add_argument("--version", action="version", version=f"hospital-alerts {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate to the latest schema, then serve HTTP")
    serve.add_argument(
        "--host",
        default=os.environ.get("HOSPITAL_ALERTS_HOST", "127.0.0.1"),
        help="address to listen on (default 127.0.0.1)",
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=os.environ.get("HOSPITAL_ALERTS_PORT", "8000"),
        help="port to listen on (default 8000)",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=os.environ.get("HOSPITAL_ALERTS_WORKERS", "1"),
        help="worker processes (default 1)",
    )
    serve.add_argument(
        "--server",
        choices=("uvicorn", "granian"),
        default=os.environ.get("HOSPITAL_ALERTS_SERVER", "uvicorn"),
        help="the HTTP server (default uvicorn; granian needs the [granian] extra): docs/performance.md compares them",
    )
    serve.add_argument("--demo", action="store_true", help="seed the demo data into an empty database first")

    migrate = commands.add_parser("migrate", help="show, apply or roll back schema migrations")
    migrate_commands = migrate.add_subparsers(dest="migrate_command", required=True, metavar="ACTION")
    migrate_commands.add_parser("status", help="list every migration and whether it is applied")
    migrate_commands.add_parser("up", help="apply every pending migration")
    down = migrate_commands.add_parser("down", help="roll back to a version")
    down.add_argument(
        "--to",
        required=True,
        metavar="VERSION",
        help="a migration id such as 0002.create-audit, or 0 for an empty schema",
    )

    seed = commands.add_parser("seed", help="load data into the database")
    what = seed.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--demo",
        action="store_true",
        help="two demo hospitals with departments, a user of every role and some alerts",
    )
    what.add_argument(
        "--scale",
        type=_bounded(1, 1000, "--scale"),
        metavar="N",
        help="N hospitals of realistic data, each with 10 departments, 1,000 users, 10,000 alerts and 100,000 "
        "audit rows over six years, into an empty database (100 is the large scale: about 5 minutes)",
    )

    hospital = commands.add_parser("create-hospital", help="create a hospital; prints its id on the last line")
    hospital.add_argument("--name", required=True, type=_text(1, 200, "--name"))
    hospital.add_argument("--address", type=_text(1, 500, "--address"))
    hospital.add_argument("--phone", type=_text(1, 50, "--phone"))
    hospital.add_argument("--license-number", type=_text(1, 50, "--license-number"))

    admin = commands.add_parser("create-admin", help="create an active admin whose password is final")
    admin.add_argument("--hospital-id", required=True, type=_uuid)
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True, help="12..128 characters; '-' reads it from standard input")
    admin.add_argument("--name", default="Administrator", type=_text(2, 100, "--name"))

    check = commands.add_parser("check", help="pre-deploy checks: database, migrations, every SQL statement")
    check.add_argument(
        "--allow-pending",
        action="store_true",
        help="pending migrations are expected (a deploy applies them next): list them without failing, and leave "
        "the SQL check, which needs the migrated schema, to a second check after migrating",
    )

    backup = commands.add_parser(
        "backup", help="pg_dump the database (custom format) with a manifest: SHA-256, row counts, audit chain head"
    )
    backup.add_argument(
        "--output", type=Path, metavar="PATH", help="the dump's path (default backups/hospital-alerts-<time>.dump)"
    )
    restore = commands.add_parser(
        "restore", help="restore a backup into an empty database, then verify its row counts and audit chain"
    )
    restore.add_argument("path", type=Path, metavar="PATH", help="a dump written by 'hospital-alerts backup'")
    restore.add_argument(
        "--target-url", metavar="URL", help="the empty database to restore into (default: DATABASE_URL's)"
    )

    audit = commands.add_parser("audit", help="the audit trail's tamper evidence")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    verify = audit_commands.add_parser(
        "verify", help="check the seals and every sealed row; exit 1 naming the first bad row or seal"
    )
    verify.add_argument("--hospital", type=_uuid, metavar="ID", help="only this hospital's rows (every seal still)")
    verify.add_argument(
        "--expect",
        type=_seal_reference,
        metavar="SEQ:SHA256",
        help="a seal printed earlier by 'audit seal' and kept outside the database: it must still be in the chain",
    )
    audit_commands.add_parser(
        "seal", help="print the chain's latest seal (SEQ:SHA256 on the last line) to keep outside the database"
    )
    return parser


def _seal_reference(value: str) -> tuple[int, bytes]:
    seq, _, digest = value.partition(":")
    try:
        parsed = (int(seq), bytes.fromhex(digest))
    except ValueError:
        parsed = (0, b"")
    if parsed[0] < 1 or len(parsed[1]) != 32:
        raise argparse.ArgumentTypeError(f"{value} is not SEQ:SHA256 (as 'audit seal' prints it)")
    return parsed


def _port(value: str) -> int:
    number = _positive(value)
    if number > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1..65535)")
    return number


def _whole_number(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None


def _positive(value: str) -> int:
    number = _whole_number(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return number


def _bounded(minimum: int, maximum: int, flag: str):  # type: ignore[no-untyped-def]
    def parse(value: str) -> int:
        number = _whole_number(value)
        if not minimum <= number <= maximum:
            raise argparse.ArgumentTypeError(f"{flag} must be {minimum}..{maximum}")
        return number

    return parse


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a hospital id (a UUID)") from None


def _text(minimum: int, maximum: int, flag: str):  # type: ignore[no-untyped-def]
    def parse(value: str) -> str:
        text = value.strip()
        if not minimum <= len(text) <= maximum:
            raise argparse.ArgumentTypeError(f"{flag} must be {minimum}..{maximum} characters")
        return text

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        _warn(f"hospital-alerts: invalid configuration: {exc}")
        return EXIT_USAGE
    handlers = {
        "serve": _serve,
        "migrate": _migrate,
        "seed": _seed,
        "create-hospital": _create_hospital,
        "create-admin": _create_admin,
        "check": _check,
        "backup": _backup,
        "restore": _restore,
        "audit": _audit,
    }
    try:
        return handlers[args.command](args, settings)
    except UsageError as exc:
        parser.error(str(exc))
        return EXIT_USAGE  # parser.error exits; this line keeps type checkers content
    except CommandFailed as exc:
        _warn(f"hospital-alerts: {exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130


# --- the database ------------------------------------------------------------------------------------------


def database_url(settings: Settings) -> str:
    """DATABASE_URL, or the embedded PostgreSQL under the data directory when it is unset."""
    if settings.database_url:
        return settings.database_url
    from service.db.embedded import embedded_database_url

    _say(f"DATABASE_URL is not set: using the embedded PostgreSQL under {os.path.join(settings.data_dir, 'pg')}")
    try:
        return embedded_database_url(settings.data_dir)
    except Exception as exc:  # pgserver raises several kinds; all mean the same to the user
        raise CommandFailed(f"could not start the embedded PostgreSQL: {type(exc).__name__}: {exc}") from None


async def _connect(url: str, settings: Settings) -> asyncpg.Connection:
    from service.db.pool import CONNECT_ERRORS, connect
    from service.db.urls import describe_database
    from service.errors import is_database_unavailable

    try:
        return await connect(url, settings)
    except CONNECT_ERRORS as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        failure = DatabaseUnreachable if is_database_unavailable(exc) else CommandFailed
        raise failure(f"cannot reach the database at {describe_database(url)}: {reason}") from None


@asynccontextmanager
async def _connection(settings: Settings, url: str | None = None) -> AsyncIterator[asyncpg.Connection]:
    """One connection for a command, closed when it is done."""
    conn = await _connect(url or database_url(settings), settings)
    try:
        yield conn
    finally:
        await conn.close()


async def _wait_for_database(url: str, settings: Settings) -> None:
    deadline = time.monotonic() + settings.db_startup_timeout
    said = False
    while True:
        try:
            conn = await _connect(url, settings)
        except DatabaseUnreachable:
            if time.monotonic() >= deadline:
                raise
            if not said:
                _say(f"waiting up to {settings.db_startup_timeout:.0f} s for the database ...")
                said = True
            await asyncio.sleep(1.0)
        else:
            await conn.close()
            return


# --- commands ----------------------------------------------------------------------------------------------


def _refuse_demo_in_production(settings: Settings, flag: str = "--demo") -> None:
    if settings.env == "production":
        raise UsageError(f"{flag} is refused in production: it creates accounts whose password is published")


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from service.db import migrations
    from service.logs import configure_logging

    if args.demo:
        _refuse_demo_in_production(settings)
    if args.server == "granian" and importlib.util.find_spec("granian") is None:
        raise UsageError("--server granian needs granian: pip install 'hospital-alerts[granian]'")
    url = database_url(settings)
    asyncio.run(_wait_for_database(url, settings))
    try:
        migrations.upgrade(url, progress=_say, statement_lock_timeout=settings.migration_lock_timeout)
    except migrations.MigrationError as exc:
        raise CommandFailed(str(exc)) from None
    if args.demo:
        asyncio.run(_seed_if_empty(url, settings))
    if settings.env == "production":
        asyncio.run(_refuse_demo_data(url, settings))
    # Worker processes read their settings from the environment: hand them the database this process chose.
    os.environ["DATABASE_URL"] = url
    configure_logging(settings.log_level, settings.log_format)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again; that second time, exit 0:
    # a stop that was asked for is a success for whoever asked (systemd, Kubernetes, deploy.sh).
    signal.signal(signal.SIGTERM, _exit_after_graceful_stop)
    _say(f"profile {describe_profile(settings)}")
    _say(f"serving on http://{args.host}:{args.port} with {args.workers} {args.server} worker(s); API docs at /schema")
    if args.server == "granian":
        _serve_with_granian(args, settings)
        return EXIT_OK
    uvicorn.run(
        "service.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    return EXIT_OK


def _serve_with_granian(args: argparse.Namespace, settings: Settings) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "service.app:create_app_from_env",
        factory=True,
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        # The service logs in JSON itself; granian's own lines (start, stop) at warning level and above.
        log_level="warning",  # type: ignore[arg-type]
        log_access=False,
        workers_kill_timeout=10,
    ).serve()


def _exit_after_graceful_stop(signum: int, frame: object) -> None:
    raise SystemExit(EXIT_OK)


async def _refuse_demo_data(url: str, settings: Settings) -> None:
    from service.db.catalogue import load_query
    from service.ops.demo import demo_hospital_ids

    async with _connection(settings, url) as conn:
        found = await load_query("ops/count_demo_hospitals").one(conn, demo_hospital_ids())
    if found is not None and found.count:
        raise CommandFailed(
            f"the database holds demo or seed data ({found.count} hospital(s) whose accounts' passwords are "
            "published): production refuses to serve it; use a database without them"
        )


async def _seed_if_empty(url: str, settings: Settings) -> None:
    from service.db import sql
    from service.ops.demo import DEMO_PASSWORD, seed_demo

    async with _connection(settings, url) as conn:
        count = await sql.hospital.count_hospitals.one(conn)
        if count is not None and count.count > 0:
            _say("--demo: the database already holds hospitals; not seeding")
            return
        _say("--demo: seeding the demo data ...")
        await seed_demo(conn, progress=_say)
        _say(f"--demo: every demo user's password is {DEMO_PASSWORD}")


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from service.db import migrations

    url = database_url(settings)
    try:
        if args.migrate_command == "status":
            states = migrations.status(url)
            for state in states:
                label = "applied" if state.applied else "pending"
                _say(f"{label if state.known else 'newer':8} {state.id:28} {state.description}")
            pending = sum(not s.applied for s in states)
            newer = sum(not s.known for s in states)
            summary = f"{len(states) - pending - newer} applied, {pending} pending"
            _say(summary + (f", {newer} newer than this build (a newer release's)" if newer else ""))
        elif args.migrate_command == "up":
            done = migrations.upgrade(url, progress=_say, statement_lock_timeout=settings.migration_lock_timeout)
            _say(f"applied {len(done)} migration(s)" if done else "the schema is up to date")
        else:
            if args.to != migrations.EMPTY_SCHEMA and args.to not in migrations.migration_ids():
                raise UsageError(
                    f"unknown migration '{args.to}'; known: "
                    f"{', '.join(migrations.migration_ids())} (or 0 for an empty schema)"
                )
            done = migrations.downgrade(
                url, args.to, progress=_say, statement_lock_timeout=settings.migration_lock_timeout
            )
            _say(f"rolled back {len(done)} migration(s)" if done else f"nothing to roll back above {args.to}")
    except migrations.MigrationError as exc:
        raise CommandFailed(str(exc)) from None
    return EXIT_OK


def _seed(args: argparse.Namespace, settings: Settings) -> int:
    from service.ops.demo import DEMO_PASSWORD, seed_demo

    _refuse_demo_in_production(settings, "--demo" if args.demo else "--scale")
    if args.scale is not None:
        return _seed_scale(args.scale, settings)

    async def run() -> None:
        async with _connection(settings) as conn:
            _say("seeding the demo data ...")
            started = time.monotonic()
            report = await seed_demo(conn, progress=_say)
        if report.changed:
            _say(
                f"created {report.hospitals} hospital(s), {report.departments} department(s), "
                f"{report.users} user(s), {report.alerts} alert(s) in {time.monotonic() - started:.1f} s"
            )
        else:
            _say("the demo data was already present; nothing changed")
        _say(f"every demo user's password is {DEMO_PASSWORD}")

    _run_with_schema_errors(run())
    return EXIT_OK


def _seed_scale(scale: int, settings: Settings) -> int:
    from service.ops.seed import (
        ROLES_OF_FIRST_USERS,
        SEED_PASSWORD,
        SeedError,
        plan,
        seed_email,
        seed_scale,
    )

    the_plan = plan(scale)
    url = database_url(settings)
    _say(
        f"seeding {the_plan.hospitals:,} hospital(s), {the_plan.departments:,} departments, {the_plan.users:,} users, "
        f"{the_plan.alerts:,} alerts ({the_plan.open_alerts:,} open) and {the_plan.audit_rows:,} audit rows "
        f"from {the_plan.since:%Y-%m-%d} to {the_plan.until:%Y-%m-%d}"
    )
    try:
        report = _run_with_schema_errors(seed_scale(url, settings, scale))
    except SeedError as exc:
        raise CommandFailed(str(exc)) from None
    except asyncpg.PostgresError as exc:
        raise CommandFailed(f"the seed stopped: {exc}; drop the database and start again") from None
    for name, seconds in report.steps:
        _say(f"  {name:<26} {seconds:7.1f} s")
    _say(f"seeded in {report.seconds:.1f} s ({report.seals} seals)")
    accounts = ", ".join(f"{role} {seed_email(1, u)}" for u, role in enumerate(ROLES_OF_FIRST_USERS))
    _say(f"every seeded user's password is {SEED_PASSWORD}; in hospital 1 (likewise in every other): {accounts}")
    return EXIT_OK


def _create_hospital(args: argparse.Namespace, settings: Settings) -> int:
    from service.audit.schemas import CLI_ACTOR
    from service.hospital.tenants import create_hospital

    hospital_id = uuid.uuid4()

    async def run() -> None:
        async with _connection(settings) as conn, conn.transaction():
            await create_hospital(
                conn,
                CLI_ACTOR,
                hospital_id,
                args.name,
                address=args.address,
                phone=args.phone,
                license_number=args.license_number,
            )

    _run_with_schema_errors(run())
    _say(f"created hospital {args.name!r} with the default settings")
    _say(str(hospital_id))
    return EXIT_OK


def _create_admin(args: argparse.Namespace, settings: Settings) -> int:
    from service.audit.schemas import CLI_ACTOR
    from service.auth.passwords import hash_password, password_problem
    from service.users.accounts import create_user
    from service.users.emails import normalize_email

    try:
        email = normalize_email(args.email)
    except ValueError as exc:
        raise UsageError(f"--email {exc}") from None
    password = sys.stdin.readline().rstrip("\r\n") if args.password == "-" else args.password
    if problem := password_problem(password):
        raise UsageError(f"--password {problem}")
    password_hash = hash_password(password)
    user_id = uuid.uuid4()

    async def run() -> None:
        async with _connection(settings) as conn:
            try:
                async with conn.transaction():
                    created = await create_user(
                        conn,
                        CLI_ACTOR,
                        args.hospital_id,
                        user_id=user_id,
                        email=email,
                        name=args.name,
                        role="admin",
                        password_hash=password_hash,
                    )
            except asyncpg.ForeignKeyViolationError:
                raise CommandFailed(f"there is no hospital with id {args.hospital_id}") from None
            if created is None:
                raise CommandFailed(f"the email {email} is already taken")

    _run_with_schema_errors(run())
    _say(f"created admin {email} in hospital {args.hospital_id}")
    _say(str(user_id))
    return EXIT_OK


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from service.ops.checks import run_checks

    results = asyncio.run(run_checks(database_url(settings), settings, allow_pending=args.allow_pending))
    for result in results:
        _say(f"{'ok  ' if result.ok else 'FAIL'}  {result.name}: {result.summary}")
        for detail in result.details:
            _say(f"        {detail}")
    failed = [r for r in results if not r.ok]
    _say("all checks passed" if not failed else f"{len(failed)} check(s) failed")
    return EXIT_FAILED if failed else EXIT_OK


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from service.db.urls import describe_database
    from service.ops.backup import BackupError, backup, manifest_path

    url = database_url(settings)
    _say(f"backing up {describe_database(url)} with pg_dump ...")
    started = time.monotonic()
    try:
        path = _run_with_schema_errors(backup(url, settings, args.output))
    except BackupError as exc:
        raise CommandFailed(str(exc)) from None
    _say(f"wrote {path.stat().st_size:,} bytes in {time.monotonic() - started:.1f} s; manifest {manifest_path(path)}")
    _say(str(path))
    return EXIT_OK


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    from service.db.urls import describe_database
    from service.ops.backup import BackupError, restore

    target = args.target_url or database_url(settings)
    _say(f"restoring {args.path} into {describe_database(target)} ...")
    started = time.monotonic()
    try:
        report = asyncio.run(restore(args.path, target, settings))
    except BackupError as exc:
        raise CommandFailed(str(exc)) from None
    _say(f"restored in {time.monotonic() - started:.1f} s")
    for table, rows in sorted(report.row_counts.items()):
        _say(f"  {table:<20} {rows:>12,} rows")
    for mismatch in report.mismatches:
        _say(f"MISMATCH  {mismatch}")
    _say("row counts match the backup's manifest" if not report.mismatches else "row counts DIFFER from the manifest")
    for problem in report.chain_problems:
        _say(f"TAMPERED  {problem}")
    _say(f"checked {report.checked_seals} seals and {report.checked_rows} rows")
    _say("the audit chain is intact" if not report.chain_problems else "the audit chain is NOT intact")
    return EXIT_OK if report.ok else EXIT_FAILED


def _audit(args: argparse.Namespace, settings: Settings) -> int:
    from service.audit.seals import verify_chain
    from service.db import sql

    outcome: list[int] = []

    async def verify() -> None:
        scope = f"hospital {args.hospital}" if args.hospital else "every hospital"
        _say(f"verifying the audit chain and the sealed rows of {scope} ...")
        async with _connection(settings) as conn:
            started = time.monotonic()
            verdict = await verify_chain(conn, args.hospital)
            problems = verdict.problems()
            if args.expect is not None:
                seq, digest = args.expect
                kept = await sql.audit.find_seal.one(conn, seq)
                if kept is None:
                    problems.append(f"seal {seq}, kept outside the database, is no longer in the chain")
                elif kept.seal_hash != digest:
                    problems.append(f"seal {seq} differs from the copy kept outside the database")
        elapsed = time.monotonic() - started
        _say(
            f"checked {verdict.checked_seals} seals and {verdict.checked_rows} rows in {elapsed:.1f} s; "
            f"{verdict.unsealed_rows} newer rows are not sealed yet"
        )
        for problem in problems:
            _say(f"TAMPERED  {problem}")
        _say("the audit chain is intact" if not problems else "the audit chain is NOT intact")
        outcome.append(EXIT_FAILED if problems else EXIT_OK)

    async def seal() -> None:
        async with _connection(settings) as conn:
            head = await sql.audit.latest_seal.one(conn)
        if head is None:
            raise CommandFailed("no seal yet: the serve process seals audit rows within seconds of their writing")
        _say(f"seal {head.seq} covers every audit row before {head.sealed_to.isoformat()}")
        _say("keep this line outside the database; 'audit verify --expect' checks it is still in the chain:")
        _say(f"{head.seq}:{head.seal_hash.hex()}")
        outcome.append(EXIT_OK)

    _run_with_schema_errors(verify() if args.audit_command == "verify" else seal())
    return outcome[0]


def _run_with_schema_errors(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine and return its result; a schema that is not migrated becomes a message, not a
    traceback."""
    try:
        return asyncio.run(coroutine)
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        raise CommandFailed("the database schema is not migrated: run 'hospital-alerts migrate up'") from None
