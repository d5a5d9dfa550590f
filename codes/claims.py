"""CWT claims of each code kind: typed dataclasses, their CBOR map form, expiry and ids."""

from __future__ import annotations

import functools
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final

from codes.b64 import b64u_decode, b64u_encode
from codes.errors import IssueError
from codes.kinds import HEALTH, KINDS, MAX_TEXT_CLAIM, PASS, PLACE, Field, FieldType, Kind

# Registered CWT claim keys (RFC 8392).
ISS: Final = 1
SUB: Final = 2
EXP: Final = 4
IAT: Final = 6
CTI: Final = 7
REGISTERED: Final = frozenset({ISS, SUB, EXP, IAT, CTI})
MAX_TIME: Final = 253402300799  # 9999-12-31T23:59:59Z
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_UINT: Final = FieldType.UINT
_TEXT_SET: Final = FieldType.TEXT_SET


@dataclass(frozen=True, slots=True)
class Claims:
    """The registered claims every kind has: issuer, subject, validity, code id."""

    kind: ClassVar[Kind]

    issuer: str
    subject: str
    issued_at: datetime
    expires_at: datetime
    code_id: str


@dataclass(frozen=True, slots=True)
class HealthClaims(Claims):
    """A person's health code: colour under a rule set, masked name, last 4 of the ID."""

    kind: ClassVar[Kind] = HEALTH

    color: str
    ruleset_version: int  # 0: no rule set has assessed this person yet
    holder_name: str
    id_last4: str


@dataclass(frozen=True, slots=True)
class PlaceClaims(Claims):
    """A venue's place code (subject = venue id): region and entry policy."""

    kind: ClassVar[Kind] = PLACE

    region: str
    admitted_colors: tuple[str, ...]
    test_within_hours: int | None = None


@dataclass(frozen=True, slots=True)
class PassClaims(Claims):
    """A paper pass for a person without a phone: identity only, no colour."""

    kind: ClassVar[Kind] = PASS

    holder_name: str
    id_last4: str


CLAIMS_TYPES: Final[dict[str, type[Claims]]] = {
    c.kind.name: c for c in (HealthClaims, PlaceClaims, PassClaims)
}


def to_seconds(value: datetime) -> int:
    """Whole seconds since the epoch (floor) of an aware datetime."""
    if value.tzinfo is not UTC and value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return math.floor(value.timestamp())


def from_seconds(value: int) -> datetime:
    """Aware UTC datetime from whole seconds since the epoch."""
    if 0 <= value <= MAX_TIME:  # the same datetime, twice as fast
        return datetime.fromtimestamp(value, UTC)
    return _EPOCH + timedelta(seconds=value)


def new_code_id() -> str:
    """A fresh random code id (16 bytes) as unpadded base64url; it is the CWT cti."""
    return b64u_encode(secrets.token_bytes(16))


def compute_expiry(
    issued_at: datetime,
    ttl: timedelta,
    valid_until: datetime | None = None,
    key_not_after: datetime | None = None,
) -> datetime:
    """exp = min(iat + ttl, valid_until, key_not_after), floored to a whole second."""
    candidates = [issued_at + ttl]
    if valid_until is not None:
        candidates.append(valid_until)
    if key_not_after is not None:
        candidates.append(key_not_after)
    exp = from_seconds(to_seconds(min(candidates)))
    if to_seconds(exp) <= to_seconds(issued_at):
        raise IssueError("expiry would not be after issued_at (key or colour validity ended)")
    return exp


def _text(name: str, value: object, max_bytes: int) -> str:
    if (
        not isinstance(value, str)
        or not value
        or (len(value) if value.isascii() else len(value.encode())) > max_bytes
    ):
        raise ValueError(f"{name} must be non-empty text of at most {max_bytes} UTF-8 bytes")
    return value


