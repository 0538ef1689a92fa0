"""The Auth section of API.md over HTTP, against the real app and PostgreSQL.

Login (shape, input rules, no enumeration), lockout (threshold, doubling, resets, admin unlock, 2FA codes),
sessions (logout, idle and absolute expiry, last use, revocation), temporary passwords, TOTP two-factor
authentication (setup, replay, backup codes, challenges, disable, storage), the per-address login rate limit,
and the 401s of unauthenticated requests. Every failure is checked with its exact problem body, every change
with its audit row. A clock moved forward is simulated with the age_* probes, never by waiting; the only sleeps
keep a TOTP step or a rate-limit minute from ending in the middle of a test.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import json
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyotp
import pytest
from argon2 import PasswordHasher

from service.app import create_app
from service.audit.schemas import CLI_ACTOR
from service.config import load_settings
from service.db.pool import Database
from service.users.accounts import create_user
from service.users.schemas import Role
from tests.api.conftest import PASSWORD, MakeStaff, Staff, login
from tests.api.contract import (
    LOGIN_FAILED,
    NO_TOKEN,
    PASSWORD_CHANGE_REQUIRED,
    RFC3339,
    USER_KEYS,
    assert_problem,
)
from tests.conftest import serving
from tests.probes import AuditRow, SessionFactsRow, UserSecretsRow, probes

API = "/api/v1"
AUTH = f"{API}/auth"

# The service's messages, written out: a changed message is a changed contract.
CHALLENGE_FAILED = "the code is wrong, or the challenge is unknown, used or expired"
BAD_TOKEN = "the token is invalid, expired or revoked"
CHALLENGE_HEADER = 'Bearer realm="hospital-alerts"'
INVALID = "the request is not valid"
TWO_FACTOR_ON = "two-factor authentication is already on"
TWO_FACTOR_OFF = "two-factor authentication is not on"

SESSION_KEYS = {"token", "expiresAt", "user", "passwordChangeRequired"}
STEP_SECONDS = 30
NEW_PASSWORD = "a brand new passphrase 42"

LOCKOUT_THRESHOLD = 3
LOCKOUT_MINUTES = 10


# --- helpers ------------------------------------------------------------------------------------------------


def assert_login_failed(response: httpx.Response) -> None:
    assert_problem(response, 401, LOGIN_FAILED)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def parse_time(text: str) -> datetime:
    assert RFC3339.fullmatch(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def audit_rows(db: Database, hospital_id: uuid.UUID, action: str | None = None) -> list[AuditRow]:
    async with db.transaction() as conn:
        rows: list[AuditRow] = await probes().probe.audit_rows.many(conn, hospital_id)
    return [row for row in rows if action is None or row.action == action]


async def user_secrets(db: Database, user: Staff) -> UserSecretsRow:
    async with db.transaction() as conn:
        row: UserSecretsRow | None = await probes().probe.user_secrets.one(conn, user.hospital_id, user.id)
    assert row is not None
    return row


async def user_sessions(db: Database, user: Staff) -> list[SessionFactsRow]:
    async with db.transaction() as conn:
        return await probes().probe.user_sessions.many(conn, user.hospital_id, user.id)  # type: ignore[no-any-return]


async def session_of(db: Database, user: Staff, token: str) -> SessionFactsRow:
    [session] = [s for s in await user_sessions(db, user) if s.token_hash == digest(token)]
    return session


async def age_user(db: Database, user: Staff, by: timedelta) -> None:
    """The clock moves forward ``by`` for the user's lock, temporary password and 2FA challenges."""
    async with db.transaction() as conn:
        assert await probes().probe.age_user.rows(conn, user.hospital_id, user.id, by) == 1


async def age_sessions(db: Database, user: Staff, by: timedelta) -> None:
    """The clock moves forward ``by`` for every time of the user's sessions (login, last use, expiry)."""
    async with db.transaction() as conn:
        await probes().probe.age_sessions.rows(conn, user.hospital_id, user.id, by)


def assert_no_secret(rows: list[AuditRow], *secret_values: str) -> None:
    for row in rows:
        text = json.dumps(row.metadata)
        for value in secret_values:
            assert value not in text, (row.action, row.metadata)


async def set_settings(client: httpx.AsyncClient, admin: Staff, **settings: int) -> None:
    response = await client.patch(f"{API}/hospital", json={"settings": settings}, headers=admin.headers)
    assert response.status_code == 200, response.text
    merged = response.json()["settings"]
    for key, value in settings.items():
        assert merged[key] == value


async def use_strict_lockout(client: httpx.AsyncClient, admin: Staff) -> None:
    await set_settings(client, admin, lockoutThreshold=LOCKOUT_THRESHOLD, lockoutMinutes=LOCKOUT_MINUTES)


async def fail_logins(client: httpx.AsyncClient, user: Staff, times: int) -> None:
    for _ in range(times):
        assert_login_failed(await login(client, user.email, "not the password at all"))


async def logged_in(client: httpx.AsyncClient, user: Staff, password: str = PASSWORD) -> str:
    """A new session of ``user``: its token."""
    response = await login(client, user.email, password)
    assert response.status_code == 200, response.text
    assert set(response.json()) == SESSION_KEYS
    return str(response.json()["token"])


