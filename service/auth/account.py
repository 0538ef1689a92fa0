"""What a signed-in user does to their own account: log out, change the password, set up and drop 2FA.

A wrong current password or 2FA code here is a 400 naming the field, and counts toward lockout like a failed
login; the failure count and its audit row commit before the answer.
"""

from __future__ import annotations

import asyncpg

from service.audit.schemas import Actor
from service.audit.writer import record
from service.auth.login import register_failure, spend_code
from service.auth.passwords import hash_password_async, password_problem, verify_password_async
from service.auth.schemas import BackupCodesResponse, Credentials, Principal, TwoFactorSetupResponse
from service.auth.secrets import SecretBox
from service.auth.totp import matching_step, new_backup_codes, new_secret, normalize_backup_code, provisioning_uri
from service.db import sql
from service.db.pool import Database
from service.errors import BadRequest, Conflict, FieldError


async def logout(db: Database, principal: Principal, actor: Actor) -> None:
    async with db.transaction() as conn:
        await sql.auth.revoke_session.rows(conn, principal.hospital_id, principal.session_id, "logout")
        await record(conn, actor, "auth.logout", resource="session", resource_id=principal.session_id)


async def change_password(
    db: Database, principal: Principal, actor: Actor, current_password: str, new_password: str
) -> None:
    """Replace the password (argon2id) and revoke the user's other sessions."""
    if problem := password_problem(new_password):
        raise BadRequest("the new password is not valid", errors=[FieldError("newPassword", problem)])
    if new_password == current_password:
        raise BadRequest(
            "the new password is not valid", errors=[FieldError("newPassword", "must differ from the current password")]
        )
    credentials = await _credentials(db, principal)
    if not await verify_password_async(credentials.password_hash, current_password):
        async with db.transaction() as conn:
            await register_failure(conn, actor)
            await record(
                conn,
                actor,
                "auth.password_change",
                outcome="failure",
                resource="user",
                resource_id=principal.user_id,
                metadata={"reason": "wrong_password"},
            )
        raise BadRequest(
            "the current password is not correct", errors=[FieldError("currentPassword", "is not correct")]
        )
    new_hash = await hash_password_async(new_password)
    async with db.transaction() as conn:
        await sql.auth.set_password.rows(conn, principal.hospital_id, principal.user_id, new_hash)
        revoked = await sql.auth.revoke_user_sessions.rows(
            conn, principal.hospital_id, principal.user_id, "password_change", principal.session_id
        )
        await record(
            conn,
            actor,
            "auth.password_change",
            resource="user",
            resource_id=principal.user_id,
            metadata={"sessionsRevoked": revoked, "wasTemporary": credentials.must_change_password},
        )


async def start_two_factor(db: Database, box: SecretBox, principal: Principal, actor: Actor) -> TwoFactorSetupResponse:
    """A new TOTP secret, pending until confirmed; 409 when 2FA is on already."""
    secret = new_secret()
    async with db.transaction() as conn:
        credentials = await _credentials_on(conn, principal)
        if credentials.two_factor_enabled or not await sql.auth.start_two_factor.rows(
            conn, principal.hospital_id, principal.user_id, box.encrypt_totp_secret(principal.user_id, secret)
        ):
            raise Conflict("two-factor authentication is already on")
        await record(conn, actor, "auth.2fa_setup", resource="user", resource_id=principal.user_id)
    return TwoFactorSetupResponse(secret=secret, otpauth_uri=provisioning_uri(secret, credentials.email))


async def confirm_two_factor(
    db: Database, box: SecretBox, principal: Principal, actor: Actor, code: str
) -> BackupCodesResponse:
    """Turn 2FA on with a valid code for the pending secret; the ten backup codes, shown this once."""
    async with db.transaction() as conn:
        credentials = await _credentials_on(conn, principal)
        if credentials.two_factor_enabled:
            raise Conflict("two-factor authentication is already on")
        if credentials.two_factor_secret is None:
            raise Conflict("no two-factor setup is pending: POST /api/v1/auth/2fa/setup first")
        secret = box.decrypt_totp_secret(principal.user_id, credentials.two_factor_secret)
        step = None if secret is None else matching_step(secret, code.strip())
        last = credentials.two_factor_last_used_step
        valid = step is not None and (last is None or step > last)
        if valid:
            assert step is not None
            codes = new_backup_codes()
            hashes = [box.backup_code_hash(principal.user_id, normalize_backup_code(c)) for c in codes]
            valid = (
                await sql.auth.enable_two_factor.rows(conn, principal.hospital_id, principal.user_id, step, hashes) == 1
            )
        await record(
            conn,
            actor,
            "auth.2fa_enable",
            outcome="success" if valid else "failure",
            resource="user",
            resource_id=principal.user_id,
            metadata={} if valid else {"reason": "wrong_code"},
        )
    if not valid:
        raise BadRequest(
            "the code is not valid", errors=[FieldError("code", "is not a valid code for the pending secret")]
        )
    return BackupCodesResponse(backup_codes=codes)


async def disable_two_factor(
    db: Database, box: SecretBox, principal: Principal, actor: Actor, password: str, code: str
) -> None:
    """Turn 2FA off with the password and a code (TOTP or backup); the user's other sessions are revoked."""
    credentials = await _credentials(db, principal)
    if not credentials.two_factor_enabled:
        raise Conflict("two-factor authentication is not on")
    password_ok = await verify_password_async(credentials.password_hash, password)
    async with db.transaction() as conn:
        wrong: FieldError | None = None
        if not password_ok:
            wrong = FieldError("password", "is not correct")
        elif (
            await spend_code(
                conn,
                box,
                principal.hospital_id,
                principal.user_id,
                credentials.two_factor_secret,
                credentials.two_factor_last_used_step,
                code,
            )
            is None
        ):
            wrong = FieldError("code", "is not a valid code")
        if (
            wrong is None
            and await sql.auth.disable_two_factor.rows(conn, principal.hospital_id, principal.user_id) == 1
        ):
            revoked = await sql.auth.revoke_user_sessions.rows(
                conn, principal.hospital_id, principal.user_id, "2fa_disable", principal.session_id
            )
            await record(
                conn,
                actor,
                "auth.2fa_disable",
                resource="user",
                resource_id=principal.user_id,
                metadata={"sessionsRevoked": revoked},
            )
            return
    if wrong is None:
        raise Conflict("two-factor authentication is not on")
    # The failure commits in a transaction of its own: the one above may have spent nothing, but must not
    # carry the count of a refused request into a rollback.
    async with db.transaction() as conn:
        await register_failure(conn, actor)
        await record(
            conn,
            actor,
            "auth.2fa_disable",
            outcome="failure",
            resource="user",
            resource_id=principal.user_id,
            metadata={"reason": f"wrong_{wrong.field}"},
        )
    raise BadRequest(f"the {wrong.field} is not correct", errors=[wrong])


async def _credentials(db: Database, principal: Principal) -> Credentials:
    async with db.connection() as conn:
        return await _credentials_on(conn, principal)


async def _credentials_on(conn: asyncpg.Connection, principal: Principal) -> Credentials:
    credentials = await sql.auth.get_credentials.one(conn, principal.hospital_id, principal.user_id)
    assert credentials is not None  # the session's user exists (sessions are deleted with their user)
    return credentials
