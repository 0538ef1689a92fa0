"""Logging in: the password step, the two-factor step, lockout and the per-address rate limit.

Every attempt is audited (``auth.login``, success or failure with the reason in its metadata), every lockout
too (``auth.lockout``). Failures are answered only after their audit rows and failure counts have committed,
and every failure gets the same 401 body, whatever the reason, so that neither the status nor the body tells
whether an email exists. The password is always verified, even for an unknown email (against a dummy hash)
or a locked or inactive account, so that the response time does not tell either.
"""

from __future__ import annotations

import uuid

import asyncpg
import msgspec

from service.audit.schemas import Actor
from service.audit.writer import record
from service.auth.passwords import hash_password_async, needs_rehash, verify_password_async
from service.auth.schemas import LoginResponse, TwoFactorChallengeResponse
from service.auth.secrets import SecretBox
from service.auth.tokens import new_token, token_digest
from service.auth.totp import looks_like_totp, matching_step, normalize_backup_code
from service.db import sql
from service.db.pool import Database
from service.errors import TooManyRequests, Unauthorized

LOGIN_FAILED = "the login failed: wrong email or password, or the account may not sign in now"
CHALLENGE_FAILED = "the code is wrong, or the challenge is unknown, used or expired"


async def enforce_login_rate(db: Database, actor: Actor, limit_per_minute: int) -> None:
    """Count this login attempt against the client address; 429 with Retry-After beyond ``limit_per_minute``.

    The first refused attempt of each minute is audited; the rest are not (an attacker must not be able to fill
    the audit log through the limit that stops them).
    """
    if actor.ip_address is None:
        return
    async with db.transaction() as conn:
        count = await sql.auth.count_login_attempt.one(conn, actor.ip_address)
        assert count is not None  # an upsert always returns its row
        if count.attempts == limit_per_minute + 1:
            await record(
                conn,
                actor,
                "auth.login",
                outcome="failure",
                metadata={"reason": "rate_limited", "limitPerMinute": limit_per_minute},
            )
    if count.attempts > limit_per_minute:
        raise TooManyRequests(
            f"too many login attempts from this address; try again in {count.retry_after} s",
            retry_after=count.retry_after,
        )


async def login(db: Database, actor: Actor, email: str, password: str) -> LoginResponse | TwoFactorChallengeResponse:
    """The password step. A completed login when the account has no 2FA, else a challenge for the code."""
    async with db.connection() as conn:
        account = await sql.auth.find_login_user.one(conn, email)
    matches = await verify_password_async(None if account is None else account.password_hash, password)
    new_hash = (
        await hash_password_async(password) if matches and account and needs_rehash(account.password_hash) else None
    )

    async with db.transaction() as conn:
        if account is None:
            await _audit_failure(conn, actor, "unknown_email", email=email)
            reason: str | None = "unknown_email"
        else:
            actor = msgspec.structs.replace(actor, hospital_id=account.hospital_id, user_id=account.id)
            if not account.is_active:
                reason = "inactive"
            elif account.is_locked:
                reason = "locked"
            elif not matches:
                reason = "wrong_password"
                await register_failure(conn, actor)
            elif account.password_expired:
                reason = "temporary_password_expired"
            else:
                reason = None
            if reason is not None:
                await _audit_failure(conn, actor, reason, email=email)
            elif account.two_factor_enabled:
                token, digest = new_token()
                await sql.auth.create_challenge.exec(conn, account.hospital_id, account.id, digest, actor.ip_address)
                await record(
                    conn,
                    actor,
                    "auth.2fa_challenge",
                    resource="user",
                    resource_id=account.id,
                    metadata={"email": email},
                )
                return TwoFactorChallengeResponse(challenge_token=token)
            else:
                response = await open_session(conn, actor, account.id, method="password", new_password_hash=new_hash)
                if response is not None:
                    return response
                reason = "changed_during_login"
                await _audit_failure(conn, actor, reason, email=email)
    raise Unauthorized(LOGIN_FAILED)


