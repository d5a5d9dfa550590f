"""Strict JSON bodies: values no column can store are refused with a pointer to them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.api.parsing import load_strict_json, refuse_unstorable
from app.errors import ServiceError


def problem(body: str) -> tuple[str, str] | None:
    try:
        refuse_unstorable(load_strict_json(body.encode("utf-8", "surrogatepass")))
    except ServiceError as exc:
        (error,) = exc.errors
        return error.pointer, error.detail
    return None


@pytest.mark.parametrize(
    ("body", "pointer", "says"),
    [
        ('"a\\u0000b"', "/", "NUL"),
        ('{"a": {"b~c/d": [1, 2, 99999999999999999999]}}', "/a/b~0c~1d/2", "integer out of range"),
        ('{"ok": "中文", "list": [{"x": NaN}]}', "/list/0/x", "NaN is not JSON"),
        ('{"a": 1e999}', "/a", "number out of range"),
        ('{"k\\u0000": 1}', "/k\x00", "field name: NUL"),
        ('{"s": "\\ud800"}', "/s", "unpaired surrogate"),
    ],
)
def test_unstorable_values_are_refused_with_a_pointer(body: str, pointer: str, says: str) -> None:
    found = problem(body)
    assert found is not None and found[0] == pointer and says in found[1]


@pytest.mark.parametrize("value", [{"a": ["中文", 1, -(2**63), 1.5, None, True]}, "x" * 5000, []])
def test_storable_documents_pass_unchanged(value: Any) -> None:
    assert problem(json.dumps(value, ensure_ascii=False)) is None
    assert load_strict_json(json.dumps(value).encode()) == value
