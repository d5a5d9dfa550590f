"""The columnar evaluator (SQL on this test's database) agrees with the per-person engine.

A hypothesis property: random populations and random rule sets built from the operators the
columnar evaluator supports give the same colour and the same exact valid_until to everyone.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import ContactEvent, LabTest, Person, Region, RegionLevel, Stay
from app.services import columnar
from app.services.facts import people_with_facts
from risk import assess, compile_ruleset, load_default_policy, parse_ruleset
from risk.columnar import columnar_query
from risk.errors import ColumnarUnsupported
from risk.impact import compare_colours, impact_of_groups

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
COUNTER = itertools.count()
FIELDS = {
    "tests": {"kind": ("pcr", "antigen"), "result": ("positive", "negative")},
    "stays": {"region_code": ("A", "B", "C")},
    "contacts": {"kind": ("close", "secondary")},
    "levels": {"level": ("low", "medium", "high")},
}
DATES = {
    "tests": ("sampled_at",),
    "stays": ("arrived_at", "departed_at"),
    "contacts": ("exposed_at",),
    "levels": ("from", "until"),
}
TEXTS = {"text": {"en": "x", "zh": "x"}, "how_to_clear": {"en": "x", "zh": "x"}}

# -- random rule sets --------------------------------------------------------------------
# A context is the list of scopes from the root: ("root", for_each or None) then lambda
# element collections. A var climbs `../` to reach an outer scope.


def _scalar_vars(ctx: list[str | None]) -> list[tuple[str, str, tuple[str, ...] | None]]:
    """(path, kind "str"/"date", domain) of every field readable from here."""
    found = []
    depth = len(ctx) - 1
    for level, coll in enumerate(ctx):
        if coll is None:
            continue
        prefix = "../" * (depth - level) + ("record." if level == 0 else "")
        for name, domain in FIELDS[coll].items():
            found.append((prefix + name, "str", domain))
        for name in DATES[coll]:
            found.append((prefix + name, "date", None))
    return found


def _arrays(ctx: list[str | None]) -> list[tuple[str, str]]:
    """(path, collection) of every array readable from here."""
    depth = len(ctx) - 1
    arrays = [("../" * depth + name, name) for name in ("tests", "stays", "contacts")]
    for level, coll in enumerate(ctx):
        if coll == "stays":
            prefix = "../" * (depth - level) + ("record." if level == 0 else "")
            arrays.append((prefix + "levels", "levels"))
    return arrays


@st.composite
def _date_operand(draw: Any, ctx: list[str | None], clock: bool) -> Any:
    depth = len(ctx) - 1
    if clock:
        return {"plusTime": [{"var": "../" * depth + "now"}, draw(st.integers(-30, 30)), "hour"]}
    dates = [path for path, kind, _ in _scalar_vars(ctx) if kind == "date"]
    if not dates or draw(st.integers(0, 9)) == 0:
        return {"plusTime": ["2024-06-01T10:00:00Z", draw(st.integers(-48, 48)), "hour"]}
    unit = draw(st.sampled_from(("day", "hour")))
    amount = draw(st.integers(-3, 10) if unit == "day" else st.integers(-72, 72))
    return {"plusTime": [{"var": draw(st.sampled_from(dates))}, amount, unit]}


@st.composite
def _expr(draw: Any, ctx: list[str | None], depth: int) -> Any:
    choices = ["eq", "in", "date", "date", "truth"]
    if depth < 3:
        choices += ["and", "or", "not", "if", "lambda", "lambda"]
    choice = draw(st.sampled_from(choices))
    scalars = _scalar_vars(ctx)
    strings = [(p, d) for p, k, d in scalars if k == "str"]
    if choice in ("eq", "in") and strings:
        path, domain = draw(st.sampled_from(strings))
        assert domain is not None
        if choice == "eq":
            other: Any = draw(st.sampled_from(domain))
            if len(strings) > 1 and draw(st.booleans()):
                other = {"var": draw(st.sampled_from(strings))[0]}
            return {"===": [{"var": path}, other]}
        return {"in": [{"var": path}, draw(st.lists(st.sampled_from(domain), min_size=1))]}
    if choice == "truth" and scalars:
        path = draw(st.sampled_from(scalars))[0]
        return {draw(st.sampled_from(("!", "!!"))): [{"var": path}]}
    if choice in ("and", "or"):
        parts = draw(st.lists(_expr(ctx, depth + 1), min_size=2, max_size=3))
        return {choice: parts}
    if choice == "not":
        return {"!": [draw(_expr(ctx, depth + 1))]}
    if choice == "if":
        return {"if": [draw(_expr(ctx, depth + 1)) for _ in range(3)]}
    if choice == "lambda":
        path, coll = draw(st.sampled_from(_arrays(ctx)))
        op = draw(st.sampled_from(("some", "all", "none", "filter")))
        return {op: [{"var": path}, draw(_expr([*ctx, coll], depth + 1))]}
    op = draw(st.sampled_from(("after", "before", "not-after", "not-before")))
    count = draw(st.sampled_from((2, 2, 2, 3)))
    clock_at = draw(st.integers(-1, count - 1))
    return {op: [draw(_date_operand(ctx, i == clock_at)) for i in range(count)]}


@st.composite
def rulesets(draw: Any) -> dict[str, Any]:
    """A random valid rule set from the supported operators."""
    rules = []
    for number in range(draw(st.integers(1, 4))):
        for_each = draw(st.sampled_from((None, "tests", "stays", "contacts")))
        rule: dict[str, Any] = {
            "id": f"r{number}",
            "color": draw(st.sampled_from(("green", "yellow", "red"))),
            "when": draw(_expr([for_each], 0)),
            **TEXTS,
        }
        if for_each:
            rule["for_each"] = for_each
        rules.append(rule)
    default = draw(st.sampled_from(("green", "yellow", "red")))
    return {"version": "prop", "default_color": default, "rules": rules}


# -- random populations ------------------------------------------------------------------
_moment = st.integers(-20 * 24, 20 * 24).map(lambda h: NOW + h * HOUR) | st.integers(
    -(10**9), 10**9
).map(lambda ms: NOW + timedelta(milliseconds=ms))


@st.composite
def populations(draw: Any) -> dict[str, Any]:
    """People with tests, stays, contacts; regions with level histories."""
    levels = {
        code: sorted(
            draw(
                st.lists(st.tuples(_moment, st.sampled_from(FIELDS["levels"]["level"])), max_size=3)
            )
        )
        for code in FIELDS["stays"]["region_code"]
    }
    people = []
    for _ in range(draw(st.integers(1, 6))):
        tests = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(("pcr", "antigen")),
                    st.sampled_from(("positive", "negative")),
                    _moment,
                ),
                max_size=3,
            )
        )
        stays = []
        for code, arrived, length in draw(
            st.lists(
                st.tuples(
                    st.sampled_from(FIELDS["stays"]["region_code"]),
                    _moment,
                    st.none() | st.integers(0, 10 * 24),
                ),
                max_size=3,
            )
        ):
            stays.append((code, arrived, None if length is None else arrived + length * HOUR))
        contacts = draw(
            st.lists(st.tuples(st.sampled_from(("close", "secondary")), _moment), max_size=3)
        )
        people.append({"tests": tests, "stays": stays, "contacts": contacts})
    return {"levels": levels, "people": people}


def _store(session: Any, population: dict[str, Any]) -> tuple[list[uuid.UUID], dict[str, str]]:
    """Insert a population under fresh region codes; returns person ids and the code map."""
    run = next(COUNTER)
    codes = {code: f"P{run}{code}" for code in FIELDS["stays"]["region_code"]}
    source: dict[str, Any] = {"source_id": uuid.uuid4()} if hasattr(LabTest, "source_id") else {}
    for code, history in population["levels"].items():
        session.add(Region(code=codes[code], name=code, level="low"))
        session.flush()
        for since, level in history:
            session.add(RegionLevel(region_code=codes[code], level=level, effective_from=since))
    ids = []
    for number, person in enumerate(population["people"]):
        pid = uuid.uuid4()
        ids.append(pid)
        session.add(Person(id=pid, id_hash=f"h{run}-{number}-{pid.hex}", id_last4="0000"))
        session.flush()
        for i, (kind, result, at) in enumerate(person["tests"]):
            session.add(
                LabTest(
                    record_id=f"t{pid.hex}{i}",
                    person_id=pid,
                    kind=kind,
                    result=result,
                    sampled_at=at,
                    **source,
                )
            )
        for i, (code, arrived, departed) in enumerate(person["stays"]):
            session.add(
                Stay(
                    record_id=f"s{pid.hex}{i}",
                    person_id=pid,
                    region_code=codes[code],
                    arrived_at=arrived,
                    departed_at=departed,
                    **source,
                )
            )
        for i, (kind, at) in enumerate(person["contacts"]):
            session.add(
                ContactEvent(
                    record_id=f"c{pid.hex}{i}", person_id=pid, kind=kind, exposed_at=at, **source
                )
            )
    session.flush()
    return ids, codes


def _rename(document: Any, codes: dict[str, str]) -> Any:
    """The rule set with region-code literals mapped to this run's codes."""
    if isinstance(document, dict):
        return {k: _rename(v, codes) for k, v in document.items()}
    if isinstance(document, list):
        return [_rename(v, codes) for v in document]
    return codes.get(document, document) if isinstance(document, str) else document


