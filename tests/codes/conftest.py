"""Shared fixtures for the codes tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from codes import Claims, SigningKey, TrustBundle, new_code_id

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
        base = Claims(
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
