"""Assessing a person: colour, every reason, and the exact instant the colour would change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from risk.colors import COLORS, severity
from risk.compiler import NEVER, Env, Fn, compile_node
from risk.dates import from_ms, to_ms
from risk.errors import FactsInvalid, SearchDiverged
from risk.facts import RECORD_KINDS, Facts, Record, build, record_since
from risk.rulesets import Rule, RuleSet, parse_ruleset, rule_schema, template_fields
from risk.templates import Template, parse_template
from risk.values import boolsiness

MAX_SEARCH_STEPS: Final = 100_000
"""Bound on boundary-search steps; the number of distinct boundaries is finite and far below."""


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a rule fired: the rule, the record behind it, texts, and when it started and ends."""

    rule_id: str
    color: str
    record_id: str | None
    record_kind: str | None
    text: Mapping[str, str]
    how_to_clear: Mapping[str, str]
    since: datetime | None
    until: datetime | None


@dataclass(frozen=True, slots=True)
class Assessment:
    """A person's colour, every reason, and when the colour would change without new data."""

    color: str
    reasons: list[Reason]
    valid_until: datetime | None
    ruleset_version: str


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to run: its expression as closures, its texts parsed."""

    rule: Rule
    fn: Fn
    severity: int
    collection: str | None
    text: Mapping[str, Template]
    how_to_clear: Mapping[str, Template]


class CompiledRuleSet:
    """A validated rule set compiled once, to assess many people."""

    __slots__ = ("by_severity", "default_severity", "rules", "ruleset")

    def __init__(self, ruleset: RuleSet, rules: tuple[CompiledRule, ...]) -> None:
        self.ruleset = ruleset
        self.rules = rules
        self.by_severity = tuple(sorted(rules, key=lambda r: -r.severity))
        self.default_severity = severity(ruleset.default_color)

    @property
    def version(self) -> str:
        """The rule set's version."""
        return self.ruleset.version


def compile_ruleset(ruleset: RuleSet | Mapping[str, Any]) -> CompiledRuleSet:
    """Validate (raising RuleSetInvalid) and compile a rule set or rule set document."""
    if not isinstance(ruleset, RuleSet):
        ruleset = parse_ruleset(ruleset)
    else:
        ruleset = parse_ruleset(ruleset.to_document())
    compiled = []
    for rule in ruleset.rules:
        fields = template_fields(rule.for_each)
        compiled.append(
            CompiledRule(
                rule=rule,
                fn=compile_node(rule.when, rule_schema(rule.for_each)),
                severity=severity(rule.color),
                collection=rule.for_each,
                text=_templates(rule.text, fields),
                how_to_clear=_templates(rule.how_to_clear, fields),
            )
        )
    return CompiledRuleSet(ruleset, tuple(compiled))


def _templates(sources: Mapping[str, str], fields: frozenset[str]) -> dict[str, Template]:
    """Parse validated templates."""
    parsed = {}
    for language, source in sources.items():
        template, _ = parse_template(source, fields)
        assert template is not None
        parsed[language] = template
    return parsed


def _fires(value: Any) -> bool:
    """Whether a rule's result makes it fire (CertLogic-truthy)."""
    return value is True or (value is not False and value is not None and boolsiness(value) is True)


class Prepared:
    """A person's facts document, built once and shared by the evaluations of one instant."""

    __slots__ = ("document", "entries", "now", "now_ms")

    def __init__(self, facts: Facts, now: datetime) -> None:
        try:
            self.now_ms = to_ms(now)
        except (ValueError, TypeError, AttributeError) as exc:
            raise FactsInvalid(f"now must be a timezone-aware datetime: {exc}") from exc
        self.now = now
        self.document, self.entries = build(facts, now)


