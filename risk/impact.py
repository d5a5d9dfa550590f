"""Dry runs: how a new rule set would change people's colours compared with the current one."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from risk.colors import COLORS
from risk.compiler import Env
from risk.engine import CompiledRuleSet, Prepared, colour_at
from risk.facts import Facts


@dataclass(frozen=True, slots=True)
class Impact:
    """Colour counts before and after, transitions ("green->red": n) and example person ids.

    Partial results over batches of people combine with ``merge``.
    """

    before_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLORS, 0))
    after_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COLORS, 0))
    transitions: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[Hashable]] = field(default_factory=dict)
    examples_per_transition: int = 5

    @property
    def total(self) -> int:
        """How many people were compared."""
        return sum(self.before_counts.values())

    def merge(self, other: Impact) -> Impact:
        """Combine two partial results (e.g. from two batch jobs) into a new one."""
        limit = max(self.examples_per_transition, other.examples_per_transition)
        examples: dict[str, list[Hashable]] = {}
        for key in sorted({*self.examples, *other.examples}):
            examples[key] = [*self.examples.get(key, []), *other.examples.get(key, [])][:limit]
        return Impact(
            before_counts=_add(self.before_counts, other.before_counts),
            after_counts=_add(self.after_counts, other.after_counts),
            transitions=_add(self.transitions, other.transitions),
            examples=examples,
            examples_per_transition=limit,
        )


def _add(left: dict[str, int], right: dict[str, int]) -> dict[str, int]:
    """Sum two counters."""
    total = dict(left)
    for key, count in right.items():
        total[key] = total.get(key, 0) + count
    return total


def compare_colours(
    pairs: Iterable[tuple[Hashable, str, str]], examples_per_transition: int = 5
) -> Impact:
    """The impact of known colours: (person id, colour before, colour after) per person."""
    groups = ((was, becomes, 1, (person_id,)) for person_id, was, becomes in pairs)
    return impact_of_groups(groups, examples_per_transition)


def impact_of_groups(
    groups: Iterable[tuple[str, str, int, Iterable[Hashable]]], examples_per_transition: int = 5
) -> Impact:
    """The impact from counted groups: (colour before, colour after, how many people, the
    first of them in person-id order), as a database computes it without listing everyone."""
    result = Impact(examples_per_transition=examples_per_transition)
    for was, becomes, count, people in groups:
        result.before_counts[was] += count
        result.after_counts[becomes] += count
        if was != becomes:
            key = f"{was}->{becomes}"
            result.transitions[key] = result.transitions.get(key, 0) + count
            shown = result.examples.setdefault(key, [])
            shown.extend(list(people)[: examples_per_transition - len(shown)])
    return result


def impact(
    old: CompiledRuleSet,
    new: CompiledRuleSet,
    people: Iterable[tuple[Hashable, Facts]],
    now: datetime,
    examples_per_transition: int = 5,
) -> Impact:
    """Compare the colours two rule sets give each person at ``now``."""

    def pairs() -> Iterable[tuple[Hashable, str, str]]:
        for person_id, facts in people:
            prepared = Prepared(facts, now)
            env = Env(prepared.now_ms)
            was = COLORS[colour_at(old, prepared, env, prepared.now_ms)]
            yield person_id, was, COLORS[colour_at(new, prepared, env, prepared.now_ms)]

    return compare_colours(pairs(), examples_per_transition)
