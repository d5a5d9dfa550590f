"""Risk rules for Healthcode: a CertLogic-based rule language, assessment and explanations.

Plain Python: no web framework, database or queue imports; "now" is always an argument.
"""

from risk.colors import COLORS, Color, severity
from risk.engine import Assessment, CompiledRuleSet, Reason, assess, compile_ruleset
from risk.errors import ExpressionInvalid, FactsInvalid, RiskError, RuleSetInvalid
from risk.facts import Contact, Facts, LevelPeriod, Stay, TestRecord, facts_document
from risk.impact import Impact, impact
from risk.issues import Issue
from risk.logic import CompiledExpression, compile_expression, evaluate, validate
from risk.policies import load_default_policy
from risk.rulesets import Rule, RuleSet, parse_ruleset

__all__ = [
    "COLORS",
    "Assessment",
    "Color",
    "CompiledExpression",
    "CompiledRuleSet",
    "Contact",
    "ExpressionInvalid",
    "Facts",
    "FactsInvalid",
    "Impact",
    "Issue",
    "LevelPeriod",
    "Reason",
    "RiskError",
    "Rule",
    "RuleSet",
    "RuleSetInvalid",
    "Stay",
    "TestRecord",
    "assess",
    "compile_expression",
    "compile_ruleset",
    "evaluate",
    "facts_document",
    "impact",
    "load_default_policy",
    "parse_ruleset",
    "severity",
    "validate",
]
