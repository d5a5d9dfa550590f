"""A small strict CBOR decoder for unauthenticated bytes, and the head encoder for signing.

Used on everything read before the signature is checked (the protected header). Only what a
code needs is accepted: unsigned/negative integers, byte and text strings, arrays and maps
with int or text keys, definite lengths in shortest form, no duplicate keys, bounded depth,
no trailing bytes. Tags, floats and simple values are rejected, so hostile input never
reaches a semantic decoder (regex, bignum, shared references...). Payloads are encoded with
cbor2 (same shortest form) and decoded with it only after their signature verified.
"""

from __future__ import annotations

from typing import Any

from codes.errors import CborError as CborError

MAX_DEPTH = 4


def head(major: int, arg: int) -> bytes:
    """Encode a CBOR item head (major type and argument) in shortest form."""
    mt = major << 5
    if arg < 24:
        return bytes((mt | arg,))
    if arg < 0x100:
        return bytes((mt | 24, arg))
    if arg < 0x10000:
        return bytes((mt | 25,)) + arg.to_bytes(2, "big")
    if arg < 0x100000000:
        return bytes((mt | 26,)) + arg.to_bytes(4, "big")
    return bytes((mt | 27,)) + arg.to_bytes(8, "big")


def read_head(data: bytes, pos: int) -> tuple[int, int, int]:
    """Read a head at pos; return (major, argument, next position)."""
    if pos >= len(data):
        raise CborError("unexpected end of data")
    ib = data[pos]
    major = ib >> 5
    info = ib & 0x1F
    if info < 24:
        return major, info, pos + 1
    if info > 27:
        raise CborError("indefinite length or reserved value")
    size = 1 << (info - 24)
    end = pos + 1 + size
    if end > len(data):
        raise CborError("unexpected end of data")
    arg = int.from_bytes(data[pos + 1 : end], "big")
    if arg < (24 if size == 1 else 1 << (4 * size)):
        raise CborError("argument not in shortest form")
    return major, arg, end


def _item(data: bytes, pos: int, depth: int) -> tuple[Any, int]:
    major, arg, pos = read_head(data, pos)
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        end = pos + arg
        if end > len(data):
            raise CborError("string runs past end of data")
        raw = data[pos:end]
        if major == 2:
            return raw, end
        try:
            return raw.decode("utf-8"), end
        except UnicodeDecodeError as exc:
            raise CborError("invalid UTF-8 in text string") from exc
    if major in (4, 5):
        if depth <= 0:
            raise CborError("nesting too deep")
        if arg > len(data) - pos:
            raise CborError("container longer than data")
        if major == 4:
            items = []
            for _ in range(arg):
                value, pos = _item(data, pos, depth - 1)
                items.append(value)
            return items, pos
        mapping: dict[int | str, Any] = {}
        for _ in range(arg):
            key, pos = _item(data, pos, 0)
            if type(key) not in (int, str):
                raise CborError("map key must be an integer or text")
            if key in mapping:
                raise CborError("duplicate map key")
            mapping[key], pos = _item(data, pos, depth - 1)
        return mapping, pos
    raise CborError("tags, floats and simple values are not accepted")


def loads(data: bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Decode exactly one item from data, rejecting anything outside the strict subset."""
    value, pos = _item(data, 0, max_depth)
    if pos != len(data):
        raise CborError("trailing bytes after item")
    return value
