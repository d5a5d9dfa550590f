"""Golden vectors: every file in vectors/ must give its expected result.

hcx-vector/1 files (health codes, written before kinds existed) are frozen and must keep
verifying unchanged; hcx-vector/2 files add kinds, deltas and claims named by CBOR key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codes import (
    KINDS,
    Reason,
    VerificationKey,
    load_bundle,
)
from tests.codes.vector_answers import python_answer

VECTORS = sorted((Path(__file__).parent / "vectors").glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    vector: dict[str, Any] = json.loads(path.read_text())
    assert vector["format"] in ("hcx-vector/1", "hcx-vector/2")
    if vector["format"] == "hcx-vector/2":
        assert "deltas" in vector and "accept" in vector  # v2 names them, even when empty
    return vector


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector(path: Path) -> None:
    vector = load(path)
    assert python_answer(vector) == vector["expected"]


def test_vectors_cover_every_reason_kind_and_both_algorithms() -> None:
    vectors = [load(p) for p in VECTORS]
    reasons = {v["expected"]["reason"] for v in vectors}
    assert reasons == {None} | {r.value for r in Reason}
    v2 = [v for v in vectors if v["format"] == "hcx-vector/2"]
    assert {v["expected"]["kind"] for v in v2 if v["expected"]["valid"]} == {k.name for k in KINDS}
    wrong = {
        (v["code"][:5], tuple(v["accept"])) for v in v2 if v["expected"]["reason"] == "WRONG_KIND"
    }
    assert {("HCP1:", ("health",)), ("HCX1:", ("place",))} <= wrong
    assert any(v["deltas"] and v["expected"]["reason"] == "REVOKED" for v in v2)
    assert any(v["deltas"] and v["expected"]["valid"] for v in v2)
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


def test_frozen_v1_vectors_keep_the_old_claim_order() -> None:
    """The v1 codes were issued as 1,2,6,4,7,-65537: verifiers must not require key order."""
    import cbor2

    from codes.base32 import b32decode

    vector = load(Path(__file__).parent / "vectors" / "valid_es256.json")
    payload = cbor2.loads(cbor2.loads(b32decode(vector["code"][5:])).value[2])
    assert list(payload) == [1, 2, 6, 4, 7, -65537]
