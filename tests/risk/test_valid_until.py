"""valid_until and reason 'until': exact, checked against a brute-force scan over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

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
)

T0 = datetime(2024, 3, 1, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
MS = timedelta(milliseconds=1)
HORIZON = T0 + 25 * D


def _pt(path: str, amount: int, unit: str) -> dict[str, Any]:
    return {"plusTime": [{"var": path}, amount, unit]}


def _texts(text: str) -> dict[str, Any]:
    return {"text": {"en": text, "zh": text}, "how_to_clear": {"en": "wait", "zh": "等待"}}


MIXED = {
    "version": "test-mixed",
    "default_color": "yellow",
    "rules": [
        {
            "id": "contact-window",
            "color": "red",
            "for_each": "contacts",
            # exposed + 1 day <= now <= exposed + 10 days (non-strict, clock in the middle)
            "when": {
                "not-after": [
                    _pt("record.exposed_at", 1, "day"),
                    _pt("now", 0, "hour"),
                    _pt("record.exposed_at", 10, "day"),
                ]
            },
            **_texts("contact {record.exposed_at:datetime}"),
        },
        {
            "id": "antigen-36h",
            "color": "red",
            "for_each": "tests",
            "when": {
                "and": [
                    {"===": [{"var": "record.kind"}, "antigen"]},
                    {"===": [{"var": "record.result"}, "positive"]},
                    {"not-before": [_pt("record.sampled_at", 36, "hour"), _pt("now", 0, "hour")]},
                ]
            },
            **_texts("antigen {record.sampled_at}"),
        },
        {
            "id": "recent-negative",
            "color": "green",
            "when": {
                "some": [
                    {"var": "tests"},
                    {
                        "and": [
                            {"===": [{"var": "result"}, "negative"]},
                            {"before": [_pt("../now", -48, "hour"), _pt("sampled_at", 0, "hour")]},
                        ]
                    },
                ]
            },
            **_texts("negative test until {until:datetime}"),
        },
    ],
}

RULESETS = {
    "default": compile_ruleset(load_default_policy()),
    "mixed": compile_ruleset(MIXED),
}


def test_non_strict_boundaries_change_one_millisecond_later() -> None:
    mixed = RULESETS["mixed"]
    exposed = T0
    facts = Facts(contacts=[Contact("c1", "close", exposed)])
    before = assess(mixed, facts, T0)
    assert (before.color, before.valid_until) == ("yellow", exposed + D)
    during = assess(mixed, facts, exposed + D)
    assert (during.color, during.valid_until) == ("red", exposed + 10 * D + MS)
    assert during.reasons[0].until == exposed + 10 * D + MS
    assert during.reasons[0].text["en"] == "contact 2024-03-01 00:00 UTC"
    assert assess(mixed, facts, exposed + 10 * D).color == "red"
    assert assess(mixed, facts, exposed + 10 * D + MS).color == "yellow"


def test_strict_boundary_with_the_clock_on_the_left() -> None:
    mixed = RULESETS["mixed"]
    sampled = T0 + 5 * H
    facts = Facts(tests=[TestRecord("t1", "pcr", "negative", sampled)])
    result = assess(mixed, facts, T0 + 6 * H)
    assert (result.color, result.valid_until) == ("green", sampled + 48 * H)
    assert result.reasons[0].until == sampled + 48 * H
    assert (
        result.reasons[0].text["en"] == f"negative test until {sampled + 48 * H:%Y-%m-%d %H:%M} UTC"
    )
    assert assess(mixed, facts, sampled + 48 * H - MS).color == "green"
    assert assess(mixed, facts, sampled + 48 * H).color == "yellow"


def test_a_boundary_that_does_not_change_the_colour_is_skipped() -> None:
    mixed = RULESETS["mixed"]
    facts = Facts(
        tests=[TestRecord("t1", "antigen", "positive", T0)],
        contacts=[Contact("c1", "close", T0 - 12 * H)],
    )
    result = assess(mixed, facts, T0 + 13 * H)
    # antigen rule ends at T0+36h+1ms but the contact window keeps it red until T0-12h+10d+1ms.
    assert result.color == "red"
    assert result.valid_until == T0 - 12 * H + 10 * D + MS
    assert sorted(r.until for r in result.reasons if r.until) == [
        T0 + 36 * H + MS,
        T0 - 12 * H + 10 * D + MS,
    ]


hours = st.integers(-30 * 24, 2 * 24).map(lambda h: T0 + h * H)


@st.composite
def people(draw: st.DrawFn) -> Facts:
    tests = [
        TestRecord(
            f"t{i}",
            draw(st.sampled_from(["pcr", "antigen"])),
            draw(st.sampled_from(["positive", "negative"])),
            draw(hours),
        )
        for i in range(draw(st.integers(0, 3)))
    ]
    contacts = [
        Contact(f"c{i}", draw(st.sampled_from(["close", "secondary"])), draw(hours))
        for i in range(draw(st.integers(0, 2)))
    ]
    stays = []
    for i in range(draw(st.integers(0, 2))):
        arrived = draw(hours)
        departed = None if draw(st.booleans()) else arrived + draw(st.integers(1, 200)) * H
        start = arrived + draw(st.integers(-100, 100)) * H
        end = None if draw(st.booleans()) else start + draw(st.integers(1, 200)) * H
        stays.append(
            Stay(
                f"s{i}",
                "R",
                arrived,
                departed,
                (LevelPeriod(draw(st.sampled_from(["high", "low"])), start, end),),
            )
        )
    return Facts(tests=tests, stays=stays, contacts=contacts)


def _candidates(now: datetime) -> list[datetime]:
    """Every instant after now where a change can happen: whole hours and one ms after them."""
    first = now.replace(minute=0, second=0, microsecond=0) + H
    times = [first - H + MS] if first - H + MS > now else []
    at = first
    while at <= HORIZON:
        times += [at, at + MS]
        at += H
    return times


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(RULESETS)),
    people(),
    st.integers(-5 * 24, 5 * 24),
    st.integers(0, 3_599_999),
)
def test_valid_until_equals_brute_force_first_change(
    name: str, facts: Facts, hour: int, ms: int
) -> None:
    compiled: CompiledRuleSet = RULESETS[name]
    now = T0 + hour * H + ms * MS
    result = assess(compiled, facts, now)
    first_change = next(
        (t for t in _candidates(now) if assess(compiled, facts, t).color != result.color), None
    )
    assert result.valid_until == first_change
    # Each reason holds until exactly its 'until'.
    for reason in result.reasons:
        key = (reason.rule_id, reason.record_id)
        ends = next(
            (
                t
                for t in _candidates(now)
                if key not in {(r.rule_id, r.record_id) for r in assess(compiled, facts, t).reasons}
            ),
            None,
        )
        assert reason.until == ends, key
