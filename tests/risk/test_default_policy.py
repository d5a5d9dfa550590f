"""The default policy: each rule, its boundaries, explanations and valid_until."""

from __future__ import annotations

from datetime import datetime, timedelta

from risk import (
    CompiledRuleSet,
    Contact,
    Facts,
    LevelPeriod,
    Stay,
    TestRecord,
    assess,
    compile_ruleset,
    load_default_policy,
    parse_ruleset,
)

D = timedelta(days=1)
H = timedelta(hours=1)
MS = timedelta(milliseconds=1)


def lab(record_id: str, at: datetime, result: str = "positive", kind: str = "pcr") -> TestRecord:
    return TestRecord(record_id, kind, result, at)


def fired(compiled: CompiledRuleSet, facts: Facts, at: datetime) -> list[tuple[str, str | None]]:
    return [(r.rule_id, r.record_id) for r in assess(compiled, facts, at).reasons]


def test_policy_document_is_valid_and_bilingual() -> None:
    ruleset = parse_ruleset(load_default_policy())
    assert [r.id for r in ruleset.rules] == [
        "positive-test",
        "close-contact",
        "high-risk-stay",
        "secondary-contact",
        "venue-exposure",
    ]
    assert all(set(r.text) == {"en", "zh"} == set(r.how_to_clear) for r in ruleset.rules)


def test_no_facts_is_green_forever(default: CompiledRuleSet, now: datetime) -> None:
    result = assess(default, Facts(), now)
    assert (result.color, result.reasons, result.valid_until) == ("green", [], None)


def test_positive_test_is_red_for_exactly_14_days(default: CompiledRuleSet, now: datetime) -> None:
    sampled = now - 3 * D
    facts = Facts(tests=[lab("t1", sampled, kind="antigen")])
    result = assess(default, facts, now)
    assert result.color == "red"
    assert result.valid_until == sampled + 14 * D
    (reason,) = result.reasons
    assert (reason.rule_id, reason.record_id, reason.record_kind) == ("positive-test", "t1", "test")
    assert (reason.since, reason.until) == (sampled, sampled + 14 * D)
    assert reason.text["en"] == f"Positive antigen test sampled on {sampled:%Y-%m-%d}."
    assert f"{sampled + 14 * D:%Y-%m-%d}" in reason.how_to_clear["en"]
    assert f"{sampled + 14 * D:%Y-%m-%d}" in reason.how_to_clear["zh"]
    assert assess(default, facts, sampled + 14 * D - MS).color == "red"
    assert assess(default, facts, sampled + 14 * D).color == "green"


def test_negative_test_alone_is_green(default: CompiledRuleSet, now: datetime) -> None:
    assert assess(default, Facts(tests=[lab("t1", now - D, "negative")]), now).color == "green"


def test_negative_pcr_after_positive_clears_it(default: CompiledRuleSet, now: datetime) -> None:
    positive = lab("t1", now - 5 * D)
    later_pcr = lab("t2", now - 2 * D, "negative")
    earlier_pcr = lab("t3", now - 6 * D, "negative")
    later_antigen = lab("t4", now - D, "negative", kind="antigen")
    same_time_pcr = lab("t5", now - 5 * D, "negative")
    assert assess(default, Facts(tests=[positive, later_pcr]), now).color == "green"
    for other in (earlier_pcr, later_antigen, same_time_pcr):
        assert assess(default, Facts(tests=[positive, other]), now).color == "red"
    # A second positive after the negative PCR is red again.
    again = lab("t6", now - D)
    assert fired(default, Facts(tests=[positive, later_pcr, again]), now) == [
        ("positive-test", "t6")
    ]


def test_close_contact_boundaries(default: CompiledRuleSet, now: datetime) -> None:
    exposed = now - 14 * D
    facts = Facts(contacts=[Contact("c1", "close", exposed)])
    assert assess(default, facts, now).color == "green"
    assert assess(default, facts, now - MS).color == "red"
    assert assess(default, facts, now - MS).valid_until == now


def test_secondary_contact_is_yellow_for_7_days(default: CompiledRuleSet, now: datetime) -> None:
    exposed = now - 2 * D - 5 * H
    result = assess(default, Facts(contacts=[Contact("c1", "secondary", exposed)]), now)
    assert (result.color, result.valid_until) == ("yellow", exposed + 7 * D)
    assert result.reasons[0].until == exposed + 7 * D


def _stay(arrived: datetime, departed: datetime | None, *levels: LevelPeriod) -> Stay:
    return Stay("s1", "R1", arrived, departed, levels)


def test_high_risk_stay(default: CompiledRuleSet, now: datetime) -> None:
    high = LevelPeriod("high", now - 20 * D, now - 10 * D)
    departed = now - 9 * D + 3 * H
    overlapping = _stay(now - 12 * D, departed, high)
    assert assess(default, Facts(stays=[overlapping]), now - 8 * D).color == "yellow"
    result = assess(default, Facts(stays=[overlapping]), now - 8 * D)
    assert result.valid_until == departed + 7 * D
    assert assess(default, Facts(stays=[overlapping]), departed + 7 * D).color == "green"
    # Arrived after the high period ended: the periods do not overlap.
    assert (
        assess(default, Facts(stays=[_stay(now - 10 * D, now - 9 * D, high)]), now - 8 * D).color
        == "green"
    )
    # Low level only.
    low = LevelPeriod("low", now - 20 * D, None)
    assert assess(default, Facts(stays=[_stay(now - 12 * D, None, low)]), now).color == "green"


