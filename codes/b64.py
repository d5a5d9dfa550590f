"""Unpadded base64url helpers (RFC 7515 appendix C), strict on decode."""

from __future__ import annotations

import base64
import binascii


def b64u_encode(data: bytes) -> str:
    """Encode bytes as unpadded base64url text."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """Decode canonical unpadded base64url text; raise ValueError otherwise."""
    if not isinstance(text, str) or "=" in text:
        raise ValueError("expected unpadded base64url text")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("invalid base64url") from exc
    if b64u_encode(raw) != text:
        raise ValueError("non-canonical base64url")
    return raw
