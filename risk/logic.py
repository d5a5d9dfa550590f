"""Public entry points for expressions: validate, compile, evaluate."""

from __future__ import annotations

from typing import Any

from risk.compiler import Env, Fn, compile_node
from risk.errors import ExpressionInvalid
from risk.issues import Issue
from risk.validation import Schema
from risk.validation import validate as _validate

__all__ = ["CompiledExpression", "compile_expression", "evaluate", "validate"]


def validate(expression: Any, schema: Schema | None = None) -> list[Issue]:
    """Every problem in an expression, each with a JSON pointer; empty when valid."""
    return _validate(expression, schema)


class CompiledExpression:
    """A validated expression compiled to closures; call it with a data context."""

    __slots__ = ("expression", "fn", "schema")

    def __init__(self, expression: Any, fn: Fn, schema: Schema | None) -> None:
        self.expression = expression
        self.fn = fn
        self.schema = schema

    def __call__(self, data: Any) -> Any:
        """Evaluate against ``data``; never raises."""
        return self.fn(data, Env())


def compile_expression(expression: Any, schema: Schema | None = None) -> CompiledExpression:
    """Validate then compile an expression; raises ExpressionInvalid listing every issue."""
    issues = _validate(expression, schema)
    if issues:
        raise ExpressionInvalid(issues)
    return CompiledExpression(expression, compile_node(expression, schema), schema)


def evaluate(expression: Any, data: Any) -> Any:
    """Evaluate one CertLogic expression against data (validating it first)."""
    return compile_expression(expression)(data)
