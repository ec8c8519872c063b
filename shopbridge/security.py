"""Passwords, API tokens and secrets at rest.

- Passwords are hashed with Argon2id (``argon2-cffi``), the winner of the Password Hashing Competition and
  OWASP's first recommendation; hashes are upgraded transparently when the parameters change.
- API tokens are 256-bit random strings shown once. Because they are random, not chosen by people, a fast
  SHA-256 is the right hash: there is nothing to brute-force, and lookups stay O(1) by hash.
- Secrets the shop must be able to read back (platform tokens, Stripe keys) are encrypted with Fernet
  (AES-128-CBC + HMAC-SHA256) from ``cryptography``; :class:`SecretBox` takes several keys so the operator can
  rotate them (encrypt with the first, decrypt with any).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

_hasher = PasswordHasher()

TOKEN_PREFIX = "sb_"


def use_cheap_hashing_for_tests() -> None:
    """Make Argon2 cheap. Only the test fixtures call this: a strong hash per fixture user would dominate the
    suite's run time, and what the tests check (verify, rehash) does not depend on the cost."""
    global _hasher
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def new_api_token() -> str:
    """A fresh token such as ``sb_3q2...``; the prefix lets secret scanners recognise leaked tokens."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equals(a: str | bytes, b: str | bytes) -> bool:
    a_bytes = a.encode() if isinstance(a, str) else a
    b_bytes = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(a_bytes, b_bytes)


def _fernet_key(material: str) -> bytes:
    # Any operator-supplied string becomes a valid 32-byte Fernet key.
    return base64.urlsafe_b64encode(hashlib.sha256(material.encode()).digest())


class SecretBox:
    """Encrypts and decrypts small secrets for storage in the database."""

    def __init__(self, keys: Sequence[str]):
        if not keys:
            raise ValueError("SecretBox needs at least one key")
        self._fernet = MultiFernet([Fernet(_fernet_key(k)) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ValueError("stored secret cannot be decrypted with the configured ENCRYPTION_KEYS") from None
