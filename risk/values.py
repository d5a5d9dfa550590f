"""CertLogic value semantics: truthiness, strict equality, integer checks."""

from __future__ import annotations

from typing import Any

from risk.dates import Instant


def boolsiness(value: Any) -> bool | None:
    """True if truthy, False if falsy, None if neither (CertLogic's three-way truthiness)."""
    if value is True or value is False:
        return bool(value)
    if value is None:
        return False
    kind = type(value)
    if kind is Instant:
        return None
    if kind is int or kind is float or kind is str or kind is list or kind is dict:
        return bool(value)
    if isinstance(value, str | int | float | list | dict):
        return bool(value)
    return None


def is_int(value: Any) -> bool:
    """Whether a value is a CertLogic integer (a JSON number with an integral value)."""
    kind = type(value)
    if kind is int:
        return True
    return kind is float and value.is_integer()


def strict_equal(left: Any, right: Any) -> bool:
    """JavaScript's === on JSON values: no coercion; arrays, objects, date-times by identity."""
    if left is right:
        return True
    if left is None or right is None:
        return False
    lk, rk = type(left), type(right)
    if lk is bool or rk is bool:
        return False
    if isinstance(left, str):
        return isinstance(right, str) and str.__eq__(left, right) is True
    if (lk is int or lk is float) and (rk is int or rk is float):
        return bool(left == right)
    return False


def contains(item: Any, array: list[Any]) -> bool:
    """JavaScript's Array.indexOf(item) > -1, i.e. membership by ===."""
    if item is None or type(item) is str:
        return item in array
    return any(strict_equal(item, element) for element in array)
