"""A region level announced for the future changes nobody's colour before it starts."""

from datetime import UTC, datetime, timedelta

from risk import Facts, LevelPeriod, Stay, assess, compile_ruleset, load_default_policy

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def test_future_high_level_turns_yellow_only_when_it_starts() -> None:
    policy = compile_ruleset(load_default_policy())
    start = NOW + timedelta(hours=1)
    levels = (LevelPeriod("low", NOW - timedelta(days=30), start), LevelPeriod("high", start))
    facts = Facts(stays=(Stay("s1", "R1", NOW - timedelta(days=2), None, levels),))
    before = assess(policy, facts, NOW)
    assert before.color == "green" and before.valid_until == start
    assert assess(policy, facts, start).color == "yellow"
