"""Signed trust bundles: load, refuse bad signature and rollback, deltas, pruning, storage."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from codes import (
    HEALTH,
    BundleDelta,
    BundleDeltaMismatchError,
    BundleFormatError,
    BundleRollbackError,
    BundleSignatureError,
    Claims,
    Revocation,
    SigningKey,
    TrustBundle,
    VerificationKey,
    apply_delta,
    check,
    issue,
    load_bundle,
    make_delta,
    prune_revocations,
    revocation_hash,
    sign_bundle,
    sign_delta,
    split_removed,
)
from codes.b64 import b64u_decode, b64u_encode

HOUR = timedelta(hours=1)


@pytest.fixture
def full(bundle: TrustBundle, now: datetime) -> TrustBundle:
    key = SigningKey.generate("ES256", not_after=now + 48 * HOUR).verification_key()
    return replace(
        bundle,
        keys=(*bundle.keys, key),
        revocations=(
            Revocation("health", "alice", now - HOUR),
            Revocation("health", "bob", now - 2 * HOUR),
        ),
        max_offline_age=timedelta(hours=6),
    )


def test_sign_and_load_round_trip(full: TrustBundle, root_key: SigningKey) -> None:
    doc = sign_bundle(full, root_key)
    assert set(doc) == {"protected", "payload", "signature"}
    header = json.loads(b64u_decode(doc["protected"]))
    assert header == {"alg": "ES256", "kid": root_key.kid_b64, "typ": "hcx-trust+json"}
    loaded = load_bundle(json.loads(json.dumps(doc)), root_key.verification_key())
    assert loaded == full
    assert loaded.keys_for(full.keys[2].kid)[0].not_after == full.keys[2].not_after


def test_eddsa_root(full: TrustBundle) -> None:
    root = SigningKey.generate("EdDSA")
    assert load_bundle(sign_bundle(full, root), root.verification_key()) == full


def test_bad_signature_refused(full: TrustBundle, root_key: SigningKey) -> None:
    doc = sign_bundle(full, root_key)
    other_root = SigningKey.generate("ES256")
    with pytest.raises(BundleSignatureError):
        load_bundle(doc, other_root.verification_key())
    payload = json.loads(b64u_decode(doc["payload"]))
    payload["revocations"] = []
    forged = dict(doc, payload=b64u_encode(json.dumps(payload).encode()))
    with pytest.raises(BundleSignatureError):
        load_bundle(forged, root_key.verification_key())


def test_header_cannot_choose_the_algorithm(full: TrustBundle, root_key: SigningKey) -> None:
    doc = sign_bundle(full, root_key)
    header = b64u_encode(json.dumps({"alg": "none", "typ": "hcx-trust+json"}).encode())
    with pytest.raises(BundleSignatureError):
        load_bundle(dict(doc, protected=header, signature=""), root_key.verification_key())


@pytest.mark.parametrize(
    "doc",
    [
        "text",
        {"payload": "e30", "signature": ""},
        {"protected": 1, "payload": "e30", "signature": ""},
        {"protected": "!!", "payload": "e30", "signature": ""},
    ],
)
def test_malformed_documents(doc: object, root_key: SigningKey) -> None:
    with pytest.raises(BundleFormatError):
        load_bundle(doc, root_key.verification_key())


def test_delta_doc_is_not_a_bundle(full: TrustBundle, root_key: SigningKey) -> None:
    delta_doc = sign_delta(make_delta(full, replace(full, seq=6)), root_key)
    with pytest.raises(BundleFormatError):
        load_bundle(delta_doc, root_key.verification_key())
    with pytest.raises(BundleFormatError):
        apply_delta(full, sign_bundle(full, root_key), root_key.verification_key())


def test_rollback_refused(full: TrustBundle, root_key: SigningKey) -> None:
    root = root_key.verification_key()
    held = load_bundle(sign_bundle(full, root_key), root)
    older = sign_bundle(replace(full, seq=full.seq - 1), root_key)
    with pytest.raises(BundleRollbackError):
        load_bundle(older, root, held=held)
    assert load_bundle(older, root).seq == full.seq - 1
    assert load_bundle(sign_bundle(full, root_key), root, held=held).seq == full.seq
    assert load_bundle(sign_bundle(replace(full, seq=9), root_key), root, held=held).seq == 9


def test_delta_application(full: TrustBundle, root_key: SigningKey, now: datetime) -> None:
    root = root_key.verification_key()
    new_key = SigningKey.generate("EdDSA").verification_key()
    new = replace(
        full,
        seq=full.seq + 3,
        issued_at=now,
        keys=(full.keys[1], new_key),  # first key withdrawn, one added
        revocations=(
            Revocation("health", "alice", now),
            Revocation("health", "carol", now - HOUR),
        ),  # bob pruned
    )
    delta = make_delta(full, new)
    # bob (2 h ago) is older than every entry kept: the kind's cut-off drops him, no hash listed
    assert delta.revocations_expired == (("health", now - HOUR),)
    assert delta.revocations_removed == ()
    assert {r.digest for r in delta.revocations_added} == {
        revocation_hash("health", s) for s in ("alice", "carol")
    }
    applied = apply_delta(full, sign_delta(delta, root_key), root)
    assert applied.seq == new.seq and applied.issued_at == now
    assert set(applied.keys) == set(new.keys)
    assert applied == new  # the same keys and the same withdrawn codes
    assert len(applied.revocations) == 2
    assert applied.revoked_before("health", "alice") == now
    assert applied.revoked_before("health", "bob") is None


def test_delta_cutoffs_drop_only_what_went(
    full: TrustBundle, root_key: SigningKey, now: datetime
) -> None:
    """A removed entry older than every kept one of its kind goes by the kind's cut-off; one
    newer than a kept entry is listed; other kinds are untouched; a kind with nothing left gets
    a cut-off just after its latest removed entry."""
    root = root_key.verification_key()
    old = replace(
        full,
        revocations=(
            Revocation("health", "old1", now - 5 * HOUR),
            Revocation("health", "old2", now - 4 * HOUR),
            Revocation("health", "kept", now - 3 * HOUR),
            Revocation("health", "lifted", now - 2 * HOUR),
            Revocation("place", "venue-old", now - 9 * HOUR),
            Revocation("pass", "paper", now - 5 * HOUR),
        ),
    )
    new = replace(
        old,
        seq=old.seq + 1,
        revocations=(
            Revocation("health", "kept", now - 3 * HOUR),
            Revocation("pass", "paper", now - 5 * HOUR),
        ),
    )
    delta = make_delta(old, new)
    assert delta.revocations_expired == (
        ("health", now - 3 * HOUR),
        ("place", now - 9 * HOUR + timedelta(seconds=1)),
    )
    assert delta.revocations_removed == (("health", revocation_hash("health", "lifted")),)
    assert delta.revocations_added == ()
    assert sign_delta(delta, root_key)  # the payload writes and signs
    applied = apply_delta(old, sign_delta(delta, root_key), root)
    assert applied == new
    assert applied.revoked_before("pass", "paper") == now - 5 * HOUR


def test_split_removed_lists_unknown_and_late_entries(now: datetime) -> None:
    a, b, c = (revocation_hash("health", s) for s in "abc")
    expired, listed = split_removed(
        [("health", a, now - 2 * HOUR), ("health", b, None), ("health", c, now)],
        earliest_kept={"health": now - HOUR},
    )
    assert expired == (("health", now - HOUR),)
    assert listed == tuple(sorted([("health", b), ("health", c)]))
    # nothing below the cut-off: no cut-off at all (the delta stays readable by older verifiers)
    expired, listed = split_removed([("health", c, now)], earliest_kept={"health": now - HOUR})
    assert expired == () and listed == (("health", c),)
    # in whole seconds, as times travel: an entry in the cut-off's second is listed
    second = now - HOUR
    expired, listed = split_removed(
        [("health", a, second + timedelta(microseconds=200))],
        earliest_kept={"health": second + timedelta(microseconds=700)},
    )
    assert expired == () and listed == (("health", a),)


def test_delta_cutoff_member_is_strict(full: TrustBundle, now: datetime) -> None:
    delta = BundleDelta(
        base_seq=full.seq,
        seq=full.seq + 1,
        issued_at=now,
        keys=full.keys,
        revocations_expired=(("health", now - HOUR),),
    )
    payload = delta.to_payload()
    assert payload["revocations_expired"] == {"health": int((now - HOUR).timestamp())}
    assert BundleDelta.from_payload(payload) == delta
    assert "revocations_expired" not in replace(delta, revocations_expired=()).to_payload()
    for bad in ([], {"Health": 1}, {"health": -1}, {"health": "1"}, {"health": 253402300800}):
        with pytest.raises(BundleFormatError):
            BundleDelta.from_payload(payload | {"revocations_expired": bad})
    listed = payload | {"revocations_expired": {"health": 1}}
    del listed["rev_format"]  # the list form has no cut-offs
    with pytest.raises(BundleFormatError):
        BundleDelta.from_payload(listed)


def test_delta_refusals(full: TrustBundle, root_key: SigningKey) -> None:
    root = root_key.verification_key()
    newer = replace(full, seq=full.seq + 1)
    from_elsewhere = replace(make_delta(full, newer), base_seq=full.seq - 2)
    with pytest.raises(BundleDeltaMismatchError):
        apply_delta(full, sign_delta(from_elsewhere, root_key), root)
    backwards = make_delta(newer, full)
    with pytest.raises(BundleRollbackError):
        apply_delta(newer, sign_delta(backwards, root_key), root)
    with pytest.raises(BundleSignatureError):
        apply_delta(full, sign_delta(make_delta(full, newer), SigningKey.generate()), root)


def test_json_storage_round_trip(full: TrustBundle) -> None:
    assert TrustBundle.from_json(full.to_json()) == full
    with pytest.raises(BundleFormatError):
        TrustBundle.from_json("{")
    payload = full.to_payload()
    payload["seq"] = -1
    with pytest.raises(BundleFormatError):
        TrustBundle.from_payload(payload)
    payload = full.to_payload()
    payload["keys"][0]["alg"] = "EdDSA"  # does not match its JWK
    with pytest.raises(BundleFormatError):
        TrustBundle.from_payload(payload)


def test_prune_revocations(now: datetime) -> None:
    ttl = 24 * HOUR
    entries = [
        Revocation("health", "old", now - ttl - HOUR),
        Revocation("health", "edge", now - ttl - timedelta(minutes=5)),
        Revocation("health", "recent", now - HOUR),
        Revocation("health", "future", now + HOUR),
    ]
    kept = prune_revocations(entries, now, {"health": ttl})
    assert [e.subject for e in kept] == ["edge", "recent", "future"]
    no_margin = prune_revocations(entries, now, {"health": ttl}, margin=timedelta(0))
    assert [e.subject for e in no_margin] == ["recent", "future"]


def test_prune_uses_each_kinds_lifetime(now: datetime) -> None:
    before = now - 30 * 24 * HOUR  # a month ago
    entries = [
        Revocation("health", "p", before),  # health codes live at most 7 days
        Revocation("place", "venue-1", before),  # place codes up to a year
        Revocation("future_kind", "x", before),  # unknown kinds are kept
    ]
    kept = prune_revocations(entries, now, {})
    assert [e.kind for e in kept] == ["place", "future_kind"]


def test_pruned_entry_covered_only_expired_codes(
    es_key: SigningKey, make_claims: Callable[..., Claims], now: datetime
) -> None:
    ttl = 24 * HOUR
    claims = make_claims(issued_at=now - ttl, expires_at=now)  # longest-lived covered code
    text = issue(claims, es_key, kind=HEALTH)
    entry = Revocation("health", claims.subject, now - ttl + timedelta(seconds=1))
    later = now + timedelta(minutes=11)
    bundle = TrustBundle(seq=1, issued_at=later, keys=(es_key.verification_key(),))
    assert prune_revocations([entry], later, {"health": ttl}) == ()
    assert check(text, bundle, now=later, kinds=[HEALTH]).reason == "EXPIRED"


def test_stale_bundle_via_signed_doc(
    full: TrustBundle, root_key: SigningKey, es_key: SigningKey, make_claims: Callable[..., Claims]
) -> None:
    loaded = load_bundle(sign_bundle(full, root_key), root_key.verification_key())
    text = issue(make_claims(), es_key, kind=HEALTH)
    at = full.issued_at + full.max_offline_age + timedelta(seconds=1)
    assert (
        check(text, loaded, now=at, check_freshness=True, kinds=[HEALTH]).reason == "BUNDLE_STALE"
    )


def test_duplicate_kids_in_bundle_payload(root_key: SigningKey, now: datetime) -> None:
    a, b = SigningKey.generate(), SigningKey.generate()
    shared = VerificationKey(a.verification_key().public_key, kid=b.kid)
    bundle = TrustBundle(seq=1, issued_at=now, keys=(shared, b.verification_key()))
    loaded = load_bundle(sign_bundle(bundle, root_key), root_key.verification_key())
    assert len(loaded.keys_for(b.kid)) == 2
