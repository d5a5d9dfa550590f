"""The text form of a code: its kind's context prefix + unpadded upper-case base32."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from codes.base32 import b32decode, b32encode
from codes.errors import BadEncoding, BadPrefix, MalformedCode, WrongKind
from codes.kinds import KINDS, Kind

MAX_TEXT_CHARS: Final = 4096
MAX_CODE_BYTES: Final = 2048


def encode_text(data: bytes, kind: Kind) -> str:
    """Wrap COSE bytes as the kind's prefix + unpadded RFC 4648 base32."""
    return kind.prefix + b32encode(data)


def decode_text(text: object, kinds: Collection[Kind]) -> tuple[Kind, bytes]:
    """Unwrap the text form of an accepted kind, bounded in size.

    Raise MalformedCode, BadPrefix (no known kind's prefix), WrongKind (a known kind that
    is not accepted) or BadEncoding.
    """
    if not isinstance(text, str):
        raise MalformedCode("code text must be a string")
    if len(text) > MAX_TEXT_CHARS:
        raise MalformedCode(f"code text longer than {MAX_TEXT_CHARS} characters")
    kind = KINDS.by_text(text)
    if kind is None:
        raise BadPrefix(f"code text must start with one of {[k.prefix for k in kinds]}")
    if kind not in kinds:
        raise WrongKind(f"a {kind.name} code is not accepted here")
    try:
        data = b32decode(text[len(kind.prefix) :])
    except ValueError as exc:
        raise BadEncoding(str(exc)) from exc
    if len(data) > MAX_CODE_BYTES:
        raise MalformedCode(f"code longer than {MAX_CODE_BYTES} bytes")
    return kind, data
