"""Unpadded upper-case RFC 4648 base32: in C where it was built, else the Python forms here.

Per code (bench/codes.py's): the stdlib's forms, pure Python, take 14 / 21 us to encode /
decode; these Python forms 2.5 / 1.4 us; the C forms (`codes/_cbase32.c`) 0.2 / 0.3 us. For
bytes and str (all the package passes them) both give the same text, bytes and ValueErrors.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

ALPHABET: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_CHARS: Final = bytes.maketrans(bytes(range(32)), ALPHABET)
# Each alphabet byte to its base-32 digit for int(); every other byte to "!", which int() refuses.
_TO_DIGITS: Final = bytes(
    b"0123456789abcdefghijklmnopqrstuv"[ALPHABET.find(b)] if b in ALPHABET else ord("!")
    for b in range(256)
)
_BAD_LENGTHS: Final = frozenset({1, 3, 6})
_NOT_BASE32: Final = "not unpadded upper-case base32"


@lru_cache(maxsize=128)
def _spread_plan(groups: int) -> tuple[tuple[int, int, int], ...]:
    """Mask/shift steps moving 5-bit group k from bit 5k to bit 8k, all groups at once."""
    pos = [5 * k for k in range(groups)]
    steps = []
    for j in reversed(range(max(groups - 1, 1).bit_length())):
        move = keep = 0
        for k in range(groups):
            if k >> j & 1:
                move |= 31 << pos[k]
                pos[k] += 3 << j
            else:
                keep |= 31 << pos[k]
        steps.append((keep, move, 3 << j))
    return tuple(steps)


def py_b32encode(data: bytes) -> str:
    """Encode as unpadded upper-case base32."""
    size = len(data)
    groups = (8 * size + 4) // 5
    value = int.from_bytes(data, "big") << (5 * groups - 8 * size)
    for keep, move, shift in _spread_plan(groups):
        value = (value & keep) | ((value & move) << shift)
    return value.to_bytes(groups, "big").translate(_TO_CHARS).decode("ascii")


def py_b32decode(text: str) -> bytes:
    """Decode canonical unpadded upper-case base32; raise ValueError otherwise."""
    if len(text) % 8 in _BAD_LENGTHS or not text.isascii():
        raise ValueError(_NOT_BASE32)
    if not text:
        return b""
    try:
        value = int(text.encode("ascii").translate(_TO_DIGITS), 32)
    except ValueError:
        raise ValueError(_NOT_BASE32) from None
    size, extra = divmod(5 * len(text), 8)
    if value & ((1 << extra) - 1):
        raise ValueError("non-zero trailing bits (non-canonical base32)")
    return (value >> extra).to_bytes(size, "big")


try:
    from codes._cbase32 import b32decode as b32decode
    from codes._cbase32 import b32encode as b32encode
except ImportError:  # installed where no C compiler was (a device may be): the Python forms
    b32encode, b32decode = py_b32encode, py_b32decode
