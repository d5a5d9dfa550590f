"""A rule set compiled to one SQL query: colour and exact ``valid_until`` for many people at once.

The per-person engine (``risk.engine``) is the reference; this is the same semantics over columns
(a hypothesis test checks they agree). The query reads these relations, which the caller provides
(dates are integer milliseconds since the epoch, as CertLogic's resolution):

    hc_people(person_id)
    hc_tests(person_id, record_id, kind, result, sampled_at)
    hc_stays(person_id, stay_id, record_id, region_code, arrived_at, departed_at)
    hc_levels(stay_id, level, level_from, level_until)      -- level periods overlapping a stay
    hc_contacts(person_id, record_id, kind, exposed_at)

and returns ``(person_id, severity, valid_until_ms)`` per person. Time: every comparison with
the clock, ``(now + off) op X``, flips at one instant (see README). The colour is constant
between two consecutive flips, so ``valid_until`` is the first flip after ``now`` at which the
colour differs: the query lists every flip that can matter (a time-independent sibling that
makes an enclosing ``and``/``or``/``if`` constant rules it out), evaluates the colour at ``now``
and at each flip, and takes the first difference.

Not every rule set compiles (``ColumnarUnsupported``: the caller falls back to the per-person
engine): ``reduce``, ``map``/``filter`` outside a truth test, calendar ``plusTime`` over data,
``extractFromUVCI``/``dccDateOfBirth`` over data, date-times where a truth value is needed,
array indexing, equality on arrays or between dates and text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from typing import Any, Final

from risk.colors import COLORS, severity
from risk.dates import FIXED_UNIT_MS, Instant, to_ms
from risk.errors import ColumnarUnsupported
from risk.facts import RECORD_FIELDS
from risk.logic import evaluate
from risk.rulesets import CLOCK, RuleSet
from risk.validation import DATE_COMPARISONS, INT_COMPARISONS, split_path

STR, DATE, BOOL, CONST, COLL = "str", "date", "bool", "const", "coll"
_LIMIT: Final = 1 << 61
_SQL_OP: Final = {
    "before": "<",
    "after": ">",
    "not-after": "<=",
    "not-before": ">=",
}
_MIRROR: Final = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
LEVEL_FIELDS: Final = frozenset({"level", "from", "until"})


@dataclass(frozen=True)
class Collection:
    """A relation of records: its table, its fields (name -> (column, type)), its parent link."""

    table: str
    fields: Mapping[str, tuple[str, str]]
    parent_key: str  # column linking to the parent (person_id or stay_id)


COLLECTIONS: Final = {
    "tests": Collection(
        "hc_tests",
        {
            "record_id": ("record_id", STR),
            "kind": ("kind", STR),
            "result": ("result", STR),
            "sampled_at": ("sampled_at", DATE),
        },
        "person_id",
    ),
    "stays": Collection(
        "hc_stays",
        {
            "record_id": ("record_id", STR),
            "region_code": ("region_code", STR),
            "arrived_at": ("arrived_at", DATE),
            "departed_at": ("departed_at", DATE),
            "levels": ("stay_id", COLL),
        },
        "person_id",
    ),
    "contacts": Collection(
        "hc_contacts",
        {
            "record_id": ("record_id", STR),
            "kind": ("kind", STR),
            "exposed_at": ("exposed_at", DATE),
            "place": ("place", STR),
        },
        "person_id",
    ),
    "levels": Collection(
        "hc_levels",
        {
            "level": ("level", STR),
            "from": ("level_from", DATE),
            "until": ("level_until", DATE),
        },
        "stay_id",
    ),
}


@dataclass(frozen=True)
class ColumnarQuery:
    """SQL text with ``:name`` parameters; rows ``(person_id, severity, valid_until_ms)``."""

    sql: str
    params: dict[str, Any]


@dataclass(frozen=True)
class _Expr:
    """A compiled node: kind, SQL, constant value (CONST), whether it reads the clock."""

    kind: str
    sql: str = "NULL"
    value: Any = None
    timed: bool = False
    coll: str = ""  # COLL: which collection
    nonnull: bool = False  # a BOOL that is never null (EXISTS): no COALESCE, so it can join


@dataclass(frozen=True)
class _Scope:
    """A level of data: the root document (alias of the rule's record) or a lambda's element."""

    alias: str
    coll: str  # the collection of the record / element ("" for the root without a record)
    link: str  # SQL joining this alias to the enclosing ones (root: to the person)
    root: bool = False


@dataclass
class _Rule:
    """State while compiling one rule."""

    scopes: list[_Scope]
    flips: list[tuple[list[_Scope], str, list[str]]] = field(default_factory=list)


class _Compiler:
    """Compiles the rules of one rule set for one dialect."""

    def __init__(self, dialect: str) -> None:
        if dialect not in ("postgresql", "sqlite"):
            raise ColumnarUnsupported(f"no SQL dialect {dialect!r}")
        self.dialect = dialect
        self.params: dict[str, Any] = {}
        self.aliases = 0

    # -- helpers -------------------------------------------------------------------------
    def param(self, value: str) -> str:
        name = f"hc_p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def alias(self) -> str:
        self.aliases += 1
        return f"e{self.aliases}"

    def same(self, a: str, b: str) -> str:
        op = "IS NOT DISTINCT FROM" if self.dialect == "postgresql" else "IS"
        return f"({a} {op} {b})"

    def literal(self, value: Any) -> str:
        if value is None:
            return "NULL"
        if value is True or value is False:
            return "TRUE" if value else "FALSE"
        if type(value) is int or type(value) is Instant:
            if abs(value) >= _LIMIT:
                raise ColumnarUnsupported("integer out of range")
            return str(int(value))
        if type(value) is str:
            if "\x00" in value:
                raise ColumnarUnsupported("NUL in a string")
            return self.param(value)
        raise ColumnarUnsupported(f"constant {type(value).__name__} in a value position")

    # -- truth -------------------------------------------------------------------------
    def truth(self, node: Any, rule: _Rule, guards: list[str]) -> _Expr:
        """A node as a non-null SQL boolean: whether its value is CertLogic-truthy."""
        if type(node) is dict and len(node) == 1:
            ((op, args),) = node.items()
            if op in ("and", "or") and not _constant(node):
                return self.and_or(op, args, rule, guards)
            if op == "!" and not _constant(node):
                inner = self.truth(args[0], rule, guards)
                return _Expr(BOOL, f"(NOT {inner.sql})", timed=inner.timed)
            if op == "!!" and not _constant(node):
                return self.truth(args[0], rule, guards)
            if op == "if" and not _constant(node):
                guard = self.truth(args[0], rule, guards)
                if guard.timed:
                    then = self.truth(args[1], rule, guards)
                    other = self.truth(args[2], rule, guards)
                else:
                    then = self.truth(args[1], rule, [*guards, guard.sql])
                    other = self.truth(args[2], rule, [*guards, f"(NOT {guard.sql})"])
                sql = f"(CASE WHEN {guard.sql} THEN {then.sql} ELSE {other.sql} END)"
                return _Expr(BOOL, sql, timed=guard.timed or then.timed or other.timed)
            if op in ("filter", "map"):
                return self.lambda_op("some" if op == "filter" else "map", args, rule, guards)
        expr = self.value(node, rule, guards)
        return _Expr(BOOL, self.truth_of(expr), timed=expr.timed)

    def truth_of(self, expr: _Expr) -> str:
        """SQL truthiness of a compiled value."""
        if expr.kind == CONST:
            value = expr.value
            if type(value) is Instant:
                raise ColumnarUnsupported("a date-time where a truth value is needed")
            return "TRUE" if _truthy(value) else "FALSE"
        if expr.kind == BOOL:
            return expr.sql if expr.nonnull else f"COALESCE({expr.sql}, FALSE)"
        if expr.kind == STR:
            return f"COALESCE({expr.sql} <> '', FALSE)"
        if expr.kind == DATE:
            return f"({expr.sql} IS NOT NULL)"
        if expr.kind == "int":
            return f"COALESCE({expr.sql} <> 0, FALSE)"
        if expr.kind == COLL:
            return f"EXISTS ({self.elements(expr)})"
        raise ColumnarUnsupported("a date-time where a truth value is needed")

    def and_or(self, op: str, args: list[Any], rule: _Rule, guards: list[str]) -> _Expr:
        fixed = [self.truth(a, rule, guards) if not _has_clock(a) else None for a in args]
        static = [f.sql for f in fixed if f is not None]
        if op == "and":
            inner_guards = [*guards, *static]
        else:
            inner_guards = [*guards, *(f"(NOT {s})" for s in static)]
        parts = [
            f if f is not None else self.truth(a, rule, inner_guards)
            for a, f in zip(args, fixed, strict=True)
        ]
        joiner = " AND " if op == "and" else " OR "
        return _Expr(
            BOOL, "(" + joiner.join(p.sql for p in parts) + ")", timed=any(p.timed for p in parts)
        )

    # -- values ------------------------------------------------------------------------
    def value(self, node: Any, rule: _Rule, guards: list[str]) -> _Expr:
        """A node's value as SQL (or a compile-time constant)."""
        if _constant(node):
            return _Expr(CONST, value=evaluate(node, {}))
        if type(node) is list:
            raise ColumnarUnsupported("an array built from data")
        ((op, args),) = node.items()
        if op == "var":
            return self.var(args, rule)
        if op in DATE_COMPARISONS:
            return self.date_comparison(op, args, rule, guards)
        if op in INT_COMPARISONS or op == "+":
            return self.int_op(op, args, rule, guards)
        if op == "===":
            return self.equal(args, rule, guards)
        if op == "in":
            return self.member(args, rule, guards)
        if op in ("some", "all", "none"):
            return self.lambda_op(op, args, rule, guards)
        if op in ("!", "!!"):
            truth = self.truth(node, rule, guards)
            return _Expr(BOOL, truth.sql, timed=truth.timed)
        if op in ("and", "or"):
            return self.and_or_value(op, args, rule, guards)
        if op == "if":
            return self.if_value(args, rule, guards)
        if op == "plusTime":
            raise ColumnarUnsupported("a date-time as a value outside a date comparison")
        raise ColumnarUnsupported(f"operator {op!r} over data")

    def var(self, path: str, rule: _Rule) -> _Expr:
        climbs, rest = split_path(path)
        scope = rule.scopes[len(rule.scopes) - 1 - climbs]
        fragments = rest.split(".") if rest else []
        if not fragments:
            raise ColumnarUnsupported("var '' (a whole object)")
        if scope.root:
            head = fragments[0]
            if head in ("tests", "stays", "contacts"):
                if len(fragments) > 1:
                    raise ColumnarUnsupported("indexing an array")
                return _Expr(COLL, coll=head, sql="hc.person_id")
            if head == "record" and scope.coll:
                if len(fragments) == 1:
                    raise ColumnarUnsupported("var 'record' (a whole object)")
                return self.field(scope, fragments[1:])
            if head == CLOCK:
                raise ColumnarUnsupported("the clock outside a date comparison")
            return _Expr(CONST, value=None)
        return self.field(scope, fragments)

    def field(self, scope: _Scope, fragments: list[str]) -> _Expr:
        known = RECORD_FIELDS.get(scope.coll, LEVEL_FIELDS)
        if fragments[0] in known and fragments[0] not in COLLECTIONS[scope.coll].fields:
            raise ColumnarUnsupported(f"the field {fragments[0]!r}")
        spec = COLLECTIONS[scope.coll].fields.get(fragments[0]) if fragments[0] in known else None
        if spec is None:
            if any(f.isdigit() for f in fragments[1:]):
                raise ColumnarUnsupported("indexing an array")
            return _Expr(CONST, value=None)
        column, kind = spec
        if kind == COLL:
            if len(fragments) > 1:
                raise ColumnarUnsupported("indexing an array")
            return _Expr(COLL, coll="levels", sql=f"{scope.alias}.{column}")
        if len(fragments) > 1:
            return _Expr(CONST, value=None)  # a field of a string: null
        return _Expr(kind, f"{scope.alias}.{column}")

    def elements(self, coll: _Expr) -> str:
        """SELECT of the elements of a collection value (for EXISTS)."""
        spec = COLLECTIONS[coll.coll]
        name = self.alias()
        return f"SELECT 1 FROM {spec.table} {name} WHERE {name}.{spec.parent_key} = {coll.sql}"  # noqa: S608

    def lambda_op(self, op: str, args: list[Any], rule: _Rule, guards: list[str]) -> _Expr:
        operand = self.value(args[0], rule, guards)
        if operand.kind == CONST and type(operand.value) is list:
            raise ColumnarUnsupported("a lambda over a literal array")
        if operand.kind != COLL:  # not an array: counts as []
            return _Expr(CONST, value=op == "none")
        spec = COLLECTIONS[operand.coll]
        alias = self.alias()
        link = f"{alias}.{spec.parent_key} = {operand.sql}"
        rule.scopes.append(_Scope(alias, operand.coll, link))
        try:
            # map: truthy when the array is non-empty
            body = _Expr(BOOL, "TRUE") if op == "map" else self.truth(args[1], rule, guards)
        finally:
            rule.scopes.pop()
        rows = f"SELECT 1 FROM {spec.table} {alias} WHERE {link}"  # noqa: S608
        if op in ("some", "map"):
            sql = f"EXISTS ({rows} AND {body.sql})"
        elif op == "none":
            sql = f"(NOT EXISTS ({rows} AND {body.sql}))"
        else:
            sql = f"(EXISTS ({rows}) AND NOT EXISTS ({rows} AND NOT {body.sql}))"
        return _Expr(BOOL, sql, timed=operand.timed or body.timed, nonnull=True)

    def and_or_value(self, op: str, args: list[Any], rule: _Rule, guards: list[str]) -> _Expr:
        parts = [self.value(a, rule, guards) for a in args]
        if not all(p.kind == BOOL or (p.kind == CONST and type(p.value) is bool) for p in parts):
            raise ColumnarUnsupported(f"{op!r} of non-boolean values outside a truth test")
        sqls = [self.literal(p.value) if p.kind == CONST else p.sql for p in parts]
        result = sqls[-1]
        for sql in reversed(sqls[:-1]):
            if op == "and":
                result = f"(CASE WHEN {sql} THEN {result} ELSE {sql} END)"
            else:
                result = f"(CASE WHEN {sql} THEN TRUE ELSE {result} END)"
        return _Expr(BOOL, result, timed=any(p.timed for p in parts))

    def if_value(self, args: list[Any], rule: _Rule, guards: list[str]) -> _Expr:
        guard = self.truth(args[0], rule, guards)
        then, other = self.value(args[1], rule, guards), self.value(args[2], rule, guards)
        kinds = {_family(then), _family(other)} - {"null"}
        if len(kinds) > 1 or kinds & {COLL, "instant", "list"}:
            raise ColumnarUnsupported("'if' with branches of different types")
        kind = kinds.pop() if kinds else CONST
        if kind == CONST:
            return _Expr(CONST, value=None)
        a = self.literal(then.value) if then.kind == CONST else then.sql
        b = self.literal(other.value) if other.kind == CONST else other.sql
        sql = f"(CASE WHEN {guard.sql} THEN {a} ELSE {b} END)"
        return _Expr(kind, sql, timed=guard.timed or then.timed or other.timed)

    def int_op(self, op: str, args: list[Any], rule: _Rule, guards: list[str]) -> _Expr:
        # integers only come from literals (facts hold no numbers): data operands give null
        for arg in args:
            part = self.value(arg, rule, guards)
            if part.kind in (COLL, "int"):
                raise ColumnarUnsupported("arithmetic over computed values")
        return _Expr(CONST, value=None)

    def equal(self, args: list[Any], rule: _Rule, guards: list[str]) -> _Expr:
        a, b = (self.value(x, rule, guards) for x in args)
        fa, fb = _family(a), _family(b)
        if {fa, fb} & {COLL, "list"}:
            raise ColumnarUnsupported("=== on arrays")
        if DATE in (fa, fb) and {fa, fb} - {DATE, "null"}:
            raise ColumnarUnsupported("=== between a date and another value")
        timed = a.timed or b.timed
        if fa == "instant" or fb == "instant":  # date-times compare by identity: never equal
            return _Expr(BOOL, f"({self.sql(a)} IS NULL AND {self.sql(b)} IS NULL)", timed=timed)
        if fa == fb and CONST in (a.kind, b.kind):  # a non-null literal: plain =
            return _Expr(BOOL, f"COALESCE({self.sql(a)} = {self.sql(b)}, FALSE)", timed=timed)
        if fa == fb or "null" in (fa, fb):
            return _Expr(BOOL, self.same(self.sql(a), self.sql(b)), timed=timed)
        return _Expr(BOOL, f"({self.sql(a)} IS NULL AND {self.sql(b)} IS NULL)", timed=timed)

    def sql(self, expr: _Expr) -> str:
        return self.literal(expr.value) if expr.kind == CONST else expr.sql

    def member(self, args: list[Any], rule: _Rule, guards: list[str]) -> _Expr:
        item = self.value(args[0], rule, guards)
        array = self.value(args[1], rule, guards)
        if array.kind == COLL:
            if item.kind == COLL:
                raise ColumnarUnsupported("'in' between arrays")
            return _Expr(CONST, value=False)
        if array.kind != CONST or type(array.value) is not list:
            return _Expr(CONST, value=None)
        family = _family(item)
        if family in (COLL, "list", DATE):
            raise ColumnarUnsupported("'in' on dates or arrays")
        if family in ("null", "instant"):
            return _Expr(CONST, value=False)
        wanted = [v for v in array.value if _family(_Expr(CONST, value=v)) == family]
        if not wanted:
            return _Expr(CONST, value=False)
        listed = ", ".join(self.literal(v) for v in wanted)
        return _Expr(BOOL, f"COALESCE({item.sql} IN ({listed}), FALSE)", timed=item.timed)

    # -- dates -------------------------------------------------------------------------
    def date_operand(self, node: Any, rule: _Rule, guards: list[str]) -> tuple[str, Any]:
        """("clock", offset ms) | ("ms", SQL or None) for an operand of a date comparison."""
        if type(node) is dict and "plusTime" in node:
            date, amount, unit = node["plusTime"]
            lambdas = len(rule.scopes) - 1
            if _is_clock(date, lambdas):
                return "clock", amount * FIXED_UNIT_MS[unit]
            if _constant(node):
                constant = evaluate(node, {})
                return "ms", None if constant is None else self.literal(constant)
            base = self.value(date, rule, guards)
            if base.kind == CONST and base.value is None:
                return "ms", None
            if base.kind != DATE:
                raise ColumnarUnsupported("plusTime over a value that is not a date field")
            if unit not in FIXED_UNIT_MS:
                raise ColumnarUnsupported(f"plusTime in {unit}s over data")
            delta = amount * FIXED_UNIT_MS[unit]
            if abs(delta) >= _LIMIT:
                raise ColumnarUnsupported("plusTime amount out of range")
            return "ms", f"({base.sql} + {delta})"
        if _constant(node):
            constant = evaluate(node, {})
            if type(constant) is Instant:
                return "ms", self.literal(constant)
            return "ms", None
        part = self.value(node, rule, guards)
        if part.kind in (STR, DATE, BOOL, COLL) or (part.kind == CONST and part.value is None):
            return "ms", None  # not a date-time: the comparison is null
        raise ColumnarUnsupported("a computed date-time operand")

    def date_comparison(self, op: str, args: list[Any], rule: _Rule, guards: list[str]) -> _Expr:
        sql_op = _SQL_OP[op]
        operands = [self.date_operand(a, rule, guards) for a in args]
        if any(kind == "ms" and sql is None for kind, sql in operands):
            return _Expr(CONST, value=None)
        timed = any(kind == "clock" for kind, _ in operands)
        terms: list[str] = []
        present: list[str] = []
        for (ka, a), (kb, b) in pairwise(operands):
            if ka == "clock" and kb == "clock":
                terms.append("TRUE" if _compare(sql_op, a, b) else "FALSE")
            elif ka == "clock":
                terms.append(f"((hc.t + {a}) {sql_op} {b})")
                self.flip(rule, f"({b} - {a} + {_adjust(sql_op)})", guards)
            elif kb == "clock":
                terms.append(f"({a} {sql_op} (hc.t + {b}))")
                self.flip(rule, f"({a} - {b} + {_adjust(_MIRROR[sql_op])})", guards)
            else:
                terms.append(f"({a} {sql_op} {b})")
        present = [sql for kind, sql in operands if kind == "ms"]
        body = " AND ".join(terms)
        if len(terms) > 1 and present:
            nulls = " OR ".join(f"{p} IS NULL" for p in present)
            body = f"(CASE WHEN {nulls} THEN NULL ELSE ({body}) END)"
        return _Expr(BOOL, body, timed=timed)

    def flip(self, rule: _Rule, sql: str, guards: list[str]) -> None:
        rule.flips.append((list(rule.scopes), sql, list(guards)))


def _family(expr: _Expr) -> str:
    """The value family of a compiled node, for equality."""
    if expr.kind != CONST:
        return expr.kind
    value = expr.value
    if value is None:
        return "null"
    if type(value) is bool:
        return BOOL
    if type(value) is Instant:
        return "instant"
    if type(value) is int:
        return "int"
    if type(value) is str:
        return STR
    return "list"


def _truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if value is True:
        return True
    return bool(value)


def _compare(op: str, a: int, b: int) -> bool:
    return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def _adjust(op: str) -> int:
    """For ``(now + off) op x``: the outcome changes 1 ms after now + off == x for <= and >."""
    return 1 if op in ("<=", ">") else 0


def _vars(node: Any) -> bool:
    """Whether a node reads any data (a var anywhere below)."""
    if type(node) is list:
        return any(_vars(item) for item in node)
    if type(node) is dict:
        return any(op == "var" or _vars(args) for op, args in node.items())
    return False


def _constant(node: Any) -> bool:
    return not _vars(node)


def _is_clock(node: Any, lambdas: int) -> bool:
    if type(node) is not dict or set(node) != {"var"} or type(node["var"]) is not str:
        return False
    climbs, rest = split_path(node["var"])
    return climbs == lambdas and rest == CLOCK


def _has_clock(node: Any) -> bool:
    """Whether a node (at any depth) reads the clock."""
    if type(node) is list:
        return any(_has_clock(item) for item in node)
    if type(node) is dict:
        for op, args in node.items():
            if op == "var" and type(args) is str and split_path(args)[1] == CLOCK:
                return True
            if op != "var" and _has_clock(args):
                return True
    return False


def _scope_from(scopes: list[_Scope]) -> str:
    """FROM ... JOIN ... binding every scope of a flip, starting at the person."""
    parts = ["hc_people hc"]
    for scope in scopes:
        if not scope.coll:
            continue
        table = COLLECTIONS[scope.coll].table
        parts.append(f"JOIN {table} {scope.alias} ON {scope.link}")
    return " ".join(parts)


def columnar_query(
    ruleset: RuleSet, *, dialect: str, now: datetime, validity: bool = True
) -> ColumnarQuery:
    """Compile a (validated) rule set; raises ColumnarUnsupported when it cannot.

    Without ``validity`` only the colour at ``now`` is computed (``valid_until`` is null): what
    a dry run compares, at a fraction of the cost.

    Each rule is a filter over the candidate (person, instant) pairs, so PostgreSQL runs a
    ``for_each`` rule as one hash semi-join over its records rather than a subquery per pair.
    """
    compiler = _Compiler(dialect)
    fires: list[str] = []
    flips: list[str] = []
    for number, rule in enumerate(ruleset.rules):
        alias = f"r{number}"
        coll = rule.for_each or ""
        link = f"{alias}.{COLLECTIONS[coll].parent_key} = hc.person_id" if coll else "hc.person_id"
        state = _Rule([_Scope(alias, coll, link, root=True)])
        when = compiler.truth(rule.when, state, [])
        if coll:
            table = COLLECTIONS[coll].table
            condition = f"EXISTS (SELECT 1 FROM {table} {alias} WHERE {link} AND {when.sql})"  # noqa: S608
        else:
            condition = when.sql
        rank = severity(rule.color)
        fires.append(f"SELECT hc.person_id, hc.t, {rank} AS sev FROM hc_cand hc WHERE {condition}")  # noqa: S608
        for scopes, sql, guards in state.flips:
            where = " AND ".join([f"{sql} > :hc_now", *guards])
            source = _scope_from(scopes)
            flips.append(f"SELECT hc.person_id, {sql} AS t FROM {source} WHERE {where}")  # noqa: S608
    candidates = "SELECT person_id, CAST(:hc_now AS BIGINT) AS t FROM hc_people"
    if flips and validity:
        candidates += " UNION " + " UNION ".join(flips)
    default = severity(ruleset.default_color)
    ctes = f"WITH hc_cand AS MATERIALIZED ({candidates})"
    if fires:
        fired = " UNION ALL ".join(fires)
        ctes += (
            f", hc_fire AS (SELECT person_id, t, max(sev) AS sev FROM ({fired})"  # noqa: S608
            " hc_f GROUP BY person_id, t), hc_eval AS (SELECT c.person_id, c.t, "
            f"COALESCE(f.sev, {default}) AS sev FROM hc_cand c LEFT JOIN hc_fire f "
            "ON f.person_id = c.person_id AND f.t = c.t)"
        )
    else:
        ctes += f", hc_eval AS (SELECT person_id, t, {default} AS sev FROM hc_cand)"  # noqa: S608
    tail = (
        ", hc_ranked AS (SELECT person_id, t, sev, "
        "first_value(sev) OVER (PARTITION BY person_id ORDER BY t) AS sev0 FROM hc_eval) "
        "SELECT person_id, min(sev0) AS severity, "
        "min(CASE WHEN sev <> sev0 THEN t END) AS valid_until FROM hc_ranked GROUP BY person_id"
    )
    return ColumnarQuery(ctes + tail, {**compiler.params, "hc_now": to_ms(now)})


def colour_of(rank: int) -> str:
    """The colour of a severity the query returns."""
    return COLORS[rank]
