"""Hostile input produces only typed VerificationErrors, quickly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cbor2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codes import (
    HEALTH,
    HealthClaims,
    SigningKey,
    TrustBundle,
    VerificationError,
    check,
    issue,
    verify,
)
from codes.base32 import b32decode, b32encode

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
KEY = SigningKey.generate("ES256")
BUNDLE = TrustBundle(seq=1, issued_at=NOW, keys=(KEY.verification_key(),))
CLAIMS = HealthClaims(
    issuer="HC",
    subject="p_fuzz",
    issued_at=NOW,
    expires_at=NOW + timedelta(hours=1),
    code_id="AAAAAAAAAAAAAAAAAAAAAA",
    color="green",
    ruleset_version=1,
    holder_name="F*** T***",
    id_last4="0000",
)
VALID = issue(CLAIMS, KEY, kind=HEALTH)
VALID_BYTES = b32decode(VALID[5:])
FUZZ = settings(
    max_examples=400,
    deadline=None,  # speed is measured in bench/, never asserted in a timed unit test
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def only_typed_failures(text: object) -> None:
    raised: VerificationError | None = None
    try:
        verify(text, BUNDLE, now=NOW, kinds=[HEALTH])
    except VerificationError as exc:
        raised = exc
    result = check(text, BUNDLE, now=NOW, kinds=[HEALTH])
    assert result.valid == (raised is None)
    assert result.reason == (None if raised is None else raised.reason)


def test_the_seed_code_is_valid() -> None:
    assert check(VALID, BUNDLE, now=NOW, kinds=[HEALTH]).valid


@FUZZ
@given(st.text(max_size=600))
def test_random_text(text: str) -> None:
    only_typed_failures(text)
    only_typed_failures("HCX1:" + text)


@FUZZ
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", max_size=800))
def test_random_base32(body: str) -> None:
    only_typed_failures("HCX1:" + body)


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    only_typed_failures("HCX1:" + b32encode(data))
    only_typed_failures("HCX1:" + b32encode(b"\xd2" + data))


@FUZZ
@given(st.data())
def test_mutated_valid_code_bytes(data: st.DataObject) -> None:
    raw = bytearray(VALID_BYTES)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = data.draw(st.integers(0, max(len(raw) - 1, 0)))
        if op == "flip" and raw:
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "insert":
            raw.insert(at, data.draw(st.integers(0, 255)))
        elif op == "delete" and raw:
            del raw[at]
        else:
            del raw[at:]
    text = "HCX1:" + b32encode(bytes(raw))
    only_typed_failures(text)
    if bytes(raw) != VALID_BYTES:
        assert not check(text, BUNDLE, now=NOW, kinds=[HEALTH]).valid


@FUZZ
@given(st.data())
def test_mutated_valid_code_text(data: st.DataObject) -> None:
    chars = list(VALID)
    at = data.draw(st.integers(0, len(chars) - 1))
    chars[at] = data.draw(st.characters(codec="utf-8"))
    text = "".join(chars)
    only_typed_failures(text)
    if text != VALID:
        assert not check(text, BUNDLE, now=NOW, kinds=[HEALTH]).valid


cbor_values = st.recursive(
    st.one_of(
        st.integers(-(2**64), 2**64 - 1),
        st.binary(max_size=40),
        st.text(max_size=20),
        st.floats(),
        st.booleans(),
        st.none(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.integers(-70000, 10), inner, max_size=7),
        st.builds(cbor2.CBORTag, st.integers(0, 300), inner),
    ),
    max_leaves=20,
)


@FUZZ
@given(cbor_values, st.booleans())
def test_random_cbor(value: object, tag: bool) -> None:
    encoded = cbor2.dumps(cbor2.CBORTag(18, value) if tag else value)
    only_typed_failures("HCX1:" + b32encode(encoded))
