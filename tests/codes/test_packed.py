"""Packed revocations (rev_format 2): the encoding, round trips, the older list form, and
malformed packed data refused as BundleFormatError (never another exception)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codes import (
    BundleDelta,
    BundleFormatError,
    BundleRollbackError,
    HashedRevocation,
    Revocation,
    SigningKey,
    TrustBundle,
    apply_delta,
    load_bundle,
    make_delta,
    revocation_hash,
    sign_bundle,
    sign_delta,
)
from codes.b64 import b64u_decode, b64u_encode
from codes.bundle import TYP_BUNDLE, TYP_DELTA
from codes.claims import MAX_TIME, to_seconds
from codes.jws import canonical_json, jws_sign
from codes.packed import pack_revocations, unpack_removed, unpack_revocations

HOUR = timedelta(hours=1)


def payload_of(doc: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(b64u_decode(doc["payload"]))
    return decoded


def resign(payload: dict[str, Any], root: SigningKey, typ: str = TYP_BUNDLE) -> dict[str, str]:
    return jws_sign(canonical_json(payload), root, typ)


@pytest.fixture
def full(bundle: TrustBundle, now: datetime) -> TrustBundle:
    return replace(
        bundle,
        revocations=(
            Revocation("health", "carol", now),
            Revocation("health", "alice", now - HOUR),
            Revocation("place", "venue-1", now - 2 * HOUR),
            Revocation("health", "bob", now - HOUR),
            Revocation("health", "alice", now - 3 * HOUR),  # an earlier entry: the later wins
        ),
    )


def test_hash_is_sha256_of_kind_nul_subject() -> None:
    assert revocation_hash("health", "p_revoked").hex() == "c401bde8269b6c1b"  # SPEC §8.2
    assert revocation_hash("health", "x") != revocation_hash("place", "x")
    assert len(revocation_hash("place", "场所-1")) == 8


def test_payload_groups_sorts_and_deduplicates(full: TrustBundle, root_key: SigningKey) -> None:
    payload = payload_of(sign_bundle(full, root_key))
    assert payload["rev_format"] == 2 and set(payload["revocations"]) == {"health", "place"}
    health = payload["revocations"]["health"]
    assert set(health) == {"before", "hash"}
    entries = unpack_revocations(payload["revocations"])
    assert [(k, h) for k, h, _ in entries if k == "health"] == [
        ("health", h)
        for _, h in sorted(
            (to_seconds(r.before), r.digest)
            for r in full.revocations[:4]  # alice once, with her later before
            if r.kind == "health"
        )
    ]
    times = [t for k, _, t in entries if k == "health"]
    assert times == sorted(times) and len(times) == 3
    assert "alice" not in json.dumps(payload) and "venue-1" not in json.dumps(payload)


def test_round_trip_by_hash(full: TrustBundle, root_key: SigningKey, now: datetime) -> None:
    loaded = load_bundle(sign_bundle(full, root_key), root_key.verification_key())
    assert loaded == full  # same keys, same withdrawn codes
    assert all(isinstance(r, HashedRevocation) for r in loaded.revocations)
    assert len(loaded.revocations) == 4
    assert loaded.revoked_before("health", "alice") == now - HOUR
    assert loaded.revoked_before("place", "venue-1") == now - 2 * HOUR
    assert loaded.revoked_before("health", "venue-1") is None
    assert loaded.revoked_before("health", "dave") is None
    assert loaded != replace(full, revocations=full.revocations[1:])
    assert TrustBundle.from_json(loaded.to_json()) == loaded


def test_times_need_several_varint_bytes_and_equal_times(now: datetime) -> None:
    times = [0, 127, 128, 128, 300_000, MAX_TIME]
    entries = [("health", bytes([i]) * 8, t) for i, t in enumerate(times)]
    packed = pack_revocations(entries)
    assert b64u_decode(packed["health"]["before"]) == bytes.fromhex(
        "00 7f 01 00 e0a612 9fdbbeffaf07"
    )
    assert unpack_revocations(packed) == entries


def list_payload(bundle: TrustBundle) -> dict[str, Any]:
    """The payload in the older list form (no rev_format)."""
    payload = bundle.to_payload()
    del payload["rev_format"]
    payload["revocations"] = [
        {"kind": r.kind, "sub": r.subject, "before": to_seconds(r.before)}
        for r in bundle.revocations
        if isinstance(r, Revocation)
    ]
    return payload


def test_list_form_and_packed_deltas_mix(
    full: TrustBundle, root_key: SigningKey, now: datetime
) -> None:
    root = root_key.verification_key()
    held = load_bundle(resign(list_payload(full), root_key), root)
    assert held == full and held.revoked_before("health", "alice") == now - HOUR
    new = replace(
        full,
        seq=full.seq + 1,
        revocations=(Revocation("health", "alice", now), Revocation("health", "dave", now)),
    )
    applied = apply_delta(held, sign_delta(make_delta(full, new), root_key), root)
    assert applied == new
    assert applied.revoked_before("health", "bob") is None  # a list entry removed
    # and a delta in the list form on a packed bundle
    packed_held = load_bundle(sign_bundle(full, root_key), root)
    old_delta = {
        **make_delta(full, new).to_payload(),
        "revocations_added": [
            {"kind": "health", "sub": s, "before": to_seconds(now)} for s in ("alice", "dave")
        ],
        "revocations_removed": ["bob", "carol", {"kind": "place", "sub": "venue-1"}],
    }
    del old_delta["rev_format"]
    old_delta.pop("revocations_expired", None)  # packed deltas only
    assert apply_delta(packed_held, resign(old_delta, root_key, TYP_DELTA), root) == new


def test_delta_replaces_and_removes_by_hash(
    full: TrustBundle, root_key: SigningKey, now: datetime
) -> None:
    root = root_key.verification_key()
    held = load_bundle(sign_bundle(full, root_key), root)
    delta = BundleDelta(
        base_seq=full.seq,
        seq=full.seq + 1,
        issued_at=now,
        keys=full.keys,
        # carol's entry is replaced by an earlier one (a delta's entry replaces the held one)
        revocations_added=(Revocation("health", "carol", now - 2 * HOUR),),
        revocations_removed=(("place", revocation_hash("place", "venue-1")),),
    )
    payload = delta.to_payload()
    assert unpack_removed(payload["revocations_removed"]) == [
        ("place", revocation_hash("place", "venue-1"))
    ]
    applied = apply_delta(held, sign_delta(delta, root_key), root)
    assert applied.revoked_before("health", "carol") == now - 2 * HOUR
    assert applied.revoked_before("place", "venue-1") is None
    assert applied.revoked_before("health", "alice") == now - HOUR
    assert held.revoked_before("place", "venue-1") == now - 2 * HOUR  # held is unchanged
    with pytest.raises(BundleRollbackError):
        apply_delta(applied, sign_delta(replace(delta, base_seq=5, seq=5), root_key), root)


def leb128(*values: int) -> bytes:
    out = bytearray()
    for value in values:
        while value >= 0x80:
            out.append(value & 0x7F | 0x80)
            value >>= 7
        out.append(value)
    return bytes(out)


def test_decoder_takes_the_latest_of_duplicates_and_any_tie_order(
    root_key: SigningKey, bundle: TrustBundle, now: datetime
) -> None:
    a, b = revocation_hash("health", "a"), revocation_hash("health", "b")
    early, late = to_seconds(now - HOUR), to_seconds(now)
    larger, smaller = sorted([a, b], reverse=True)  # equal times, the larger hash first
    payload = bundle.to_payload()
    payload["revocations"] = {
        "health": packed(leb128(early, late - early, 0), a + larger + smaller)
    }
    loaded = load_bundle(resign(payload, root_key), root_key.verification_key())
    assert loaded.revoked_before("health", "a") == now
    assert loaded.revoked_before("health", "b") == now
    assert len(loaded.revocations) == 2
    assert payload_of(sign_bundle(loaded, root_key))["revocations"] == {
        "health": packed(leb128(late, 0), smaller + larger)
    }


def packed(before: bytes, hashes: bytes) -> dict[str, str]:
    return {"before": b64u_encode(before), "hash": b64u_encode(hashes)}


H = bytes(range(8))
MALFORMED_REVOCATIONS: list[tuple[str, Any, str]] = [
    ("not an object", [], "keyed by kind name"),
    (
        "list form with rev_format",
        [{"kind": "health", "sub": "a", "before": 1}],
        "keyed by kind name",
    ),
    ("kind not a kind name", {"Health": packed(b"\x01", H)}, "not a kind name"),
    ("group not an object", {"health": "AQ"}, "must be"),
    ("group missing hash", {"health": {"before": "AQ"}}, "must be"),
    ("group with another member", {"health": {**packed(b"\x01", H), "n": 1}}, "must be"),
    ("before not text", {"health": {"before": 1, "hash": b64u_encode(H)}}, "base64url"),
    ("bad base64", {"health": {"before": "A*", "hash": b64u_encode(H)}}, "base64url"),
    ("padded base64", {"health": {"before": "AQ==", "hash": b64u_encode(H)}}, "base64url"),
    ("non-canonical base64", {"health": {"before": "AR", "hash": b64u_encode(H)}}, "non-canonical"),
    ("hash of 7 bytes", {"health": packed(b"\x01", H[:7])}, "multiple of 8"),
    ("hashes of 9 bytes", {"health": packed(b"\x01", H + b"\x00")}, "multiple of 8"),
    ("truncated varint", {"health": packed(b"\x81", H)}, "inside a varint"),
    ("truncated second varint", {"health": packed(b"\x01\xff", H + H)}, "inside a varint"),
    ("varint not shortest", {"health": packed(b"\x81\x00", H)}, "shortest form"),
    ("varint of 7 bytes", {"health": packed(b"\xff" * 6 + b"\x01", H)}, "longer than 6"),
    ("fewer times than hashes", {"health": packed(b"\x01", H + H)}, "1 before times for 2"),
    ("more times than hashes", {"health": packed(b"\x01\x01", H)}, "2 before times for 1"),
    ("time beyond 9999", {"health": packed(b"\x80\x80\x80\x80\x80\x08", H)}, "year 9999"),
]


@pytest.mark.parametrize(
    ("revocations", "message"),
    [(r, m) for _, r, m in MALFORMED_REVOCATIONS],
    ids=[n for n, _, _ in MALFORMED_REVOCATIONS],
)
def test_malformed_packed_bundle(
    revocations: Any, message: str, bundle: TrustBundle, root_key: SigningKey
) -> None:
    payload = bundle.to_payload() | {"revocations": revocations}
    with pytest.raises(BundleFormatError, match=message):
        load_bundle(resign(payload, root_key), root_key.verification_key())


@pytest.mark.parametrize("rev_format", [1, 3, "2", 2.0, True, None])
def test_unknown_rev_format(rev_format: Any, bundle: TrustBundle, root_key: SigningKey) -> None:
    payload = bundle.to_payload() | {"rev_format": rev_format}
    with pytest.raises(BundleFormatError):
        load_bundle(resign(payload, root_key), root_key.verification_key())


@pytest.mark.parametrize(
    "change",
    [
        {"revocations_added": []},
        {"revocations_added": {"health": {"before": "", "hash": "AA"}}},
        {"revocations_removed": []},
        {"revocations_removed": {"health": "AAAA"}},
        {"revocations_removed": {"health": {"hash": b64u_encode(H)}}},
        {"revocations_removed": {"h!": b64u_encode(H)}},
    ],
)
def test_malformed_packed_delta(
    change: dict[str, Any], bundle: TrustBundle, root_key: SigningKey
) -> None:
    delta = make_delta(bundle, replace(bundle, seq=bundle.seq + 1))
    payload = delta.to_payload() | change
    with pytest.raises(BundleFormatError):
        apply_delta(bundle, resign(payload, root_key, TYP_DELTA), root_key.verification_key())


def test_packed_payload_without_rev_format_is_refused(
    full: TrustBundle, root_key: SigningKey
) -> None:
    payload = full.to_payload()
    del payload["rev_format"]
    with pytest.raises(BundleFormatError):
        load_bundle(resign(payload, root_key), root_key.verification_key())


@settings(max_examples=300, deadline=None, derandomize=True)
@given(before=st.binary(max_size=40), hashes=st.binary(max_size=40))
def test_any_packed_bytes_load_or_raise_bundle_format_error(before: bytes, hashes: bytes) -> None:
    try:
        entries = unpack_revocations({"health": packed(before, hashes)})
    except BundleFormatError:
        return
    assert b"".join(h for _, h, _ in entries) == hashes
    times = [t for _, _, t in entries]
    assert times == sorted(times) and all(0 <= t <= MAX_TIME for t in times)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["health", "place", "pass"]),
            st.binary(min_size=8, max_size=8),
            st.integers(0, MAX_TIME),
        ),
        max_size=30,
    )
)
def test_pack_then_unpack_gives_the_latest_entry_per_hash_sorted(entries: list[Any]) -> None:
    latest: dict[tuple[str, bytes], int] = {}
    for kind, digest, before in entries:
        latest[kind, digest] = max(before, latest.get((kind, digest), before))
    got = unpack_revocations(pack_revocations(entries))
    assert sorted(got) == sorted((k, h, t) for (k, h), t in latest.items())
    for kind in {k for k, _, _ in got}:
        group = [(t, h) for k, h, t in got if k == kind]
        assert group == sorted(group)


def test_apply_copies_the_held_index(full: TrustBundle, root_key: SigningKey) -> None:
    """Applying a delta leaves the held bundle as it was (its index is copied, not shared)."""
    root = root_key.verification_key()
    held = load_bundle(sign_bundle(full, root_key), root)
    before = {r.digest for r in held.revocations}
    delta = make_delta(full, replace(full, seq=full.seq + 1, revocations=()))
    emptied = apply_delta(held, sign_delta(delta, root_key), root)
    assert emptied.revocations == () and {r.digest for r in held.revocations} == before
    assert held.revoked_before("health", "carol") is not None
