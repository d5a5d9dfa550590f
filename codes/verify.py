"""Verifying a code against a trust bundle: verify() raises, check() never does."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from codes.bundle import TrustBundle
from codes.claims import CLAIMS_TYPES, Claims, claim_values, signed_kind
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
_NO_LEEWAY: Final = timedelta(0)


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
        return _valid(
            code.kind, lambda name: getattr(code.claims, name, None), code.expires_at, code.kid
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


def _valid(
    kind: Kind, claim: Callable[[str], Any], expires_at: datetime, kid: str
) -> VerificationResult:
    """The result for a code that verified; claim(name) is its claim called name, or None."""
    return VerificationResult(
        valid=True,
        reason=None,
        color=claim("color"),
        holder_name=claim("holder_name"),
        id_last4=claim("id_last4"),
        expires_at=expires_at,
        code_id=claim("code_id"),
        kid=kid,
        kind=kind.name,
    )


def _leeway(value: timedelta | int) -> timedelta:
    lw = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if lw < _NO_LEEWAY:
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
    kind, values, expires_at, kid, alg = _verified(
        text, bundle, kinds, now, leeway, algorithms, check_freshness
    )
    return _code(kind, values, expires_at, kid, alg)


def _code(
    kind: Kind, values: dict[str, Any], expires_at: datetime, kid: str, alg: str
) -> VerifiedCode:
    return VerifiedCode(kind, CLAIMS_TYPES[kind.name](**values), expires_at, kid, alg)


def _verified(
    text: object,
    bundle: TrustBundle,
    kinds: Collection[Kind],
    now: datetime,
    leeway: timedelta | int,
    algorithms: Collection[str],
    check_freshness: bool,
) -> tuple[Kind, dict[str, Any], datetime, str, str]:
    """verify() with the claims as claim_values(): what check() needs, without the objects."""
    if now.tzinfo is not UTC and now.utcoffset() is None:
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
    for key in candidates:
        if key.verify(message, sign1.signature):
            break
    else:
        raise BadSignature("signature does not verify")
    try:
        values = _claim_values(decode_signed_payload(sign1.payload), prefix_kind, kinds)
    except ValueError as exc:  # CborError is a ValueError
        raise MalformedCode(f"invalid claims: {exc}") from exc
    issued_at, expires_at = values["issued_at"], values["expires_at"]
    if key.not_after is not None and key.not_after < expires_at:
        expires_at = key.not_after
    fields = prefix_kind, values, expires_at, key.kid_b64, alg
    if issued_at > now + lw:
        raise CodeNotYetValid("code issued in the future", code=_code(*fields))
    if now >= expires_at + lw:
        raise CodeExpired("code expired", code=_code(*fields))
    before = bundle.revoked_before(prefix_kind.name, values["subject"])
    if before is not None and issued_at < before:
        raise CodeRevoked("code withdrawn by a revocation entry", code=_code(*fields))
    return fields


def _claim_values(claims_map: Any, prefix_kind: Kind, kinds: Collection[Kind]) -> dict[str, Any]:
    """claim_values() of the text prefix's kind. Only claims that are not of that kind (rare)
    are asked which kind they are signed as: WrongKind if that one is not accepted, else a
    mismatch (ValueError); the answers are those of asking first."""
    try:
        return claim_values(claims_map, prefix_kind)
    except ValueError:
        kind = signed_kind(claims_map)
        if kind is not prefix_kind:
            if kind is not None and kind not in kinds:
                raise WrongKind(f"the signed claims are of a {kind.name} code") from None
            if kind != prefix_kind:
                raise ValueError("the text prefix does not match the signed kind") from None
        raise


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
        kind, values, expires_at, kid, _alg = _verified(
            text, bundle, kinds, now, leeway, algorithms, check_freshness
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
    return _valid(kind, values.get, expires_at, kid)