def colour_at(compiled: CompiledRuleSet, prepared: Prepared, env: Env, at: int) -> int:
    """The colour severity at instant ``at``; lowers env.flip to the next boundary seen."""
    env.now = at
    env.flip = NEVER
    document = prepared.document
    entries = prepared.entries
    try:
        for rule in compiled.by_severity:
            fn = rule.fn
            if rule.collection is None:
                if _fires(fn(document, env)):
                    return rule.severity
                continue
            for record_document, _ in entries[rule.collection]:
                document["record"] = record_document
                if _fires(fn(document, env)):
                    return rule.severity
        return compiled.default_severity
    finally:
        document.pop("record", None)


def assess(compiled: CompiledRuleSet, facts: Facts, now: datetime) -> Assessment:
    """Assess one person at ``now``: colour, every reason, and valid_until (exact)."""
    prepared = Prepared(facts, now)
    document = prepared.document
    env = Env(prepared.now_ms)
    fired: list[tuple[CompiledRule, tuple[dict[str, Any], Record] | None, int]] = []
    first_flip = NEVER
    top = -1
    for rule in compiled.rules:
        fn = rule.fn
        if rule.collection is None:
            env.flip = NEVER
            value = fn(document, env)
            flip = env.flip
            first_flip = min(first_flip, flip)
            if _fires(value):
                fired.append((rule, None, flip))
                top = max(top, rule.severity)
            continue
        for entry in prepared.entries[rule.collection]:
            document["record"] = entry[0]
            env.flip = NEVER
            value = fn(document, env)
            flip = env.flip
            first_flip = min(first_flip, flip)
            if _fires(value):
                fired.append((rule, entry, flip))
                top = max(top, rule.severity)
    document.pop("record", None)
    current = top if top >= 0 else compiled.default_severity
    change = _next_change(compiled, prepared, env, current, first_flip)
    reasons = [_reason(rule, entry, flip, prepared, env) for rule, entry, flip in fired]
    return Assessment(
        color=COLORS[current],
        reasons=reasons,
        valid_until=None if change is None else from_ms(change),
        ruleset_version=compiled.version,
    )


def _next_change(
    compiled: CompiledRuleSet, prepared: Prepared, env: Env, current: int, flip: int
) -> int | None:
    """The first boundary after now at which the colour differs from ``current``."""
    for _ in range(MAX_SEARCH_STEPS):
        if flip >= NEVER:
            return None
        at = flip
        if colour_at(compiled, prepared, env, at) != current:
            return at
        flip = env.flip
    raise SearchDiverged("valid_until search exceeded its step bound")


def _until(
    rule: CompiledRule,
    record_document: dict[str, Any] | None,
    flip: int,
    prepared: Prepared,
    env: Env,
) -> int | None:
    """The first boundary after now at which this rule stops firing for this record."""
    document = prepared.document
    for _ in range(MAX_SEARCH_STEPS):
        if flip >= NEVER:
            return None
        at = flip
        env.now = at
        env.flip = NEVER
        if record_document is not None:
            document["record"] = record_document
        value = rule.fn(document, env)
        document.pop("record", None)
        if not _fires(value):
            return at
        flip = env.flip
    raise SearchDiverged("reason 'until' search exceeded its step bound")


def _reason(
    rule: CompiledRule,
    entry: tuple[dict[str, Any], Record] | None,
    flip: int,
    prepared: Prepared,
    env: Env,
) -> Reason:
    """Build the reason for one firing rule (and record)."""
    record_document = None if entry is None else entry[0]
    until_ms = _until(rule, record_document, flip, prepared, env)
    until = None if until_ms is None else from_ms(until_ms)
    since = None if entry is None else record_since(entry[1])
    values = {"record": record_document, "since": since, "until": until, "now": prepared.now}
    return Reason(
        rule_id=rule.rule.id,
        color=rule.rule.color,
        record_id=None if entry is None else entry[1].record_id,
        record_kind=None if rule.collection is None else RECORD_KINDS[rule.collection],
        text={language: t.render(values) for language, t in rule.text.items()},
        how_to_clear={language: t.render(values) for language, t in rule.how_to_clear.items()},
        since=since,
        until=until,
    )
