"""Trust bundle: trusted keys + revocations, signed by a root key, with deltas and pruning.

Revocations are written packed (`"rev_format": 2`, codes/packed.py): a device learns the hash
of each withdrawn (kind, subject), not the subject. Payloads without `rev_format` (written
before it) still load; their entries are hashed on load.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

from codes.b64 import b64u_decode
from codes.claims import from_seconds, to_seconds
from codes.errors import (
    BundleDeltaMismatchError,
    BundleFormatError,
    BundleRollbackError,
    KeyFormatError,
)
from codes.jws import canonical_json, jws_sign, jws_verify
from codes.keys import ALGORITHMS, SigningKey, VerificationKey
from codes.kinds import KINDS, MAX_TEXT_CLAIM, KindName
from codes.packed import (
    KIND_NAME,
    REV_FORMAT,
    Packed,
    epoch_seconds,
    pack_expired,
    pack_removed,
    pack_revocations,
    revocation_hash,
    unpack_expired,
    unpack_removed,
    unpack_revocations,
)

DEFAULT_MAX_OFFLINE_AGE: Final = timedelta(hours=24)
MAX_OFFLINE_AGE_CAP: Final = timedelta(days=365)
TYP_BUNDLE: Final = "hcx-trust+json"
TYP_DELTA: Final = "hcx-trust-delta+json"


@dataclass(frozen=True, slots=True)
class Revocation:
    """Codes of `kind` (a kind name) for `subject` issued (iat) before `before` are withdrawn."""

    kind: str
    subject: str
    before: datetime
    digest: bytes = field(init=False, repr=False, compare=False)  # revocation_hash(kind, subject)

    def __post_init__(self) -> None:
        if not _is_kind(self.kind) or not _is_subject(self.subject):
            raise ValueError("revocation needs a kind name and a non-empty subject")
        object.__setattr__(self, "digest", revocation_hash(self.kind, self.subject))


class HashedRevocation(NamedTuple):
    """A revocation as a packed bundle tells it: the hash of (kind, subject), not the subject."""

    kind: str
    digest: bytes
    before: datetime


RevocationEntry = Revocation | HashedRevocation


@dataclass(frozen=True, eq=False)
class TrustBundle:
    """Verified (or live, in-memory) trust state: keys, revocations, seq and signed time.

    Two bundles are equal when they have the same seq, signed time, keys and maximum age and
    withdraw the same codes (whether their entries name subjects or only their hashes).
    """

    seq: int
    issued_at: datetime
    keys: tuple[VerificationKey, ...]
    revocations: tuple[RevocationEntry, ...] = ()
    max_offline_age: timedelta = DEFAULT_MAX_OFFLINE_AGE
    _by_kid: dict[bytes, tuple[VerificationKey, ...]] = field(init=False, repr=False)
    _revoked: dict[bytes, RevocationEntry] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be timezone-aware")
        object.__setattr__(self, "keys", tuple(self.keys))
        object.__setattr__(self, "revocations", tuple(self.revocations))
        by_kid: dict[bytes, tuple[VerificationKey, ...]] = {}
        for key in self.keys:
            by_kid[key.kid] = (*by_kid.get(key.kid, ()), key)
        object.__setattr__(self, "_by_kid", by_kid)
        object.__setattr__(self, "_revoked", _latest(self.revocations))

    @classmethod
    def _indexed(
        cls,
        revoked: dict[bytes, RevocationEntry],
        *,
        seq: int,
        issued_at: datetime,
        keys: tuple[VerificationKey, ...],
        max_offline_age: timedelta,
    ) -> TrustBundle:
        """A bundle whose entries are the values of `revoked` (hash -> the entry with the
        latest before), which the caller built: a delta is applied without re-indexing."""
        bundle = cls(seq, issued_at, keys, (), max_offline_age)
        object.__setattr__(bundle, "revocations", tuple(revoked.values()))
        object.__setattr__(bundle, "_revoked", revoked)
        return bundle

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrustBundle):
            return NotImplemented
        return (self.seq, self.issued_at, self.keys, self.max_offline_age) == (
            other.seq,
            other.issued_at,
            other.keys,
            other.max_offline_age,
        ) and _cutoffs(self._revoked) == _cutoffs(other._revoked)

    def keys_for(self, kid: bytes) -> tuple[VerificationKey, ...]:
        """All trusted keys listed under kid (more than one if kids collide)."""
        return self._by_kid.get(kid, ())

    def revoked_before(self, kind: str, subject: str) -> datetime | None:
        """The revocation cut-off for codes of kind (a kind name) for subject, if any."""
        entry = self._revoked.get(revocation_hash(kind, subject))
        return None if entry is None else entry.before

    def to_payload(self) -> dict[str, Any]:
        """The JSON-able payload that gets signed (revocations packed, one per hash)."""
        return {
            "type": "bundle",
            "rev_format": REV_FORMAT,
            "seq": self.seq,
            "issued_at": to_seconds(self.issued_at),
            "max_offline_age": int(self.max_offline_age.total_seconds()),
            "keys": [_key_to_json(k) for k in self.keys],
            "revocations": pack_revocations(_packed(self._revoked.values())),
        }

    @classmethod
    def from_payload(cls, obj: Any) -> TrustBundle:
        """Parse a bundle payload strictly (no signature check), packed or not."""
        packed = _is_packed(obj)
        fields = {"type", "seq", "issued_at", "max_offline_age", "keys", "revocations"}
        _require(obj, fields | {"rev_format"} if packed else fields)
        if obj["type"] != "bundle":
            raise BundleFormatError("payload type must be 'bundle'")
        entries = (_hashed if packed else _revocations)(obj["revocations"])
        return cls._indexed(
            _latest(entries),
            seq=_uint(obj["seq"], "seq"),
            issued_at=from_seconds(epoch_seconds(obj["issued_at"], "issued_at")),
            keys=_keys(obj["keys"]),
            max_offline_age=_max_age(obj["max_offline_age"]),
        )

    def to_json(self) -> str:
        """Serialise for trusted local storage (unsigned)."""
        return canonical_json(self.to_payload()).decode()

    @classmethod
    def from_json(cls, text: str | bytes) -> TrustBundle:
        """Load from to_json output (trusted local storage, no signature check)."""
        try:
            obj = json.loads(text)
        except ValueError as exc:
            raise BundleFormatError("bundle is not valid JSON") from exc
        return cls.from_payload(obj)


@dataclass(frozen=True, slots=True)
class BundleDelta:
    """Changes from bundle base_seq to seq: full key list, revocations added, removed by
    (kind, hash of (kind, subject)), and expired: per kind, a time before which every held
    entry of the kind goes (an hour's pruned entries in a few bytes, not 8 bytes each)."""

    base_seq: int
    seq: int
    issued_at: datetime
    keys: tuple[VerificationKey, ...]
    revocations_added: tuple[RevocationEntry, ...] = ()
    revocations_removed: tuple[tuple[str, bytes], ...] = ()
    max_offline_age: timedelta = DEFAULT_MAX_OFFLINE_AGE
    revocations_expired: tuple[tuple[str, datetime], ...] = ()

    def to_payload(self) -> dict[str, Any]:
        """The JSON-able payload that gets signed (revocations packed). `revocations_expired`
        is written only when it drops something, so that other deltas stay readable by
        verifiers written before it."""
        payload = {
            "type": "delta",
            "rev_format": REV_FORMAT,
            "base_seq": self.base_seq,
            "seq": self.seq,
            "issued_at": to_seconds(self.issued_at),
            "max_offline_age": int(self.max_offline_age.total_seconds()),
            "keys": [_key_to_json(k) for k in self.keys],
            "revocations_added": pack_revocations(_packed(self.revocations_added)),
            "revocations_removed": pack_removed(self.revocations_removed),
        }
        if self.revocations_expired:
            payload["revocations_expired"] = pack_expired(
                (kind, to_seconds(cutoff)) for kind, cutoff in self.revocations_expired
            )
        return payload

    @classmethod
    def from_payload(cls, obj: Any) -> BundleDelta:
        """Parse a delta payload strictly (no signature check), packed or not."""
        packed = _is_packed(obj)
        fields = {"type", "base_seq", "seq", "issued_at", "max_offline_age", "keys"}
        fields |= {"revocations_added", "revocations_removed"}
        expired = packed and "revocations_expired" in obj  # packed: obj is a dict
        if packed:
            fields |= {"rev_format", "revocations_expired"} if expired else {"rev_format"}
        _require(obj, fields)
        if obj["type"] != "delta":
            raise BundleFormatError("payload type must be 'delta'")
        added = obj["revocations_added"]
        return cls(
            base_seq=_uint(obj["base_seq"], "base_seq"),
            seq=_uint(obj["seq"], "seq"),
            issued_at=from_seconds(epoch_seconds(obj["issued_at"], "issued_at")),
            keys=_keys(obj["keys"]),
            revocations_added=tuple(_hashed(added) if packed else _revocations(added)),
            revocations_removed=tuple(
                unpack_removed(obj["revocations_removed"])
                if packed
                else _removed(obj["revocations_removed"])
            ),
            max_offline_age=_max_age(obj["max_offline_age"]),
            revocations_expired=tuple(
                (kind, from_seconds(cutoff))
                for kind, cutoff in (unpack_expired(obj["revocations_expired"]) if expired else ())
            ),
        )


def sign_bundle(bundle: TrustBundle, root_key: SigningKey) -> dict[str, str]:
    """Sign a bundle with the root key; return the JWS document to publish."""
    return jws_sign(canonical_json(bundle.to_payload()), root_key, TYP_BUNDLE)


def sign_delta(delta: BundleDelta, root_key: SigningKey) -> dict[str, str]:
    """Sign a delta with the root key; return the JWS document to publish."""
    return jws_sign(canonical_json(delta.to_payload()), root_key, TYP_DELTA)


def _payload(doc: Any, root: VerificationKey, typ: str) -> Any:
    raw = jws_verify(doc, root, typ)
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BundleFormatError("signed payload is not JSON") from exc


def load_bundle(
    doc: Any, root_public_key: VerificationKey, *, held: TrustBundle | None = None
) -> TrustBundle:
    """Verify a signed bundle document; refuse bad signatures and rollback below held.seq."""
    bundle = TrustBundle.from_payload(_payload(doc, root_public_key, TYP_BUNDLE))
    if held is not None and bundle.seq < held.seq:
        raise BundleRollbackError(f"bundle seq {bundle.seq} is older than held {held.seq}")
    return bundle


def make_delta(old: TrustBundle, new: TrustBundle) -> BundleDelta:
    """The delta that turns old into new."""
    held = _cutoffs(old._revoked)
    expired, removed = split_removed(
        ((e.kind, h, e.before) for h, e in old._revoked.items() if h not in new._revoked),
        earliest_kept=_earliest(new._revoked.values()),
    )
    return BundleDelta(
        base_seq=old.seq,
        seq=new.seq,
        issued_at=new.issued_at,
        keys=new.keys,
        revocations_added=tuple(e for h, e in new._revoked.items() if held.get(h) != e.before),
        revocations_removed=removed,
        revocations_expired=expired,
        max_offline_age=new.max_offline_age,
    )


def split_removed(
    removed: Iterable[tuple[str, bytes, datetime | None]],
    *,
    earliest_kept: Mapping[str, datetime],
) -> tuple[tuple[tuple[str, datetime], ...], tuple[tuple[str, bytes], ...]]:
    """How a delta drops entries: (per-kind cut-offs, the (kind, hash) pairs still listed).

    `removed` holds (kind, hash, before) of each entry the delta removes, before None where it
    is no longer known; `earliest_kept` the earliest `before` of each kind's entries in the new
    state (those the delta adds too), or an earlier time. A kind's cut-off is that time (in
    whole seconds, as it travels), or a second after its latest removed entry when none of the
    kind remain, so it never drops an entry that stays. Removed entries before their kind's
    cut-off go by it; the others, and those of unknown before, are listed. A kind gets a
    cut-off only when it drops a removed entry.
    """
    # In whole seconds, as the times travel (and devices hold them).
    cutoffs = {kind: to_seconds(before) for kind, before in earliest_kept.items()}
    gone = [(k, d, None if b is None else to_seconds(b)) for k, d, b in removed]
    latest: dict[str, int] = {}
    for kind, _digest, before in gone:
        if kind not in earliest_kept and before is not None:
            latest[kind] = max(before + 1, latest.get(kind, 0))
    cutoffs |= latest
    used: set[str] = set()
    listed = []
    for kind, digest, before in gone:
        if before is not None and kind in cutoffs and before < cutoffs[kind]:
            used.add(kind)
        else:
            listed.append((kind, digest))
    expired = tuple(sorted((k, from_seconds(cutoffs[k])) for k in used))
    return expired, tuple(sorted(listed))


def apply_delta(held: TrustBundle, delta_doc: Any, root_public_key: VerificationKey) -> TrustBundle:
    """Verify a signed delta and apply it to held; refuse rollback and base mismatch.

    Entries before their kind's cut-off go, then removed hashes, then added entries replace any
    held entry with their hash. The held index is copied and changed, not rebuilt: without
    cut-offs applying costs the delta's size, with them one pass over the held entries.
    """
    delta = BundleDelta.from_payload(_payload(delta_doc, root_public_key, TYP_DELTA))
    if delta.seq < held.seq:
        raise BundleRollbackError(f"delta seq {delta.seq} is older than held {held.seq}")
    if delta.base_seq != held.seq or delta.seq < delta.base_seq:
        raise BundleDeltaMismatchError(
            f"delta is from seq {delta.base_seq}, held is {held.seq}; fetch a full bundle"
        )
    cutoffs = dict(delta.revocations_expired)
    if cutoffs:
        revoked = {
            digest: entry
            for digest, entry in held._revoked.items()
            if entry.kind not in cutoffs or entry.before >= cutoffs[entry.kind]
        }
    else:
        revoked = dict(held._revoked)
    for _kind, digest in delta.revocations_removed:
        revoked.pop(digest, None)
    revoked.update(_latest(delta.revocations_added))
    return TrustBundle._indexed(
        revoked,
        seq=delta.seq,
        issued_at=delta.issued_at,
        keys=delta.keys,
        max_offline_age=delta.max_offline_age,
    )


def prune_revocations(
    entries: Iterable[Revocation],
    now: datetime,
    max_code_ttl: Mapping[str, timedelta],
    *,
    margin: timedelta = timedelta(minutes=10),
) -> tuple[Revocation, ...]:
    """Drop entries whose covered codes (iat < before) have all expired by now.

    A covered code of kind k expires by before + max_code_ttl[k] (default: the kind's maximum
    lifetime; entries of unknown kinds are kept); `margin` keeps entries a little longer to
    absorb verifier leeway and device clock skew.
    """
    kept = []
    for entry in entries:
        kind = KINDS.by_name(entry.kind)
        ttl = max_code_ttl.get(entry.kind, kind.max_lifetime if kind else None)
        if ttl is None or entry.before + ttl + margin > now:
            kept.append(entry)
    return tuple(kept)


def _key_to_json(key: VerificationKey) -> dict[str, Any]:
    jwk = {k: v for k, v in key.public_jwk().items() if k not in ("kid", "alg")}
    not_after = None if key.not_after is None else to_seconds(key.not_after)
    return {"kid": key.kid_b64, "alg": key.alg, "jwk": jwk, "not_after": not_after}


def _require(obj: Any, fields: set[str]) -> None:
    if type(obj) is not dict or set(obj) != fields:
        raise BundleFormatError(f"expected an object with exactly {sorted(fields)}")


def _uint(value: Any, name: str) -> int:
    if type(value) is not int or not 0 <= value < 2**63:
        raise BundleFormatError(f"{name} must be a non-negative integer")
    return value


def _max_age(value: Any) -> timedelta:
    age = timedelta(seconds=_uint(value, "max_offline_age"))
    if not timedelta(0) < age <= MAX_OFFLINE_AGE_CAP:
        raise BundleFormatError("max_offline_age out of range")
    return age


def _is_subject(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value.encode()) <= MAX_TEXT_CLAIM


def _is_kind(value: Any) -> bool:
    return isinstance(value, str) and KIND_NAME.fullmatch(value) is not None


def _is_packed(obj: Any) -> bool:
    """Whether a payload names a revocation format; only REV_FORMAT (packed) exists."""
    if type(obj) is not dict or "rev_format" not in obj:
        return False
    if type(obj["rev_format"]) is not int or obj["rev_format"] != REV_FORMAT:
        raise BundleFormatError(f"unknown rev_format {obj['rev_format']!r}")
    return True


def _latest(entries: Iterable[RevocationEntry]) -> dict[bytes, RevocationEntry]:
    """Entries by hash; of several with one hash, the one with the latest before."""
    revoked: dict[bytes, RevocationEntry] = {}
    for entry in entries:
        held = revoked.get(entry.digest)
        if held is None or held.before < entry.before:
            revoked[entry.digest] = entry
    return revoked


def _earliest(entries: Iterable[RevocationEntry]) -> dict[str, datetime]:
    """The earliest `before` of each kind's entries."""
    earliest: dict[str, datetime] = {}
    for entry in entries:
        held = earliest.get(entry.kind)
        if held is None or entry.before < held:
            earliest[entry.kind] = entry.before
    return earliest


def _cutoffs(revoked: Mapping[bytes, RevocationEntry]) -> dict[bytes, datetime]:
    return {digest: entry.before for digest, entry in revoked.items()}


def _packed(entries: Iterable[RevocationEntry]) -> Iterable[Packed]:
    return ((e.kind, e.digest, to_seconds(e.before)) for e in entries)


def _hashed(obj: Any) -> list[HashedRevocation]:
    """The entries of packed revocations (entries with one before share its datetime)."""
    out = []
    last, at = -1, from_seconds(0)
    for kind, digest, before in unpack_revocations(obj):
        if before != last:
            last, at = before, from_seconds(before)
        out.append(HashedRevocation(kind, digest, at))
    return out


def _target(item: Any) -> tuple[str, str]:
    """(kind, sub) of a revocation entry; entries without "kind" (older bundles) are health."""
    if type(item) is not dict or not {"sub"} <= set(item) <= {"kind", "sub"}:
        raise BundleFormatError("revocation entry must be an object with kind and sub")
    kind, sub = item.get("kind", KindName.HEALTH.value), item["sub"]
    if not _is_kind(kind) or not _is_subject(sub):
        raise BundleFormatError("revocation kind must be a kind name and sub non-empty text")
    return kind, sub


def _removed(items: Any) -> list[tuple[str, bytes]]:
    if type(items) is not list:
        raise BundleFormatError("revocations_removed must be a list")
    # Older deltas list bare subjects: those are health-code revocations.
    targets = (_target({"sub": i} if isinstance(i, str) else i) for i in items)
    return [(kind, revocation_hash(kind, sub)) for kind, sub in targets]


def _keys(items: Any) -> tuple[VerificationKey, ...]:
    if type(items) is not list:
        raise BundleFormatError("keys must be a list")
    keys = []
    for item in items:
        _require(item, {"kid", "alg", "jwk", "not_after"})
        if item["alg"] not in ALGORITHMS:
            raise BundleFormatError(f"unsupported key alg {item['alg']!r}")
        not_after = item["not_after"]
        try:
            kid = b64u_decode(item["kid"])
            key = VerificationKey.from_jwk(
                item["jwk"],
                kid=kid,
                not_after=None
                if not_after is None
                else from_seconds(epoch_seconds(not_after, "not_after")),
            )
        except (ValueError, KeyFormatError) as exc:
            raise BundleFormatError(f"invalid key entry: {exc}") from exc
        if not kid or key.alg != item["alg"]:
            raise BundleFormatError("key entry kid empty or alg does not match its JWK")
        keys.append(key)
    return tuple(keys)


def _revocations(items: Any) -> tuple[Revocation, ...]:
    if type(items) is not list:
        raise BundleFormatError("revocations must be a list")
    out = []
    for item in items:
        if type(item) is not dict or "before" not in item:
            raise BundleFormatError("revocation entry must have before")
        kind, sub = _target({k: v for k, v in item.items() if k != "before"})
        out.append(Revocation(kind, sub, from_seconds(epoch_seconds(item["before"], "before"))))
    return tuple(out)
