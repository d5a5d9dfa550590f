"""Validation of CertLogic/JsonLogic expressions: every problem, each with a JSON pointer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from risk.dates import FIXED_UNIT_MS, UNITS
from risk.issues import Issue, join

MAX_DEPTH: Final = 32
MAX_NODES: Final = 2_000
CLIMB: Final = "../"

DATE_COMPARISONS: Final = frozenset({"after", "before", "not-after", "not-before"})
INT_COMPARISONS: Final = frozenset({"<", ">", "<=", ">="})
LAMBDA_OPS: Final = frozenset({"some", "all", "none", "filter", "map"})
ARITY: Final[Mapping[str, tuple[int, int | None]]] = {
    "if": (3, 3),
    "===": (2, 2),
    "in": (2, 2),
    "+": (2, 2),
    "and": (2, None),
    "or": (2, None),
    "!": (1, 1),
    "!!": (1, 1),
    "plusTime": (3, 3),
    "reduce": (3, 3),
    "extractFromUVCI": (2, 2),
    "dccDateOfBirth": (1, 1),
    **{op: (2, 3) for op in INT_COMPARISONS | DATE_COMPARISONS},
    **{op: (2, 2) for op in LAMBDA_OPS},
}
OPERATORS: Final = frozenset(ARITY) | {"var"}
_HINTS: Final = {
    "==": "unsupported operator '==': use '===' (CertLogic has no coercing equality)",
    "!=": "unsupported operator '!=': use {'!': [{'===': [a, b]}]}",
    "!==": "unsupported operator '!==': use {'!': [{'===': [a, b]}]}",
}

# Where a node sits, for the rules about the clock ("now").
_ANY, _COMPARED, _CLOCK_OK = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Schema:
    """What the top-level data of an expression looks like, and which field is the clock.

    ``roots`` maps each allowed top-level field to the allowed names of its own fields (None:
    anything). ``clock`` names the top-level field holding "now": it may then only be used as
    ``plusTime(now, k, "day"|"hour")`` directly inside a date comparison, so that every
    dependency on the time is visible to the boundary search of ``valid_until``.
    """

    roots: Mapping[str, frozenset[str] | None] = field(default_factory=dict)
    clock: str | None = None


def split_path(path: str) -> tuple[int, str]:
    """Split a var path into the number of '../' scope climbs and the rest."""
    climbs = 0
    while path.startswith(CLIMB, climbs * len(CLIMB)):
        climbs += 1
    return climbs, path[climbs * len(CLIMB) :]


def is_clock_var(node: Any, lambda_depth: int, schema: Schema | None) -> bool:
    """Whether a node is {"var": <the clock>} read from the top-level scope."""
    if schema is None or schema.clock is None or type(node) is not dict or len(node) != 1:
        return False
    path = node.get("var")
    if type(path) is not str:
        return False
    climbs, rest = split_path(path)
    return climbs == lambda_depth and rest == schema.clock


def validate(expression: Any, schema: Schema | None = None, pointer: str = "") -> list[Issue]:
    """Every problem in an expression (empty if valid), pointers prefixed by ``pointer``."""
    checker = _Checker(schema)
    checker.check(expression, pointer, 0, 0, _ANY)
    return checker.issues


class _Checker:
    """One validation pass."""

    def __init__(self, schema: Schema | None) -> None:
        self.schema = schema
        self.issues: list[Issue] = []
        self.nodes = 0
        self.stopped = False

    def add(self, pointer: str, message: str) -> None:
        """Record one issue."""
        self.issues.append(Issue(pointer, message))

    def check(self, node: Any, ptr: str, depth: int, lambdas: int, slot: int) -> None:
        """Check one node and its children."""
        if self.stopped:
            return
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.add(ptr, f"expression has more than {MAX_NODES} nodes")
            self.stopped = True
            return
        kind = type(node)
        if kind is str or kind is bool or kind is int:
            return
        if node is None:
            self.add(ptr, "null is not allowed as a literal")
            return
        if kind is float:
            self.add(ptr, f"number {node!r} is not an integer (only integer literals)")
            return
        if depth >= MAX_DEPTH:
            self.add(ptr, f"expression nested deeper than {MAX_DEPTH} levels")
            return
        if kind is list:
            for index, item in enumerate(node):
                self.check(item, join(ptr, index), depth + 1, lambdas, _ANY)
            return
        if kind is not dict:
            self.add(ptr, f"not a JSON value: {kind.__name__}")
            return
        if len(node) != 1:
            keys = ", ".join(repr(k) for k in node) or "none"
            self.add(ptr, f"an operation object must have exactly one key (has {keys})")
            return
        ((op, args),) = node.items()
        if op == "var":
            self.check_var(args, join(ptr, "var"), lambdas)
            return
        arity = ARITY.get(op)
        if arity is None:
            self.add(join(ptr, op), _HINTS.get(op, f"unknown operator {op!r}"))
            return
        here = join(ptr, op)
        if type(args) is not list:
            self.add(here, f"operands of {op!r} must be an array")
            return
        low, high = arity
        if len(args) < low or (high is not None and len(args) > high):
            wanted = str(low) if low == high else f"{low}..{high or 'n'}"
            self.add(here, f"{op!r} takes {wanted} operands, got {len(args)}")
            return
        if op == "plusTime":
            self.check_plus_time(args, here, depth, lambdas, slot)
            return
        for index, arg in enumerate(args):
            child = join(here, index)
            if (index == 1 and op in LAMBDA_OPS) or (index == 1 and op == "reduce"):
                self.check(arg, child, depth + 1, lambdas + 1, _ANY)
            elif op in DATE_COMPARISONS:
                self.check(arg, child, depth + 1, lambdas, _COMPARED)
            elif op == "extractFromUVCI" and index == 1:
                if type(arg) is not int:
                    self.add(child, "the index of extractFromUVCI must be an integer literal")
            else:
                self.check(arg, child, depth + 1, lambdas, _ANY)

    def check_plus_time(
        self, args: list[Any], here: str, depth: int, lambdas: int, slot: int
    ) -> None:
        """Check plusTime(date, amount, unit), including the rules for the clock."""
        date, amount, unit = args
        clock = is_clock_var(date, lambdas, self.schema)
        if clock:
            self.nodes += 1
            if slot != _COMPARED:
                self.add(
                    here,
                    "plusTime over 'now' may only be a direct operand of "
                    "after/before/not-after/not-before",
                )
        else:
            self.check(date, join(here, 0), depth + 1, lambdas, _ANY)
        if type(amount) is not int:
            self.add(join(here, 1), "the amount of plusTime must be an integer literal")
        if unit not in UNITS:
            self.add(
                join(here, 2), f"unknown time unit {unit!r} (expected one of {', '.join(UNITS)})"
            )
        elif clock and unit not in FIXED_UNIT_MS:
            self.add(join(here, 2), "plusTime over 'now' supports only the units 'day' and 'hour'")

    def check_var(self, path: Any, ptr: str, lambdas: int) -> None:
        """Check a data access."""
        if type(path) is not str:
            self.add(ptr, "var takes a string path (no default value, no integer)")
            return
        climbs, rest = split_path(path)
        if climbs > lambdas:
            self.add(ptr, f"{path!r} climbs {climbs} scope(s) but only {lambdas} enclose it")
            return
        schema = self.schema
        if schema is None or climbs < lambdas:
            return
        fragments = rest.split(".") if rest else []
        if schema.clock is not None and not fragments:
            self.add(ptr, "var '' would expose the whole document, clock included: name a field")
            return
        if not fragments:
            return
        first = fragments[0]
        if first == schema.clock:
            if len(fragments) > 1:
                self.add(ptr, f"{schema.clock!r} is a date-time string and has no fields")
            else:
                self.add(
                    ptr,
                    f"{schema.clock!r} may only be used as plusTime({schema.clock}, amount, "
                    "'day'|'hour') directly inside after/before/not-after/not-before",
                )
            return
        if first not in schema.roots:
            allowed = ", ".join(sorted(schema.roots))
            self.add(ptr, f"unknown field {first!r} (expected one of {allowed})")
            return
        fields = schema.roots[first]
        if fields is not None and len(fragments) > 1 and fragments[1] not in fields:
            allowed = ", ".join(sorted(fields))
            self.add(ptr, f"unknown field {first}.{fragments[1]!r} (expected one of {allowed})")
