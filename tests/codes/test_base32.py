"""Fast base32 agrees with the stdlib and rejects non-canonical text."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codes.base32 import b32decode, b32encode


@given(st.binary(max_size=600))
def test_matches_stdlib_and_round_trips(data: bytes) -> None:
    text = b32encode(data)
    assert text == base64.b32encode(data).decode().rstrip("=")
    assert b32decode(text) == data


@pytest.mark.parametrize(
    "text",
    ["A", "ABC", "ABCDEF", "ab", "AB=", "A B", "AAAAAAA1", "AB_C", "-AB", "AZ"],
)
def test_rejects_invalid_or_non_canonical(text: str) -> None:
    # "AZ": 'Z' leaves non-zero trailing bits, so it is not the canonical encoding of any byte.
    with pytest.raises(ValueError):
        b32decode(text)
