"""Verifying a code against a trust bundle: verify() raises, check() never does."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from codes.bundle import TrustBundle
from codes.claims import Claims, claims_from_map, signed_kind
from codes.cose import decode_signed_payload, parse_sign1, sig_structure
from codes.errors import (
    AlgorithmNotAllowed,
    BadSignature,
    BundleStale,
    CborError,
    ClockBehind,
    CodeExpired,
    CodeNotYetValid,
    CodeRevoked,
    MalformedCode,
    Reason,
    UnknownKey,
    VerificationError,
    WrongKind,
)
from codes.keys import ALGORITHMS, COSE_ALG_NAMES
from codes.kinds import Kind
from codes.text import decode_text

DEFAULT_LEEWAY: Final = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class VerifiedCode:
    """The authenticated content of a valid code; expires_at accounts for the key's not_after."""

    kind: Kind
    claims: Claims
    expires_at: datetime
    kid: str
    alg: str


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """Outcome of check(): holder fields only when valid; kind, code_id, kid and expiry also
    after a valid signature (EXPIRED, NOT_YET_VALID, REVOKED)."""

    valid: bool
    reason: Reason | None
    color: str | None = None
    holder_name: str | None = None
    id_last4: str | None = None
    expires_at: datetime | None = None
    code_id: str | None = None
    kid: str | None = None
    kind: str | None = None

    @classmethod
    def of(cls, code: VerifiedCode) -> VerificationResult:
        """The result for a code that verified."""
        return cls(
            valid=True,
            reason=None,
            color=getattr(code.claims, "color", None),
            holder_name=getattr(code.claims, "holder_name", None),
            id_last4=getattr(code.claims, "id_last4", None),
            expires_at=code.expires_at,
            code_id=code.claims.code_id,
            kid=code.kid,
            kind=code.kind.name,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with ISO 8601 times."""
        return {
            "valid": self.valid,
            "reason": None if self.reason is None else str(self.reason),
            "color": self.color,
            "holder_name": self.holder_name,
            "id_last4": self.id_last4,
            "expires_at": None if self.expires_at is None else self.expires_at.isoformat(),
            "code_id": self.code_id,
            "kid": self.kid,
            "kind": self.kind,
        }


def _leeway(value: timedelta | int) -> timedelta:
    lw = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if lw < timedelta(0):
        raise ValueError("leeway must not be negative")
    return lw


def verify(
    text: object,
    bundle: TrustBundle,
    *,
    kinds: Collection[Kind],
    now: datetime,
    leeway: timedelta | int = DEFAULT_LEEWAY,
    algorithms: Collection[str] = ALGORITHMS,
    check_freshness: bool = True,
) -> VerifiedCode:
    """Verify code text; raise a VerificationError subclass whose .reason says why not.

    Order: clock vs bundle (CLOCK_BEHIND, BUNDLE_STALE), size, prefix and kind, base32,
    COSE structure, alg allow-list, kid lookup, signature, signed kind, claims structure,
    iat/exp, revocation of (kind, subject). Only codes of `kinds` can be valid.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    lw = _leeway(leeway)
    if now < bundle.issued_at - lw:
        raise ClockBehind("device clock is earlier than the bundle's issued_at")
    if check_freshness and now > bundle.issued_at + bundle.max_offline_age:
        raise BundleStale("trust bundle is older than max_offline_age; sync it")
    prefix_kind, raw = decode_text(text, kinds)
    try:
        sign1 = parse_sign1(raw)
    except CborError as exc:
        raise MalformedCode(f"not a valid COSE_Sign1: {exc}") from exc
    alg = COSE_ALG_NAMES.get(sign1.alg_id)
    if alg is None or alg not in algorithms:
        raise AlgorithmNotAllowed(f"algorithm {sign1.alg_id} is not allowed")
    candidates = [k for k in bundle.keys_for(sign1.kid) if k.alg == alg]
    if not candidates:
        raise UnknownKey("no trusted key for this kid")
    message = sig_structure(sign1.protected, sign1.payload)
    key = next((k for k in candidates if k.verify(message, sign1.signature)), None)
    if key is None:
        raise BadSignature("signature does not verify")
    try:
        claims_map = decode_signed_payload(sign1.payload)
        kind = signed_kind(claims_map)
        if kind is not None and kind not in kinds:
            raise WrongKind(f"the signed claims are of a {kind.name} code")
        if kind != prefix_kind:
            raise ValueError("the text prefix does not match the signed kind")
        claims = claims_from_map(claims_map, prefix_kind)
    except ValueError as exc:  # CborError is a ValueError
        raise MalformedCode(f"invalid claims: {exc}") from exc
    expires_at = claims.expires_at
    if key.not_after is not None and key.not_after < expires_at:
        expires_at = key.not_after
    code = VerifiedCode(
        kind=prefix_kind, claims=claims, expires_at=expires_at, kid=key.kid_b64, alg=alg
    )
    if claims.issued_at > now + lw:
        raise CodeNotYetValid("code issued in the future", code=code)
    if now >= expires_at + lw:
        raise CodeExpired("code expired", code=code)
    before = bundle.revoked_before(prefix_kind.name, claims.subject)
    if before is not None and claims.issued_at < before:
        raise CodeRevoked("code withdrawn by a revocation entry", code=code)
    return code


def check(
    text: object,
    bundle: TrustBundle,
    *,
    kinds: Collection[Kind],
    now: datetime,
    leeway: timedelta | int = DEFAULT_LEEWAY,
    algorithms: Collection[str] = ALGORITHMS,
    check_freshness: bool = True,
) -> VerificationResult:
    """Like verify() but return a VerificationResult instead of raising for any code text."""
    try:
        code = verify(
            text,
            bundle,
            kinds=kinds,
            now=now,
            leeway=leeway,
            algorithms=algorithms,
            check_freshness=check_freshness,
        )
    except VerificationError as exc:
        seen = exc.code
        return VerificationResult(
            valid=False,
            reason=exc.reason,
            expires_at=None if seen is None else seen.expires_at,
            code_id=None if seen is None else seen.claims.code_id,
            kid=None if seen is None else seen.kid,
            kind=None if seen is None else seen.kind.name,
        )
    return VerificationResult.of(code)