async def login_two_factor(
    db: Database, box: SecretBox, actor: Actor, challenge_token: str, code: str
) -> LoginResponse:
    """The code step: a TOTP code (each time step once) or an unused backup code, for a live challenge."""
    async with db.transaction() as conn:
        challenge = await sql.auth.claim_challenge.one(conn, token_digest(challenge_token))
        if challenge is None:
            await _audit_failure(conn, actor, "invalid_challenge")
        else:
            actor = msgspec.structs.replace(actor, hospital_id=challenge.hospital_id, user_id=challenge.user_id)
            if not challenge.is_active or challenge.is_locked or not challenge.two_factor_enabled:
                reason = "inactive" if not challenge.is_active else "locked" if challenge.is_locked else "2fa_off"
                await _audit_failure(conn, actor, reason)
            else:
                method = await spend_code(
                    conn,
                    box,
                    challenge.hospital_id,
                    challenge.user_id,
                    challenge.two_factor_secret,
                    challenge.two_factor_last_used_step,
                    code,
                )
                if method is None:
                    await sql.auth.fail_challenge.exec(conn, challenge.hospital_id, challenge.id)
                    await register_failure(conn, actor)
                    await _audit_failure(conn, actor, "wrong_code")
                elif await sql.auth.use_challenge.rows(conn, challenge.hospital_id, challenge.id) == 1:
                    response = await open_session(conn, actor, challenge.user_id, method=method)
                    if response is not None:
                        return response
                    await _audit_failure(conn, actor, "changed_during_login")
    raise Unauthorized(CHALLENGE_FAILED)


async def spend_code(
    conn: asyncpg.Connection,
    box: SecretBox,
    hospital_id: uuid.UUID,
    user_id: uuid.UUID,
    encrypted_secret: bytes | None,
    last_used_step: int | None,
    code: str,
) -> str | None:
    """Spend ``code``: ``"totp"`` or ``"backup_code"`` when it was valid and unused, else None.

    A TOTP code's time step must be later than the last step used; a backup code is removed as it is used.
    """
    code = code.strip()
    if looks_like_totp(code):
        secret = None if encrypted_secret is None else box.decrypt_totp_secret(user_id, encrypted_secret)
        step = None if secret is None else matching_step(secret, code)
        if step is None or (last_used_step is not None and step <= last_used_step):
            return None
        used = await sql.auth.use_totp_step.rows(conn, hospital_id, user_id, step)
        return "totp" if used == 1 else None
    code_hash = box.backup_code_hash(user_id, normalize_backup_code(code))
    used = await sql.auth.use_backup_code.rows(conn, hospital_id, user_id, code_hash)
    return "backup_code" if used == 1 else None


async def register_failure(conn: asyncpg.Connection, actor: Actor) -> None:
    """Count a wrong password or code toward the actor's lockout; audit the lockout it may cause."""
    assert actor.hospital_id is not None and actor.user_id is not None
    counted = await sql.auth.register_failure.one(conn, actor.hospital_id, actor.user_id)
    if counted is not None and counted.locked:
        await record(
            conn,
            actor,
            "auth.lockout",
            resource="user",
            resource_id=actor.user_id,
            metadata={
                "lockoutUntil": counted.lockout_until.isoformat() if counted.lockout_until else None,
                "lockoutCount": counted.lockout_count,
            },
        )


async def open_session(
    conn: asyncpg.Connection,
    actor: Actor,
    user_id: uuid.UUID,
    *,
    method: str,
    new_password_hash: str | None = None,
) -> LoginResponse | None:
    """Complete a login: reset the failure counts, open a session, audit it. None when the account was
    deactivated or locked in the meantime."""
    hospital_id = actor.hospital_id
    assert hospital_id is not None
    if await sql.auth.complete_login.rows(conn, hospital_id, user_id, actor.ip_address, new_password_hash) != 1:
        return None
    token, digest = new_token()
    session = await sql.auth.create_session.one(conn, hospital_id, user_id, digest, actor.ip_address, actor.user_agent)
    user = await sql.users.get_user.one(conn, hospital_id, user_id)
    assert session is not None and user is not None
    await record(
        conn,
        msgspec.structs.replace(actor, session_id=session.id),
        "auth.login",
        resource="session",
        resource_id=session.id,
        metadata={"method": method, "email": user.email, **({"passwordRehashed": True} if new_password_hash else {})},
    )
    must_change = await _must_change_password(conn, hospital_id, user_id)
    return LoginResponse(token=token, expires_at=session.expires_at, user=user, password_change_required=must_change)


async def _must_change_password(conn: asyncpg.Connection, hospital_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    state = await sql.auth.get_credentials.one(conn, hospital_id, user_id)
    assert state is not None
    return state.must_change_password


async def _audit_failure(conn: asyncpg.Connection, actor: Actor, reason: str, **metadata: str) -> None:
    await record(
        conn,
        actor,
        "auth.login",
        outcome="failure",
        resource="user" if actor.user_id else None,
        resource_id=actor.user_id,
        metadata={"reason": reason, **metadata},
    )
