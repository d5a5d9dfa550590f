"""The strict CBOR decoder accepts our subset and rejects everything else."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codes.cbor import CborError, head, loads

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
