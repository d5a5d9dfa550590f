"""Compilation of a validated expression into nested Python closures.

A compiled node is a function ``fn(data, env)``. ``env`` carries the clock (``env.now``, ms)
and the boundary search state: every date comparison involving the clock lowers ``env.flip``
to the earliest instant after ``env.now`` at which its outcome would change.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any, Final

from risk.dates import FIXED_UNIT_MS, DateText, Instant, date_of_birth_ms, parse_ms, shift
from risk.validation import (
    DATE_COMPARISONS,
    INT_COMPARISONS,
    LAMBDA_OPS,
    Schema,
    is_clock_var,
    split_path,
)
from risk.values import boolsiness, contains, is_int, strict_equal

NEVER: Final = 1 << 62
"""The flip instant meaning "no change ahead"."""


class Env:
    """Per-evaluation state: the clock, the earliest boundary seen, the enclosing scopes."""

    __slots__ = ("flip", "now", "scopes")

    def __init__(self, now: int = 0) -> None:
        self.now = now
        self.flip = NEVER
        self.scopes: list[Any] = []


Fn = Callable[[Any, Env], Any]
MsFn = Callable[[Any, Env], "int | None"]

_CMP: Final = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
    "before": operator.lt,
    "after": operator.gt,
    "not-after": operator.le,
    "not-before": operator.ge,
}
_MIRROR: Final = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
_DATE_TO_INT: Final = {"before": "<", "after": ">", "not-after": "<=", "not-before": ">="}
_CLOCK, _MS, _GEN = 0, 1, 2


def compile_node(node: Any, schema: Schema | None, lambdas: int = 0) -> Fn:
    """Compile a validated expression node."""
    kind = type(node)
    if kind is str or kind is int or kind is bool:
        return _constant(node)
    if kind is list:
        return _array([compile_node(item, schema, lambdas) for item in node])
    ((op, args),) = node.items()
    if op == "var":
        return _var(args, lambdas)
    if op == "plusTime":
        ms = _plus_time_ms(args, schema, lambdas)
        return _instant_of(ms)
    if op in DATE_COMPARISONS:
        return _date_comparison(op, args, schema, lambdas)
    if op == "reduce" or op in LAMBDA_OPS:
        operand = compile_node(args[0], schema, lambdas)
        body = compile_node(args[1], schema, lambdas + 1)
        if op == "reduce":
            return _reduce(operand, body, compile_node(args[2], schema, lambdas))
        return _LAMBDA_FACTORIES[op](operand, body)
    if op == "extractFromUVCI":
        return _extract_from_uvci(compile_node(args[0], schema, lambdas), args[1])
    if op == "===":
        return _strict_equal(args, schema, lambdas)
    if op == "in":
        return _in(args, schema, lambdas)
    fns = [compile_node(arg, schema, lambdas) for arg in args]
    if op in INT_COMPARISONS:
        return _int_comparison(_CMP[op], fns)
    return _SIMPLE_FACTORIES[op](fns)


def _constant(value: Any) -> Fn:
    def constant(data: Any, env: Env) -> Any:
        return value

    return constant


def _array(items: Sequence[Fn]) -> Fn:
    def array(data: Any, env: Env) -> Any:
        return [item(data, env) for item in items]

    return array


def _var(path: str, lambdas: int) -> Fn:
    climbs, rest = split_path(path)
    getter = _getter(rest.split(".") if rest else [])
    if climbs == 0:
        return getter

    def outer(data: Any, env: Env) -> Any:
        return getter(env.scopes[-climbs], env)

    return outer


def _getter(fragments: list[str]) -> Fn:
    """Data access along a path (CertLogic's var): null for anything missing."""
    if not fragments:
        return lambda data, env: data
    if len(fragments) == 1 and not fragments[0].isdigit():
        (key,) = fragments

        def field(data: Any, env: Env) -> Any:
            return data.get(key) if type(data) is dict else None

        return field
    if len(fragments) == 2 and not any(f.isdigit() for f in fragments):
        first, second = fragments

        def field2(data: Any, env: Env) -> Any:
            if type(data) is dict:
                inner = data.get(first)
                if type(inner) is dict:
                    return inner.get(second)
            return None

        return field2
    steps = [(f, int(f) if f.isdigit() else None) for f in fragments]

    def path(data: Any, env: Env) -> Any:
        for key, index in steps:
            kind = type(data)
            if kind is dict:
                data = data.get(key if index is None else str(index))
            elif kind is list and index is not None and index < len(data):
                data = data[index]
            else:
                return None
        return data

    return path


def _plus_time_ms(args: list[Any], schema: Schema | None, lambdas: int) -> MsFn:
    """Compile plusTime(date, amount, unit) to a function giving milliseconds or None."""
    date, amount, unit = args
    operand = compile_node(date, schema, lambdas)
    fixed = FIXED_UNIT_MS.get(unit)
    if fixed is not None:
        delta: int = amount * fixed

        def plus_fixed(data: Any, env: Env) -> int | None:
            value = operand(data, env)
            if type(value) is DateText:
                base: int = value.ms
                return base + delta
            if isinstance(value, str):
                ms = parse_ms(value)
                return None if ms is None else ms + delta
            return None

        return plus_fixed

    def plus_calendar(data: Any, env: Env) -> int | None:
        value = operand(data, env)
        if type(value) is DateText:
            ms: int | None = value.ms
        elif isinstance(value, str):
            ms = parse_ms(value)
        else:
            return None
        return None if ms is None else shift(ms, amount, unit)

    return plus_calendar


def _instant_of(ms_fn: MsFn) -> Fn:
    def instant(data: Any, env: Env) -> Any:
        ms = ms_fn(data, env)
        return None if ms is None else Instant(ms)

    return instant


def _date_operand(node: Any, schema: Schema | None, lambdas: int) -> tuple[int, Any]:
    """Classify an operand of a date comparison: the clock (with offset), plusTime, or other."""
    if type(node) is dict and "plusTime" in node:
        date, amount, unit = node["plusTime"]
        if is_clock_var(date, lambdas, schema):
            return _CLOCK, amount * FIXED_UNIT_MS[unit]
        return _MS, _plus_time_ms(node["plusTime"], schema, lambdas)
    return _GEN, compile_node(node, schema, lambdas)


def _flip_adjust(op: str) -> int:
    """For ``(now + off) op x``: 1 if the outcome changes one step after now + off == x."""
    return 1 if op in ("<=", ">") else 0


def _date_comparison(op: str, args: list[Any], schema: Schema | None, lambdas: int) -> Fn:
    specs = [_date_operand(arg, schema, lambdas) for arg in args]
    int_op = _DATE_TO_INT[op]
    cmp = _CMP[op]
    if len(specs) == 2:
        (ka, a), (kb, b) = specs
        if ka == _MS and kb == _MS:
            return _ms_ms(a, b, cmp)
        if ka == _MS and kb == _CLOCK:
            return _ms_clock(a, b, cmp, -b + _flip_adjust(_MIRROR[int_op]))
        if ka == _CLOCK and kb == _MS:
            return _clock_ms(a, b, cmp, -a + _flip_adjust(int_op))
    return _date_chain(specs, int_op)


def _ms_ms(a: MsFn, b: MsFn, cmp: Callable[[int, int], bool]) -> Fn:
    def compare(data: Any, env: Env) -> Any:
        x = a(data, env)
        if x is None:
            return None
        y = b(data, env)
        if y is None:
            return None
        return cmp(x, y)

    return compare


def _ms_clock(a: MsFn, offset: int, cmp: Callable[[int, int], bool], delta: int) -> Fn:
    def compare(data: Any, env: Env) -> Any:
        x = a(data, env)
        if x is None:
            return None
        now = env.now
        flip = x + delta
        if now < flip < env.flip:
            env.flip = flip
        return cmp(x, now + offset)

    return compare


def _clock_ms(offset: int, b: MsFn, cmp: Callable[[int, int], bool], delta: int) -> Fn:
    def compare(data: Any, env: Env) -> Any:
        y = b(data, env)
        if y is None:
            return None
        now = env.now
        flip = y + delta
        if now < flip < env.flip:
            env.flip = flip
        return cmp(now + offset, y)

    return compare


def _date_chain(specs: list[tuple[int, Any]], int_op: str) -> Fn:
    """The general date comparison: 2 or 3 operands of any kind."""
    cmp = _CMP[int_op]
    adjust = _flip_adjust(int_op)
    mirrored_adjust = _flip_adjust(_MIRROR[int_op])

    def compare(data: Any, env: Env) -> Any:
        now = env.now
        values: list[tuple[bool, int]] = []
        for kind, payload in specs:
            if kind == _CLOCK:
                values.append((True, payload))
                continue
            value = payload(data, env)
            if kind == _GEN and type(value) is not Instant:
                return None
            if value is None:
                return None
            values.append((False, int(value)))
        for (left_clock, left), (right_clock, right) in pairwise(values):
            if left_clock and right_clock:
                outcome = cmp(left, right)
            elif left_clock:
                flip = right - left + adjust
                if now < flip < env.flip:
                    env.flip = flip
                outcome = cmp(now + left, right)
            elif right_clock:
                flip = left - right + mirrored_adjust
                if now < flip < env.flip:
                    env.flip = flip
                outcome = cmp(left, now + right)
            else:
                outcome = cmp(left, right)
            if not outcome:
                return False
        return True

    return compare


def _int_comparison(cmp: Callable[[Any, Any], bool], fns: list[Fn]) -> Fn:
    if len(fns) == 2:
        a, b = fns

        def compare2(data: Any, env: Env) -> Any:
            x = a(data, env)
            y = b(data, env)
            if not (is_int(x) and is_int(y)):
                return None
            return cmp(x, y)

        return compare2
    a, b, c = fns

    def compare3(data: Any, env: Env) -> Any:
        x = a(data, env)
        y = b(data, env)
        z = c(data, env)
        if not (is_int(x) and is_int(y) and is_int(z)):
            return None
        return cmp(x, y) and cmp(y, z)

    return compare3


def _strict_equal(args: list[Any], schema: Schema | None, lambdas: int) -> Fn:
    left, right = args
    if type(left) in (str, int, bool) and type(right) not in (str, int, bool):
        left, right = right, left
    fn = compile_node(left, schema, lambdas)
    if type(right) is str:
        text = right

        def equal_text(data: Any, env: Env) -> Any:
            return fn(data, env) == text

        return equal_text
    if type(right) is bool:
        flag = right

        def equal_bool(data: Any, env: Env) -> Any:
            return fn(data, env) is flag

        return equal_bool
    other = compile_node(right, schema, lambdas)

    def equal(data: Any, env: Env) -> Any:
        return strict_equal(fn(data, env), other(data, env))

    return equal


def _in(args: list[Any], schema: Schema | None, lambdas: int) -> Fn:
    item = compile_node(args[0], schema, lambdas)
    array = args[1]
    if type(array) is list and array and all(type(x) is str for x in array):
        texts = frozenset(array)

        def in_texts(data: Any, env: Env) -> Any:
            value = item(data, env)
            return isinstance(value, str) and value in texts

        return in_texts
    array_fn = compile_node(array, schema, lambdas)

    def member(data: Any, env: Env) -> Any:
        value = item(data, env)
        values = array_fn(data, env)
        if type(values) is not list:
            return None
        return contains(value, values)

    return member


def _if(fns: list[Fn]) -> Fn:
    guard, then, otherwise = fns

    def if_(data: Any, env: Env) -> Any:
        value = guard(data, env)
        if value is True:
            return then(data, env)
        if value is False or value is None:
            return otherwise(data, env)
        truth = boolsiness(value)
        if truth is None:
            return None
        return then(data, env) if truth else otherwise(data, env)

    return if_


def _and(fns: list[Fn]) -> Fn:
    *init, last = fns

    def and_(data: Any, env: Env) -> Any:
        for fn in init:
            value = fn(data, env)
            if value is True:
                continue
            if value is False or value is None:
                return value
            truth = boolsiness(value)
            if truth is None:
                return None
            if not truth:
                return value
        return last(data, env)

    return and_


def _or(fns: list[Fn]) -> Fn:
    *init, last = fns

    def or_(data: Any, env: Env) -> Any:
        for fn in init:
            value = fn(data, env)
            if value is False or value is None:
                continue
            if value is True:
                return value
            truth = boolsiness(value)
            if truth is None:
                return None
            if truth:
                return value
        return last(data, env)

    return or_


def _not(fns: list[Fn]) -> Fn:
    (fn,) = fns

    def not_(data: Any, env: Env) -> Any:
        value = fn(data, env)
        if value is True:
            return False
        if value is False or value is None:
            return True
        truth = boolsiness(value)
        return None if truth is None else not truth

    return not_


def _not_not(fns: list[Fn]) -> Fn:
    (fn,) = fns

    def not_not(data: Any, env: Env) -> Any:
        return boolsiness(fn(data, env))

    return not_not


def _plus(fns: list[Fn]) -> Fn:
    a, b = fns

    def plus(data: Any, env: Env) -> Any:
        x = a(data, env)
        y = b(data, env)
        return x + y if is_int(x) and is_int(y) else None

    return plus


def _date_of_birth(fns: list[Fn]) -> Fn:
    (fn,) = fns

    def date_of_birth(data: Any, env: Env) -> Any:
        value = fn(data, env)
        if not isinstance(value, str):
            return None
        ms = date_of_birth_ms(value)
        return None if ms is None else Instant(ms)

    return date_of_birth


def _extract_from_uvci(fn: Fn, index: int) -> Fn:
    def extract(data: Any, env: Env) -> Any:
        value = fn(data, env)
        if not isinstance(value, str) or index < 0:
            return None
        text = value[9:] if value.startswith("URN:UVCI:") else value
        fragments = text.replace("#", "/").replace(":", "/").split("/")
        return fragments[index] if index < len(fragments) else None

    return extract


def _reduce(operand: Fn, body: Fn, initial: Fn) -> Fn:
    def reduce(data: Any, env: Env) -> Any:
        values = operand(data, env)
        accumulator = initial(data, env)
        if values is None:
            return accumulator
        if type(values) is not list:
            return None
        scopes = env.scopes
        scopes.append(data)
        for current in values:
            accumulator = body({"current": current, "accumulator": accumulator}, env)
        scopes.pop()
        return accumulator

    return reduce


def _some(operand: Fn, body: Fn) -> Fn:
    def some(data: Any, env: Env) -> Any:
        values = operand(data, env)
        if type(values) is not list:
            return False
        scopes = env.scopes
        scopes.append(data)
        for item in values:
            value = body(item, env)
            if value is True or (value is not False and value is not None and boolsiness(value)):
                scopes.pop()
                return True
        scopes.pop()
        return False

    return some


def _all(operand: Fn, body: Fn) -> Fn:
    def all_(data: Any, env: Env) -> Any:
        values = operand(data, env)
        if type(values) is not list or not values:
            return False
        scopes = env.scopes
        scopes.append(data)
        for item in values:
            value = body(item, env)
            if value is not True and boolsiness(value) is not True:
                scopes.pop()
                return False
        scopes.pop()
        return True

    return all_


def _none(operand: Fn, body: Fn) -> Fn:
    some = _some(operand, body)

    def none(data: Any, env: Env) -> Any:
        return not some(data, env)

    return none


def _filter(operand: Fn, body: Fn) -> Fn:
    def filter_(data: Any, env: Env) -> Any:
        values = operand(data, env)
        if type(values) is not list:
            return []
        scopes = env.scopes
        scopes.append(data)
        kept = [item for item in values if boolsiness(body(item, env)) is True]
        scopes.pop()
        return kept

    return filter_


def _map(operand: Fn, body: Fn) -> Fn:
    def map_(data: Any, env: Env) -> Any:
        values = operand(data, env)
        if type(values) is not list:
            return []
        scopes = env.scopes
        scopes.append(data)
        mapped = [body(item, env) for item in values]
        scopes.pop()
        return mapped

    return map_


_SIMPLE_FACTORIES: Final[dict[str, Callable[[list[Fn]], Fn]]] = {
    "if": _if,
    "and": _and,
    "or": _or,
    "!": _not,
    "!!": _not_not,
    "+": _plus,
    "dccDateOfBirth": _date_of_birth,
}
_LAMBDA_FACTORIES: Final[dict[str, Callable[[Fn, Fn], Fn]]] = {
    "some": _some,
    "all": _all,
    "none": _none,
    "filter": _filter,
    "map": _map,
}
