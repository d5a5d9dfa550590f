"""Root hand-over: golden vectors (vectors/handover/) and the strict statement parser."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from codes import SigningKey, VerificationKey
from codes.bundle import load_bundle
from codes.errors import BundleFormatError, BundleSignatureError, CodesError
from codes.handover import follow, sign_handover, verify_handover
from codes.jws import jws_sign

VECTORS = sorted((Path(__file__).parent / "vectors" / "handover").glob("*.json"))
ERRORS = {"BundleFormatError": BundleFormatError, "BundleSignatureError": BundleSignatureError}
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize("path", VECTORS, ids=[p.stem for p in VECTORS])
def test_vector(path: Path) -> None:
    vector = json.loads(path.read_text())
    assert vector["format"] == "hcx-handover/1"
    pinned = VerificationKey.from_jwk(vector["root_public_jwk"])
    expected = vector["expected"]
    if expected["error"]:
        with pytest.raises(ERRORS[expected["error"]]):
            follow(pinned, vector["handovers"])
        return
    root, used = follow(pinned, vector["handovers"])
    assert root.kid_b64 == expected["root_kid"]
    try:
        load_bundle(vector["bundle"], root)
        valid = True
    except CodesError:
        valid = False
    assert valid is expected["bundle_valid"]
    assert len(used) <= len(vector["handovers"])


def test_statement_is_parsed_strictly() -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    doc = sign_handover(old, new.verification_key(), now=NOW)
    assert verify_handover(doc, old.verification_key()).successor.kid == new.verification_key().kid
    with pytest.raises(BundleSignatureError):
        verify_handover(doc, new.verification_key())
    wrong_kid = json.dumps(
        {
            "type": "root-handover",
            "from": old.kid_b64,
            "to": {**_to(new), "kid": old.kid_b64},
            "issued_at": 1,
        }
    ).encode()
    with pytest.raises(BundleFormatError):
        verify_handover(jws_sign(wrong_kid, old, "hcx-root-handover+json"), old.verification_key())
    extra = json.dumps(
        {"type": "root-handover", "from": old.kid_b64, "to": _to(new), "issued_at": 1, "x": 1}
    ).encode()
    with pytest.raises(BundleFormatError):
        verify_handover(jws_sign(extra, old, "hcx-root-handover+json"), old.verification_key())
    with pytest.raises(BundleFormatError):  # a bundle is not a hand-over
        verify_handover(jws_sign(b"{}", old, "hcx-trust+json"), old.verification_key())


def _to(key: SigningKey) -> dict[str, object]:
    jwk = {k: v for k, v in key.public_jwk().items() if k not in ("kid", "alg")}
    return {"kid": key.kid_b64, "alg": key.alg, "jwk": jwk}