def _agree(app: Flask, population: dict[str, Any], document: dict[str, Any]) -> None:
    """Both evaluators on the same stored population (rolled back: no wipe needed)."""
    container = app.extensions["healthcode"]
    with container.db.session() as session:
        ids, codes = _store(session, population)
        ruleset = parse_ruleset(_rename(document, codes))
        compiled = compile_ruleset(ruleset)
        where = lambda column: column.in_(ids)  # noqa: E731
        columnar.load_inputs(session, where=where)
        got = columnar.evaluate(session, ruleset=ruleset, now=NOW)
        colours = columnar.evaluate(session, ruleset=ruleset, now=NOW, validity=False)
        for pid, facts in people_with_facts(session, where=where):
            expected = assess(compiled, facts, NOW)
            assert (got[pid].color, got[pid].valid_until) == (
                expected.color,
                expected.valid_until,
            ), (facts, document)
            assert colours[pid].color == expected.color  # the dry run's colour-only query
        # a dry run from the default policy to this rule set, counted in the database, is the
        # per-person comparison of the two (examples: the first ids of each transition)
        default = parse_ruleset(_rename(load_default_policy(), codes))
        groups = columnar.colour_changes(session, old=default, new=ruleset, now=NOW, examples=2)
        pairs = (
            (
                pid,
                assess(compile_ruleset(default), facts, NOW).color,
                assess(compiled, facts, NOW).color,
            )
            for pid, facts in sorted(people_with_facts(session, where=where))
        )
        assert impact_of_groups(groups, 2) == compare_colours(pairs, 2), document
        session.rollback()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(population=populations(), document=rulesets())
def test_columnar_agrees_with_the_engine(
    _session_app: Flask, population: dict[str, Any], document: dict[str, Any]
) -> None:
    _agree(_session_app, population, document)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(population=populations())
def test_default_policy_agrees(_session_app: Flask, population: dict[str, Any]) -> None:
    _agree(_session_app, population, load_default_policy())


@pytest.mark.parametrize(
    "when",
    [
        {"reduce": [{"var": "tests"}, {"var": "accumulator"}, 0]},
        {
            "after": [
                {"plusTime": [{"var": "record.sampled_at"}, 1, "month"]},
                {"plusTime": [{"var": "now"}, 0, "day"]},
            ]
        },
        {"===": [{"var": "tests"}, {"var": "tests"}]},
        {"===": [{"map": [{"var": "tests"}, {"var": "kind"}]}, "x"]},
    ],
)
def test_unsupported_rule_sets_say_so(when: Any) -> None:
    document = {
        "version": "x",
        "default_color": "green",
        "rules": [{"id": "r", "color": "red", "for_each": "tests", "when": when, **TEXTS}],
    }
    with pytest.raises(ColumnarUnsupported):
        columnar_query(parse_ruleset(document), dialect="postgresql", now=NOW)
