"""Password hashing (Argon2id) and keyed hashes for identifiers and secrets."""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()  # Argon2id, memory-hard, library defaults (64 MiB, t=3)


@cache
def _dummy_hash() -> str:
    """A hash of a fixed password, so unknown usernames cost the same time as known ones
    (computed on first use, not at import)."""
    return _hasher.hash("healthcode-dummy-password")


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password in constant-ish time, including when there is no account."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def keyed_hash(key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of a value under a server key, separated by purpose."""
    mac = hmac.new(key.encode(), purpose.encode() + b"\x00" + value.encode(), hashlib.sha256)
    return mac.hexdigest()


def token_hash(token: str) -> str:
    """SHA-256 of a high-entropy random token (refresh tokens, API keys)."""
    return hashlib.sha256(token.encode()).hexdigest()
