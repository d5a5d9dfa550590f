"""Exceptions raised by the risk package: one tree rooted at RiskError."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from risk.issues import Issue


class RiskError(Exception):
    """Root of every error the risk package raises on purpose."""


class _WithIssues(RiskError):
    """An error carrying every problem found, each with a JSON pointer."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues: list[Issue] = list(issues)
        shown = "; ".join(f"{i.pointer or '/'}: {i.message}" for i in self.issues[:5])
        more = f" (+{len(self.issues) - 5} more)" if len(self.issues) > 5 else ""
        super().__init__(f"{len(self.issues)} problem(s): {shown}{more}")


class ExpressionInvalid(_WithIssues):
    """A CertLogic/JsonLogic expression failed validation."""


class RuleSetInvalid(_WithIssues):
    """A rule set document failed validation."""


class FactsInvalid(RiskError):
    """A person's facts cannot be used (e.g. a naive datetime)."""


class SearchDiverged(RiskError):
    """The boundary search for a colour change exceeded its step bound (never expected)."""


class ColumnarUnsupported(RiskError):
    """A rule set uses something the columnar (SQL) evaluator does not compile."""
