"""TOTP (RFC 6238: 30-second steps, 6 digits, one step of drift either way) and one-time backup codes."""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp

ISSUER = "hospital-alerts"
STEP_SECONDS = 30
DRIFT_STEPS = 1
BACKUP_CODE_COUNT = 10
# 12 characters of a 32-letter alphabet without look-alikes (no I, L, O, U): 60 bits per code.
_BACKUP_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ0123456789"
_BACKUP_GROUPS = 3
_BACKUP_GROUP_LENGTH = 4


def new_secret() -> str:
    """A new base32 TOTP secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, *, now: float | None = None) -> int | None:
    """The time step whose code ``code`` is (current step, or one before or after), or None.

    The caller accepts it only if it is later than the last step used (replay protection).
    """
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    matched = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Compare every candidate (no early exit), each in constant time.
        if hmac.compare_digest(totp.generate_otp(step), code):
            matched = step
    return matched


def new_backup_codes() -> list[str]:
    """Ten fresh backup codes as shown to the user, ``ABCD-EFGH-JKMN``."""
    return [
        "-".join(
            "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(_BACKUP_GROUP_LENGTH))
            for _ in range(_BACKUP_GROUPS)
        )
        for _ in range(BACKUP_CODE_COUNT)
    ]


def normalize_backup_code(code: str) -> str:
    """Backup codes are compared ignoring hyphens, spaces and case."""
    return code.replace("-", "").replace(" ", "").upper()


def looks_like_totp(code: str) -> bool:
    return len(code) == 6 and code.isdigit()
