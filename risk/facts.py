"""A person's facts: dataclasses the app builds, and the JSON document rules read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final

from risk.dates import text
from risk.errors import FactsInvalid

RECORD_KINDS: Final = {"tests": "test", "stays": "stay", "contacts": "contact"}
"""Collections a rule can iterate over (``for_each``), and the kind of one of their records."""

RECORD_FIELDS: Final = {
    "tests": frozenset({"record_id", "kind", "result", "sampled_at"}),
    "stays": frozenset({"record_id", "region_code", "arrived_at", "departed_at", "levels"}),
    "contacts": frozenset({"record_id", "kind", "exposed_at", "place"}),
}
"""Fields of a record in each collection of the facts document."""


@dataclass(frozen=True, slots=True)
class TestRecord:
    """A test result: kind "pcr" or "antigen", result "positive" or "negative"."""

    __test__: ClassVar[bool] = False

    record_id: str
    kind: str
    result: str
    sampled_at: datetime


@dataclass(frozen=True, slots=True)
class LevelPeriod:
    """A period when a region had a risk level ("low", "medium", "high"); until None: ongoing."""

    level: str
    since: datetime
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Stay:
    """A stay in a region; departed_at None: still there; levels: the overlapping level periods."""

    record_id: str
    region_code: str
    arrived_at: datetime
    departed_at: datetime | None = None
    levels: Sequence[LevelPeriod] = ()


@dataclass(frozen=True, slots=True)
class Contact:
    """An exposure to a case: kind "close" or "secondary"; place names the venue, if any."""

    record_id: str
    kind: str
    exposed_at: datetime
    place: str | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything known about one person that rules may read."""

    tests: Sequence[TestRecord] = ()
    stays: Sequence[Stay] = ()
    contacts: Sequence[Contact] = ()


Record = TestRecord | Stay | Contact
Entries = list[tuple[dict[str, Any], Record]]


def _opt(moment: datetime | None) -> str | None:
    """The document string of an optional datetime."""
    return None if moment is None else text(moment)


def build(facts: Facts, now: datetime) -> tuple[dict[str, Any], dict[str, Entries]]:
    """The facts document and, per collection, each record's document beside its record."""
    try:
        tests: Entries = [
            (
                {
                    "record_id": t.record_id,
                    "kind": t.kind,
                    "result": t.result,
                    "sampled_at": text(t.sampled_at),
                },
                t,
            )
            for t in facts.tests
        ]
        stays: Entries = [
            (
                {
                    "record_id": s.record_id,
                    "region_code": s.region_code,
                    "arrived_at": text(s.arrived_at),
                    "departed_at": _opt(s.departed_at),
                    "levels": [
                        {"level": p.level, "from": text(p.since), "until": _opt(p.until)}
                        for p in s.levels
                    ],
                },
                s,
            )
            for s in facts.stays
        ]
        contacts: Entries = [
            (
                {
                    "record_id": c.record_id,
                    "kind": c.kind,
                    "exposed_at": text(c.exposed_at),
                    "place": c.place,
                },
                c,
            )
            for c in facts.contacts
        ]
        document = {
            "now": text(now),
            "tests": [doc for doc, _ in tests],
            "stays": [doc for doc, _ in stays],
            "contacts": [doc for doc, _ in contacts],
        }
    except (ValueError, AttributeError, TypeError) as exc:
        raise FactsInvalid(f"facts cannot be used: {exc}") from exc
    return document, {"tests": tests, "stays": stays, "contacts": contacts}


def facts_document(facts: Facts, now: datetime) -> dict[str, Any]:
    """The JSON document (plain dicts, lists and strings) that rule expressions read."""
    return build(facts, now)[0]


def record_since(record: Record) -> datetime:
    """The record's own date: when a reason it caused started (best effort)."""
    if isinstance(record, TestRecord):
        return record.sampled_at
    if isinstance(record, Stay):
        return record.arrived_at
    return record.exposed_at