def _checked(spec: Field, value: object) -> Any:
    """value if it satisfies spec; raise ValueError otherwise."""
    field_type = spec.type
    if field_type is _UINT:
        if type(value) is not int or not spec.min_value <= value <= spec.max_value:
            raise ValueError(f"{spec.name} must be an integer {spec.min_value}..{spec.max_value}")
        return value
    if field_type is _TEXT_SET:
        items = tuple(value) if isinstance(value, list | tuple) else ()
        if not items or items != tuple(c for c in spec.choices if c in items):
            raise ValueError(f"{spec.name} must list distinct {list(spec.choices)} in that order")
        return items
    text = _text(spec.name, value, spec.max_bytes or MAX_TEXT_CLAIM)
    if spec.regex is not None and not spec.regex.fullmatch(text):
        raise ValueError(f"{spec.name} must match {spec.pattern}")
    if spec.choices and text not in spec.choices:
        raise ValueError(f"{spec.name} must be one of {list(spec.choices)}")
    return text


def _check_times(iat: int, exp: int, kind: Kind) -> None:
    if not 0 <= iat < exp <= MAX_TIME:
        raise ValueError("need 0 <= iat < exp")
    if exp - iat > kind.max_lifetime_seconds:
        raise ValueError(f"a {kind.name} code lives at most {kind.max_lifetime}")


def claims_to_map(claims: Claims) -> dict[int, Any]:
    """Validate claims and return the CWT claims map to encode. Its keys are in RFC 8949 core
    deterministic order as built: a Kind's keys are checked to allow it when it is made."""
    kind = claims.kind
    try:
        iat, exp = to_seconds(claims.issued_at), to_seconds(claims.expires_at)
        _check_times(iat, exp, kind)
        cti = b64u_decode(claims.code_id)
        private = {}
        for spec in kind.fields:
            value = getattr(claims, spec.name)
            if value is not None or spec.required:
                private[spec.key] = _checked(spec, value)
        mapping = {
            ISS: _text("issuer", claims.issuer, MAX_TEXT_CLAIM),
            SUB: _text("subject", claims.subject, MAX_TEXT_CLAIM),
            EXP: exp,
            IAT: iat,
            CTI: cti,
            kind.claim_key: private,
        }
    except ValueError as exc:
        raise IssueError(str(exc)) from exc
    if not 8 <= len(cti) <= 32:
        raise IssueError("code_id must encode 8 to 32 bytes")
    return mapping


def _field(mapping: dict[Any, Any], key: int, kind: type) -> Any:
    value = mapping.get(key)
    if type(value) is not kind:
        raise ValueError(f"claim {key} missing or not {kind.__name__}")
    return value


def signed_kind(obj: Any) -> Kind | None:
    """The kind named by a decoded claims map's one private-use key (below -65536), if any."""
    if type(obj) is not dict:
        return None
    private = [k for k in obj.keys() - REGISTERED if type(k) is int and k < -65536]
    return KINDS.by_claim_key(private[0]) if len(private) == 1 else None


@functools.cache
def _map_keys(claim_key: int) -> frozenset[int]:
    return REGISTERED | {claim_key}


def claims_from_map(obj: Any, kind: Kind) -> Claims:
    """Parse a decoded CWT claims map of kind strictly; raise ValueError on any deviation."""
    return CLAIMS_TYPES[kind.name](**claim_values(obj, kind))


def claim_values(obj: Any, kind: Kind) -> dict[str, Any]:
    """claims_from_map() as the keyword arguments of kind's Claims (a check() of a code needs
    no Claims object)."""
    if type(obj) is not dict or obj.keys() != _map_keys(kind.claim_key):
        raise ValueError(f"claims must be a map with exactly iss, sub, iat, exp, cti, {kind.name}")
    private = obj[kind.claim_key]
    if type(private) is not dict or not kind.required_keys <= private.keys() <= kind.field_keys:
        raise ValueError(f"private claim of a {kind.name} code has missing or unknown keys")
    iat, exp = _field(obj, IAT, int), _field(obj, EXP, int)
    _check_times(iat, exp, kind)
    cti = _field(obj, CTI, bytes)
    if not 8 <= len(cti) <= 32:
        raise ValueError("cti must be 8 to 32 bytes")
    values = {f.name: _checked(f, private[f.key]) for f in kind.fields if f.key in private}
    values["issuer"] = _text("iss", _field(obj, ISS, str), MAX_TEXT_CLAIM)
    values["subject"] = _text("sub", _field(obj, SUB, str), MAX_TEXT_CLAIM)
    values["issued_at"] = from_seconds(iat)
    values["expires_at"] = from_seconds(exp)
    values["code_id"] = b64u_encode(cti)
    return values
