"""Packed revocation lists (bundle `"rev_format": 2`, codes/SPEC.md §8.2).

A revocation travels as the 8-byte hash of (kind, subject) and its `before` time. Per kind,
entries are sorted by `before`; one base64url string holds the hashes back to back and
another the `before` times as unsigned LEB128 varints, each the difference from the previous
entry's (the first from 0). The hashes do not compress, the time column mostly does.

Plain values in and out: (kind, hash, before in epoch seconds). Every malformed input raises
BundleFormatError.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any, Final

from codes.b64 import b64u_decode, b64u_encode
from codes.claims import MAX_TIME
from codes.errors import BundleFormatError

REV_FORMAT: Final = 2
HASH_BYTES: Final = 8
MAX_VARINT_BYTES: Final = 6  # 42 bits: any time up to MAX_TIME (< 2**38)
KIND_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,15}")
GROUP_FIELDS: Final = frozenset({"before", "hash"})

Packed = tuple[str, bytes, int]  # (kind name, hash, before)


def revocation_hash(kind: str, subject: str) -> bytes:
    """SHA-256(UTF-8 kind || 0x00 || UTF-8 subject), first 8 bytes."""
    return hashlib.sha256(f"{kind}\x00{subject}".encode()).digest()[:HASH_BYTES]


def pack_revocations(entries: Iterable[Packed]) -> dict[str, dict[str, str]]:
    """{kind: {"before", "hash"}}: one entry per hash (the latest before), sorted by
    (before, hash) within each kind; kinds without entries are left out."""
    latest: dict[str, dict[bytes, int]] = {}
    for kind, digest, before in entries:
        group = latest.setdefault(kind, {})
        if group.get(digest, -1) < before:
            group[digest] = before
    packed = {}
    for kind, group in latest.items():
        ordered = sorted(group.items(), key=lambda item: (item[1], item[0]))
        packed[kind] = {
            "before": b64u_encode(_varints(b for _h, b in ordered)),
            "hash": b64u_encode(b"".join(h for h, _b in ordered)),
        }
    return packed


def unpack_revocations(obj: Any) -> list[Packed]:
    """The entries of a {kind: {"before", "hash"}} object, each kind's sorted by before."""
    out: list[Packed] = []
    for kind, group in _kinds(obj, "revocations").items():
        if type(group) is not dict or set(group) != GROUP_FIELDS:
            raise BundleFormatError(f"revocations of {kind!r} must be {{'before', 'hash'}}")
        hashes = _hashes(group["hash"])
        times = _unvarints(_bytes(group["before"]), len(hashes))
        out.extend(zip([kind] * len(hashes), hashes, times, strict=True))
    return out


def pack_removed(targets: Iterable[tuple[str, bytes]]) -> dict[str, str]:
    """{kind: base64url of the hashes}, each kind's sorted and without repeats."""
    by_kind: dict[str, set[bytes]] = {}
    for kind, digest in targets:
        by_kind.setdefault(kind, set()).add(digest)
    return {kind: b64u_encode(b"".join(sorted(hashes))) for kind, hashes in by_kind.items()}


def unpack_removed(obj: Any) -> list[tuple[str, bytes]]:
    """The (kind, hash) pairs of a {kind: base64url of hashes} object."""
    return [
        (kind, digest)
        for kind, text in _kinds(obj, "revocations_removed").items()
        for digest in _hashes(text)
    ]


def pack_expired(cutoffs: Iterable[tuple[str, int]]) -> dict[str, int]:
    """{kind: cut-off}: the held entries of each kind with an earlier `before` are dropped."""
    return dict(sorted(cutoffs))


def unpack_expired(obj: Any) -> list[tuple[str, int]]:
    """The (kind, cut-off) pairs of a {kind: epoch seconds} object."""
    return [
        (kind, epoch_seconds(cutoff, f"revocations_expired of {kind!r}"))
        for kind, cutoff in _kinds(obj, "revocations_expired").items()
    ]


def epoch_seconds(value: Any, name: str) -> int:
    """value if it is a time a document may hold (whole seconds, 0 to MAX_TIME)."""
    if type(value) is not int or not 0 <= value <= MAX_TIME:
        raise BundleFormatError(f"{name} must be epoch seconds")
    return value


def _kinds(obj: Any, name: str) -> dict[str, Any]:
    if type(obj) is not dict:
        raise BundleFormatError(f"{name} must be an object keyed by kind name")
    for kind in obj:
        if KIND_NAME.fullmatch(kind) is None:
            raise BundleFormatError(f"{name}: {kind!r} is not a kind name")
    return obj


def _bytes(text: Any) -> bytes:
    try:
        return b64u_decode(text)
    except ValueError as exc:
        raise BundleFormatError(f"packed revocations: {exc}") from exc


def _hashes(text: Any) -> list[bytes]:
    data = _bytes(text)
    if len(data) % HASH_BYTES:
        raise BundleFormatError(f"packed hashes must be a multiple of {HASH_BYTES} bytes")
    return [data[i : i + HASH_BYTES] for i in range(0, len(data), HASH_BYTES)]


def _varints(values: Iterable[int]) -> bytes:
    """Unsigned LEB128 of each value's difference from the previous one (the first from 0)."""
    out = bytearray()
    previous = 0
    for value in values:
        step = value - previous
        previous = value
        while step >= 0x80:
            out.append(step & 0x7F | 0x80)
            step >>= 7
        out.append(step)
    return bytes(out)


def _unvarints(data: bytes, count: int) -> list[int]:
    """Exactly `count` running sums of shortest-form LEB128 varints, none above MAX_TIME."""
    out: list[int] = []
    total = i = 0
    end = len(data)
    while i < end:
        byte = data[i]
        i += 1
        if byte < 0x80:  # the common case: one byte
            total += byte
            out.append(total)
            continue
        step, shift = byte & 0x7F, 7
        while True:
            if i == end:
                raise BundleFormatError("packed before times end inside a varint")
            byte = data[i]
            i += 1
            step |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
            if shift >= 7 * MAX_VARINT_BYTES:
                raise BundleFormatError(f"a varint is longer than {MAX_VARINT_BYTES} bytes")
        if byte == 0:
            raise BundleFormatError("a varint is not in shortest form")
        total += step
        out.append(total)
    if len(out) != count:
        raise BundleFormatError(f"{len(out)} before times for {count} hashes")
    if total > MAX_TIME:  # the times never decrease: the last is the largest
        raise BundleFormatError("a before time is beyond the year 9999")
    return out
