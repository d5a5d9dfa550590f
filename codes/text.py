"""The text form of a code: context prefix + unpadded upper-case base32 (QR alphanumeric)."""

from __future__ import annotations

import base64
import binascii
from typing import Final

from codes.errors import BadEncoding, BadPrefix, MalformedCode

PREFIX: Final = "HCX1:"
MAX_TEXT_CHARS: Final = 4096
MAX_CODE_BYTES: Final = 2048


def encode_text(data: bytes) -> str:
    """Wrap COSE bytes as PREFIX + unpadded RFC 4648 base32."""
    return PREFIX + base64.b32encode(data).decode("ascii").rstrip("=")


def decode_text(text: object) -> bytes:
    """Unwrap the text form, bounded in size; raise MalformedCode, BadPrefix or BadEncoding."""
    if not isinstance(text, str):
        raise MalformedCode("code text must be a string")
    if len(text) > MAX_TEXT_CHARS:
        raise MalformedCode(f"code text longer than {MAX_TEXT_CHARS} characters")
    if not text.startswith(PREFIX):
        raise BadPrefix(f"code text must start with {PREFIX}")
    body = text[len(PREFIX) :]
    if not body.isascii() or "=" in body:
        raise BadEncoding("code body must be unpadded base32")
    try:
        data = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError) as exc:
        raise BadEncoding("code body is not base32") from exc
    if len(data) > MAX_CODE_BYTES:
        raise MalformedCode(f"code longer than {MAX_CODE_BYTES} bytes")
    if base64.b32encode(data).decode("ascii").rstrip("=") != body:
        raise BadEncoding("code body is not canonical base32")
    return data
