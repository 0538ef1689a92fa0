"""Keys derived from HOSPITAL_ALERTS_SECRET_KEY: TOTP secrets encrypted at rest, backup codes keyed-hashed.

One secret in the environment, two keys derived from it with HKDF-SHA256, so the encryption key and the
hashing key are never the same bytes. A TOTP secret is stored as ``version || nonce || AES-256-GCM ciphertext``
with the user's id as associated data, so a ciphertext copied onto another user's row does not decrypt.
Backup codes are stored as HMAC-SHA256 under the second key: a dump of the database alone cannot be used to
try codes offline.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

logger = logging.getLogger("service.auth")

# Used only outside production when no key is set (production refuses to start without one): development
# data is then readable by anyone with the source, which the start-up log says.
DEVELOPMENT_KEY = "hospital-alerts development key: not secret, never use in production"

_VERSION = b"\x01"
_NONCE_BYTES = 12


class SecretBox:
    """Encrypts TOTP secrets and hashes backup codes with keys derived from the service's secret key."""

    def __init__(self, secret_key: str | None) -> None:
        if not secret_key:
            logger.warning(
                "HOSPITAL_ALERTS_SECRET_KEY is not set: TOTP secrets are encrypted with the public development key"
            )
            secret_key = DEVELOPMENT_KEY
        material = secret_key.encode()
        self._aead = AESGCM(_derive(material, b"hospital-alerts totp-secret v1"))
        self._code_key = _derive(material, b"hospital-alerts backup-code v1")

    def encrypt_totp_secret(self, user_id: uuid.UUID, secret: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, secret.encode(), user_id.bytes)

    def decrypt_totp_secret(self, user_id: uuid.UUID, stored: bytes) -> str | None:
        """The secret, or None when the stored value was not made for this user under this key."""
        if stored[:1] != _VERSION:
            return None
        nonce, ciphertext = stored[1 : 1 + _NONCE_BYTES], stored[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, ciphertext, user_id.bytes).decode()
        except InvalidTag:
            return None

    def backup_code_hash(self, user_id: uuid.UUID, normalized_code: str) -> str:
        """Hex HMAC of a normalized backup code (see totp.normalize_backup_code), bound to the user."""
        return hmac.new(self._code_key, user_id.bytes + normalized_code.encode(), hashlib.sha256).hexdigest()


def _derive(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)
