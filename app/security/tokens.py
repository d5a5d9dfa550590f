"""Short-lived JWT access tokens, pinned to one algorithm."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt

ALGORITHM = "HS256"
AUDIENCE = "healthcode-api"
LEEWAY = 5  # seconds of clock difference tolerated on `exp`


@dataclass(frozen=True)
class AccessClaims:
    """What an access token says about its bearer."""

    account_id: uuid.UUID
    role: str
    issued_at: datetime


def issue_access_token(
    secret: str, issuer: str, account_id: uuid.UUID, role: str, now: datetime, ttl: int
) -> str:
    """Sign an access token for an account."""
    payload = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": str(account_id),
        "role": role,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def read_access_token(secret: str, issuer: str, token: str) -> AccessClaims | None:
    """Verify an access token; None when it is invalid or expired."""
    checked = _checked(secret, issuer, token)
    if checked is None or time.time() > checked[1] + LEEWAY:
        return None
    return checked[0]


@lru_cache(maxsize=16384)
def _checked(secret: str, issuer: str, token: str) -> tuple[AccessClaims, int] | None:
    """The claims of a token whose signature, audience and issuer check, with its expiry
    (remembered: a bearer sends the same token with every request until it expires)."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"], "verify_exp": False},
            leeway=LEEWAY,
        )
        issued_at = datetime.fromtimestamp(int(payload["iat"]), UTC)
        claims = AccessClaims(uuid.UUID(payload["sub"]), str(payload["role"]), issued_at)
        return claims, int(payload["exp"])
    except (jwt.InvalidTokenError, ValueError, KeyError, TypeError):
        return None
