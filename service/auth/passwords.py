"""Passwords: argon2id (at least OWASP's parameters) for every password a person chooses, off the event loop.

Temporary passwords issued by an admin are different: 144 random bits, shown once, valid 72 hours, usable only to
set a password of the user's own. Guessing one is as hopeless as guessing a session token, so, like a token,
it is stored as a SHA-256 digest; a slow hash would buy nothing and would make ``POST /users/bulk`` with 500
users take 25 s of CPU. A login against a temporary password still spends one argon2 verification, so the
response time does not tell which kind of password an account has.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 128

# OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)

TEMPORARY_PREFIX = "$sha256-temporary$"

# argon2 releases the GIL; one thread per core keeps every core busy without letting a burst of logins queue
# up hundreds of 19 MiB hashes (asyncio's default executor is shared with other work and sized for I/O).
_EXECUTOR = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="argon2")


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used, or None. Passwords are never trimmed, truncated or altered."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    return None


def hash_password(password: str) -> str:
    """The argon2id PHC string of ``password`` (about 50 ms of CPU: call it from a thread on the server)."""
    return HASHER.hash(password)


async def hash_password_async(password: str) -> str:
    """hash_password on the argon2 thread pool, so the event loop keeps serving while argon2 works."""
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, HASHER.hash, password)


def new_temporary_password() -> tuple[str, str]:
    """A fresh temporary password (24 characters, 144 random bits) and the digest to store for it."""
    password = secrets.token_urlsafe(18)
    return password, TEMPORARY_PREFIX + hashlib.sha256(password.encode()).hexdigest()


def is_temporary(password_hash: str) -> bool:
    return password_hash.startswith(TEMPORARY_PREFIX)


@cache
def _dummy_hash() -> str:
    # Verified in place of a missing account's hash, so that an unknown email costs what a wrong password does.
    return HASHER.hash(secrets.token_urlsafe(32))


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; False for a mismatch, an unreadable hash or no hash.

    Always spends one argon2 verification (against a dummy hash when there is none, or when the stored one is a
    temporary password's digest), so that timing tells nothing about the account.
    """
    if password_hash is None or is_temporary(password_hash):
        _argon2_matches(_dummy_hash(), password)
        if password_hash is None:
            return False
        digest = hashlib.sha256(password.encode()).hexdigest()
        return hmac.compare_digest(password_hash[len(TEMPORARY_PREFIX) :], digest)
    return _argon2_matches(password_hash, password)


def _argon2_matches(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """verify_password on the argon2 thread pool."""
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, verify_password, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True when an argon2 hash was made with weaker parameters than HASHER's (rehash it at the next login)."""
    return not is_temporary(password_hash) and HASHER.check_needs_rehash(password_hash)
