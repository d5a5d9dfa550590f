"""The text form of a code: context prefix + unpadded upper-case base32 (QR alphanumeric)."""

from __future__ import annotations

from typing import Final

from codes.base32 import b32decode, b32encode
from codes.errors import BadEncoding, BadPrefix, MalformedCode

PREFIX: Final = "HCX1:"
MAX_TEXT_CHARS: Final = 4096
MAX_CODE_BYTES: Final = 2048


def encode_text(data: bytes) -> str:
    """Wrap COSE bytes as PREFIX + unpadded RFC 4648 base32."""
    return PREFIX + b32encode(data)


def decode_text(text: object) -> bytes:
    """Unwrap the text form, bounded in size; raise MalformedCode, BadPrefix or BadEncoding."""
    if not isinstance(text, str):
        raise MalformedCode("code text must be a string")
    if len(text) > MAX_TEXT_CHARS:
        raise MalformedCode(f"code text longer than {MAX_TEXT_CHARS} characters")
    if not text.startswith(PREFIX):
        raise BadPrefix(f"code text must start with {PREFIX}")
    try:
        data = b32decode(text[len(PREFIX) :])
    except ValueError as exc:
        raise BadEncoding(str(exc)) from exc
    if len(data) > MAX_CODE_BYTES:
        raise MalformedCode(f"code longer than {MAX_CODE_BYTES} bytes")
    return data
