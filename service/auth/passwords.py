"""Password hashing: argon2id with at least OWASP's parameters, off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 128

# OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


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
    """hash_password on a worker thread, so the event loop keeps serving while argon2 works."""
    return await asyncio.to_thread(HASHER.hash, password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; False for a mismatch or an unreadable hash."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than HASHER's (rehash it at the next login)."""
    return HASHER.check_needs_rehash(password_hash)
