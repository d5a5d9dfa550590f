"""Third-party check: pycose verifies our codes using only the public key."""

from __future__ import annotations

from collections.abc import Callable

import cbor2
import pytest
from pycose.keys import CoseKey
from pycose.keys.curves import P256, Ed25519
from pycose.keys.keyparam import EC2KpCurve, EC2KpX, EC2KpY, KpKty, OKPKpCurve, OKPKpX
from pycose.keys.keytype import KtyEC2, KtyOKP
from pycose.messages import Sign1Message

from codes import Claims, SigningKey, issue
from codes.b64 import b64u_decode
from codes.base32 import b32decode


def cose_key(key: SigningKey) -> CoseKey:
    jwk = key.public_jwk()
    if jwk["kty"] == "EC":
        return CoseKey.from_dict(
            {
                KpKty: KtyEC2,
                EC2KpCurve: P256,
                EC2KpX: b64u_decode(jwk["x"]),
                EC2KpY: b64u_decode(jwk["y"]),
            }
        )
    return CoseKey.from_dict({KpKty: KtyOKP, OKPKpCurve: Ed25519, OKPKpX: b64u_decode(jwk["x"])})


def pycose_decode(raw: bytes) -> Sign1Message:
    """Sign1Message.decode; pycose 1.1 predates cbor2 6, whose tag contents are immutable."""
    try:
        return Sign1Message.decode(raw)
    except TypeError:
        tagged = cbor2.loads(raw)
        assert tagged.tag == 18
        protected, unprotected, payload, signature = tagged.value
        return Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)


@pytest.mark.parametrize("key_name", ["es_key", "ed_key"])
def test_pycose_verifies_our_code(
    request: pytest.FixtureRequest, key_name: str, make_claims: Callable[..., Claims]
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    claims = make_claims()
    raw = b32decode(issue(claims, key, kind=HEALTH)[len("HCX1:") :])
    message = pycose_decode(raw)
    message.key = cose_key(key)
    assert message.verify_signature()
    assert cbor2.loads(message.payload)[2] == claims.subject
    # pycose must also reject a tampered signature with the same key.
    tampered = pycose_decode(raw[:-1] + bytes([raw[-1] ^ 1]))
    tampered.key = cose_key(key)
    assert not tampered.verify_signature()
