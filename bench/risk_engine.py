"""Benchmark of the risk engine: assessments per second on one core.

Run from the repository root: ``python bench/risk_engine.py [--quick]``.
Prints ``figure: assess_rate VALUE per_s`` (colour + reasons + valid_until under the default
policy, about 5 records per person, facts prebuilt as the app builds them from rows) and
``figure: evaluate_rate VALUE per_s`` (one compiled CertLogic expression).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from risk import (
    Contact,
    Facts,
    LevelPeriod,
    Stay,
    TestRecord,
    assess,
    compile_expression,
    compile_ruleset,
    load_default_policy,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def _ago(rng: random.Random, days: int) -> datetime:
    """A random instant within the last ``days`` days (millisecond-distinct)."""
    return NOW - timedelta(milliseconds=rng.randrange(days * 86_400_000))


def make_person(rng: random.Random, index: int) -> Facts:
    """A person with about 5 records: mostly old, some recent (so some are red or yellow)."""
    tests, stays, contacts = [], [], []
    for n in range(rng.randint(1, 3)):
        tests.append(
            TestRecord(
                f"t{index}-{n}",
                rng.choice(("pcr", "antigen")),
                "positive" if rng.random() < 0.1 else "negative",
                _ago(rng, 40),
            )
        )
    for n in range(rng.randint(0, 3)):
        arrived = _ago(rng, 40)
        departed = None if rng.random() < 0.3 else arrived + timedelta(hours=rng.randrange(1, 200))
        level = "high" if rng.random() < 0.2 else "low"
        stays.append(
            Stay(
                f"s{index}-{n}",
                "R" + str(rng.randrange(50)),
                arrived,
                departed,
                (LevelPeriod(level, arrived - timedelta(days=3), None),),
            )
        )
    for n in range(rng.randint(0, 3)):
        kind = "close" if rng.random() < 0.3 else "secondary"
        contacts.append(Contact(f"c{index}-{n}", kind, _ago(rng, 30)))
    return Facts(tests=tests, stays=stays, contacts=contacts)


def rate(fn: Callable[[], object], count: int, seconds: float) -> float:
    """Calls per second of ``fn`` (run in rounds of ``count`` for at least ``seconds``)."""
    done = 0
    start = time.perf_counter()
    while True:
        for _ in range(count):
            fn()
        done += count
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short run (a few seconds)")
    parser.add_argument("--people", type=int, default=20_000)
    args = parser.parse_args()
    seconds = 3.0 if args.quick else 15.0
    rng = random.Random(20240601)
    people = [make_person(rng, i) for i in range(2_000 if args.quick else args.people)]
    records = sum(len(p.tests) + len(p.stays) + len(p.contacts) for p in people) / len(people)
    compiled = compile_ruleset(load_default_policy())

    colours: dict[str, int] = {}
    for person in people:
        colour = assess(compiled, person, NOW).color
        colours[colour] = colours.get(colour, 0) + 1

    iterator = iter(range(0))

    def one() -> None:
        nonlocal iterator
        index = next(iterator, None)
        if index is None:
            iterator = iter(range(len(people)))
            index = next(iterator)
        assess(compiled, people[index], NOW)

    per_s = rate(one, 1_000, seconds)
    print(f"people: {len(people)}, records/person: {records:.2f}, colours: {colours}")
    print(f"figure: assess_rate {per_s:.0f} per_s")

    expression = compile_expression(
        {
            "and": [
                {"===": [{"var": "result"}, "positive"]},
                {
                    "not-before": [
                        {"plusTime": [{"var": "sampled_at"}, 14, "day"]},
                        {"plusTime": [{"var": "now"}, 0, "day"]},
                    ]
                },
            ]
        }
    )
    data = {
        "result": "positive",
        "sampled_at": "2024-05-30T10:00:00Z",
        "now": "2024-06-01T12:00:00Z",
    }
    print(f"figure: evaluate_rate {rate(lambda: expression(data), 10_000, seconds / 3):.0f} per_s")


if __name__ == "__main__":
    main()
