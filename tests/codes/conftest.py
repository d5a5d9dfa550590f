"""Shared fixtures for the codes tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from codes import Claims, HealthClaims, SigningKey, TrustBundle, new_code_id

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def es_key() -> SigningKey:
    return SigningKey.generate("ES256")


@pytest.fixture(scope="session")
def ed_key() -> SigningKey:
    return SigningKey.generate("EdDSA")


@pytest.fixture(scope="session")
def root_key() -> SigningKey:
    return SigningKey.generate("ES256")


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def make_claims() -> Callable[..., Claims]:
    def make(**changes: Any) -> Claims:
        base = HealthClaims(
            issuer="HC",
            subject="p_" + new_code_id(),
            issued_at=NOW,
            expires_at=NOW + timedelta(hours=12),
            code_id=new_code_id(),
            color="green",
            ruleset_version=7,
            holder_name="Z*** S******* W*****",
            id_last4="123X",
        )
        return replace(base, **changes)

    return make


@pytest.fixture
def bundle(es_key: SigningKey, ed_key: SigningKey) -> TrustBundle:
    return TrustBundle(
        seq=5,
        issued_at=NOW - timedelta(hours=1),
        keys=(es_key.verification_key(), ed_key.verification_key()),
    )


def craft_code(
    payload: Any,
    key: SigningKey,
    *,
    header: Any = None,
    unprotected: Any = None,
    tag: int = 18,
) -> str:
    """Build and sign a COSE_Sign1 from raw parts with cbor2, to test the verifier's checks."""
    import cbor2

    from codes.base32 import b32encode
    from codes.keys import COSE_ALG_IDS

    protected = cbor2.dumps({1: COSE_ALG_IDS[key.alg], 4: key.kid} if header is None else header)
    body = payload if isinstance(payload, bytes) else cbor2.dumps(payload)
    to_sign = cbor2.dumps(["Signature1", protected, b"", body])
    parts = [protected, {} if unprotected is None else unprotected, body, key.sign(to_sign)]
    return "HCX1:" + b32encode(cbor2.dumps(cbor2.CBORTag(tag, parts)))


@pytest.fixture
def craft() -> Callable[..., str]:
    return craft_code
