"""The facts document, purity of the package, and dry-run impact."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from risk import (
    CompiledRuleSet,
    Contact,
    Facts,
    FactsInvalid,
    Impact,
    LevelPeriod,
    Stay,
    TestRecord,
    assess,
    compile_ruleset,
    evaluate,
    facts_document,
    impact,
    load_default_policy,
)

D = timedelta(days=1)


def test_facts_document_shape(now: datetime) -> None:
    facts = Facts(
        tests=[
            TestRecord("t1", "pcr", "negative", datetime(2024, 5, 30, 8, 1, 2, 345678, tzinfo=UTC))
        ],
        stays=[Stay("s1", "R9", now - 3 * D, None, (LevelPeriod("high", now - 5 * D, None),))],
        contacts=[Contact("c1", "close", (now - D).astimezone(timezone(timedelta(hours=8))))],
    )
    document = json.loads(json.dumps(facts_document(facts, now)))
    assert document == {
        "now": "2024-06-01T12:00:00.000Z",
        "tests": [
            {
                "record_id": "t1",
                "kind": "pcr",
                "result": "negative",
                "sampled_at": "2024-05-30T08:01:02.345Z",
            }
        ],
        "stays": [
            {
                "record_id": "s1",
                "region_code": "R9",
                "arrived_at": "2024-05-29T12:00:00.000Z",
                "departed_at": None,
                "levels": [{"level": "high", "from": "2024-05-27T12:00:00.000Z", "until": None}],
            }
        ],
        "contacts": [
            {
                "record_id": "c1",
                "kind": "close",
                "exposed_at": "2024-05-31T12:00:00.000Z",
                "place": None,
            }
        ],
    }


def test_naive_datetimes_are_rejected(default: CompiledRuleSet, now: datetime) -> None:
    with pytest.raises(FactsInvalid):
        assess(default, Facts(contacts=[Contact("c1", "close", datetime(2024, 5, 1))]), now)
    with pytest.raises(FactsInvalid):
        assess(default, Facts(), datetime(2024, 5, 1))


def test_rules_give_the_same_result_on_the_plain_json_document(
    default: CompiledRuleSet, now: datetime
) -> None:
    """assess's prepared dates are only a cache: evaluate on the JSON text agrees."""
    facts = Facts(
        tests=[
            TestRecord("t1", "pcr", "positive", now - 3 * D),
            TestRecord("t2", "pcr", "negative", now - 20 * D),
        ],
        contacts=[Contact("c1", "secondary", now - 2 * D)],
        stays=[
            Stay(
                "s1",
                "R",
                now - 9 * D,
                now - 6 * D,
                (LevelPeriod("high", now - 8 * D, now - 7 * D),),
            )
        ],
    )
    document = json.loads(json.dumps(facts_document(facts, now)))
    fired = set()
    for rule in load_default_policy()["rules"]:
        collection = rule.get("for_each")
        for record in document[collection] if collection else [None]:
            if evaluate(rule["when"], {**document, "record": record}) is True:
                fired.add((rule["id"], record and record["record_id"]))
    assert fired == {(r.rule_id, r.record_id) for r in assess(default, facts, now).reasons}
    assert len(fired) == 3


def test_risk_imports_no_web_database_or_queue_package() -> None:
    code = (
        "import sys, risk; forbidden = {'flask', 'sqlalchemy', 'redis', 'rq', 'app'}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in forbidden))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_impact_counts_transitions_examples_and_merges(now: datetime) -> None:
    old = compile_ruleset(load_default_policy())
    stricter = load_default_policy()
    stricter["rules"][3]["color"] = "red"  # secondary contacts become red
    new = compile_ruleset(stricter)
    people = [
        ("p1", Facts()),
        ("p2", Facts(contacts=[Contact("c", "secondary", now - D)])),
        ("p3", Facts(contacts=[Contact("c", "secondary", now - 2 * D)])),
        ("p4", Facts(contacts=[Contact("c", "close", now - D)])),
        ("p5", Facts(contacts=[Contact("c", "secondary", now - 20 * D)])),
    ]
    whole = impact(old, new, people, now, examples_per_transition=1)
    assert whole.before_counts == {"green": 2, "yellow": 2, "red": 1}
    assert whole.after_counts == {"green": 2, "yellow": 0, "red": 3}
    assert whole.transitions == {"yellow->red": 2}
    assert whole.examples == {"yellow->red": ["p2"]}
    assert whole.total == 5
    parts = [impact(old, new, people[i : i + 2], now, examples_per_transition=1) for i in (0, 2, 4)]
    merged = parts[0].merge(parts[1]).merge(parts[2])
    assert merged == whole
    assert Impact().merge(whole) == Impact(
        whole.before_counts, whole.after_counts, whole.transitions, whole.examples, 5
    )
