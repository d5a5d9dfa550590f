"""Issue -> verify round trips and every verification reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import cbor2
import pytest

from codes import (
    HEALTH,
    BadSignature,
    Claims,
    IssueError,
    Reason,
    Revocation,
    SigningKey,
    TrustBundle,
    VerificationError,
    check,
    compute_expiry,
    issue,
    new_code_id,
    verify,
)
from codes.base32 import b32decode, b32encode
from codes.claims import claims_to_map
from codes.cose import parse_sign1
from codes.keys import COSE_ALG_IDS, COSE_ALG_NAMES

HOUR = timedelta(hours=1)


def reason(text: str, bundle: TrustBundle, now: datetime, **kw: Any) -> Reason | None:
    return check(text, bundle, now=now, **kw, kinds=[HEALTH]).reason


@pytest.mark.parametrize("key_name", ["es_key", "ed_key"])
def test_round_trip(
    request: pytest.FixtureRequest,
    key_name: str,
    make_claims: Callable[..., Claims],
    bundle: TrustBundle,
    now: datetime,
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    claims = make_claims(color="yellow", ruleset_version=42)
    text = issue(claims, key, kind=HEALTH)
    assert text.startswith("HCX1:")
    assert set(text[5:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    code = verify(text, bundle, now=now + HOUR, kinds=[HEALTH])
    assert code.claims == claims and code.kind is HEALTH
    assert (code.kid, code.alg, code.expires_at) == (key.kid_b64, key.alg, claims.expires_at)
    result = check(text, bundle, now=now + HOUR, kinds=[HEALTH])
    assert result.valid and result.reason is None and result.color == "yellow"
    assert result.to_dict()["expires_at"] == claims.expires_at.isoformat()


def test_payload_holds_only_the_documented_claims(
    es_key: SigningKey, make_claims: Callable[..., Claims]
) -> None:
    claims = make_claims()
    cose = cbor2.loads(b32decode(issue(claims, es_key, kind=HEALTH)[5:]))
    assert cose.tag == 18
    protected, unprotected, payload, signature = cose.value
    assert cbor2.loads(protected) == {1: -7, 4: es_key.kid}
    assert unprotected == {} and len(signature) == 64
    claims_map = cbor2.loads(payload)
    assert list(claims_map) == [1, 2, 4, 6, 7, -65537]  # RFC 8949 core deterministic order
    assert list(claims_map[-65537]) == [1, 2, 3, 4]
    assert cbor2.dumps(claims_map, canonical=True) == payload
    assert claims_map[2] == claims.subject and isinstance(claims_map[7], bytes)


def test_expiry_boundaries(
    es_key: SigningKey, make_claims: Callable[..., Claims], bundle: TrustBundle, now: datetime
) -> None:
    claims = make_claims()
    text = issue(claims, es_key, kind=HEALTH)
    exp = claims.expires_at
    assert reason(text, bundle, exp - timedelta(seconds=1), check_freshness=False) is None
    assert reason(text, bundle, exp + timedelta(seconds=59), check_freshness=False) is None
    assert reason(text, bundle, exp + timedelta(seconds=60), check_freshness=False) == "EXPIRED"
    assert reason(text, bundle, exp, leeway=0, check_freshness=False) == "EXPIRED"
    result = check(text, bundle, now=exp + HOUR, check_freshness=False, kinds=[HEALTH])
    assert result.code_id == claims.code_id and result.color is None


def test_not_yet_valid(
    es_key: SigningKey, make_claims: Callable[..., Claims], bundle: TrustBundle, now: datetime
) -> None:
    text = issue(make_claims(issued_at=now + HOUR, expires_at=now + 3 * HOUR), es_key, kind=HEALTH)
    assert reason(text, bundle, now) == "NOT_YET_VALID"
    assert reason(text, bundle, now + HOUR - timedelta(seconds=60)) is None
    assert reason(text, bundle, now + HOUR - timedelta(seconds=61)) == "NOT_YET_VALID"


def test_revocation_before_and_after_iat(
    es_key: SigningKey, make_claims: Callable[..., Claims], bundle: TrustBundle, now: datetime
) -> None:
    claims = make_claims()
    text = issue(claims, es_key, kind=HEALTH)
    later = replace(
        bundle, revocations=(Revocation("health", claims.subject, now + timedelta(seconds=1)),)
    )
    same = replace(bundle, revocations=(Revocation("health", claims.subject, now),))
    other = replace(bundle, revocations=(Revocation("health", "someone-else", now + HOUR),))
    assert reason(text, later, now + HOUR) == "REVOKED"
    assert reason(text, same, now + HOUR) is None  # only codes issued strictly before
    assert reason(text, other, now + HOUR) is None
    reissued = issue(
        replace(claims, issued_at=now + 2 * HOUR, code_id=new_code_id()), es_key, kind=HEALTH
    )
    assert reason(reissued, later, now + 2 * HOUR) is None


def test_key_rotation_and_removal(
    make_claims: Callable[..., Claims], now: datetime, bundle: TrustBundle
) -> None:
    old, new = SigningKey.generate("ES256"), SigningKey.generate("ES256")
    old_code, new_code = (
        issue(make_claims(), old, kind=HEALTH),
        issue(make_claims(), new, kind=HEALTH),
    )
    both = replace(bundle, keys=(old.verification_key(), new.verification_key()))
    assert reason(old_code, both, now) is None and reason(new_code, both, now) is None
    only_new = replace(bundle, keys=(new.verification_key(),))
    assert reason(old_code, only_new, now) == "UNKNOWN_KEY"
    assert reason(new_code, only_new, now) is None


def test_two_keys_sharing_a_kid(
    make_claims: Callable[..., Claims], now: datetime, bundle: TrustBundle
) -> None:
    first, second = SigningKey.generate("ES256"), SigningKey.generate("ES256")
    shared = second.verification_key()
    from codes import VerificationKey

    impostor = VerificationKey(first.verification_key().public_key, kid=second.kid)
    text = issue(make_claims(), second, kind=HEALTH)
    for keys in ((impostor, shared), (shared, impostor)):
        assert reason(text, replace(bundle, keys=keys), now) is None
    assert reason(text, replace(bundle, keys=(impostor,)), now) == "BAD_SIGNATURE"


def test_cached_protected_headers_stay_with_their_key(
    make_claims: Callable[..., Claims], now: datetime, bundle: TrustBundle
) -> None:
    """Parsed protected headers are cached by their bytes: codes of several keys, read in
    turn, each keep their own kid and algorithm."""
    keys = [
        SigningKey.generate("ES256"),
        SigningKey.generate("ES256"),
        SigningKey.generate("EdDSA"),
    ]
    only_first = replace(bundle, keys=(keys[0].verification_key(),))
    for _ in range(3):
        for key in keys:
            text = issue(make_claims(), key, kind=HEALTH)
            sign1 = parse_sign1(b32decode(text[5:]))
            assert (sign1.kid, COSE_ALG_NAMES[sign1.alg_id]) == (key.kid, key.alg)
            assert reason(text, only_first, now) == (None if key is keys[0] else "UNKNOWN_KEY")


def test_key_not_after_caps_validity(make_claims: Callable[..., Claims], now: datetime) -> None:
    key = SigningKey.generate("EdDSA", not_after=now + 2 * HOUR)
    claims = make_claims(expires_at=now + 2 * HOUR)
    text = issue(claims, key, kind=HEALTH)
    with pytest.raises(IssueError):
        issue(make_claims(expires_at=now + 3 * HOUR), key, kind=HEALTH)
    from codes import VerificationKey

    early = VerificationKey(key.verification_key().public_key, not_after=now + HOUR)
    bundle = TrustBundle(seq=1, issued_at=now, keys=(early,))
    assert reason(text, bundle, now + HOUR - timedelta(minutes=5)) is None
    assert reason(text, bundle, now + HOUR + timedelta(minutes=5)) == "EXPIRED"


def test_algorithm_allow_list(
    es_key: SigningKey,
    ed_key: SigningKey,
    make_claims: Callable[..., Claims],
    bundle: TrustBundle,
    now: datetime,
    craft: Callable[..., str],
) -> None:
    ed_code = issue(make_claims(), ed_key, kind=HEALTH)
    assert reason(ed_code, bundle, now, algorithms=("ES256",)) == "ALG_NOT_ALLOWED"
    assert reason(ed_code, bundle, now, algorithms=("EdDSA",)) is None
    # A header claiming another algorithm (here ES384, -35) is refused before any key lookup.
    payload = claims_to_map(make_claims())
    forged = craft(payload, es_key, header={1: -35, 4: es_key.kid})
    assert reason(forged, bundle, now) == "ALG_NOT_ALLOWED"
    # A header claiming EdDSA with an ES256 key's kid finds no EdDSA key under that kid.
    confused = craft(payload, es_key, header={1: COSE_ALG_IDS["EdDSA"], 4: es_key.kid})
    assert reason(confused, bundle, now) == "UNKNOWN_KEY"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"unprotected": {4: b"x"}}, "MALFORMED"),
        ({"tag": 17}, "MALFORMED"),
        ({"header": {1: -7, 4: b"k", 3: 0}}, "MALFORMED"),
        ({"header": {1: "ES256", 4: b"k"}}, "MALFORMED"),
        ({"header": {1: -7}}, "MALFORMED"),
        ({"header": {1: -7, 4: b"unknown!"}}, "UNKNOWN_KEY"),
    ],
)
def test_structure_checks(
    change: dict[str, Any],
    expected: str,
    es_key: SigningKey,
    make_claims: Callable[..., Claims],
    bundle: TrustBundle,
    now: datetime,
    craft: Callable[..., str],
) -> None:
    text = craft(claims_to_map(make_claims()), es_key, **change)
    assert reason(text, bundle, now) == expected


@pytest.mark.parametrize(
    "mutate",
    [
        lambda m: m.update({5: 0}),  # nbf is not part of our format
        lambda m: m.pop(7),
        lambda m: m.update({6: "now"}),
        lambda m: m.update({4: m[6]}),  # exp must be after iat
        lambda m: m[-65537].update({1: "blue"}),
        lambda m: m[-65537].update({4: "12"}),
        lambda m: m[-65537].update({5: "extra person data"}),
        lambda m: m.update({2: 12345}),
    ],
)
def test_signed_but_malformed_claims(
    mutate: Callable[[dict[int, Any]], None],
    es_key: SigningKey,
    make_claims: Callable[..., Claims],
    bundle: TrustBundle,
    now: datetime,
    craft: Callable[..., str],
) -> None:
    payload = claims_to_map(make_claims())
    assert reason(craft(payload, es_key), bundle, now) is None  # the crafter itself is sound
    mutate(payload)
    assert reason(craft(payload, es_key), bundle, now) == "MALFORMED"


def test_tampering(
    es_key: SigningKey, make_claims: Callable[..., Claims], bundle: TrustBundle, now: datetime
) -> None:
    text = issue(make_claims(color="red"), es_key, kind=HEALTH)
    raw = bytearray(b32decode(text[5:]))
    colour_at = raw.index(b"red")
    raw[colour_at : colour_at + 3] = b"rex"
    # Content changes are caught by the signature, which is checked before the claims.
    assert reason("HCX1:" + b32encode(bytes(raw)), bundle, now) == "BAD_SIGNATURE"
    raw[colour_at : colour_at + 3] = b"red"
    raw[-1] ^= 1  # flip a signature bit
    assert reason("HCX1:" + b32encode(bytes(raw)), bundle, now) == "BAD_SIGNATURE"
    with pytest.raises(BadSignature) as info:
        verify("HCX1:" + b32encode(bytes(raw)), bundle, now=now, kinds=[HEALTH])
    assert info.value.reason == Reason.BAD_SIGNATURE


def test_every_single_character_change_is_refused(
    ed_key: SigningKey, make_claims: Callable[..., Claims], bundle: TrustBundle, now: datetime
) -> None:
    text = issue(make_claims(), ed_key, kind=HEALTH)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    for i in range(5, len(text), 7):
        replacement = alphabet[(alphabet.index(text[i]) + 1) % 32]
        result = check(text[:i] + replacement + text[i + 1 :], bundle, now=now, kinds=[HEALTH])
        assert not result.valid
        assert result.reason in {"BAD_SIGNATURE", "BAD_ENCODING", "MALFORMED", "UNKNOWN_KEY"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "BAD_PREFIX"),
        ("HC1:ABC", "BAD_PREFIX"),
        ("hcx1:AAAA", "BAD_PREFIX"),
        ("HCX1:abcd", "BAD_ENCODING"),
        ("HCX1:A", "BAD_ENCODING"),
        ("HCX1:AAAA====", "BAD_ENCODING"),
        ("HCX1:" + "A" * 5000, "MALFORMED"),
        ("HCX1:", "MALFORMED"),
        ("HCX1:AE", "MALFORMED"),
        (None, "MALFORMED"),
        (b"HCX1:AE", "MALFORMED"),
    ],
)
def test_text_level_reasons(
    text: object, expected: str, bundle: TrustBundle, now: datetime
) -> None:
    assert reason(text, bundle, now) == expected  # type: ignore[arg-type]


def test_bundle_clock_checks_come_first(
    es_key: SigningKey, make_claims: Callable[..., Claims], bundle: TrustBundle, now: datetime
) -> None:
    issued = bundle.issued_at
    text = issue(
        make_claims(issued_at=issued - 2 * HOUR, expires_at=issued + 30 * HOUR), es_key, kind=HEALTH
    )
    assert reason(text, bundle, issued - timedelta(seconds=61)) == "CLOCK_BEHIND"
    assert reason("garbage", bundle, issued - timedelta(seconds=61)) == "CLOCK_BEHIND"
    assert reason(text, bundle, issued - timedelta(seconds=59)) is None
    stale_at = issued + bundle.max_offline_age + timedelta(seconds=1)
    assert reason("garbage", bundle, stale_at) == "BUNDLE_STALE"
    assert reason(text, bundle, issued + bundle.max_offline_age) is None
    assert reason(text, bundle, stale_at, check_freshness=False) is None


def test_verification_errors_carry_reason_classes(bundle: TrustBundle, now: datetime) -> None:
    with pytest.raises(VerificationError) as info:
        verify("nope", bundle, now=now, kinds=[HEALTH])
    assert info.value.reason == Reason.BAD_PREFIX
    with pytest.raises(ValueError):
        verify("nope", bundle, now=now.replace(tzinfo=None), kinds=[HEALTH])


def test_compute_expiry(now: datetime) -> None:
    assert compute_expiry(now, 24 * HOUR) == now + 24 * HOUR
    assert compute_expiry(now, 24 * HOUR, now + 5 * HOUR) == now + 5 * HOUR
    assert compute_expiry(now, 24 * HOUR, now + 5 * HOUR, now + 2 * HOUR) == now + 2 * HOUR
    assert compute_expiry(now, 24 * HOUR, None, now + 30 * HOUR) == now + 24 * HOUR
    fractional = now + timedelta(hours=3, microseconds=900_000)
    assert compute_expiry(now, 24 * HOUR, fractional) == now + 3 * HOUR
    with pytest.raises(IssueError):
        compute_expiry(now, 24 * HOUR, None, now - HOUR)
    with pytest.raises(IssueError):
        compute_expiry(now, 24 * HOUR, now)


@pytest.mark.parametrize(
    "changes",
    [
        {"color": "blue"},
        {"id_last4": "12345"},
        {"id_last4": "12-4"},
        {"holder_name": ""},
        {"holder_name": "x" * 41},
        {"subject": ""},
        {"ruleset_version": -1},
        {"code_id": "not base64url!"},
        {"code_id": "AAAA"},
    ],
)
def test_issue_validates_claims(
    changes: dict[str, Any], es_key: SigningKey, make_claims: Callable[..., Claims]
) -> None:
    with pytest.raises(IssueError):
        issue(make_claims(**changes), es_key, kind=HEALTH)


def test_issue_refuses_naive_or_inverted_times(
    es_key: SigningKey, make_claims: Callable[..., Claims], now: datetime
) -> None:
    with pytest.raises(IssueError):
        issue(make_claims(issued_at=now.replace(tzinfo=None)), es_key, kind=HEALTH)
    with pytest.raises(IssueError):
        issue(make_claims(expires_at=now), es_key, kind=HEALTH)


def test_code_ids_are_unique() -> None:
    ids = {new_code_id() for _ in range(1000)}
    assert len(ids) == 1000
