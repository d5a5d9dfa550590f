"""Golden vectors: every file in vectors/ must give its expected result.

hcx-vector/1 files (health codes, written before kinds existed) and hcx-vector/2 files (kinds,
deltas, claims named by CBOR key; revocations as a list) are frozen and must keep verifying
unchanged; hcx-vector/3 files have /2's fields and packed revocations (rev_format 2).
"""

from __future__ import annotations

import base64
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
    assert vector["format"] in ("hcx-vector/1", "hcx-vector/2", "hcx-vector/3")
    if vector["format"] != "hcx-vector/1":
        assert "deltas" in vector and "accept" in vector  # v2 and v3 name them, even when empty
    return vector


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector(path: Path) -> None:
    vector = load(path)
    assert python_answer(vector) == vector["expected"]


def test_vectors_cover_every_reason_kind_and_both_algorithms() -> None:
    vectors = [load(p) for p in VECTORS]
    reasons = {v["expected"]["reason"] for v in vectors}
    assert reasons == {None} | {r.value for r in Reason}
    v2 = [v for v in vectors if v["format"] != "hcx-vector/1"]
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


def payload(doc: dict[str, str]) -> dict[str, Any]:
    body = doc["payload"]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def test_only_v3_vectors_have_packed_revocations() -> None:
    """The frozen files keep their list-form documents; v3 covers what the packed form needs."""
    vectors = [load(p) for p in VECTORS]
    for vector in vectors:
        if vector["format"] != "hcx-vector/3":
            docs = [vector["bundle"], *vector.get("deltas", [])]
            assert all("rev_format" not in payload(d) for d in docs), vector["name"]
    v3 = [v for v in vectors if v["format"] == "hcx-vector/3"]
    packed = [v for v in v3 if payload(v["bundle"]).get("rev_format") == 2]
    revoked = {v["expected"]["kind"] for v in packed if v["expected"]["reason"] == "REVOKED"}
    assert revoked == {"health", "place"}
    deltas = [payload(d) for v in v3 for d in v["deltas"]]
    assert deltas and all(d["rev_format"] == 2 for d in deltas)
    assert any(d["revocations_removed"] for d in deltas)
    assert {k for d in deltas for k in d["revocations_added"]} == {"health", "place"}
    on_list = [v for v in v3 if "rev_format" not in payload(v["bundle"])]
    assert {v["expected"]["valid"] for v in on_list if v["deltas"]} == {True, False}
