"""Golden vectors: every file in vectors/ must give its expected check() result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codes import Reason, VerificationKey, check, load_bundle
from codes.claims import from_seconds, to_seconds

VECTORS = sorted((Path(__file__).parent / "vectors").glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    vector: dict[str, Any] = json.loads(path.read_text())
    assert vector["format"] == "hcx-vector/1"
    return vector


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector(path: Path) -> None:
    vector = load(path)
    root = VerificationKey.from_jwk(vector["root_public_jwk"])
    bundle = load_bundle(vector["bundle"], root)
    result = check(
        vector["code"],
        bundle,
        now=from_seconds(vector["now"]),
        leeway=vector["leeway"],
        algorithms=tuple(vector["algorithms"]),
        check_freshness=vector["check_freshness"],
    )
    got = result.to_dict()
    got["expires_at"] = None if result.expires_at is None else to_seconds(result.expires_at)
    assert got == vector["expected"]


def test_vectors_cover_every_reason_and_both_algorithms() -> None:
    vectors = [load(p) for p in VECTORS]
    reasons = {v["expected"]["reason"] for v in vectors}
    assert reasons == {None} | {r.value for r in Reason}
    root = VerificationKey.from_jwk(vectors[0]["root_public_jwk"])
    bundle = load_bundle(vectors[0]["bundle"], root)
    valid_algs = {
        key.alg
        for v in vectors
        if v["expected"]["valid"]
        for key in bundle.keys
        if key.kid_b64 == v["expected"]["kid"]
    }
    assert valid_algs == {"ES256", "EdDSA"}
    assert any(len(bundle.keys_for(k.kid)) > 1 for k in bundle.keys)
