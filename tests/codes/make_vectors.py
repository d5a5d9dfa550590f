"""Write the golden vectors in tests/codes/vectors/ (python tests/codes/make_vectors.py).

Keys are derived from fixed seeds and all times are fixed, so output is deterministic except
ES256 signatures (randomized). Each intended outcome is stated here and checked before writing.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives.asymmetric import ec, ed25519  # noqa: E402

from codes import (  # noqa: E402
    Claims,
    Revocation,
    SigningKey,
    TrustBundle,
    VerificationKey,
    check,
    issue,
    load_bundle,
    sign_bundle,
)
from codes.b64 import b64u_encode  # noqa: E402
from codes.base32 import b32decode, b32encode  # noqa: E402
from codes.claims import to_seconds  # noqa: E402

OUT = Path(__file__).resolve().parent / "vectors"
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
BUNDLE_AT = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
ISSUED = datetime(2025, 3, 1, 5, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
TTL = timedelta(hours=12)


def seeded(alg: str, seed: str, not_after: datetime | None = None) -> SigningKey:
    digest = hashlib.sha256(f"hcx-vector-{seed}".encode()).digest()
    if alg == "EdDSA":
        return SigningKey(ed25519.Ed25519PrivateKey.from_private_bytes(digest), not_after=not_after)
    scalar = int.from_bytes(digest, "big") % (P256_ORDER - 1) + 1
    return SigningKey(ec.derive_private_key(scalar, ec.SECP256R1()), not_after=not_after)


ROOT = seeded("ES256", "root")
ES_OLD = seeded("ES256", "es-old")
ES_NEW = seeded("ES256", "es-new")
ED = seeded("EdDSA", "ed")
SHARED_A = seeded("ES256", "shared-a")
SHARED_B = seeded("ES256", "shared-b")
REMOVED = seeded("ES256", "removed")
SHORT = seeded("ES256", "short-lived", not_after=ISSUED + timedelta(minutes=30))

BUNDLE = TrustBundle(
    seq=42,
    issued_at=BUNDLE_AT,
    keys=(
        ES_OLD.verification_key(),
        ES_NEW.verification_key(),
        ED.verification_key(),
        # Two different keys listed under one kid: the verifier must try both.
        VerificationKey(SHARED_A.verification_key().public_key, kid=SHARED_B.kid),
        SHARED_B.verification_key(),
        SHORT.verification_key(),
    ),
    revocations=(
        Revocation("p_revoked", ISSUED + timedelta(minutes=30)),
        Revocation("p_reissued", ISSUED - timedelta(hours=1)),
    ),
    max_offline_age=timedelta(hours=24),
)
SIGNED = sign_bundle(BUNDLE, ROOT)


def claims(n: int, **changes: Any) -> Claims:
    base = Claims(
        issuer="HC",
        subject=f"p_{n:04d}",
        issued_at=ISSUED,
        expires_at=ISSUED + TTL,
        code_id=b64u_encode(hashlib.sha256(f"cti-{n}".encode()).digest()[:16]),
        color="green",
        ruleset_version=3,
        holder_name="Z*** S******* W*****",
        id_last4="123X",
    )
    return replace(base, **changes)


def flip_last_byte(text: str) -> str:
    raw = bytearray(b32decode(text[5:]))
    raw[-1] ^= 0x01
    return "HCX1:" + b32encode(bytes(raw))


def change_one_char(text: str, at: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return text[:at] + alphabet[(alphabet.index(text[at]) + 1) % 32] + text[at + 1 :]


def cases() -> list[dict[str, Any]]:
    valid = issue(claims(1), ES_NEW)
    return [
        dict(name="valid_es256", code=valid, reason=None),
        dict(name="valid_eddsa", code=issue(claims(2, color="yellow"), ED), reason=None),
        dict(name="valid_rotation_old_key", code=issue(claims(3), ES_OLD), reason=None),
        dict(name="valid_shared_kid", code=issue(claims(4, color="red"), SHARED_B), reason=None),
        dict(
            name="valid_revocation_before_iat",
            code=issue(claims(5, subject="p_reissued"), ES_NEW),
            reason=None,
        ),
        dict(
            name="valid_within_leeway_after_exp",
            code=issue(claims(6, expires_at=NOW - timedelta(seconds=30)), ES_NEW),
            reason=None,
        ),
        dict(
            name="malformed_cbor",
            code="HCX1:" + b32encode(b"\xd2\x84\x01\x02\x03\x04"),
            reason="MALFORMED",
        ),
        dict(name="malformed_too_long", code="HCX1:" + "A" * 4100, reason="MALFORMED"),
        dict(name="bad_prefix", code="HC1:" + valid[5:], reason="BAD_PREFIX"),
        dict(
            name="bad_encoding_lowercase", code="HCX1:" + valid[5:].lower(), reason="BAD_ENCODING"
        ),
        dict(name="bad_encoding_padding", code=valid + "=", reason="BAD_ENCODING"),
        dict(name="one_char_change", code=change_one_char(valid, 200), reason="BAD_SIGNATURE"),
        dict(name="unknown_key_removed", code=issue(claims(7), REMOVED), reason="UNKNOWN_KEY"),
        dict(
            name="alg_not_allowed",
            code=issue(claims(8), ED),
            algorithms=["ES256"],
            reason="ALG_NOT_ALLOWED",
        ),
        dict(name="bad_signature", code=flip_last_byte(valid), reason="BAD_SIGNATURE"),
        dict(
            name="expired",
            code=issue(claims(9, expires_at=NOW - timedelta(seconds=61)), ES_NEW),
            reason="EXPIRED",
        ),
        dict(
            name="expired_key_not_after",
            code=issue(claims(10, expires_at=ISSUED + timedelta(minutes=30)), SHORT),
            reason="EXPIRED",
        ),
        dict(
            name="not_yet_valid",
            code=issue(claims(11, issued_at=NOW + timedelta(minutes=5)), ES_NEW),
            reason="NOT_YET_VALID",
        ),
        dict(name="revoked", code=issue(claims(12, subject="p_revoked"), ES_NEW), reason="REVOKED"),
        dict(
            name="bundle_stale",
            code=valid,
            now=BUNDLE_AT + timedelta(hours=24, seconds=1),
            reason="BUNDLE_STALE",
        ),
        dict(
            name="clock_behind",
            code=valid,
            now=BUNDLE_AT - timedelta(seconds=61),
            reason="CLOCK_BEHIND",
        ),
    ]


def expected(result: Any) -> dict[str, Any]:
    return {
        "valid": result.valid,
        "reason": None if result.reason is None else str(result.reason),
        "color": result.color,
        "holder_name": result.holder_name,
        "id_last4": result.id_last4,
        "expires_at": None if result.expires_at is None else to_seconds(result.expires_at),
        "code_id": result.code_id,
        "kid": result.kid,
    }


def main() -> None:
    OUT.mkdir(exist_ok=True)
    root = ROOT.verification_key()
    bundle = load_bundle(SIGNED, root)
    for old in OUT.glob("*.json"):
        old.unlink()
    for case in cases():
        now = case.get("now", NOW)
        algorithms = case.get("algorithms", ["ES256", "EdDSA"])
        result = check(case["code"], bundle, now=now, leeway=60, algorithms=algorithms)
        assert result.reason == case["reason"], (case["name"], result.reason)
        vector = {
            "format": "hcx-vector/1",
            "name": case["name"],
            "root_public_jwk": root.public_jwk(),
            "bundle": SIGNED,
            "code": case["code"],
            "now": to_seconds(now),
            "leeway": 60,
            "algorithms": algorithms,
            "check_freshness": True,
            "expected": expected(result),
        }
        path = OUT / f"{case['name']}.json"
        path.write_text(json.dumps(vector, indent=2, sort_keys=True) + "\n")
        print(f"{path.relative_to(REPO)}: {vector['expected']['reason'] or 'valid'}")


if __name__ == "__main__":
    main()
