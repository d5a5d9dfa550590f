"""COSE_Sign1 (RFC 9052, tag 18) framing: protected header, Sig_structure, encode and parse."""

from __future__ import annotations

import threading
from functools import lru_cache
from io import BytesIO
from typing import Any, Final, NamedTuple

import cbor2

from codes import cbor
from codes.errors import CborError
from codes.keys import COSE_ALG_IDS

TAG_SIGN1: Final = 18
HDR_ALG: Final = 1
HDR_KID: Final = 4
_TAG_AND_ARRAY: Final = bytes((0xD2, 0x84))  # tag(18) array(4)
_EMPTY_MAP: Final = b"\xa0"
_SIG_CONTEXT: Final = cbor.head(3, 10) + b"Signature1"
_CODERS: Final = threading.local()  # a cbor2 encoder and decoder per thread


class Sign1(NamedTuple):
    """The parts of a parsed COSE_Sign1 (payload not yet decoded)."""

    protected: bytes
    alg_id: int
    kid: bytes
    payload: bytes
    signature: bytes


def bstr(data: bytes) -> bytes:
    """CBOR byte string item."""
    return cbor.head(2, len(data)) + data


@lru_cache(maxsize=64)
def protected_header(alg: str, kid: bytes) -> bytes:
    """Serialized protected header map {alg, kid} (the bstr content)."""
    return (
        cbor.head(5, 2)
        + bytes((HDR_ALG,))
        + _int(COSE_ALG_IDS[alg])
        + bytes((HDR_KID,))
        + bstr(kid)
    )


def _int(value: int) -> bytes:
    return cbor.head(0, value) if value >= 0 else cbor.head(1, -1 - value)


@lru_cache(maxsize=64)
def framing(alg: str, kid: bytes) -> tuple[bytes, bytes]:
    """(Sig_structure prefix up to the payload, COSE_Sign1 prefix up to the payload)."""
    prot = bstr(protected_header(alg, kid))
    return b"\x84" + _SIG_CONTEXT + prot + b"\x40", _TAG_AND_ARRAY + prot + _EMPTY_MAP


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The Sig_structure ["Signature1", protected, h'', payload] to be signed."""
    return b"\x84" + _SIG_CONTEXT + bstr(protected) + b"\x40" + bstr(payload)


def _bstr_at(data: bytes, pos: int) -> tuple[bytes, int]:
    """The byte string item at pos and the position after it."""
    head = data[pos] if pos < len(data) else -1
    if 0x40 <= head < 0x58:  # a length of 0..23, in the initial byte
        start, size = pos + 1, head - 0x40
    elif head == 0x58 and pos + 1 < len(data) and data[pos + 1] >= 24:  # 24..255, one byte
        start, size = pos + 2, data[pos + 1]
    else:  # any other head, with read_head's errors
        major, size, start = cbor.read_head(data, pos)
        if major != 2:
            raise CborError("expected a byte string")
    end = start + size
    if end > len(data):
        raise CborError("expected a byte string")
    return data[start:end], end


def parse_sign1(data: bytes) -> Sign1:
    """Parse a tagged COSE_Sign1 strictly; raise CborError on any deviation."""
    if data[:2] != _TAG_AND_ARRAY:
        raise CborError("expected COSE_Sign1: tag 18 and an array of 4")
    protected, pos = _bstr_at(data, 2)
    if data[pos : pos + 1] != _EMPTY_MAP:
        raise CborError("unprotected header must be an empty map")
    payload, pos = _bstr_at(data, pos + 1)
    signature, pos = _bstr_at(data, pos)
    if pos != len(data):
        raise CborError("trailing bytes after COSE_Sign1")
    alg_id, kid = _header(protected)
    return Sign1(protected, alg_id, kid, payload, signature)


@lru_cache(maxsize=64)
def _header(protected: bytes) -> tuple[int, bytes]:
    """(alg, kid) of a serialized protected header, parsed strictly. Cached by its exact bytes
    (a pure function of them): every code of one key repeats the same header."""
    header = cbor.loads(protected, max_depth=1)
    if type(header) is not dict or header.keys() != {HDR_ALG, HDR_KID}:
        raise CborError("protected header must hold exactly alg and kid")
    alg_id, kid = header[HDR_ALG], header[HDR_KID]
    if type(alg_id) is not int or type(kid) is not bytes or not kid:
        raise CborError("alg must be an int and kid a non-empty byte string")
    return alg_id, kid


def encode_payload(value: Any) -> bytes:
    """cbor2.dumps(value), by a reused encoder: making a CBOREncoder costs more than encoding
    a code's claims with it. Without value sharing or string references it keeps nothing
    between encodings, so the bytes are those of cbor2.dumps. One per thread (cbor2's
    pure-Python encoder is not safe to share), and a new one after a failed encoding, which
    may leave state behind in some cbor2 versions."""
    encoder = getattr(_CODERS, "encoder", None)
    if encoder is None:
        encoder = _CODERS.encoder = cbor2.CBOREncoder(BytesIO())
    try:
        return encoder.encode_to_bytes(value)
    except BaseException:
        _CODERS.encoder = None
        raise


def _decode(payload: bytes) -> Any:
    """cbor2.loads(payload, max_depth=4), by a reused decoder that reads the payload at once
    (loads makes a decoder, which reads each item from the stream); indefinite lengths and
    trailing data are left to the re-encoding check. Per thread and renewed after a failure,
    as for encode_payload."""
    decoder = getattr(_CODERS, "decoder", None)
    if decoder is None:
        decoder = _CODERS.decoder = cbor2.CBORDecoder(BytesIO(), read_size=4096, max_depth=4)
    try:
        decoder.fp = BytesIO(payload)
        return decoder.decode()
    except BaseException:
        _CODERS.decoder = None
        raise


def decode_signed_payload(payload: bytes) -> Any:
    """Decode a payload whose signature already verified (C decoder), requiring that it
    re-encodes to the same bytes (shortest form, definite lengths, no trailing data)."""
    try:
        value = _decode(payload)
        canonical = encode_payload(value) == payload
    except Exception as exc:  # cbor2 raises many types on odd input
        raise CborError(f"payload is not CBOR: {exc}") from exc
    if not canonical:
        raise CborError("payload is not in canonical (shortest, definite) form")
    return value
