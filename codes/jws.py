"""Minimal JWS flattened JSON serialization (RFC 7515 §7.2.2) used to sign trust bundles."""

from __future__ import annotations

import json
from typing import Any

from codes.b64 import b64u_decode, b64u_encode
from codes.errors import BundleFormatError, BundleSignatureError
from codes.keys import SigningKey, VerificationKey

MAX_DOC_BYTES = 16 * 1024 * 1024


def canonical_json(value: Any) -> bytes:
    """Deterministic compact JSON bytes (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def jws_sign(payload: bytes, key: SigningKey, typ: str) -> dict[str, str]:
    """Sign payload; return {"protected", "payload", "signature"} (all base64url)."""
    header = b64u_encode(canonical_json({"alg": key.alg, "kid": key.kid_b64, "typ": typ}))
    body = b64u_encode(payload)
    signature = key.sign(f"{header}.{body}".encode("ascii"))
    return {"protected": header, "payload": body, "signature": b64u_encode(signature)}


def jws_verify(doc: Any, root: VerificationKey, typ: str) -> bytes:
    """Verify a flattened JWS against the pinned root key; return the payload bytes."""
    if type(doc) is not dict or set(doc) != {"protected", "payload", "signature"}:
        raise BundleFormatError("expected a JWS object with protected, payload, signature")
    protected, body, sig = doc["protected"], doc["payload"], doc["signature"]
    if not all(isinstance(v, str) for v in (protected, body, sig)):
        raise BundleFormatError("JWS members must be strings")
    if len(body) > MAX_DOC_BYTES:
        raise BundleFormatError("bundle document too large")
    try:
        header = json.loads(b64u_decode(protected))
        payload = b64u_decode(body)
        signature = b64u_decode(sig)
    except ValueError as exc:
        raise BundleFormatError("JWS members are not valid base64url/JSON") from exc
    if type(header) is not dict or header.get("typ") != typ:
        raise BundleFormatError(f"JWS typ must be {typ!r}")
    if header.get("alg") != root.alg or set(header) - {"alg", "kid", "typ"}:
        raise BundleSignatureError("JWS header alg does not match the pinned root key")
    if not root.verify(f"{protected}.{body}".encode("ascii"), signature):
        raise BundleSignatureError("bundle signature does not verify against the root key")
    return payload
