"""Root key rotation: the current root signs a statement naming its successor (SPEC §8.1).

A device pins one root. When the operator rotates it, the old root signs a *hand-over*
(`typ` "hcx-root-handover+json") naming the new root's public key. Devices that pinned the
old root verify the statement with it and from then on verify bundles with the successor;
statements chain (root0 -> root1 -> root2), so a device that slept through two rotations
still gets there. The pinned key file never changes; the device keeps the statements it
followed and re-verifies the chain from the pin at every start.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from codes.b64 import b64u_decode
from codes.claims import from_seconds, to_seconds
from codes.errors import BundleFormatError, KeyFormatError
from codes.jws import canonical_json, jws_sign, jws_verify
from codes.keys import ALGORITHMS, SigningKey, VerificationKey

TYP_HANDOVER: Final = "hcx-root-handover+json"
MAX_CHAIN: Final = 64


@dataclass(frozen=True)
class Handover:
    """A verified statement: the root `from_kid` hands over to `successor` at `issued_at`."""

    from_kid: str
    successor: VerificationKey
    issued_at: datetime


def sign_handover(old: SigningKey, new: VerificationKey, *, now: datetime) -> dict[str, str]:
    """The hand-over JWS from the current root `old` to its successor `new`."""
    jwk = {k: v for k, v in new.public_jwk().items() if k not in ("kid", "alg")}
    payload = {
        "type": "root-handover",
        "from": old.verification_key().kid_b64,
        "to": {"kid": new.kid_b64, "alg": new.alg, "jwk": jwk},
        "issued_at": to_seconds(now),
    }
    return jws_sign(canonical_json(payload), old, TYP_HANDOVER)


def verify_handover(doc: Any, root: VerificationKey) -> Handover:
    """Verify one statement with the root it claims to come from; parse it strictly."""
    obj = json.loads(jws_verify(doc, root, TYP_HANDOVER))
    if type(obj) is not dict or set(obj) != {"type", "from", "to", "issued_at"}:
        raise BundleFormatError("hand-over needs exactly type, from, to, issued_at")
    if obj["type"] != "root-handover" or obj["from"] != root.kid_b64:
        raise BundleFormatError("hand-over type wrong or not from this root")
    to = obj["to"]
    if type(to) is not dict or set(to) != {"kid", "alg", "jwk"} or to["alg"] not in ALGORITHMS:
        raise BundleFormatError("hand-over successor needs kid, alg (ES256|EdDSA), jwk")
    issued = obj["issued_at"]
    if type(issued) is not int or not 0 <= issued <= 253402300799:
        raise BundleFormatError("hand-over issued_at must be epoch seconds")
    try:
        successor = VerificationKey.from_jwk(to["jwk"])
    except (ValueError, KeyFormatError) as exc:
        raise BundleFormatError(f"hand-over successor key invalid: {exc}") from exc
    if successor.alg != to["alg"] or successor.kid != b64u_decode(to["kid"]):
        raise BundleFormatError("hand-over successor kid or alg does not match its key")
    if successor.kid == root.kid:
        raise BundleFormatError("a root cannot hand over to itself")
    return Handover(obj["from"], successor, from_seconds(issued))


def _signer_kid(doc: Any) -> str | None:
    try:
        header = json.loads(b64u_decode(doc["protected"]))
        kid = header.get("kid") if type(header) is dict else None
        return kid if isinstance(kid, str) else None
    except (TypeError, KeyError, ValueError):
        return None


def follow(pinned: VerificationKey, docs: Iterable[Any]) -> tuple[VerificationKey, list[Any]]:
    """From the pinned root, follow the statements (any order) as far as they chain.

    Returns the current root and the statements used, in chain order (what a device
    stores). A statement from the current root that does not verify is an error; others
    (from roots not on this device's chain) are ignored.
    """
    by_signer: dict[str, Any] = {}
    for doc in docs:
        kid = _signer_kid(doc)
        if kid is None:
            raise BundleFormatError("hand-over is not a JWS with a kid")
        by_signer.setdefault(kid, doc)
    root: VerificationKey = pinned
    used: list[Any] = []
    seen = {pinned.kid}
    while root.kid_b64 in by_signer and len(used) < MAX_CHAIN:
        doc = by_signer[root.kid_b64]
        successor = verify_handover(doc, root).successor
        if successor.kid in seen:
            raise BundleFormatError("hand-over chain loops")
        seen.add(successor.kid)
        root = successor
        used.append(doc)
    return root, used