def test_open_stay_stays_yellow(default: CompiledRuleSet, now: datetime) -> None:
    high = LevelPeriod("high", now - 40 * D, now - 30 * D)
    result = assess(default, Facts(stays=[_stay(now - 35 * D, None, high)]), now)
    assert (result.color, result.valid_until) == ("yellow", None)
    assert result.reasons[0].until is None
    assert "\u2014" not in result.reasons[0].how_to_clear["en"]
    ongoing_high = LevelPeriod("high", now - D, None)
    assert (
        assess(default, Facts(stays=[_stay(now - 2 * D, None, ongoing_high)]), now).color
        == "yellow"
    )


def test_overlapping_reds_stay_red_until_the_last_ends(
    default: CompiledRuleSet, now: datetime
) -> None:
    facts = Facts(
        tests=[lab("t1", now - 10 * D)],
        contacts=[Contact("c1", "close", now - 3 * D), Contact("c2", "close", now - 5 * D)],
    )
    result = assess(default, facts, now)
    assert result.color == "red"
    assert result.valid_until == now + 11 * D
    assert {(r.record_id, r.until) for r in result.reasons} == {
        ("t1", now + 4 * D),
        ("c1", now + 11 * D),
        ("c2", now + 9 * D),
    }


def test_red_then_yellow_then_green(default: CompiledRuleSet, now: datetime) -> None:
    facts = Facts(
        tests=[lab("t1", now - 10 * D)],
        contacts=[Contact("c1", "secondary", now - D)],
    )
    first = assess(default, facts, now)
    assert (first.color, first.valid_until) == ("red", now + 4 * D)
    second = assess(default, facts, first.valid_until)
    assert (second.color, second.valid_until) == ("yellow", now + 6 * D)
    assert assess(default, facts, now + 6 * D).color == "green"
    # A yellow reason longer than the red one: the colour changes when the red one ends.
    longer = Facts(tests=[lab("t1", now - 13 * D)], contacts=[Contact("c1", "secondary", now - D)])
    assert assess(default, longer, now).valid_until == now + D


def test_reasons_list_every_firing_rule_and_record(default: CompiledRuleSet, now: datetime) -> None:
    facts = Facts(
        tests=[lab("t1", now - D), lab("t2", now - 2 * D, kind="antigen"), lab("t3", now - 30 * D)],
        contacts=[Contact("c1", "secondary", now - D), Contact("c2", "close", now - D)],
    )
    assert fired(default, facts, now) == [
        ("positive-test", "t1"),
        ("positive-test", "t2"),
        ("close-contact", "c2"),
        ("secondary-contact", "c1"),
    ]


NO_RECENT_NEGATIVE = {
    "id": "no-recent-negative-test",
    "color": "yellow",
    "when": {
        "none": [
            {"var": "tests"},
            {
                "and": [
                    {"===": [{"var": "result"}, "negative"]},
                    {
                        "after": [
                            {"plusTime": [{"var": "sampled_at"}, 72, "hour"]},
                            {"plusTime": [{"var": "../now"}, 0, "hour"]},
                        ]
                    },
                ]
            },
        ]
    },
    "text": {
        "en": "No negative test in the last 72 hours.",
        "zh": "最近 72 小时内没有阴性检测结果。",
    },
    "how_to_clear": {
        "en": "Get tested; a negative result turns your code green.",
        "zh": "请进行检测，阴性结果后转为绿码。",
    },
}


def test_yellow_without_a_negative_test_in_72_hours(now: datetime) -> None:
    document = load_default_policy()
    document["rules"].append(NO_RECENT_NEGATIVE)
    compiled = compile_ruleset(document)
    last = now - 20 * H
    facts = Facts(tests=[lab("t1", now - 60 * H, "negative"), lab("t2", last, "negative")])
    result = assess(compiled, facts, now)
    assert (result.color, result.valid_until) == ("green", last + 72 * H)
    later = assess(compiled, facts, last + 72 * H)
    assert later.color == "yellow"
    assert [(r.rule_id, r.record_id, r.until) for r in later.reasons] == [
        ("no-recent-negative-test", None, None)
    ]
    assert assess(compiled, Facts(), now).color == "yellow"


def test_a_venue_contact_names_the_venue_and_is_yellow_for_7_days(
    default: CompiledRuleSet, now: datetime
) -> None:
    exposed = now - 2 * D
    result = assess(default, Facts(contacts=[Contact("v1", "secondary", exposed, "Tea")]), now)
    assert (result.color, result.valid_until) == ("yellow", exposed + 7 * D)
    assert [r.rule_id for r in result.reasons] == ["venue-exposure"]
    assert "Tea" in result.reasons[0].text["en"]
    assert exposed.date().isoformat() in result.reasons[0].text["en"]
