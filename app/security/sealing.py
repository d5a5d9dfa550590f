"""Phone numbers sealed at rest (AES-256-GCM) under a key derived from the ID-hash key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_AAD = b"healthcode-phone-v1"


def _key(server_key: str) -> bytes:
    return hmac.new(server_key.encode(), b"seal:phone", hashlib.sha256).digest()


def seal(server_key: str, text: str) -> str:
    """Encrypt text; a fresh random nonce each time (base64url of nonce + ciphertext)."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key(server_key)).encrypt(nonce, text.encode(), _AAD)
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(server_key: str, sealed: str) -> str | None:
    """The text, or None when it was sealed under another key or altered."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return AESGCM(_key(server_key)).decrypt(raw[:12], raw[12:], _AAD).decode()
    except (ValueError, InvalidTag):
        return None