async def me(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.get(f"{AUTH}/me", headers=bearer(token))


async def create_user_by_admin(client: httpx.AsyncClient, admin: Staff, role: Role = "nurse") -> tuple[Staff, str]:
    """A user created with POST /users: the Staff (not logged in) and its temporary password."""
    email = f"temp.{uuid.uuid4().hex[:12]}@test.example"
    response = await client.post(
        f"{API}/users", json={"name": "Temporary Tess", "email": email, "role": role}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    staff = Staff(
        id=uuid.UUID(body["user"]["id"]), hospital_id=admin.hospital_id, email=email, role=role, department_id=None
    )
    return staff, str(body["temporaryPassword"])


# --- TOTP helpers -------------------------------------------------------------------------------------------


@dataclass
class TwoFactor:
    totp: pyotp.TOTP
    secret: str
    backup_codes: list[str]
    confirm_code: str


def totp_of_step(totp: pyotp.TOTP, step: int) -> str:
    return totp.at(step * STEP_SECONDS)


def wrong_totp(totp: pyotp.TOTP) -> str:
    """Six digits that are no code of any step near now."""
    now = time.time()
    near = {totp.at(now + STEP_SECONDS * k) for k in range(-3, 4)}
    return next(code for code in (f"{n:06d}" for n in range(100)) if code not in near)


async def away_from_step_boundary(margin: float = 6.0) -> None:
    """Return at least ``margin`` seconds before the current TOTP step ends, so that a code of the previous
    step (accepted only within one step of drift) is still valid when the server checks it."""
    into = time.time() % STEP_SECONDS
    if into > STEP_SECONDS - margin:
        await asyncio.sleep(STEP_SECONDS - into + 0.2)


async def enable_two_factor(
    client: httpx.AsyncClient, user: Staff, code_for: Callable[[pyotp.TOTP], str] = lambda t: t.now()
) -> TwoFactor:
    setup = await client.post(f"{AUTH}/2fa/setup", headers=user.headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    totp = pyotp.TOTP(secret)
    code = code_for(totp)
    confirm = await client.post(f"{AUTH}/2fa/confirm", json={"code": code}, headers=user.headers)
    assert confirm.status_code == 200, confirm.text
    return TwoFactor(totp=totp, secret=secret, backup_codes=confirm.json()["backupCodes"], confirm_code=code)


async def challenge(client: httpx.AsyncClient, user: Staff) -> str:
    response = await login(client, user.email)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {"twoFactorRequired": True, "challengeToken": body["challengeToken"]}
    return str(body["challengeToken"])


async def second_step(client: httpx.AsyncClient, challenge_token: str, code: str) -> httpx.Response:
    return await client.post(f"{AUTH}/login/2fa", json={"challengeToken": challenge_token, "code": code})


# --- login --------------------------------------------------------------------------------------------------


async def test_login_returns_a_token_its_absolute_expiry_and_the_user_without_secrets(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, make_staff: MakeStaff
) -> None:
    nurse = await make_staff("nurse", logged_in=False)
    response = await login(client, nurse.email)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == SESSION_KEYS
    assert body["passwordChangeRequired"] is False
    token = body["token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", token)  # 256 bits or more, base64url
    expires_at = parse_time(body["expiresAt"])
    assert abs(expires_at - (datetime.now(UTC) + timedelta(hours=12))) < timedelta(minutes=1)
    user = body["user"]
    assert set(user) == USER_KEYS
    assert user["id"] == str(nurse.id)
    assert user["hospitalId"] == str(hospital_id)
    assert user["email"] == nurse.email
    assert (user["role"], user["isActive"], user["isLocked"], user["twoFactorEnabled"]) == ("nurse", True, False, False)
    assert user["lockoutUntil"] is None
    parse_time(user["lastLoginAt"])

    # /me answers the same user object; the database keeps only the token's SHA-256.
    mine = await me(client, token)
    assert mine.status_code == 200
    assert mine.json() == user
    session = await session_of(db, nurse, token)
    assert session.expires_at == expires_at
    assert session.revoked_at is None

    [row] = await audit_rows(db, hospital_id, "auth.login")
    assert (row.outcome, row.user_id, row.session_id) == ("success", nurse.id, session.id)
    assert (row.resource, row.resource_id) == ("session", str(session.id))
    assert row.metadata == {"method": "password", "email": nurse.email}
    assert session.expires_at - row.timestamp == timedelta(hours=12)
    assert_no_secret(await audit_rows(db, hospital_id), PASSWORD, token)


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(str.upper, id="upper-case"),
        pytest.param(lambda email: f"  {email}\t", id="surrounded-by-whitespace"),
        pytest.param(lambda email: f" {email.title()} ", id="mixed-case-and-spaces"),
    ],
)
async def test_login_email_is_trimmed_and_case_insensitive(
    client: httpx.AsyncClient, make_staff: MakeStaff, spelling: Callable[[str], str]
) -> None:
    nurse = await make_staff("nurse", logged_in=False)
    response = await login(client, spelling(nurse.email))
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == str(nurse.id)


def _not_json(email: str) -> dict[str, Any]:
    return {"content": b'{"email": "' + email.encode() + b'", ', "headers": {"content-type": "application/json"}}


@pytest.mark.parametrize(
    ("request_of", "detail", "errors"),
    [
        pytest.param(
            lambda email: {"json": {"password": PASSWORD}},
            INVALID,
            [{"field": "email", "message": "is required"}],
            id="missing-email",
        ),
        pytest.param(
            lambda email: {"json": {"email": email}},
            INVALID,
            [{"field": "password", "message": "is required"}],
            id="missing-password",
        ),
        pytest.param(
            lambda email: {"json": {"email": email, "password": PASSWORD, "hospitalId": str(uuid.uuid4())}},
            INVALID,
            [{"field": "hospitalId", "message": "is not a known field"}],
            id="unknown-field",
        ),
        pytest.param(
            lambda email: {"json": {"email": email, "password": 123456789012}},
            INVALID,
            [{"field": "password", "message": "Expected str, got int"}],
            id="password-not-a-string",
        ),
        pytest.param(_not_json, "the body is not valid JSON", None, id="not-json"),
        pytest.param(
            lambda email: {"json": [email, PASSWORD]},
            INVALID,
            [{"field": "", "message": "Expected object, got array"}],
            id="not-an-object",
        ),
        pytest.param(lambda email: {}, INVALID, [{"field": "", "message": "a JSON body is required"}], id="no-body"),
    ],
)
async def test_a_malformed_login_body_is_400_before_any_credential_is_checked(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    make_staff: MakeStaff,
    request_of: Callable[[str], dict[str, Any]],
    detail: str,
    errors: list[dict[str, str]] | None,
) -> None:
    nurse = await make_staff("nurse", logged_in=False)
    response = await client.post(f"{AUTH}/login", **request_of(nurse.email))
    assert_problem(response, 400, detail, errors)
    # Nothing was judged: no login attempt audited, no failure counted, no session opened.
    assert await audit_rows(db, hospital_id, "auth.login") == []
    assert (await user_secrets(db, nurse)).failed_login_attempts == 0
    assert await user_sessions(db, nurse) == []


async def _wrong_password(client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff) -> tuple[str, str, Staff]:
    user = await make_staff("doctor", logged_in=False)
    return user.email, "this is not the password", user


async def _inactive(client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff) -> tuple[str, str, Staff]:
    user = await make_staff("doctor", logged_in=False)
    response = await client.post(f"{API}/users/{user.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200, response.text
    return user.email, PASSWORD, user


async def _locked(client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff) -> tuple[str, str, Staff]:
    await use_strict_lockout(client, admin)
    user = await make_staff("doctor", logged_in=False)
    await fail_logins(client, user, LOCKOUT_THRESHOLD)
    return user.email, PASSWORD, user


@pytest.mark.parametrize(
    ("make_case", "reason"),
    [
        pytest.param(_wrong_password, "wrong_password", id="wrong-password"),
        pytest.param(_inactive, "inactive", id="inactive-user-right-password"),
        pytest.param(_locked, "locked", id="locked-user-right-password"),
    ],
)
async def test_failed_logins_are_indistinguishable_and_audited_on_the_user(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    admin: Staff,
    make_staff: MakeStaff,
    make_case: Callable[[httpx.AsyncClient, Staff, MakeStaff], Awaitable[tuple[str, str, Staff]]],
    reason: str,
) -> None:
    unknown_email = f"nobody.{uuid.uuid4().hex[:12]}@test.example"
    unknown = await login(client, unknown_email, PASSWORD)
    email, password, user = await make_case(client, admin, make_staff)
    before = len(await audit_rows(db, hospital_id, "auth.login"))

    response = await login(client, email, password)

    assert_login_failed(response)
    assert_login_failed(unknown)
    assert response.content == unknown.content
    assert response.headers.get("www-authenticate") == unknown.headers.get("www-authenticate")
    rows = await audit_rows(db, hospital_id, "auth.login")
    assert len(rows) == before + 1
    row = rows[-1]
    assert (row.outcome, row.user_id, row.session_id) == ("failure", user.id, None)
    assert (row.resource, row.resource_id) == ("user", str(user.id))
    assert row.metadata == {"reason": reason, "email": email}
    assert_no_secret(await audit_rows(db, hospital_id), PASSWORD, password)

    # The unknown email is audited with no user and no hospital.
    async with db.transaction() as conn:
        [anonymous] = await probes().probe.anonymous_audit_rows.many(conn, unknown_email)
    assert (anonymous.action, anonymous.outcome, anonymous.user_id) == ("auth.login", "failure", None)
    assert (anonymous.resource, anonymous.resource_id, anonymous.session_id) == (None, None, None)
    assert anonymous.metadata == {"reason": "unknown_email", "email": unknown_email}
    assert str(anonymous.ip_address) == "127.0.0.1"


# --- lockout ------------------------------------------------------------------------------------------------


async def test_threshold_failures_lock_the_account_for_lockout_minutes(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, make_staff: MakeStaff
) -> None:
    await use_strict_lockout(client, admin)
    user = await make_staff("nurse", logged_in=False)

    await fail_logins(client, user, LOCKOUT_THRESHOLD - 1)
    counted = await user_secrets(db, user)
    assert (counted.failed_login_attempts, counted.is_locked, counted.lockout_until) == (2, False, None)
    assert await audit_rows(db, hospital_id, "auth.lockout") == []

    await fail_logins(client, user, 1)
    locked = await user_secrets(db, user)
    assert (locked.is_locked, locked.failed_login_attempts, locked.lockout_count) == (True, 0, 1)
    [row] = await audit_rows(db, hospital_id, "auth.lockout")
    assert (row.outcome, row.user_id, row.resource, row.resource_id) == ("success", user.id, "user", str(user.id))
    assert row.metadata == {
        "lockoutUntil": locked.lockout_until.isoformat() if locked.lockout_until else None,
        "lockoutCount": 1,
    }
    assert locked.lockout_until is not None
    assert locked.lockout_until - row.timestamp == timedelta(minutes=LOCKOUT_MINUTES)

    shown = await client.get(f"{API}/users/{user.id}", headers=admin.headers)
    assert shown.status_code == 200
    assert shown.json()["isLocked"] is True
    assert parse_time(shown.json()["lockoutUntil"]) == locked.lockout_until


async def test_attempts_during_a_lock_are_refused_and_audited_but_do_not_extend_it(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, make_staff: MakeStaff
) -> None:
    await use_strict_lockout(client, admin)
    user = await make_staff("nurse", logged_in=False)
    await fail_logins(client, user, LOCKOUT_THRESHOLD)
    locked = await user_secrets(db, user)

    assert_login_failed(await login(client, user.email, PASSWORD))
    await fail_logins(client, user, 2)

    after = await user_secrets(db, user)
    assert (after.lockout_until, after.lockout_count, after.failed_login_attempts) == (locked.lockout_until, 1, 0)
    assert len(await audit_rows(db, hospital_id, "auth.lockout")) == 1
    reasons = [
        row.metadata["reason"] for row in await audit_rows(db, hospital_id, "auth.login") if row.user_id == user.id
    ]
    assert reasons == ["wrong_password"] * LOCKOUT_THRESHOLD + ["locked"] * 3


async def test_each_further_lockout_doubles_until_a_completed_login_resets_it(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, make_staff: MakeStaff
) -> None:
    await use_strict_lockout(client, admin)
    user = await make_staff("nurse", logged_in=False)

    for lockout, minutes in enumerate((LOCKOUT_MINUTES, 2 * LOCKOUT_MINUTES, 4 * LOCKOUT_MINUTES), start=1):
        await fail_logins(client, user, LOCKOUT_THRESHOLD - 1)
        # After an expired lock the count starts again at zero: two failures do not lock.
        assert (await user_secrets(db, user)).failed_login_attempts == LOCKOUT_THRESHOLD - 1
        await fail_logins(client, user, 1)
        locked = await user_secrets(db, user)
        row = (await audit_rows(db, hospital_id, "auth.lockout"))[-1]
        assert locked.lockout_count == row.metadata["lockoutCount"] == lockout
        assert locked.lockout_until is not None
        assert locked.lockout_until - row.timestamp == timedelta(minutes=minutes)
        assert_login_failed(await login(client, user.email))
        await age_user(db, user, timedelta(minutes=minutes + 1))

    # The last lock has passed: the right password works, and the doubling starts over.
    assert (await login(client, user.email)).status_code == 200
    reset = await user_secrets(db, user)
    assert (reset.lockout_count, reset.failed_login_attempts, reset.is_locked, reset.lockout_until) == (
        0,
        0,
        False,
        None,
    )
    await fail_logins(client, user, LOCKOUT_THRESHOLD)
    again = await user_secrets(db, user)
    row = (await audit_rows(db, hospital_id, "auth.lockout"))[-1]
    assert again.lockout_until is not None
    assert (again.lockout_count, again.lockout_until - row.timestamp) == (1, timedelta(minutes=LOCKOUT_MINUTES))


async def test_a_completed_login_resets_the_failure_count(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    await use_strict_lockout(client, admin)
    user = await make_staff("nurse", logged_in=False)
    await fail_logins(client, user, LOCKOUT_THRESHOLD - 1)

    assert (await login(client, user.email)).status_code == 200
    assert (await user_secrets(db, user)).failed_login_attempts == 0
    await fail_logins(client, user, LOCKOUT_THRESHOLD - 1)
    assert (await user_secrets(db, user)).is_locked is False
    assert (await login(client, user.email)).status_code == 200


async def test_an_admin_unlock_clears_the_lock_and_the_counts(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, make_staff: MakeStaff
) -> None:
    await use_strict_lockout(client, admin)
    user = await make_staff("nurse", logged_in=False)
    await fail_logins(client, user, LOCKOUT_THRESHOLD)

    response = await client.post(f"{API}/users/{user.id}/unlock", headers=admin.headers)

    assert response.status_code == 200, response.text
    assert set(response.json()) == USER_KEYS
    assert (response.json()["isLocked"], response.json()["lockoutUntil"]) == (False, None)
    cleared = await user_secrets(db, user)
    assert (cleared.is_locked, cleared.lockout_until, cleared.failed_login_attempts, cleared.lockout_count) == (
        False,
        None,
        0,
        0,
    )
    admin_session = await session_of(db, admin, admin.token or "")
    [row] = await audit_rows(db, hospital_id, "user.unlock")
    assert (row.outcome, row.user_id, row.session_id) == ("success", admin.id, admin_session.id)
    assert (row.resource, row.resource_id, row.metadata) == ("user", str(user.id), {})
    assert (await login(client, user.email)).status_code == 200

    # Nothing left to clear: 200, unchanged, not audited again.
    again = await client.post(f"{API}/users/{user.id}/unlock", headers=admin.headers)
    assert again.status_code == 200
    assert len(await audit_rows(db, hospital_id, "user.unlock")) == 1


async def test_wrong_two_factor_codes_count_toward_lockout(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, make_staff: MakeStaff
) -> None:
    await use_strict_lockout(client, admin)
    user = await make_staff("doctor")
    two_factor = await enable_two_factor(client, user)
    token = await challenge(client, user)

    for _ in range(LOCKOUT_THRESHOLD):
        assert_problem(await second_step(client, token, wrong_totp(two_factor.totp)), 401, CHALLENGE_FAILED)

    locked = await user_secrets(db, user)
    assert (locked.is_locked, locked.lockout_count) == (True, 1)
    [lockout] = await audit_rows(db, hospital_id, "auth.lockout")
    assert (lockout.user_id, lockout.resource_id) == (user.id, str(user.id))
    failures = [r for r in await audit_rows(db, hospital_id, "auth.login") if r.outcome == "failure"]
    assert [r.metadata for r in failures] == [{"reason": "wrong_code"}] * LOCKOUT_THRESHOLD
    assert all(r.user_id == user.id for r in failures)
    # Locked: even the right password is refused.
    assert_login_failed(await login(client, user.email))


async def test_a_right_password_alone_does_not_reset_the_count(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, make_staff: MakeStaff
) -> None:
    await use_strict_lockout(client, admin)
    user = await make_staff("doctor")
    await enable_two_factor(client, user)
    await fail_logins(client, user, LOCKOUT_THRESHOLD - 1)

    await challenge(client, user)  # the right password: a challenge, not a completed login
    assert (await user_secrets(db, user)).failed_login_attempts == LOCKOUT_THRESHOLD - 1
    [issued] = await audit_rows(db, hospital_id, "auth.2fa_challenge")
    assert (issued.user_id, issued.resource, issued.resource_id) == (user.id, "user", str(user.id))
    assert issued.metadata == {"email": user.email}

    await fail_logins(client, user, 1)
    assert (await user_secrets(db, user)).is_locked is True
    assert len(await audit_rows(db, hospital_id, "auth.lockout")) == 1


async def test_a_lock_does_not_end_existing_sessions(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    await use_strict_lockout(client, admin)
    user = await make_staff("nurse")
    await fail_logins(client, user, LOCKOUT_THRESHOLD)
    assert (await user_secrets(db, user)).is_locked is True

    assert (await me(client, user.token or "")).status_code == 200
    assert [s.revoked_at for s in await user_sessions(db, user)] == [None]


# --- sessions -----------------------------------------------------------------------------------------------


async def test_logout_revokes_the_token(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, make_staff: MakeStaff
) -> None:
    user = await make_staff("operator")
    token = user.token or ""
    assert (await me(client, token)).status_code == 200
    session = await session_of(db, user, token)

    response = await client.post(f"{AUTH}/logout", headers=user.headers)

    assert response.status_code == 204
    assert response.content == b""
    for after in (await me(client, token), await client.post(f"{AUTH}/logout", headers=user.headers)):
        assert_problem(after, 401, BAD_TOKEN)
        assert after.headers["www-authenticate"] == CHALLENGE_HEADER
    revoked = await session_of(db, user, token)
    assert revoked.revoked_at is not None
    assert revoked.revoked_reason == "logout"
    [row] = await audit_rows(db, hospital_id, "auth.logout")
    assert (row.outcome, row.user_id, row.session_id) == ("success", user.id, session.id)
    assert (row.resource, row.resource_id, row.metadata) == ("session", str(session.id), {})


async def test_a_session_idle_longer_than_session_idle_minutes_ends(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    await set_settings(client, admin, sessionIdleMinutes=5)
    idle = await make_staff("nurse")
    busy = await make_staff("nurse")

    await age_sessions(db, idle, timedelta(minutes=6))
    await age_sessions(db, busy, timedelta(minutes=4))

    assert_problem(await me(client, idle.token or ""), 401, BAD_TOKEN)
    assert (await me(client, busy.token or "")).status_code == 200


async def test_a_session_ends_12_hours_after_login_however_recently_used(
    client: httpx.AsyncClient, db: Database, make_staff: MakeStaff
) -> None:
    user = await make_staff("nurse")

    async def older_login(by: timedelta) -> None:
        async with db.transaction() as conn:
            assert await probes().probe.auth_age_session_start.rows(conn, user.hospital_id, user.id, by) == 1

    await older_login(timedelta(hours=11, minutes=59))
    assert (await me(client, user.token or "")).status_code == 200
    await older_login(timedelta(minutes=2))
    assert_problem(await me(client, user.token or ""), 401, BAD_TOKEN)


async def test_last_use_is_written_at_most_once_a_minute(
    client: httpx.AsyncClient, db: Database, make_staff: MakeStaff
) -> None:
    user = await make_staff("nurse")
    token = user.token or ""
    first = (await session_of(db, user, token)).last_seen_at

    assert (await me(client, token)).status_code == 200
    assert (await me(client, token)).status_code == 200
    assert (await session_of(db, user, token)).last_seen_at == first

    await age_sessions(db, user, timedelta(minutes=2))
    assert (await me(client, token)).status_code == 200
    assert (await session_of(db, user, token)).last_seen_at >= first


async def test_a_password_change_revokes_the_other_sessions(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, make_staff: MakeStaff
) -> None:
    user = await make_staff("doctor")
    current = user.token or ""
    other = await logged_in(client, user)

    response = await client.post(
        f"{AUTH}/password", json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}, headers=user.headers
    )

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_problem(await me(client, other), 401, BAD_TOKEN)
    assert (await me(client, current)).status_code == 200
    kept, revoked = await session_of(db, user, current), await session_of(db, user, other)
    assert (kept.revoked_at, kept.revoked_reason) == (None, None)
    assert revoked.revoked_at is not None
    assert revoked.revoked_reason == "password_change"
    assert (await login(client, user.email, NEW_PASSWORD)).status_code == 200
    assert_login_failed(await login(client, user.email, PASSWORD))

    [row] = await audit_rows(db, hospital_id, "auth.password_change")
    assert (row.outcome, row.user_id, row.session_id) == ("success", user.id, kept.id)
    assert (row.resource, row.resource_id) == ("user", str(user.id))
    assert row.metadata == {"sessionsRevoked": 1, "wasTemporary": False}
    assert_no_secret(await audit_rows(db, hospital_id), PASSWORD, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("method", "path", "body", "action", "reason", "metadata"),
    [
        pytest.param(
            "POST", "deactivate", None, "user.deactivate", "deactivation", {"sessionsRevoked": 2}, id="deactivation"
        ),
        pytest.param(
            "PUT",
            "role",
            {"role": "doctor"},
            "user.role_change",
            "role_change",
            {"from": "nurse", "to": "doctor", "sessionsRevoked": 2},
            id="role-change",
        ),
    ],
)
async def test_every_session_is_revoked_on(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    admin: Staff,
    make_staff: MakeStaff,
    method: str,
    path: str,
    body: dict[str, str] | None,
    action: str,
    reason: str,
    metadata: dict[str, Any],
) -> None:
    user = await make_staff("nurse")
    tokens = [user.token or "", await logged_in(client, user)]

    response = await client.request(method, f"{API}/users/{user.id}/{path}", json=body, headers=admin.headers)

    assert response.status_code == 200, response.text
    for token in tokens:
        assert_problem(await me(client, token), 401, BAD_TOKEN)
    sessions = await user_sessions(db, user)
    assert [s.revoked_reason for s in sessions] == [reason, reason]
    assert all(s.revoked_at is not None for s in sessions)
    [row] = await audit_rows(db, hospital_id, action)
    assert (row.user_id, row.resource, row.resource_id) == (admin.id, "user", str(user.id))
    assert row.metadata == metadata


# --- passwords ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "detail", "message"),
    [
        (0, "the new password is not valid", "must be at least 12 characters"),
        (11, "the new password is not valid", "must be at least 12 characters"),
        (129, "the new password is not valid", "must be at most 128 characters"),
        pytest.param(
            1025,
            "the new password is not valid",
            "must be at most 128 characters",
            id="1025",
        ),
    ],
)
async def test_a_new_password_outside_12_to_128_characters_is_400(
    client: httpx.AsyncClient,
    db: Database,
    hospital_id: uuid.UUID,
    make_staff: MakeStaff,
    length: int,
    detail: str,
    message: str,
) -> None:
    user = await make_staff("nurse")
    response = await client.post(
        f"{AUTH}/password", json={"currentPassword": PASSWORD, "newPassword": "p" * length}, headers=user.headers
    )
    assert_problem(response, 400, detail, [{"field": "newPassword", "message": message}])
    assert (await user_secrets(db, user)).failed_login_attempts == 0
    assert await audit_rows(db, hospital_id, "auth.password_change") == []
    assert (await login(client, user.email, PASSWORD)).status_code == 200


@pytest.mark.parametrize(
    "new_password",
    [
        pytest.param("x" * 12, id="12-characters"),
        pytest.param("y" * 128, id="128-characters"),
        pytest.param("  spaced out passphrase  ", id="leading-and-trailing-spaces"),
        pytest.param("\tsécurité 🔒 ünïcode\n", id="unicode-and-control-whitespace"),
    ],
)
async def test_a_new_password_is_stored_exactly_as_given(
    client: httpx.AsyncClient, make_staff: MakeStaff, new_password: str
) -> None:
    user = await make_staff("nurse")
    response = await client.post(
        f"{AUTH}/password", json={"currentPassword": PASSWORD, "newPassword": new_password}, headers=user.headers
    )
    assert response.status_code == 204, response.text

    assert (await login(client, user.email, new_password)).status_code == 200
    if new_password != new_password.strip():
        assert_login_failed(await login(client, user.email, new_password.strip()))


async def test_the_new_password_must_differ_from_the_current_one(
    client: httpx.AsyncClient, make_staff: MakeStaff
) -> None:
    user = await make_staff("nurse")
    response = await client.post(
        f"{AUTH}/password", json={"currentPassword": PASSWORD, "newPassword": PASSWORD}, headers=user.headers
    )
    assert_problem(
        response,
        400,
        "the new password is not valid",
        [{"field": "newPassword", "message": "must differ from the current password"}],
    )


async def test_a_wrong_current_password_is_400_and_counts_toward_lockout(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, make_staff: MakeStaff
) -> None:
    await use_strict_lockout(client, admin)
    user = await make_staff("nurse")

    for _ in range(LOCKOUT_THRESHOLD):
        response = await client.post(
            f"{AUTH}/password",
            json={"currentPassword": "not my password at all", "newPassword": NEW_PASSWORD},
            headers=user.headers,
        )
        assert_problem(
            response,
            400,
            "the current password is not correct",
            [{"field": "currentPassword", "message": "is not correct"}],
        )

    locked = await user_secrets(db, user)
    assert (locked.is_locked, locked.lockout_count) == (True, 1)
    assert_login_failed(await login(client, user.email, PASSWORD))
    rows = await audit_rows(db, hospital_id, "auth.password_change")
    assert [(r.outcome, r.metadata) for r in rows] == [("failure", {"reason": "wrong_password"})] * LOCKOUT_THRESHOLD
    assert all((r.user_id, r.resource_id) == (user.id, str(user.id)) for r in rows)
    assert len(await audit_rows(db, hospital_id, "auth.lockout")) == 1
    assert_no_secret(await audit_rows(db, hospital_id), "not my password at all", NEW_PASSWORD)


# --- temporary passwords ------------------------------------------------------------------------------------


async def test_a_temporary_password_must_be_changed_before_anything_else(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff
) -> None:
    user, temporary = await create_user_by_admin(client, admin)
    response = await login(client, user.email, temporary)
    assert response.status_code == 200, response.text
    assert response.json()["passwordChangeRequired"] is True
    user.token = response.json()["token"]

    refused = [
        ("GET", f"{API}/hospital", None),
        ("GET", f"{API}/users", None),
        ("POST", f"{AUTH}/2fa/setup", None),
        ("POST", f"{AUTH}/2fa/confirm", {"unknown": "body"}),  # 403 comes before 400
    ]
    for method, path, body in refused:
        assert_problem(
            await client.request(method, path, json=body, headers=user.headers), 403, PASSWORD_CHANGE_REQUIRED
        )
    denied = await audit_rows(db, hospital_id, "access.denied")
    assert [(r.user_id, r.outcome, r.metadata) for r in denied] == [
        (user.id, "failure", {"reason": "password_change_required", "method": method, "path": path})
        for method, path, _ in refused
    ]

    # /me and /logout stay open (logout on a second session).
    assert (await me(client, user.token or "")).status_code == 200
    spare = await logged_in(client, user, temporary)
    assert (await client.post(f"{AUTH}/logout", headers=bearer(spare))).status_code == 204

    changed = await client.post(
        f"{AUTH}/password", json={"currentPassword": temporary, "newPassword": NEW_PASSWORD}, headers=user.headers
    )
    assert changed.status_code == 204, changed.text
    assert (await client.get(f"{API}/hospital", headers=user.headers)).status_code == 200
    [row] = await audit_rows(db, hospital_id, "auth.password_change")
    assert row.metadata == {"sessionsRevoked": 0, "wasTemporary": True}
    again = await login(client, user.email, NEW_PASSWORD)
    assert again.json()["passwordChangeRequired"] is False
    assert_login_failed(await login(client, user.email, temporary))
    assert_no_secret(await audit_rows(db, hospital_id), temporary, NEW_PASSWORD)


@pytest.mark.parametrize(("hours", "accepted"), [(71, True), (73, False)])
async def test_a_temporary_password_expires_after_72_hours(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, admin: Staff, hours: int, accepted: bool
) -> None:
    user, temporary = await create_user_by_admin(client, admin)
    await age_user(db, user, timedelta(hours=hours))

    response = await login(client, user.email, temporary)

    if accepted:
        assert response.status_code == 200, response.text
        assert response.json()["passwordChangeRequired"] is True
    else:
        assert_login_failed(response)
        row = (await audit_rows(db, hospital_id, "auth.login"))[-1]
        assert (row.outcome, row.user_id) == ("failure", user.id)
        assert row.metadata == {"reason": "temporary_password_expired", "email": user.email}


# --- two-factor authentication ------------------------------------------------------------------------------


def backup_code_ok(code: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9-]+", code) is not None and len(code.replace("-", "")) >= 10


async def test_two_factor_setup_stays_pending_until_a_valid_code_confirms_it(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, make_staff: MakeStaff
) -> None:
    user = await make_staff("doctor")
    setup = await client.post(f"{AUTH}/2fa/setup", headers=user.headers)
    assert setup.status_code == 200, setup.text
    assert set(setup.json()) == {"secret", "otpauthUri"}
    secret, uri = setup.json()["secret"], setup.json()["otpauthUri"]
    assert uri.startswith("otpauth://totp/")
    assert f"secret={secret}" in uri
    assert "issuer=hospital-alerts" in uri
    totp = pyotp.TOTP(secret)

    # The secret is stored encrypted: neither its base32 text nor its raw bytes are in the column.
    stored = (await user_secrets(db, user)).two_factor_secret
    assert stored is not None
    assert secret.encode() not in stored
    assert base64.b32decode(secret) not in stored

    # Pending: the login is still one step.
    pending = await login(client, user.email)
    assert pending.status_code == 200
    assert set(pending.json()) == SESSION_KEYS
    assert pending.json()["user"]["twoFactorEnabled"] is False

    wrong = await client.post(f"{AUTH}/2fa/confirm", json={"code": wrong_totp(totp)}, headers=user.headers)
    assert_problem(
        wrong,
        400,
        "the code is not valid",
        [{"field": "code", "message": "is not a valid code for the pending secret"}],
    )

    confirm = await client.post(f"{AUTH}/2fa/confirm", json={"code": totp.now()}, headers=user.headers)
    assert confirm.status_code == 200, confirm.text
    assert set(confirm.json()) == {"backupCodes"}
    codes = confirm.json()["backupCodes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(backup_code_ok(code) for code in codes), codes
    assert (await me(client, user.token or "")).json()["twoFactorEnabled"] is True

    # Backup codes are stored hashed: no code, in any spelling, is in the stored list.
    stored_codes = (await user_secrets(db, user)).two_factor_backup_codes
    assert len(stored_codes) == 10
    spellings = {form for code in codes for form in (code, code.replace("-", ""), code.lower())}
    assert not any(form in entry for entry in stored_codes for form in spellings)

    for again in (
        await client.post(f"{AUTH}/2fa/setup", headers=user.headers),
        await client.post(f"{AUTH}/2fa/confirm", json={"code": totp.now()}, headers=user.headers),
    ):
        assert_problem(again, 409, TWO_FACTOR_ON)

    [setup_row] = await audit_rows(db, hospital_id, "auth.2fa_setup")
    assert (setup_row.user_id, setup_row.resource, setup_row.resource_id) == (user.id, "user", str(user.id))
    enables = await audit_rows(db, hospital_id, "auth.2fa_enable")
    assert [(r.outcome, r.metadata) for r in enables] == [("failure", {"reason": "wrong_code"}), ("success", {})]
    assert all((r.user_id, r.resource_id) == (user.id, str(user.id)) for r in enables)
    assert_no_secret(await audit_rows(db, hospital_id), secret, *codes)


async def test_confirm_without_a_pending_setup_is_409(client: httpx.AsyncClient, make_staff: MakeStaff) -> None:
    user = await make_staff("doctor")
    response = await client.post(f"{AUTH}/2fa/confirm", json={"code": "123456"}, headers=user.headers)
    assert_problem(response, 409, "no two-factor setup is pending: POST /api/v1/auth/2fa/setup first")


async def test_a_two_factor_login_takes_a_second_step(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, make_staff: MakeStaff
) -> None:
    user = await make_staff("doctor")
    two_factor = await enable_two_factor(client, user)
    sessions_before = len(await user_sessions(db, user))

    token = await challenge(client, user)

    assert len(await user_sessions(db, user)) == sessions_before  # no session yet
    response = await second_step(client, token, two_factor.backup_codes[0])
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == SESSION_KEYS
    assert set(body["user"]) == USER_KEYS
    assert body["user"]["twoFactorEnabled"] is True
    session = await session_of(db, user, body["token"])
    assert parse_time(body["expiresAt"]) == session.expires_at
    row = (await audit_rows(db, hospital_id, "auth.login"))[-1]
    assert (row.outcome, row.session_id, row.resource_id) == ("success", session.id, str(session.id))
    assert row.metadata == {"method": "backup_code", "email": user.email}
    assert_no_secret(await audit_rows(db, hospital_id), two_factor.secret, *two_factor.backup_codes, token)


async def test_each_totp_step_is_accepted_once_and_never_an_earlier_one(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, make_staff: MakeStaff
) -> None:
    user = await make_staff("doctor")
    await away_from_step_boundary()
    step = int(time.time() // STEP_SECONDS)
    # Confirmed with the previous step's code (one step of drift): the current step stays unused for now.
    two_factor = await enable_two_factor(client, user, lambda totp: totp_of_step(totp, step - 1))
    assert (await user_secrets(db, user)).two_factor_last_used_step == step - 1
    totp = two_factor.totp

    first = await challenge(client, user)
    # The confirming code's step counts as used.
    assert_problem(await second_step(client, first, two_factor.confirm_code), 401, CHALLENGE_FAILED)
    # The next step's code (one step of drift ahead) is unused: accepted, on the same challenge.
    later = totp_of_step(totp, step + 1)
    accepted = await second_step(client, first, later)
    assert accepted.status_code == 200, accepted.text
    assert (await user_secrets(db, user)).two_factor_last_used_step == step + 1

    second = await challenge(client, user)
    # The current step was never used, but a later one was: refused. The used one: refused.
    assert_problem(await second_step(client, second, totp_of_step(totp, step)), 401, CHALLENGE_FAILED)
    assert_problem(await second_step(client, second, later), 401, CHALLENGE_FAILED)

    outcomes = [(r.outcome, r.metadata) for r in await audit_rows(db, hospital_id, "auth.login")][-4:]
    assert outcomes == [
        ("failure", {"reason": "wrong_code"}),
        ("success", {"method": "totp", "email": user.email}),
        ("failure", {"reason": "wrong_code"}),
        ("failure", {"reason": "wrong_code"}),
    ]


async def test_a_backup_code_works_once_ignoring_case_and_hyphens(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, make_staff: MakeStaff
) -> None:
    user = await make_staff("doctor")
    codes = (await enable_two_factor(client, user)).backup_codes
    spellings = [
        codes[0].lower(),
        codes[1].replace("-", ""),
        codes[2].replace("-", "").lower(),
        codes[3].replace("-", " "),  # docs/api.md: spaces are ignored too
    ]

    for spelling in spellings:
        response = await second_step(client, await challenge(client, user), spelling)
        assert response.status_code == 200, (spelling, response.text)
    assert len((await user_secrets(db, user)).two_factor_backup_codes) == 10 - len(spellings)
    successes = [r.metadata for r in await audit_rows(db, hospital_id, "auth.login") if r.user_id == user.id]
    assert successes[-len(spellings) :] == [{"method": "backup_code", "email": user.email}] * len(spellings)

    for used in codes[: len(spellings)]:
        assert_problem(await second_step(client, await challenge(client, user), used), 401, CHALLENGE_FAILED)


async def test_a_challenge_is_single_use(client: httpx.AsyncClient, make_staff: MakeStaff) -> None:
    user = await make_staff("doctor")
    codes = (await enable_two_factor(client, user)).backup_codes
    token = await challenge(client, user)

    assert (await second_step(client, token, codes[0])).status_code == 200
    assert_problem(await second_step(client, token, codes[1]), 401, CHALLENGE_FAILED)
    # The refused attempt did not spend the code.
    assert (await second_step(client, await challenge(client, user), codes[1])).status_code == 200


async def test_a_challenge_dies_after_five_wrong_codes(
    client: httpx.AsyncClient, db: Database, admin: Staff, make_staff: MakeStaff
) -> None:
    await set_settings(client, admin, lockoutThreshold=10)  # the account must not lock first
    user = await make_staff("doctor")
    two_factor = await enable_two_factor(client, user)
    token = await challenge(client, user)

    for wrong in (wrong_totp(two_factor.totp), "ABCD-EFGH-JKMN", "000", "nope-nope-nope", wrong_totp(two_factor.totp)):
        assert_problem(await second_step(client, token, wrong), 401, CHALLENGE_FAILED)
    assert_problem(await second_step(client, token, two_factor.backup_codes[0]), 401, CHALLENGE_FAILED)

    secrets_now = await user_secrets(db, user)
    assert (secrets_now.is_locked, secrets_now.failed_login_attempts) == (False, 5)
    # The right code was not spent, and a fresh challenge takes it.
    assert (await second_step(client, await challenge(client, user), two_factor.backup_codes[0])).status_code == 200


@pytest.mark.parametrize(("age", "accepted"), [(timedelta(minutes=4, seconds=50), True), (timedelta(minutes=5), False)])
async def test_a_challenge_is_valid_five_minutes(
    client: httpx.AsyncClient, db: Database, make_staff: MakeStaff, age: timedelta, accepted: bool
) -> None:
    user = await make_staff("doctor")
    codes = (await enable_two_factor(client, user)).backup_codes
    token = await challenge(client, user)
    await age_user(db, user, age)

    response = await second_step(client, token, codes[0])

    if accepted:
        assert response.status_code == 200, response.text
    else:
        assert_problem(response, 401, CHALLENGE_FAILED)
        assert (await second_step(client, await challenge(client, user), codes[0])).status_code == 200


async def test_disabling_two_factor_needs_the_password_and_a_code_and_revokes_other_sessions(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID, make_staff: MakeStaff
) -> None:
    user = await make_staff("doctor")
    two_factor = await enable_two_factor(client, user)
    codes = two_factor.backup_codes
    other = (await second_step(client, await challenge(client, user), codes[0])).json()["token"]

    async def disable(password: str, code: str) -> httpx.Response:
        return await client.post(f"{AUTH}/2fa/disable", json={"password": password, "code": code}, headers=user.headers)

    assert_problem(
        await disable("not the password at all", codes[1]),
        400,
        "the password is not correct",
        [{"field": "password", "message": "is not correct"}],
    )
    assert_problem(
        await disable(PASSWORD, "WRNG-CODE-0000"),
        400,
        "the code is not correct",
        [{"field": "code", "message": "is not a valid code"}],
    )
    assert (await user_secrets(db, user)).failed_login_attempts == 2  # both count toward lockout

    response = await disable(PASSWORD, codes[1])

    assert response.status_code == 204, response.text
    assert_problem(await me(client, other), 401, BAD_TOKEN)
    assert (await me(client, user.token or "")).json()["twoFactorEnabled"] is False
    assert (await session_of(db, user, other)).revoked_reason == "2fa_disable"
    assert (await session_of(db, user, user.token or "")).revoked_at is None
    stored = await user_secrets(db, user)
    assert (stored.two_factor_secret, stored.two_factor_backup_codes) == (None, [])
    assert set((await login(client, user.email)).json()) == SESSION_KEYS  # one step again
    assert_problem(await disable(PASSWORD, codes[2]), 409, TWO_FACTOR_OFF)

    rows = await audit_rows(db, hospital_id, "auth.2fa_disable")
    assert [(r.outcome, r.metadata) for r in rows] == [
        ("failure", {"reason": "wrong_password"}),
        ("failure", {"reason": "wrong_code"}),
        ("success", {"sessionsRevoked": 1}),
    ]
    assert all((r.user_id, r.resource, r.resource_id) == (user.id, "user", str(user.id)) for r in rows)
    assert_no_secret(await audit_rows(db, hospital_id), PASSWORD, "not the password at all", two_factor.secret, *codes)


# --- the per-address login rate limit -----------------------------------------------------------------------


def fresh_address() -> str:
    """An address of the benchmarking range (198.18.0.0/15) that no other test uses, new for each call."""
    return str(ipaddress.ip_address("198.18.0.0") + secrets.randbelow(2**17 - 2) + 1)


async def test_login_attempts_are_limited_per_client_address(
    database_url: str, db: Database, hospital_id: uuid.UUID, make_staff: MakeStaff
) -> None:
    user = await make_staff("nurse", logged_in=False)
    settings = load_settings(
        {}, database_url=database_url, login_rate_per_minute=3, db_pool_min_size=1, db_pool_max_size=2
    )
    flooding, two_factor_only, bystander = fresh_address(), fresh_address(), fresh_address()
    unknown_email = f"nobody.{uuid.uuid4().hex[:12]}@test.example"

    async with serving(create_app(settings)) as limited:
        # The limit counts per minute: start well inside one, so that the attempts below share a window.
        into_minute = time.time() % 60
        if into_minute > 52:
            await asyncio.sleep(60 - into_minute + 0.2)

        def from_(address: str) -> dict[str, str]:
            return {"X-Forwarded-For": address}

        for _ in range(3):
            response = await limited.post(
                f"{AUTH}/login", json={"email": unknown_email, "password": PASSWORD}, headers=from_(flooding)
            )
            assert_login_failed(response)
        refused = [
            await limited.post(
                f"{AUTH}/login", json={"email": user.email, "password": PASSWORD}, headers=from_(flooding)
            ),
            await limited.post(
                f"{AUTH}/login/2fa", json={"challengeToken": "x" * 43, "code": "123456"}, headers=from_(flooding)
            ),
        ]
        for response in refused:
            retry_after = response.headers["retry-after"]
            assert 1 <= int(retry_after) <= 60
            assert_problem(response, 429, f"too many login attempts from this address; try again in {retry_after} s")

        # /login/2fa attempts count against the same limit.
        for _ in range(3):
            response = await limited.post(
                f"{AUTH}/login/2fa", json={"challengeToken": "y" * 43, "code": "123456"}, headers=from_(two_factor_only)
            )
            assert_problem(response, 401, CHALLENGE_FAILED)
        blocked = await limited.post(
            f"{AUTH}/login", json={"email": user.email, "password": PASSWORD}, headers=from_(two_factor_only)
        )
        assert blocked.status_code == 429

        # Another address is still served, and the address is the forwarded one (uvicorn trusts 127.0.0.1).
        served = await limited.post(
            f"{AUTH}/login", json={"email": user.email, "password": PASSWORD}, headers=from_(bystander)
        )
        assert served.status_code == 200, served.text

    [success] = await audit_rows(db, hospital_id, "auth.login")
    assert (success.outcome, str(success.ip_address)) == ("success", bystander)
    assert await audit_rows(db, hospital_id, "auth.lockout") == []  # refusals judged no credential
    async with db.transaction() as conn:
        rows = await probes().probe.auth_anonymous_rows_from.many(conn, ipaddress.ip_address(flooding))
    # Three unknown emails, then the first refusal only (a flood cannot fill the audit log).
    assert [(r.action, r.outcome, r.user_id, r.metadata) for r in rows] == [
        ("auth.login", "failure", None, {"reason": "unknown_email", "email": unknown_email})
    ] * 3 + [("auth.login", "failure", None, {"reason": "rate_limited", "limitPerMinute": 3})]
    async with db.transaction() as conn:
        rows = await probes().probe.auth_anonymous_rows_from.many(conn, ipaddress.ip_address(two_factor_only))
    assert [(r.action, r.user_id, r.metadata) for r in rows] == [
        ("auth.login", None, {"reason": "invalid_challenge"})
    ] * 3 + [("auth.login", None, {"reason": "rate_limited", "limitPerMinute": 3})]


# --- unauthenticated requests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        pytest.param(None, NO_TOKEN, id="no-header"),
        pytest.param("", NO_TOKEN, id="empty-header"),
        pytest.param("Basic dXNlcjpwYXNzd29yZA==", BAD_TOKEN, id="basic-scheme"),
        pytest.param("Bearer", BAD_TOKEN, id="no-token"),
        pytest.param("Bearer short", BAD_TOKEN, id="too-short"),
        pytest.param("Bearer " + "a" * 40 + "!?", BAD_TOKEN, id="not-base64url"),
        pytest.param("Bearer " + secrets.token_urlsafe(32), BAD_TOKEN, id="unknown-token"),
    ],
)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"{AUTH}/me", None),
        ("POST", f"{AUTH}/logout", None),
        # 401 comes before 400: the body is not even read.
        ("POST", f"{AUTH}/password", {"currentPassword": 1}),
        ("POST", f"{AUTH}/2fa/setup", None),
    ],
)
async def test_a_request_without_a_valid_token_is_401(
    client: httpx.AsyncClient, authorization: str | None, detail: str, method: str, path: str, body: Any
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.request(method, path, json=body, headers=headers)
    assert_problem(response, 401, detail)
    assert response.headers["www-authenticate"] == CHALLENGE_HEADER


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
async def test_the_authorization_scheme_is_case_insensitive(
    client: httpx.AsyncClient, make_staff: MakeStaff, scheme: str
) -> None:
    # RFC 9110 section 11.1: the scheme is case-insensitive; the token itself is compared exactly.
    nurse = await make_staff("nurse")
    assert nurse.token is not None
    response = await client.get(f"{AUTH}/me", headers={"Authorization": f"{scheme} {nurse.token}"})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(nurse.id)
    swapped = nurse.token.swapcase()
    if swapped != nurse.token:
        refused = await client.get(f"{AUTH}/me", headers={"Authorization": f"{scheme} {swapped}"})
        assert_problem(refused, 401, BAD_TOKEN)


@pytest.mark.parametrize("change", ["password change", "deactivation and activation", "role change"])
async def test_a_pending_two_factor_login_ends_with_the_user_s_sessions(
    client: httpx.AsyncClient, admin: Staff, make_staff: MakeStaff, change: str
) -> None:
    # A challenge issued for the old password (or before an admin's action) must not open a session after it.
    nurse = await make_staff("nurse")
    two_factor = await enable_two_factor(client, nurse)
    token = await challenge(client, nurse)
    if change == "password change":
        response = await client.post(
            f"{AUTH}/password", json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}, headers=nurse.headers
        )
        assert response.status_code == 204, response.text
    elif change == "role change":
        response = await client.put(f"{API}/users/{nurse.id}/role", json={"role": "doctor"}, headers=admin.headers)
        assert response.status_code == 200, response.text
    else:
        for action in ("deactivate", "activate"):
            response = await client.post(f"{API}/users/{nurse.id}/{action}", headers=admin.headers)
            assert response.status_code == 200, response.text
    assert_problem(await second_step(client, token, two_factor.backup_codes[0]), 401, CHALLENGE_FAILED)
    # The backup code was not spent by the refused attempt: a fresh challenge takes it.
    password = NEW_PASSWORD if change == "password change" else PASSWORD
    fresh = (await login(client, nurse.email, password)).json()["challengeToken"]
    completed = await second_step(client, fresh, two_factor.backup_codes[0])
    assert completed.status_code == 200, completed.text


async def test_a_login_rehashes_a_password_stored_with_weaker_parameters(
    client: httpx.AsyncClient, db: Database, hospital_id: uuid.UUID
) -> None:
    # A hash from before the parameters were raised (8 MiB, t=1) is replaced by one with today's at the next
    # completed login, when the password is at hand; the old and the new both verify the same password.
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    user_id = uuid.uuid4()
    email = f"old.hash.{user_id.hex[:8]}@test.example"
    async with db.transaction() as conn:
        await create_user(
            conn, CLI_ACTOR, hospital_id, user_id=user_id, email=email, name="Old Hash", role="nurse",
            password_hash=weak,
        )  # fmt: skip
    assert (await login(client, email)).status_code == 200
    async with db.transaction() as conn:
        stored = await probes().probe.user_secrets.one(conn, hospital_id, user_id)
    assert stored is not None and stored.password_hash != weak
    assert stored.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert (await login(client, email)).status_code == 200
