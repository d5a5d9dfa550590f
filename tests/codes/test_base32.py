"""Base32 (in C and in Python) and base64url agree with the stdlib and reject non-canonical
text; the C and the Python base32 agree with each other on any text, errors included."""

from __future__ import annotations

import base64
import binascii
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codes import _cbase32, base32
from codes.b64 import b64u_decode, b64u_encode
from codes.base32 import py_b32decode, py_b32encode

# The C forms are imported directly: the suite fails where they were not built, rather than
# testing the Python forms twice.
FORMS = pytest.mark.parametrize(
    ("b32encode", "b32decode"),
    [(_cbase32.b32encode, _cbase32.b32decode), (py_b32encode, py_b32decode)],
    ids=["c", "python"],
)


def test_the_package_uses_the_c_forms_where_built() -> None:
    assert (base32.b32encode, base32.b32decode) == (_cbase32.b32encode, _cbase32.b32decode)


@FORMS
@given(data=st.binary(max_size=600))
def test_matches_stdlib_and_round_trips(
    b32encode: Callable[[bytes], str], b32decode: Callable[[str], bytes], data: bytes
) -> None:
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
@FORMS
def test_rejects_invalid_or_non_canonical(
    b32encode: Callable[[bytes], str], b32decode: Callable[[str], bytes], text: str
) -> None:
    # "AZ": 'Z' leaves non-zero trailing bits, so it is not the canonical encoding of any byte.
    with pytest.raises(ValueError):
        b32decode(text)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567AQ7=01a\n\x00é٣\U0001f600", max_size=40))
def test_c_and_python_decode_give_the_same_bytes_or_error(text: str) -> None:
    assert _outcome(_cbase32.b32decode, text) == _outcome(py_b32decode, text)


def test_without_the_c_forms_the_package_issues_and_verifies_with_the_python_forms() -> None:
    # A device that installed the codes package without a C compiler: no codes._cbase32.
    probe = (
        "import sys; sys.modules['codes._cbase32'] = None\n"
        "from datetime import UTC, datetime, timedelta\n"
        "from codes import HEALTH, HealthClaims, SigningKey, TrustBundle, issue, new_code_id\n"
        "from codes import base32, verify\n"
        "assert base32.b32encode is base32.py_b32encode\n"
        "assert base32.b32decode is base32.py_b32decode\n"
        "now = datetime(2025, 3, 1, tzinfo=UTC)\n"
        "key = SigningKey.generate('ES256')\n"
        "claims = HealthClaims('HC', 'p_1', now, now + timedelta(hours=1), new_code_id(),\n"
        "                      'green', 1, 'Z***', '1234')\n"
        "bundle = TrustBundle(seq=1, issued_at=now, keys=(key.verification_key(),))\n"
        "code = verify(issue(claims, key, kind=HEALTH), bundle, now=now, kinds=[HEALTH])\n"
        "print(code.claims == claims)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_c_forms_refuse_what_is_not_bytes_or_text() -> None:
    with pytest.raises(TypeError):
        _cbase32.b32encode("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _cbase32.b32decode(b"AAAAAAAA")  # type: ignore[arg-type]
    assert _cbase32.b32encode(memoryview(b"\xff")) == _cbase32.b32encode(b"\xff") == "74"


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
