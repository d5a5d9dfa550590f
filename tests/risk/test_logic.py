"""Expressions: validation with pointers, limits, extensions, totality of evaluation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from risk import ExpressionInvalid, compile_expression, evaluate, validate
from risk.dates import Instant, parse_ms
from risk.rulesets import rule_schema
from risk.validation import MAX_DEPTH, MAX_NODES


def pointers(expression: Any, schema: Any = None) -> list[str]:
    return [issue.pointer for issue in validate(expression, schema)]


def test_validate_reports_every_error_with_a_pointer() -> None:
    expression = {
        "and": [
            {"===": [{"var": "a"}, 1]},
            {
                "after": [
                    {"plusTime": [{"var": "d"}, 1.5, "days"]},
                    {"plusTime": ["2024-01-01", 0, "day"]},
                ]
            },
            {"foo": [1]},
            {"==": [1, 1]},
            {"if": [True, 1]},
            {"var": 3},
            None,
            {"a": 1, "b": 2},
        ]
    }
    issues = validate(expression)
    assert [i.pointer for i in issues] == [
        "/and/1/after/0/plusTime/1",
        "/and/1/after/0/plusTime/2",
        "/and/2/foo",
        "/and/3/==",
        "/and/4/if",
        "/and/5/var",
        "/and/6",
        "/and/7",
    ]
    assert "unknown time unit 'days'" in issues[1].message
    assert "'==='" in issues[3].message


def test_pointer_escapes_slash_and_tilde() -> None:
    assert pointers({"a/b~c": [1]}) == ["/a~1b~0c"]


def test_depth_and_node_limits() -> None:
    deep: Any = True
    for _ in range(MAX_DEPTH + 5):
        deep = {"!": [deep]}
    issues = validate(deep)
    assert len(issues) == 1 and "deeper" in issues[0].message
    assert issues[0].pointer.count("/!/0") == MAX_DEPTH
    wide = {"and": [True] * (MAX_NODES + 10)}
    assert [i.message for i in validate(wide)] == [f"expression has more than {MAX_NODES} nodes"]


def test_compile_raises_with_every_issue() -> None:
    with pytest.raises(ExpressionInvalid) as caught:
        compile_expression({"and": [{"nope": [1]}, {"+": [1]}]})
    assert [i.pointer for i in caught.value.issues] == ["/and/0/nope", "/and/1/+"]


def test_clock_rules_in_a_rule_schema() -> None:
    schema = rule_schema("tests")
    ok = {
        "after": [
            {"plusTime": [{"var": "record.sampled_at"}, 14, "day"]},
            {"plusTime": [{"var": "now"}, 0, "day"]},
        ]
    }
    assert pointers(ok, schema) == []
    assert pointers({"===": [{"var": "now"}, "x"]}, schema) == ["/===/0/var"]
    assert pointers({"if": [True, {"plusTime": [{"var": "now"}, 0, "day"]}, 1]}, schema) == [
        "/if/1/plusTime"
    ]
    month = {
        "before": [
            {"plusTime": [{"var": "now"}, -1, "month"]},
            {"plusTime": ["2024-01-01", 0, "day"]},
        ]
    }
    assert pointers(month, schema) == ["/before/0/plusTime/2"]
    assert pointers({"var": ""}, schema) == ["/var"]
    assert pointers({"var": "record.nope"}, schema) == ["/var"]
    assert pointers({"var": "people"}, schema) == ["/var"]
    inner = {
        "some": [
            {"var": "tests"},
            {
                "before": [
                    {"plusTime": [{"var": "../now"}, 0, "hour"]},
                    {"plusTime": [{"var": "sampled_at"}, 0, "hour"]},
                ]
            },
        ]
    }
    assert pointers(inner, schema) == []
    # Inside a lambda, "now" is a field of the element, not the clock; "../../x" climbs too far.
    assert pointers({"some": [{"var": "tests"}, {"var": "../../x"}]}, schema) == ["/some/1/var"]
    assert pointers({"var": "record.kind"}, rule_schema(None)) == ["/var"]


def test_truthiness_and_type_mismatch_give_defined_results() -> None:
    assert evaluate({"if": [{"plusTime": ["2024-01-01", 0, "day"]}, 1, 2]}, {}) is None
    assert evaluate({"<": [{"var": "a"}, 2]}, {"a": "1"}) is None
    assert evaluate({"+": [{"var": "a"}, 2]}, {"a": True}) is None
    assert evaluate({"in": [1, {"var": "a"}]}, {"a": "123"}) is None
    assert (
        evaluate(
            {"after": [{"var": "a"}, {"plusTime": ["2024-01-01", 0, "day"]}]}, {"a": "2025-01-01"}
        )
        is None
    )
    assert evaluate({"plusTime": [{"var": "a"}, 0, "day"]}, {"a": "not a date"}) is None
    assert evaluate({"!": [{"plusTime": ["2024-01-01", 0, "day"]}]}, {}) is None
    assert evaluate({"and": [{"plusTime": ["2024-01-01", 0, "day"]}, True]}, {}) is None
    assert evaluate({"reduce": [{"var": "a"}, 1, 0]}, {"a": 5}) is None


def test_strict_equality_and_membership() -> None:
    assert evaluate({"===": [{"var": "a"}, 1]}, {"a": True}) is False
    assert evaluate({"===": [{"var": "a"}, 1]}, {"a": 1.0}) is True
    assert evaluate({"in": [{"var": "a"}, [1, 2]]}, {"a": True}) is False
    assert evaluate({"in": [{"var": "a"}, {"var": "b"}]}, {"a": 1, "b": [True, 1]}) is True
    assert evaluate({"===": [{"var": "a"}, {"var": "b"}]}, {"a": [1], "b": [1]}) is False
    assert evaluate({"===": [{"var": "a"}, {"var": "a"}]}, {"a": [1]}) is True


def test_extensions() -> None:
    data = {"xs": [1, 2, 3], "limit": 2, "tests": [{"r": "neg"}, {"r": "pos"}]}
    assert (
        evaluate({"some": [{"var": "xs"}, {">": [{"var": ""}, {"var": "../limit"}]}]}, data) is True
    )
    assert evaluate({"all": [{"var": "xs"}, {">": [{"var": ""}, 0]}]}, data) is True
    assert evaluate({"all": [{"var": "none"}, True]}, data) is False
    assert evaluate({"none": [{"var": "tests"}, {"===": [{"var": "r"}, "x"]}]}, data) is True
    assert evaluate({"filter": [{"var": "xs"}, {">=": [{"var": ""}, 2]}]}, data) == [2, 3]
    assert evaluate({"map": [{"var": "xs"}, {"+": [{"var": ""}, {"var": "../limit"}]}]}, data) == [
        3,
        4,
        5,
    ]
    assert evaluate({"or": [0, "", "x"]}, {}) == "x"
    assert evaluate({"or": [0, False]}, {}) is False
    assert evaluate({"!!": [[1]]}, {}) is True
    nested = {
        "some": [
            {"var": "xs"},
            {
                "some": [
                    {"var": "../xs"},
                    {"===": [{"+": [{"var": ""}, {"var": "../../limit"}]}, 5]},
                ]
            },
        ]
    }
    assert evaluate(nested, data) is True
    assert (
        evaluate(
            {"reduce": [{"var": "xs"}, {"+": [{"var": "accumulator"}, {"var": "../limit"}]}, 0]},
            data,
        )
        == 6
    )


def test_plus_time_units_and_formats() -> None:
    def iso(expression: Any) -> str:
        value = evaluate(expression, {})
        assert isinstance(value, Instant)
        return value.isoformat()

    assert iso({"plusTime": ["2024-01-31T10:00:00Z", 1, "month"]}) == "2024-02-29T10:00:00.000Z"
    assert iso({"plusTime": ["2024-02-29", 1, "year"]}) == "2025-02-28T00:00:00.000Z"
    assert iso({"plusTime": ["2024-03-30T23:00:00+02:00", 3, "hour"]}) == "2024-03-31T00:00:00.000Z"
    assert (
        iso({"plusTime": ["2024-03-01T00:00:00.123456+0530", -1, "day"]})
        == "2024-02-28T18:30:00.123Z"
    )
    assert iso({"plusTime": ["2004-02", 0, "day"]}) == "2004-02-29T00:00:00.000Z"
    assert parse_ms("2024-13-01") is None
    assert parse_ms("2024-01-01T10:00") is None


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from(["", "a", "2024-01-01", "2024-01-01T00:00:00Z"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "current"]), inner, max_size=3)
    ),
    max_leaves=8,
)
OPS = [
    "if",
    "===",
    "and",
    "or",
    "!",
    "!!",
    "<",
    ">",
    "<=",
    ">=",
    "in",
    "+",
    "after",
    "before",
    "not-after",
    "not-before",
    "some",
    "all",
    "none",
    "filter",
    "map",
    "reduce",
    "extractFromUVCI",
    "dccDateOfBirth",
]


def expressions() -> st.SearchStrategy[Any]:
    leaves = (
        st.booleans()
        | st.integers(-3, 3)
        | st.sampled_from(["a", "2024-01-01", "2024-01-01T00:00:00Z", "URN:UVCI:01:NL:1"])
        | st.builds(lambda p: {"var": p}, st.sampled_from(["", "a", "b", "a.0", "a.b", "current"]))
        | st.builds(
            lambda p, n, u: {"plusTime": [{"var": p}, n, u]},
            st.sampled_from(["a", "b", "a.b"]),
            st.integers(-5, 5),
            st.sampled_from(["year", "month", "day", "hour"]),
        )
    )
    return st.recursive(
        leaves,
        lambda inner: (
            st.builds(
                lambda op, args: {op: args},
                st.sampled_from(OPS),
                st.lists(inner, min_size=1, max_size=4),
            )
            | st.lists(inner, max_size=3)
        ),
        max_leaves=12,
    )


@settings(max_examples=400, deadline=None)
@given(expressions(), json_values)
def test_evaluation_of_a_valid_expression_never_raises(expression: Any, data: Any) -> None:
    if validate(expression):
        with pytest.raises(ExpressionInvalid):
            compile_expression(expression)
        return
    result = compile_expression(expression)(data)
    json.dumps(result, default=int)
