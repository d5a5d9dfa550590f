"""Short-lived JWT access tokens, pinned to one algorithm."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
AUDIENCE = "healthcode-api"


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
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=issuer,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            leeway=5,
        )
        issued_at = datetime.fromtimestamp(int(payload["iat"]), UTC)
        return AccessClaims(uuid.UUID(payload["sub"]), str(payload["role"]), issued_at)
    except (jwt.InvalidTokenError, ValueError, KeyError):
        return None
