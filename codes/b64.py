"""Unpadded base64url helpers (RFC 7515 appendix C), strict on decode."""

from __future__ import annotations

import binascii
from typing import Final

_TO_URL: Final = bytes.maketrans(b"+/", b"-_")
_FROM_URL: Final = bytes.maketrans(b"-_", b"+/")


def b64u_encode(data: bytes) -> str:
    """Encode bytes as unpadded base64url text."""
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    """Decode canonical unpadded base64url text; raise ValueError otherwise."""
    if not isinstance(text, str) or "=" in text:
        raise ValueError("expected unpadded base64url text")
    try:
        encoded = text.encode("ascii")
        # Like base64.urlsafe_b64decode: characters outside the alphabet are skipped here and
        # then refused by the canonical check below.
        raw = binascii.a2b_base64(encoded.translate(_FROM_URL) + b"=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("invalid base64url") from exc
    if binascii.b2a_base64(raw, newline=False).translate(_TO_URL).rstrip(b"=") != encoded:
        raise ValueError("non-canonical base64url")
    return raw
