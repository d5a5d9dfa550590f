"""Write the hcx-vector/2 golden vectors in tests/codes/vectors/ (run this file).

The hcx-vector/1 files there (health codes only, claims in the order 1,2,6,4,7,-65537, bundle
revocations without "kind") were written by an earlier version of this script and are frozen:
they must keep verifying unchanged, so this script never touches them.

Keys are derived from fixed seeds and all times are fixed, so output is deterministic except
ES256 signatures (randomized). Each intended outcome is stated here and checked before writing.
Expected claims are given by CBOR key (decimal strings), byte strings as h'hex', as in
codes/SPEC.md; no API names.
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

import cbor2  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519  # noqa: E402

from codes import (  # noqa: E402
    HEALTH,
    KINDS,
    BundleDelta,
    Claims,
    HealthClaims,
    Kind,
    PassClaims,
    PlaceClaims,
    Revocation,
    SigningKey,
    TrustBundle,
    VerificationError,
    VerificationKey,
    VerifiedCode,
    apply_delta,
    issue,
    load_bundle,
    sign_bundle,
    sign_delta,
    verify,
)
from codes.b64 import b64u_encode  # noqa: E402
from codes.base32 import b32encode  # noqa: E402
from codes.claims import claims_to_map, to_seconds  # noqa: E402
from codes.cose import bstr, framing  # noqa: E402

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
        Revocation("health", "p_revoked", ISSUED + timedelta(minutes=30)),
        Revocation("health", "p_reissued", ISSUED - timedelta(hours=1)),
        Revocation("place", "venue-closed", ISSUED + timedelta(minutes=30)),
        Revocation("health", "p_unrevoked", ISSUED + timedelta(minutes=30)),
    ),
    max_offline_age=timedelta(hours=24),
)
SIGNED = sign_bundle(BUNDLE, ROOT)
# seq 43: revoke p_late (health) and venue-late (place), lift p_unrevoked; then a re-sign.
BUNDLE_43 = replace(
    BUNDLE,
    seq=43,
    issued_at=BUNDLE_AT + timedelta(hours=4),
    revocations=(
        *BUNDLE.revocations[:3],
        Revocation("health", "p_late", ISSUED + timedelta(minutes=30)),
        Revocation("place", "venue-late", ISSUED + timedelta(minutes=30)),
    ),
)
DELTAS = [
    sign_delta(
        BundleDelta(
            base_seq=42,
            seq=43,
            issued_at=BUNDLE_43.issued_at,
            keys=BUNDLE.keys,
            revocations_added=BUNDLE_43.revocations[3:],
            revocations_removed=(("health", "p_unrevoked"),),
        ),
        ROOT,
    ),
    sign_delta(
        BundleDelta(
            base_seq=43, seq=43, issued_at=BUNDLE_AT + timedelta(hours=5), keys=BUNDLE.keys
        ),
        ROOT,
    ),
]


def common(n: int, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = dict(
        issuer="HC",
        subject=f"p_{n:04d}",
        issued_at=ISSUED,
        expires_at=ISSUED + TTL,
        code_id=b64u_encode(hashlib.sha256(f"cti-v2-{n}".encode()).digest()[:16]),
    )
    return base | changes


def health(n: int, **changes: Any) -> HealthClaims:
    fields = dict(color="green", ruleset_version=3, holder_name="Z*** S******* W*****")
    return HealthClaims(**common(n, **fields | {"id_last4": "123X"} | changes))


def place(n: int, **changes: Any) -> PlaceClaims:
    fields: dict[str, Any] = dict(
        subject=f"venue-{n}",
        expires_at=ISSUED + timedelta(days=90),
        region="R01",
        admitted_colors=("green",),
        test_within_hours=48,
    )
    return PlaceClaims(**common(n, **fields | changes))


def paper_pass(n: int, **changes: Any) -> PassClaims:
    fields = dict(expires_at=ISSUED + timedelta(days=365), holder_name="L* H**", id_last4="0042")
    return PassClaims(**common(n, **fields | changes))


def signed(claims: Claims, key: SigningKey = ES_NEW) -> str:
    return issue(claims, key, kind=claims.kind)


def crafted(claims_map: dict[int, Any], kind: Kind, key: SigningKey = ES_NEW) -> str:
    """Sign a claims map as it is (bypassing issue()'s checks) to make MALFORMED vectors."""
    payload = bstr(cbor2.dumps(claims_map))
    tbs, cose = framing(key.alg, key.kid)
    return kind.prefix + b32encode(cose + payload + b"\x58\x40" + key.sign(tbs + payload))


def relabel(text: str, kind: Kind) -> str:
    """The same signed bytes under another kind's (unsigned) prefix."""
    return kind.prefix + text[text.index(":") + 1 :]


NAME_40_BYTES = "张*丰 " + "李" + "*" * 29  # 7 + 1 + 3 + 29 = 40 UTF-8 bytes, 34 characters


def cases() -> list[dict[str, Any]]:
    place_code = signed(place(2))
    health_code = signed(health(1))
    pass_code = signed(paper_pass(3))
    long_name = claims_to_map(health(20))
    long_name[HEALTH.claim_key][3] = NAME_40_BYTES + "*"  # 41 bytes, 35 characters
    return [
        dict(name="health_valid_deterministic", code=health_code, accept=["health"]),
        dict(
            name="health_valid_utf8_name_40_bytes",
            code=signed(health(4, holder_name=NAME_40_BYTES)),
            accept=["health"],
        ),
        dict(
            name="health_malformed_utf8_name_41_bytes",
            code=crafted(long_name, HEALTH),
            accept=["health"],
            reason="MALFORMED",
        ),
        dict(
            name="health_ruleset_0_not_assessed",
            code=signed(health(5, ruleset_version=0)),
            accept=["health"],
        ),
        dict(name="place_valid", code=place_code, accept=["place"]),
        dict(
            name="place_valid_no_test_rule",
            code=signed(place(6, admitted_colors=("green", "yellow"), test_within_hours=None)),
            accept=["place"],
        ),
        dict(name="place_valid_eddsa", code=signed(place(7), ED), accept=["place", "health"]),
        dict(
            name="place_revoked",
            code=signed(place(8, subject="venue-closed")),
            accept=["place"],
            reason="REVOKED",
        ),
        dict(
            name="health_valid_same_subject_as_revoked_place",
            code=signed(health(9, subject="venue-closed")),
            accept=["health"],
        ),
        dict(name="pass_valid", code=pass_code, accept=["pass"]),
        dict(
            name="pass_expired",
            code=signed(paper_pass(10, expires_at=NOW - timedelta(minutes=2))),
            accept=["pass"],
            reason="EXPIRED",
        ),
        dict(
            name="wrong_kind_place_as_health",
            code=place_code,
            accept=["health"],
            reason="WRONG_KIND",
        ),
        dict(
            name="wrong_kind_health_as_place",
            code=health_code,
            accept=["place"],
            reason="WRONG_KIND",
        ),
        dict(
            name="wrong_kind_pass_as_health", code=pass_code, accept=["health"], reason="WRONG_KIND"
        ),
        dict(
            name="wrong_kind_place_relabelled_health",
            code=relabel(place_code, HEALTH),
            accept=["health"],
            reason="WRONG_KIND",
        ),
        dict(
            name="malformed_place_relabelled_both_accepted",
            code=relabel(place_code, HEALTH),
            accept=["health", "place"],
            reason="MALFORMED",
        ),
        dict(
            name="bad_prefix_unknown_kind",
            code="HCZ1:" + place_code[5:],
            accept=["place"],
            reason="BAD_PREFIX",
        ),
        dict(
            name="delta_revoked_health",
            code=signed(health(11, subject="p_late")),
            accept=["health"],
            deltas=True,
            reason="REVOKED",
        ),
        dict(
            name="delta_revoked_place",
            code=signed(place(12, subject="venue-late")),
            accept=["place"],
            deltas=True,
            reason="REVOKED",
        ),
        dict(
            name="delta_unrevoked_health",
            code=signed(health(13, subject="p_unrevoked")),
            accept=["health"],
            deltas=True,
        ),
        dict(
            name="full_bundle_revoked_before_delta",
            code=signed(health(14, subject="p_unrevoked")),
            accept=["health"],
            reason="REVOKED",
        ),
    ]


def diagnostic(value: Any) -> Any:
    """JSON form of decoded claims: int keys as decimal strings, byte strings as h'hex'."""
    if isinstance(value, dict):
        return {str(k): diagnostic(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [diagnostic(v) for v in value]
    if isinstance(value, bytes):
        return f"h'{value.hex()}'"
    return value


def expected(code: VerifiedCode | None, valid: bool, reason: str | None) -> dict[str, Any]:
    return {
        "valid": valid,
        "reason": reason,
        "kind": None if code is None else code.kind.name.value,
        "claims": None if code is None else diagnostic(claims_to_map(code.claims)),
        "expires_at": None if code is None else to_seconds(code.expires_at),
        "kid": None if code is None else code.kid,
    }


def main() -> None:
    root = ROOT.verification_key()
    full = load_bundle(SIGNED, root)
    for old in OUT.glob("*.json"):
        if json.loads(old.read_text()).get("format") == "hcx-vector/2":
            old.unlink()
    for case in cases():
        deltas = DELTAS if case.get("deltas") else []
        bundle = full
        for delta in deltas:
            bundle = apply_delta(bundle, delta, root)
        accept = [k for k in KINDS if k.name in case["accept"]]
        code: VerifiedCode | None
        try:
            code = verify(case["code"], bundle, kinds=accept, now=NOW, leeway=60)
            outcome = expected(code, True, None)
        except VerificationError as exc:
            outcome = expected(exc.code, False, str(exc.reason))
        assert outcome["reason"] == case.get("reason"), (case["name"], outcome["reason"])
        vector = {
            "format": "hcx-vector/2",
            "name": case["name"],
            "root_public_jwk": root.public_jwk(),
            "bundle": SIGNED,
            "deltas": deltas,
            "code": case["code"],
            "accept": case["accept"],
            "now": to_seconds(NOW),
            "leeway": 60,
            "algorithms": ["ES256", "EdDSA"],
            "check_freshness": True,
            "expected": outcome,
        }
        path = OUT / f"{case['name']}.json"
        path.write_text(json.dumps(vector, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        print(f"{path.relative_to(REPO)}: {outcome['reason'] or 'valid'}")


if __name__ == "__main__":
    main()
