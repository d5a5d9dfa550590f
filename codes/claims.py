"""CWT claims of a health code: the Claims dataclass, its CBOR map form, expiry and ids."""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from codes.b64 import b64u_decode, b64u_encode
from codes.errors import IssueError

# Registered CWT claim keys (RFC 8392).
ISS: Final = 1
SUB: Final = 2
EXP: Final = 4
IAT: Final = 6
CTI: Final = 7
# Private-use claim (IANA CWT registry: integers below -65536) holding our fields.
HCX: Final = -65537
HCX_COLOR: Final = 1
HCX_RULESET: Final = 2
HCX_NAME: Final = 3
HCX_LAST4: Final = 4

COLORS: Final = frozenset({"green", "yellow", "red"})
MAX_TEXT_CLAIM: Final = 64
MAX_NAME: Final = 40
MAX_TIME: Final = 253402300799  # 9999-12-31T23:59:59Z
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_LAST4 = re.compile(r"[0-9A-Za-z]{4}")


@dataclass(frozen=True, slots=True)
class Claims:
    """What a code says: who issued it, for which pseudonymous subject, until when, which colour."""

    issuer: str
    subject: str
    issued_at: datetime
    expires_at: datetime
    code_id: str
    color: str
    ruleset_version: int
    holder_name: str
    id_last4: str


def to_seconds(value: datetime) -> int:
    """Whole seconds since the epoch (floor) of an aware datetime."""
    if value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    return math.floor(value.timestamp())


def from_seconds(value: int) -> datetime:
    """Aware UTC datetime from whole seconds since the epoch."""
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


def _check_text(name: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"{name} must be non-empty text of at most {limit} characters")
    return value


def claims_to_map(claims: Claims) -> dict[int, Any]:
    """Validate claims and return the CWT claims map to encode."""
    try:
        iat, exp = to_seconds(claims.issued_at), to_seconds(claims.expires_at)
        cti = b64u_decode(claims.code_id)
        _check_text("issuer", claims.issuer, MAX_TEXT_CLAIM)
        _check_text("subject", claims.subject, MAX_TEXT_CLAIM)
        _check_text("holder_name", claims.holder_name, MAX_NAME)
    except ValueError as exc:
        raise IssueError(str(exc)) from exc
    if not 0 <= iat < exp <= MAX_TIME:
        raise IssueError("need 0 <= issued_at < expires_at")
    if not 8 <= len(cti) <= 32:
        raise IssueError("code_id must encode 8 to 32 bytes")
    if claims.color not in COLORS:
        raise IssueError(f"color must be one of {sorted(COLORS)}")
    version = claims.ruleset_version
    if type(version) is not int or not 0 <= version < 2**31:
        raise IssueError("ruleset_version must be a non-negative int")
    if not isinstance(claims.id_last4, str) or not _LAST4.fullmatch(claims.id_last4):
        raise IssueError("id_last4 must be 4 letters or digits")
    return {
        ISS: claims.issuer,
        SUB: claims.subject,
        IAT: iat,
        EXP: exp,
        CTI: cti,
        HCX: {
            HCX_COLOR: claims.color,
            HCX_RULESET: version,
            HCX_NAME: claims.holder_name,
            HCX_LAST4: claims.id_last4,
        },
    }


def _field(mapping: dict[Any, Any], key: int, kind: type) -> Any:
    value = mapping.get(key)
    if type(value) is not kind:
        raise ValueError(f"claim {key} missing or not {kind.__name__}")
    return value


def claims_from_map(obj: Any) -> Claims:
    """Parse a decoded CWT claims map strictly; raise ValueError on any deviation."""
    if type(obj) is not dict or set(obj) != {ISS, SUB, IAT, EXP, CTI, HCX}:
        raise ValueError("claims must be a map with exactly iss, sub, iat, exp, cti and hcx")
    hcx = obj[HCX]
    if type(hcx) is not dict or set(hcx) != {HCX_COLOR, HCX_RULESET, HCX_NAME, HCX_LAST4}:
        raise ValueError("private claim must hold exactly color, ruleset, name, last4")
    iss = _check_text("iss", _field(obj, ISS, str), MAX_TEXT_CLAIM)
    sub = _check_text("sub", _field(obj, SUB, str), MAX_TEXT_CLAIM)
    iat, exp = _field(obj, IAT, int), _field(obj, EXP, int)
    if not 0 <= iat < exp <= MAX_TIME:
        raise ValueError("need 0 <= iat < exp")
    cti = _field(obj, CTI, bytes)
    if not 8 <= len(cti) <= 32:
        raise ValueError("cti must be 8 to 32 bytes")
    color = _field(hcx, HCX_COLOR, str)
    if color not in COLORS:
        raise ValueError("unknown colour")
    version = _field(hcx, HCX_RULESET, int)
    if not 0 <= version < 2**31:
        raise ValueError("ruleset version out of range")
    name = _check_text("name", _field(hcx, HCX_NAME, str), MAX_NAME)
    last4 = _field(hcx, HCX_LAST4, str)
    if not _LAST4.fullmatch(last4):
        raise ValueError("last4 must be 4 letters or digits")
    return Claims(
        issuer=iss,
        subject=sub,
        issued_at=from_seconds(iat),
        expires_at=from_seconds(exp),
        code_id=b64u_encode(cti),
        color=color,
        ruleset_version=version,
        holder_name=name,
        id_last4=last4,
    )


def mask_name(full_name: str) -> str:
    """Mask a name for the code: keep each word's first character, star the rest (max 40)."""
    words = full_name.split()
    masked = " ".join(w[0] + "*" * (len(w) - 1) for w in words)
    return masked[:MAX_NAME] or "*"
