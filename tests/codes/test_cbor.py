"""The strict CBOR decoder accepts our subset and rejects everything else; the reused
payload encoder writes what cbor2.dumps writes."""

from __future__ import annotations

from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codes.cbor import CborError, head, loads
from codes.cose import encode_payload

scalars = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64 - 1),
    st.binary(max_size=40),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.integers(-1000, 1000), st.text(max_size=5)), inner, max_size=4
        ),
    ),
    max_leaves=12,
)


@given(values)
def test_agrees_with_cbor2_on_the_subset(value: object) -> None:
    assert loads(cbor2.dumps(value), max_depth=64) == value


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_head_matches_cbor2_shortest_form(arg: int) -> None:
    assert head(0, arg) == cbor2.dumps(arg)
    assert head(1, arg) == cbor2.dumps(-1 - arg)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (bytes.fromhex("d2820102"), "tag"),
        (bytes.fromhex("d82363612a2b"), "regex tag"),
        (bytes.fromhex("f93c00"), "float"),
        (bytes.fromhex("f5"), "true"),
        (bytes.fromhex("9f01ff"), "indefinite array"),
        (bytes.fromhex("1801"), "non-shortest int"),
        (bytes.fromhex("a201010102"), "duplicate key"),
        (bytes.fromhex("0102"), "trailing bytes"),
        (bytes.fromhex("5b7fffffffffffffff"), "huge bstr"),
        (bytes.fromhex("9b7fffffffffffffff"), "huge array"),
        (bytes.fromhex("62c328"), "bad utf-8"),
        (bytes.fromhex("a1810101"), "array as map key"),
        (b"\x81" * 10 + b"\x01", "too deep"),
        (b"", "empty"),
    ],
)
def test_rejects(data: bytes, why: str) -> None:
    with pytest.raises(CborError):
        loads(data)


any_values = st.recursive(
    st.one_of(scalars, st.floats(), st.booleans(), st.none()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.integers(-70000, 10), st.text(max_size=5)), inner, max_size=4),
        st.builds(cbor2.CBORTag, st.integers(0, 300), inner),
    ),
    max_leaves=12,
)


@given(any_values)
def test_payload_encoder_writes_what_cbor2_dumps_writes(value: object) -> None:
    assert encode_payload(value) == cbor2.dumps(value)


def test_payload_encoder_keeps_nothing_from_a_failed_encoding() -> None:
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)
    value = {1: [2], 2: cyclic}
    with pytest.raises(cbor2.CBOREncodeError):
        encode_payload(value)
    cyclic.pop()  # the same containers, no longer cyclic: they must encode now
    assert encode_payload(value) == cbor2.dumps(value) == bytes.fromhex("a2018102028101")
