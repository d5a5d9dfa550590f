"""Fast base32 and base64url agree with the stdlib and reject non-canonical text."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codes.b64 import b64u_decode, b64u_encode
from codes.base32 import b32decode, b32encode


@given(st.binary(max_size=600))
def test_matches_stdlib_and_round_trips(data: bytes) -> None:
    text = b32encode(data)
    assert text == base64.b32encode(data).decode().rstrip("=")
    assert b32decode(text) == data


@pytest.mark.parametrize(
    "text",
    [
        *["A", "ABC", "ABCDEF", "ab", "AB=", "A B", "AAAAAAA1", "AB_C", "-AB", "AZ"],
        # 8 characters each: what int(..., 32) takes (sign, spaces, "_", 0/1/8/9, a-v)
        *["+AAAAAAA", "-AAAAAAA", " AAAAAAA", "AAAAAAA\n", "AAAA_AAA", "AAAAAAA8", "aaaaaaaa"],
        *["AAAAAAAÀ", "AAAAAAA٣"],  # non-ASCII (the second a digit int() knows)
    ],
)
def test_rejects_invalid_or_non_canonical(text: str) -> None:
    # "AZ": 'Z' leaves non-zero trailing bits, so it is not the canonical encoding of any byte.
    with pytest.raises(ValueError):
        b32decode(text)


def _stdlib_b64u_decode(text: object) -> bytes:
    """b64u_decode as it was written on the base64 module."""
    if not isinstance(text, str) or "=" in text:
        raise ValueError("expected unpadded base64url text")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("invalid base64url") from exc
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != text:
        raise ValueError("non-canonical base64url")
    return raw


def _outcome(decode: Callable[[Any], bytes], text: object) -> bytes | str:
    try:
        return decode(text)
    except ValueError as exc:
        return str(exc)


@given(st.binary(max_size=64))
def test_base64url_matches_stdlib(data: bytes) -> None:
    text = b64u_encode(data)
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")
    assert b64u_decode(text) == data


@given(st.one_of(st.text(alphabet="AQgw_-+/=. \n\x00é", max_size=12), st.binary(max_size=4)))
def test_base64url_refuses_what_the_stdlib_form_refused(text: object) -> None:
    assert _outcome(b64u_decode, text) == _outcome(_stdlib_b64u_decode, text)
