"""Run every assertion of the copied CertLogic test suite through risk.evaluate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from risk import evaluate, validate

SUITE = Path(__file__).parent / "certlogic"


def _assertions() -> list[Any]:
    params = []
    for path in sorted(SUITE.glob("*.json")):
        suite = json.loads(path.read_text(encoding="utf-8"))
        for case in suite["cases"]:
            for index, assertion in enumerate(case["assertions"]):
                expression = assertion.get("certLogicExpression", case.get("certLogicExpression"))
                skip = "skip" in (
                    suite.get("directive"),
                    case.get("directive"),
                    assertion.get("directive"),
                )
                marks = [pytest.mark.skip(reason="skipped upstream")] if skip else []
                params.append(
                    pytest.param(
                        expression,
                        assertion["data"],
                        assertion["expected"],
                        id=f"{path.stem}:{case['name']}:{index}",
                        marks=marks,
                    )
                )
    return params


ASSERTIONS = _assertions()


def _json(value: Any) -> str:
    """Canonical JSON text: distinguishes true from 1 and null from false."""
    return json.dumps(value, sort_keys=True)


@pytest.mark.parametrize(("expression", "data", "expected"), ASSERTIONS)
def test_certlogic_assertion(expression: Any, data: Any, expected: Any) -> None:
    assert validate(expression) == []
    assert _json(evaluate(expression, data)) == _json(expected)


def test_suite_is_all_there() -> None:
    files = sorted(p.name for p in SUITE.glob("*.json"))
    assert len(files) == 12
    runnable = [a for a in ASSERTIONS if not a.marks]
    assert len(ASSERTIONS) == 218
    assert len(runnable) == 214
