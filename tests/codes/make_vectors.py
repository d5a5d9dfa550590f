"""Write the hcx-vector/3 golden vectors in tests/codes/vectors/ (run this file).

hcx-vector/3 has the fields of hcx-vector/2; its bundles and deltas carry packed revocations
(`"rev_format": 2`, codes/SPEC.md §8.2), and two of them put a packed delta on a bundle in the
older list form. The hcx-vector/1 files (health codes only, claims in the order
1,2,6,4,7,-65537, revocations without "kind") and hcx-vector/2 files (kinds, revocations as a
list of {kind, sub, before}) were written by earlier versions of this script and are frozen:
they must keep verifying unchanged, so this script never touches them.

Keys are derived from fixed seeds and all times are fixed, so output is deterministic except
ES256 signatures (randomized); a vector file that exists is left as it is, so adding a case
writes only its file. Each intended outcome is stated here and checked before writing.
Expected claims are given by CBOR key (decimal strings), byte strings as h'hex', as in
codes/SPEC.md; no API names.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives.asymmetric import ec, ed25519  # noqa: E402

from codes import (  # noqa: E402
    KINDS,
    BundleDelta,
    Claims,
    HealthClaims,
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
    revocation_hash,
    sign_bundle,
    sign_delta,
    verify,
)
from codes.b64 import b64u_encode  # noqa: E402
from codes.bundle import TYP_BUNDLE  # noqa: E402
from codes.claims import claims_to_map, to_seconds  # noqa: E402
from codes.jws import canonical_json, jws_sign  # noqa: E402

OUT = Path(__file__).resolve().parent / "vectors"
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
BUNDLE_AT = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)
ISSUED = datetime(2025, 3, 1, 5, 0, tzinfo=UTC)
NOW = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
TTL = timedelta(hours=12)
CUT = ISSUED + timedelta(minutes=30)  # codes issued at ISSUED are covered
EARLY = ISSUED - timedelta(hours=1)  # codes issued at ISSUED are not


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
SHORT = seeded("ES256", "short-lived", not_after=ISSUED + timedelta(minutes=30))
KEYS = (
    ES_OLD.verification_key(),
    ES_NEW.verification_key(),
    ED.verification_key(),
    VerificationKey(SHARED_A.verification_key().public_key, kid=SHARED_B.kid),
    SHARED_B.verification_key(),
    SHORT.verification_key(),
)

# seq 50, packed: health p_reissued (before EARLY), p_revoked and p_unrevoked, place venue-closed.
PACKED = TrustBundle(
    seq=50,
    issued_at=BUNDLE_AT,
    keys=KEYS,
    revocations=(
        Revocation("health", "p_revoked", CUT),
        Revocation("health", "p_reissued", EARLY),
        Revocation("place", "venue-closed", CUT),
        Revocation("health", "p_unrevoked", CUT),
    ),
)
# seq 51: revoke p_late (health) and venue-late (place), lift p_unrevoked; then a re-sign.
PACKED_DELTAS = [
    sign_delta(
        BundleDelta(
            base_seq=50,
            seq=51,
            issued_at=BUNDLE_AT + timedelta(hours=4),
            keys=KEYS,
            revocations_added=(
                Revocation("health", "p_late", CUT),
                Revocation("place", "venue-late", CUT),
            ),
            revocations_removed=(("health", revocation_hash("health", "p_unrevoked")),),
        ),
        ROOT,
    ),
    sign_delta(
        BundleDelta(base_seq=51, seq=51, issued_at=BUNDLE_AT + timedelta(hours=5), keys=KEYS), ROOT
    ),
]
# The frozen hcx-vector/2 bundle (seq 42, revocations as a list: p_revoked, p_reissued,
# venue-closed, p_unrevoked) and a packed delta on it: revoke p_mixed, lift p_revoked.
LIST_BUNDLE = json.loads((OUT / "delta_revoked_health.json").read_text())["bundle"]
ON_LIST_DELTAS = [
    sign_delta(
        BundleDelta(
            base_seq=42,
            seq=43,
            issued_at=BUNDLE_AT + timedelta(hours=4),
            keys=KEYS,
            revocations_added=(Revocation("health", "p_mixed", CUT),),
            revocations_removed=(("health", revocation_hash("health", "p_revoked")),),
        ),
        ROOT,
    )
]


# seq 60: health p_old (before CUT) and p_kept (before KEEP), place venue-closed (before CUT);
# its delta drops the health entries before KEEP by a cut-off (p_kept, at it, stays).
KEEP = CUT + timedelta(minutes=1)
EXPIRING = TrustBundle(
    seq=60,
    issued_at=BUNDLE_AT,
    keys=KEYS,
    revocations=(
        Revocation("health", "p_old", CUT),
        Revocation("health", "p_kept", KEEP),
        Revocation("place", "venue-closed", CUT),
    ),
)
EXPIRED_DELTAS = [
    sign_delta(
        BundleDelta(
            base_seq=60,
            seq=61,
            issued_at=BUNDLE_AT + timedelta(hours=4),
            keys=KEYS,
            revocations_expired=(("health", KEEP),),
        ),
        ROOT,
    )
]


def leb128(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes([*out, value])


def duplicate_bundle() -> dict[str, str]:
    """A packed bundle our encoder never writes: p_twice twice (before EARLY, then CUT), and
    the two entries at CUT in descending hash order. Decoders must let the latest before win
    and must not require the hash order of equal times."""
    entries = sorted(
        [
            (to_seconds(EARLY), revocation_hash("health", "p_twice")),
            (to_seconds(CUT), revocation_hash("health", "p_twice")),
            (to_seconds(CUT), revocation_hash("health", "p_revoked")),
        ],
        key=lambda e: (e[0], -int.from_bytes(e[1], "big")),
    )
    times = b"".join(leb128(t - p) for (t, _), p in zip(entries, [0] + [t for t, _ in entries]))
    payload = PACKED.to_payload() | {"seq": 60}
    payload["revocations"] = {
        "health": {
            "before": b64u_encode(times),
            "hash": b64u_encode(b"".join(h for _, h in entries)),
        }
    }
    return jws_sign(canonical_json(payload), ROOT, TYP_BUNDLE)


def common(n: int, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = dict(
        issuer="HC",
        subject=f"p_{n:04d}",
        issued_at=ISSUED,
        expires_at=ISSUED + TTL,
        code_id=b64u_encode(hashlib.sha256(f"cti-v3-{n}".encode()).digest()[:16]),
    )
    return base | changes


def health(n: int, subject: str) -> HealthClaims:
    fields = dict(color="green", ruleset_version=3, holder_name="Z*** S******* W*****")
    return HealthClaims(**common(n, subject=subject, **fields | {"id_last4": "123X"}))


def place(n: int, subject: str) -> PlaceClaims:
    fields: dict[str, Any] = dict(
        subject=subject,
        expires_at=ISSUED + timedelta(days=90),
        region="R01",
        admitted_colors=("green",),
        test_within_hours=48,
    )
    return PlaceClaims(**common(n, **fields))


def signed(claims: Claims, key: SigningKey = ES_NEW) -> str:
    return issue(claims, key, kind=claims.kind)


def cases() -> list[dict[str, Any]]:
    packed = sign_bundle(PACKED, ROOT)
    full: dict[str, Any] = dict(bundle=packed, deltas=[])
    delta: dict[str, Any] = dict(bundle=packed, deltas=PACKED_DELTAS)
    on_list: dict[str, Any] = dict(bundle=LIST_BUNDLE, deltas=ON_LIST_DELTAS)
    expiring: dict[str, Any] = dict(bundle=sign_bundle(EXPIRING, ROOT), deltas=EXPIRED_DELTAS)
    return [
        dict(
            name="packed_revoked_health",
            code=signed(health(1, "p_revoked")),
            accept=["health"],
            reason="REVOKED",
            **full,
        ),
        dict(
            name="packed_revoked_place",
            code=signed(place(2, "venue-closed")),
            accept=["place"],
            reason="REVOKED",
            **full,
        ),
        dict(
            name="packed_reissued_after_revocation_valid",
            code=signed(health(3, "p_reissued")),
            accept=["health"],
            **full,
        ),
        dict(
            name="packed_same_subject_as_revoked_place_valid",
            code=signed(health(4, "venue-closed")),
            accept=["health"],
            **full,
        ),
        dict(
            name="packed_revoked_before_removal",
            code=signed(health(5, "p_unrevoked")),
            accept=["health"],
            reason="REVOKED",
            **full,
        ),
        dict(
            name="packed_delta_revoked_health",
            code=signed(health(6, "p_late")),
            accept=["health"],
            reason="REVOKED",
            **delta,
        ),
        dict(
            name="packed_delta_revoked_place",
            code=signed(place(7, "venue-late"), ED),
            accept=["place"],
            reason="REVOKED",
            **delta,
        ),
        dict(
            name="packed_delta_removed_valid",
            code=signed(health(8, "p_unrevoked")),
            accept=["health"],
            **delta,
        ),
        dict(
            name="packed_delta_on_list_bundle_revoked",
            code=signed(health(9, "p_mixed")),
            accept=["health"],
            reason="REVOKED",
            **on_list,
        ),
        dict(
            name="packed_delta_on_list_bundle_removed_valid",
            code=signed(health(10, "p_revoked")),
            accept=["health"],
            **on_list,
        ),
        dict(
            name="packed_duplicate_hash_latest_before_wins",
            code=signed(health(11, "p_twice")),
            accept=["health"],
            reason="REVOKED",
            bundle=duplicate_bundle(),
            deltas=[],
        ),
        dict(
            name="packed_delta_expired_dropped_valid",
            code=signed(health(12, "p_old")),
            accept=["health"],
            **expiring,
        ),
        dict(
            name="packed_delta_expired_at_cutoff_revoked",
            code=signed(health(13, "p_kept")),
            accept=["health"],
            reason="REVOKED",
            **expiring,
        ),
        dict(
            name="packed_delta_expired_other_kind_revoked",
            code=signed(place(14, "venue-closed")),
            accept=["place"],
            reason="REVOKED",
            **expiring,
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
    for case in cases():
        path = OUT / f"{case['name']}.json"
        if path.exists():  # written before: kept byte for byte (delete it to rewrite it)
            written = json.loads(path.read_text())["expected"]["reason"]
            assert written == case.get("reason"), (case["name"], written)
            continue
        bundle = load_bundle(case["bundle"], root)
        for delta in case["deltas"]:
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
            "format": "hcx-vector/3",
            "name": case["name"],
            "root_public_jwk": root.public_jwk(),
            "bundle": case["bundle"],
            "deltas": case["deltas"],
            "code": case["code"],
            "accept": case["accept"],
            "now": to_seconds(NOW),
            "leeway": 60,
            "algorithms": ["ES256", "EdDSA"],
            "check_freshness": True,
            "expected": outcome,
        }
        path.write_text(json.dumps(vector, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        print(f"{path.relative_to(REPO)}: {outcome['reason'] or 'valid'}")


if __name__ == "__main__":
    main()
