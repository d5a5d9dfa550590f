"""Issuing: claims of a kind + signing key -> signed code text (the fast path)."""

from __future__ import annotations

from codes.claims import Claims, claims_to_map
from codes.cose import bstr, encode_payload, framing
from codes.errors import IssueError
from codes.keys import SigningKey
from codes.kinds import Kind
from codes.text import encode_text

_SIG_HEAD = b"\x58\x40"  # bstr of 64 bytes


def issue(claims: Claims, key: SigningKey, *, kind: Kind) -> str:
    """Sign claims of kind as a COSE_Sign1 CWT with key; return the text (e.g. HCX1:...)."""
    if claims.kind is not kind and claims.kind != kind:
        raise IssueError(f"these are {claims.kind.name} claims, not {kind.name}")
    claims_map = claims_to_map(claims)
    if key.not_after is not None and claims.expires_at > key.not_after:
        raise IssueError("a code must not outlive its signing key (use compute_expiry)")
    payload = bstr(encode_payload(claims_map))
    tbs_prefix, cose_prefix = framing(key.alg, key.kid)
    signature = key.sign(tbs_prefix + payload)
    return encode_text(cose_prefix + payload + _SIG_HEAD + signature, kind)
