"""What `codes` answers for a golden vector, in the terms of the vector's format.

Shared by the vector test (answers against the files) and the browser test (the browser's
answers against these).
"""

from __future__ import annotations

from typing import Any

from codes import (
    KINDS,
    VerificationError,
    VerificationKey,
    VerifiedCode,
    apply_delta,
    check,
    load_bundle,
    verify,
)
from codes.claims import claims_to_map, from_seconds, to_seconds


def diagnostic(value: Any) -> Any:
    """Claims as JSON: keys as strings, bytes as h'..'."""
    if isinstance(value, dict):
        return {str(k): diagnostic(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [diagnostic(v) for v in value]
    return f"h'{value.hex()}'" if isinstance(value, bytes) else value


def python_answer(vector: dict[str, Any]) -> dict[str, Any]:
    """hcx-vector/1: the check() dict (health codes only, no kind); hcx-vector/2 and /3:
    validity, reason, kind, claims by CBOR key, expiry and kid of the verified code."""
    root = VerificationKey.from_jwk(vector["root_public_jwk"])
    bundle = load_bundle(vector["bundle"], root)
    for delta in vector.get("deltas", []):
        bundle = apply_delta(bundle, delta, root)
    options: dict[str, Any] = {
        "kinds": [k for k in KINDS if k.name in vector.get("accept", ["health"])],
        "now": from_seconds(vector["now"]),
        "leeway": vector["leeway"],
        "algorithms": tuple(vector["algorithms"]),
        "check_freshness": vector["check_freshness"],
    }
    if vector["format"] == "hcx-vector/1":
        result = check(vector["code"], bundle, **options)
        got = result.to_dict()
        del got["kind"]  # added with kinds; v1 files predate it
        got["expires_at"] = None if result.expires_at is None else to_seconds(result.expires_at)
        return got
    code: VerifiedCode | None
    try:
        code = verify(vector["code"], bundle, **options)
        valid, reason = True, None
    except VerificationError as exc:
        code, valid, reason = exc.code, False, str(exc.reason)
    return {
        "valid": valid,
        "reason": reason,
        "kind": None if code is None else str(code.kind.name),
        "claims": None if code is None else diagnostic(claims_to_map(code.claims)),
        "expires_at": None if code is None else to_seconds(code.expires_at),
        "kid": None if code is None else code.kid,
    }
