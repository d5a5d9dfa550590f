"""Rule set documents: parsing and validation (every problem, with a JSON pointer)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from risk.colors import COLORS
from risk.errors import RuleSetInvalid
from risk.facts import RECORD_FIELDS, RECORD_KINDS
from risk.issues import Issue, join
from risk.templates import parse_template
from risk.validation import Schema, validate

MAX_RULES: Final = 200
REQUIRED_LANGUAGES: Final = ("en", "zh")
CLOCK: Final = "now"
_RULE_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}", re.ASCII)
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", re.ASCII)
_TOP_KEYS: Final = (
    "version",
    "default_color",
    "rules",
    "published_by",
    "published_at",
    "description",
)
_RULE_KEYS: Final = ("id", "color", "for_each", "when", "text", "how_to_clear")


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: fires (with its colour) when ``when`` is truthy, per record with ``for_each``."""

    id: str
    color: str
    when: Any
    text: Mapping[str, str]
    how_to_clear: Mapping[str, str]
    for_each: str | None = None

    def to_document(self) -> dict[str, Any]:
        """The rule as a JSON object."""
        doc: dict[str, Any] = {"id": self.id, "color": self.color}
        if self.for_each is not None:
            doc["for_each"] = self.for_each
        doc.update(when=self.when, text=dict(self.text), how_to_clear=dict(self.how_to_clear))
        return doc


@dataclass(frozen=True, slots=True)
class RuleSet:
    """An ordered list of rules, a default colour, a version and publication metadata."""

    version: str
    default_color: str
    rules: tuple[Rule, ...]
    published_by: str | None = None
    published_at: datetime | None = None
    description: str | None = None

    def to_document(self) -> dict[str, Any]:
        """The rule set as a JSON object (what ``parse_ruleset`` reads)."""
        return {
            "version": self.version,
            "default_color": self.default_color,
            "published_by": self.published_by,
            "published_at": None if self.published_at is None else self.published_at.isoformat(),
            "description": self.description,
            "rules": [rule.to_document() for rule in self.rules],
        }


def rule_schema(for_each: str | None) -> Schema:
    """What a rule's ``when`` may read: the facts, ``record`` with ``for_each``, and the clock."""
    roots: dict[str, frozenset[str] | None] = {name: None for name in RECORD_KINDS}
    if for_each is not None:
        roots["record"] = RECORD_FIELDS[for_each]
    return Schema(roots=roots, clock=CLOCK)


def template_fields(for_each: str | None) -> frozenset[str]:
    """Record fields a rule's texts may show."""
    return frozenset() if for_each is None else RECORD_FIELDS[for_each] - {"levels"}


def parse_ruleset(document: Any) -> RuleSet:
    """Validate a rule set document and build a RuleSet; raises RuleSetInvalid with every issue."""
    issues: list[Issue] = []
    if not isinstance(document, Mapping):
        raise RuleSetInvalid([Issue("", "a rule set must be a JSON object")])
    for key in document:
        if key not in _TOP_KEYS:
            issues.append(Issue(join("", key), f"unknown field (expected {', '.join(_TOP_KEYS)})"))
    version = document.get("version")
    if not isinstance(version, str) or not 0 < len(version) <= 64:
        issues.append(Issue("/version", "required: a string of 1 to 64 characters"))
    default_color = document.get("default_color")
    if default_color not in COLORS:
        issues.append(Issue("/default_color", f"must be one of {', '.join(COLORS)}"))
    published_by = document.get("published_by")
    if published_by is not None and not isinstance(published_by, str):
        issues.append(Issue("/published_by", "must be a string or null"))
    published_at = _published_at(document.get("published_at"), issues)
    description = document.get("description")
    if description is not None and not isinstance(description, str):
        issues.append(Issue("/description", "must be a string or null"))
    rules = _rules(document.get("rules"), issues)
    if issues:
        raise RuleSetInvalid(issues)
    return RuleSet(
        version=str(version),
        default_color=str(default_color),
        rules=tuple(rules),
        published_by=published_by,
        published_at=published_at,
        description=description,
    )


def _published_at(value: Any, issues: list[Issue]) -> datetime | None:
    """Parse the publication time (ISO 8601 with an offset, or null)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        issues.append(
            Issue("/published_at", "must be an ISO 8601 date-time with an offset, or null")
        )
        return None
    return moment


def _rules(value: Any, issues: list[Issue]) -> list[Rule]:
    """Parse the rules array."""
    if not isinstance(value, list) or not value:
        issues.append(Issue("/rules", "required: a non-empty array of rules"))
        return []
    if len(value) > MAX_RULES:
        issues.append(Issue("/rules", f"at most {MAX_RULES} rules"))
        return []
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(value):
        rule_id = item.get("id") if isinstance(item, Mapping) else None
        if isinstance(rule_id, str) and _RULE_ID.fullmatch(rule_id):
            if rule_id in seen:
                message = f"duplicate rule id {rule_id!r} (also /rules/{seen[rule_id]})"
                issues.append(Issue(join("/rules", index, "id"), message))
            else:
                seen[rule_id] = index
        rule = _rule(item, join("/rules", index), issues)
        if rule is not None:
            rules.append(rule)
    return rules


def _rule(item: Any, ptr: str, issues: list[Issue]) -> Rule | None:
    """Parse one rule; None (with issues) when it is not usable."""
    if not isinstance(item, Mapping):
        issues.append(Issue(ptr, "a rule must be a JSON object"))
        return None
    before = len(issues)
    for key in item:
        if key not in _RULE_KEYS:
            issues.append(
                Issue(join(ptr, key), f"unknown field (expected {', '.join(_RULE_KEYS)})")
            )
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.fullmatch(rule_id):
        issues.append(
            Issue(join(ptr, "id"), "required: lowercase letters, digits, '-' or '_' (max 64)")
        )
    color = item.get("color")
    if color not in COLORS:
        issues.append(
            Issue(join(ptr, "color"), f"unknown colour {color!r} (expected {', '.join(COLORS)})")
        )
    for_each = item.get("for_each")
    if "for_each" in item and for_each not in RECORD_KINDS:
        issues.append(Issue(join(ptr, "for_each"), f"must be one of {', '.join(RECORD_KINDS)}"))
        for_each = None
    if "when" not in item:
        issues.append(Issue(join(ptr, "when"), "required: an expression"))
    else:
        issues.extend(validate(item["when"], rule_schema(for_each), join(ptr, "when")))
    fields = template_fields(for_each)
    text = _texts(item.get("text"), join(ptr, "text"), fields, issues)
    how_to_clear = _texts(item.get("how_to_clear"), join(ptr, "how_to_clear"), fields, issues)
    if len(issues) > before:
        return None
    return Rule(str(rule_id), str(color), item["when"], text, how_to_clear, for_each)


def _texts(value: Any, ptr: str, fields: frozenset[str], issues: list[Issue]) -> dict[str, str]:
    """Parse a {language: template} object."""
    if not isinstance(value, Mapping):
        languages = ", ".join(REQUIRED_LANGUAGES)
        issues.append(Issue(ptr, f"required: an object with a template per language ({languages})"))
        return {}
    for language in REQUIRED_LANGUAGES:
        if language not in value:
            issues.append(Issue(join(ptr, language), "missing language"))
    texts: dict[str, str] = {}
    for language, source in value.items():
        here = join(ptr, language)
        if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
            issues.append(Issue(here, "not a language code (e.g. en, zh, zh-Hant)"))
            continue
        _, problems = parse_template(source, fields)
        issues.extend(Issue(here, problem) for problem in problems)
        if not problems:
            texts[language] = source
    return texts
