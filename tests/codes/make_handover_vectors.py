"""Write the root hand-over golden vectors (tests/codes/vectors/handover/*.json).

    python tests/codes/make_handover_vectors.py

Format "hcx-handover/1": `root_public_jwk` (the pinned root), `handovers` (signed
statements, in the order a server lists them), `bundle` (a signed bundle) and `expected`:
`{"error": null | "BundleFormatError" | "BundleSignatureError", "root_kid": the kid the
chain reaches (null on error), "bundle_valid": whether `bundle` verifies with that root}`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from codes import SigningKey, TrustBundle
from codes.bundle import sign_bundle
from codes.handover import sign_handover

OUT = Path(__file__).resolve().parent / "vectors" / "handover"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def main() -> None:
    roots = [SigningKey.generate("ES256") for _ in range(3)]
    stranger = SigningKey.generate("ES256")
    pub = [r.verification_key() for r in roots]
    h01 = sign_handover(roots[0], pub[1], now=NOW)
    h12 = sign_handover(roots[1], pub[2], now=NOW)
    bundle = TrustBundle(
        seq=7, issued_at=NOW, keys=(SigningKey.generate("ES256").verification_key(),)
    )
    forged = sign_handover(stranger, pub[1], now=NOW)
    forged["protected"] = h01["protected"]  # claims to come from root 0
    cases = {
        "handover_valid": (h01,),
        "handover_chain_any_order": (h12, h01),
        "handover_forged": (forged,),
        "handover_loop": (h01, sign_handover(roots[1], pub[0], now=NOW)),
        "handover_other_root_ignored": (h12,),
    }
    expected = {
        "handover_valid": (None, pub[1], roots[1]),
        "handover_chain_any_order": (None, pub[2], roots[2]),
        "handover_forged": ("BundleSignatureError", None, roots[1]),
        "handover_loop": ("BundleFormatError", None, roots[0]),
        "handover_other_root_ignored": (None, pub[0], roots[2]),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    for name, docs in cases.items():
        error, reached, signer = expected[name]
        vector = {
            "format": "hcx-handover/1",
            "description": name.replace("_", " "),
            "root_public_jwk": pub[0].public_jwk(),
            "handovers": list(docs),
            "bundle": sign_bundle(bundle, signer),
            "expected": {
                "error": error,
                "root_kid": None if reached is None else reached.kid_b64,
                "bundle_valid": reached is not None
                and reached.kid == signer.verification_key().kid,
            },
        }
        (OUT / f"{name}.json").write_text(json.dumps(vector, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
