"""Shapes of the auth domain: the rows its statements return, and the bodies of /api/v1/auth."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from service.db.catalogue import Row
from service.users.schemas import Role, UserRow
from service.validation import Input, email_address

# --- rows --------------------------------------------------------------------------------------------------


class Principal(Row):
    """The caller of an authenticated request: its session and what the guards need of its user."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    hospital_id: uuid.UUID
    role: Role
    department_id: uuid.UUID | None
    must_change_password: bool
    expires_at: datetime


class LoginUser(Row):
    id: uuid.UUID
    hospital_id: uuid.UUID
    password_hash: str
    is_active: bool
    is_locked: bool
    two_factor_enabled: bool
    must_change_password: bool
    password_expired: bool


class FailureCount(Row):
    locked: bool
    failed_login_attempts: int
    lockout_until: datetime | None
    lockout_count: int


class NewSession(Row):
    id: uuid.UUID
    expires_at: datetime


class Challenge(Row):
    id: uuid.UUID
    hospital_id: uuid.UUID
    user_id: uuid.UUID
    is_active: bool
    is_locked: bool
    two_factor_enabled: bool
    two_factor_secret: bytes | None
    two_factor_last_used_step: int | None
    must_change_password: bool


class AttemptCount(Row):
    attempts: int
    retry_after: int


class Credentials(Row):
    email: str
    password_hash: str
    must_change_password: bool
    two_factor_enabled: bool
    two_factor_secret: bytes | None
    two_factor_last_used_step: int | None


# --- request bodies ----------------------------------------------------------------------------------------

# Passwords are never trimmed or altered; their length is checked by passwords.password_problem, which names
# the field. The wide raw bound only stops absurd bodies before any work is done.
Password = Annotated[str, msgspec.Meta(max_length=1024, description="12..128 characters; never trimmed")]
# A new password has no raw bound: password_problem answers every length outside 12..128 with the same message
# (the 1 MiB body limit bounds it, and it is checked before any hashing).
NewPassword = Annotated[
    str,
    msgspec.Meta(
        description="12..128 characters; never trimmed", extra_json_schema={"minLength": 12, "maxLength": 128}
    ),
]
# Login compares emails as they are stored: trimmed and lower-case (a malformed one is 400 before any check).
Email = Annotated[str, email_address("Trimmed and compared case-insensitively")]
Code = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=64,
        description="A 6-digit TOTP code, or an unused backup code (hyphens and case ignored)",
    ),
]
ChallengeToken = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class LoginRequest(Input):
    email: Email
    password: Password


class TwoFactorLoginRequest(Input):
    challenge_token: ChallengeToken
    code: Code


class PasswordChangeRequest(Input):
    current_password: Password
    new_password: NewPassword


class TwoFactorConfirmRequest(Input):
    code: Code


class TwoFactorDisableRequest(Input):
    password: Password
    code: Code


# --- responses ---------------------------------------------------------------------------------------------


class LoginResponse(msgspec.Struct, rename="camel"):
    """A completed login: the bearer token (shown once), its absolute expiry and the user."""

    token: str
    expires_at: datetime
    user: UserRow
    password_change_required: bool


class TwoFactorChallengeResponse(msgspec.Struct, rename="camel"):
    """A right password on an account with 2FA: trade ``challengeToken`` and a code at POST /login/2fa
    within 5 minutes."""

    challenge_token: str
    two_factor_required: bool = True


class TwoFactorSetupResponse(msgspec.Struct, rename="camel"):
    """The new TOTP secret, pending until POST /2fa/confirm with a valid code."""

    secret: str
    otpauth_uri: str


class BackupCodesResponse(msgspec.Struct, rename="camel"):
    """Ten one-time backup codes, shown this once."""

    backup_codes: list[str]
