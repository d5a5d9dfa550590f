"""Rule set documents: every problem reported with a JSON pointer."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from risk import RuleSetInvalid, compile_ruleset, load_default_policy, parse_ruleset


def problems(document: Any) -> dict[str, str]:
    with pytest.raises(RuleSetInvalid) as caught:
        parse_ruleset(document)
    return {issue.pointer: issue.message for issue in caught.value.issues}


def test_every_problem_is_reported_with_its_pointer() -> None:
    document = load_default_policy()
    document["default_color"] = "blue"
    document["extra"] = 1
    rules = document["rules"]
    rules[0]["color"] = "purple"
    rules[1]["id"] = "positive-test"
    del rules[2]["text"]["zh"]
    rules[2]["how_to_clear"]["en"] = "Until {until:weekday} {record.secret} {now!r}"
    rules[3]["when"]["and"][1]["after"][0]["plusTime"][2] = "fortnight"
    rules[3]["for_each"] = "pets"
    found = problems(document)
    assert set(found) == {
        "/default_color",
        "/extra",
        "/rules/0/color",
        "/rules/1/id",
        "/rules/2/text/zh",
        "/rules/2/how_to_clear/en",
        "/rules/3/for_each",
        "/rules/3/when/and/0/===/0/var",
        "/rules/3/when/and/1/after/0/plusTime/0/var",
        "/rules/3/when/and/1/after/0/plusTime/2",
        "/rules/3/when/and/2/!/0/var",
        "/rules/3/text/en",
        "/rules/3/text/zh",
    }
    assert "duplicate rule id 'positive-test' (also /rules/0)" in found["/rules/1/id"]
    assert found["/rules/2/text/zh"] == "missing language"
    assert "unknown time unit 'fortnight'" in found["/rules/3/when/and/1/after/0/plusTime/2"]
    assert "unknown colour 'purple'" in found["/rules/0/color"]


def test_template_problems_are_all_listed() -> None:
    document = load_default_policy()
    document["rules"][0]["text"]["en"] = "{record.sampled_at:weekday} {record.levels} {until"
    assert list(problems(document)) == ["/rules/0/text/en"]
    document["rules"][0]["text"]["en"] = "{record.sampled_at:weekday} {record.levels} {0} {x[0]}"
    with pytest.raises(RuleSetInvalid) as caught:
        parse_ruleset(document)
    messages = [i.message for i in caught.value.issues]
    assert len(messages) == 4 and all("placeholder" in m for m in messages)


def test_structure_problems() -> None:
    assert problems([]) == {"": "a rule set must be a JSON object"}
    found = problems({"rules": [1, {"id": "x"}], "published_at": "yesterday"})
    assert set(found) == {
        "/version",
        "/default_color",
        "/published_at",
        "/rules/0",
        "/rules/1/color",
        "/rules/1/when",
        "/rules/1/text",
        "/rules/1/how_to_clear",
    }


def test_round_trip_and_metadata() -> None:
    document = load_default_policy()
    document["published_by"] = "official-7"
    document["published_at"] = "2024-06-01T08:00:00+00:00"
    ruleset = parse_ruleset(document)
    assert ruleset.published_at == datetime(2024, 6, 1, 8, tzinfo=UTC)
    assert parse_ruleset(ruleset.to_document()) == ruleset
    assert compile_ruleset(ruleset).version == "1"


def test_parsing_does_not_modify_the_document() -> None:
    document = load_default_policy()
    snapshot = copy.deepcopy(document)
    compile_ruleset(document)
    assert document == snapshot
