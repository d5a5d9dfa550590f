"""Loading people's facts (tests, stays with region levels, contacts) for the risk engine."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.models import ContactEvent, LabTest, Person, RegionLevel, Stay
from risk import Contact, Facts, LevelPeriod, TestRecord
from risk import Stay as StayFact

EMPTY = Facts()


@dataclass(frozen=True)
class PersonRange:
    """People whose ids fall in [low, high); high None means no upper bound."""

    low: uuid.UUID
    high: uuid.UUID | None

    def clause(self, column: Any) -> ColumnElement[bool]:
        """A SQL condition selecting this range on a person-id column."""
        condition: ColumnElement[bool] = column >= self.low
        return condition if self.high is None else condition & (column < self.high)


def split_ranges(chunks: int) -> list[PersonRange]:
    """Split the (uniformly random) uuid4 space into equal ranges."""
    step = (1 << 128) // chunks
    bounds = [uuid.UUID(int=i * step) for i in range(chunks)]
    return [
        PersonRange(bounds[i], bounds[i + 1] if i + 1 < chunks else None) for i in range(chunks)
    ]


class RegionTimeline:
    """Each region's level periods, to attach to the stays that overlap them."""

    def __init__(self, rows: Iterable[tuple[str, str, datetime, datetime]]) -> None:
        by_region: dict[str, dict[datetime, tuple[datetime, str]]] = defaultdict(dict)
        for code, level, since, created in rows:
            # several entries for one instant: the one recorded last is the correction
            known = by_region[code].get(since)
            if known is None or created >= known[0]:
                by_region[code][since] = (created, level)
        self._periods: dict[str, list[LevelPeriod]] = {}
        for code, by_start in by_region.items():
            entries = sorted(
                ((level, since) for since, (_, level) in by_start.items()), key=lambda e: e[1]
            )
            self._periods[code] = [
                LevelPeriod(level, since, entries[i + 1][1] if i + 1 < len(entries) else None)
                for i, (level, since) in enumerate(entries)
            ]

    @classmethod
    def load(cls, session: Session) -> RegionTimeline:
        """Read every region's level history."""
        return cls(
            session.execute(
                select(
                    RegionLevel.region_code,
                    RegionLevel.level,
                    RegionLevel.effective_from,
                    RegionLevel.created_at,
                )
            )
        )

    def overlapping(
        self, code: str, arrived: datetime, departed: datetime | None
    ) -> tuple[LevelPeriod, ...]:
        """The level periods of a region that overlap a stay."""
        return tuple(
            p
            for p in self._periods.get(code, ())
            if (departed is None or p.since < departed) and (p.until is None or p.until > arrived)
        )


def load_facts(session: Session, timeline: RegionTimeline, where: Any) -> dict[uuid.UUID, Facts]:
    """Facts for the people selected by `where(person_id_column)`."""
    tests: dict[uuid.UUID, list[TestRecord]] = defaultdict(list)
    stays: dict[uuid.UUID, list[StayFact]] = defaultdict(list)
    contacts: dict[uuid.UUID, list[Contact]] = defaultdict(list)
    conn = session.connection()
    for pid, rid, kind, result, sampled in conn.execute(
        select(
            LabTest.person_id, LabTest.record_id, LabTest.kind, LabTest.result, LabTest.sampled_at
        ).where(where(LabTest.person_id))
    ).all():
        tests[pid].append(TestRecord(rid, kind, result, sampled))
    for pid, rid, code, arrived, departed in conn.execute(
        select(
            Stay.person_id, Stay.record_id, Stay.region_code, Stay.arrived_at, Stay.departed_at
        ).where(where(Stay.person_id))
    ).all():
        stays[pid].append(
            StayFact(rid, code, arrived, departed, timeline.overlapping(code, arrived, departed))
        )
    for pid, rid, kind, exposed in conn.execute(
        select(
            ContactEvent.person_id,
            ContactEvent.record_id,
            ContactEvent.kind,
            ContactEvent.exposed_at,
        ).where(where(ContactEvent.person_id))
    ).all():
        contacts[pid].append(Contact(rid, kind, exposed))
    people = set(tests) | set(stays) | set(contacts)
    return {
        pid: Facts(
            tuple(tests.get(pid, ())), tuple(stays.get(pid, ())), tuple(contacts.get(pid, ()))
        )
        for pid in people
    }


def person_ids(session: Session, where: Any, lock: bool = False) -> Sequence[uuid.UUID]:
    """The ids of the people selected, locked for update when asked (PostgreSQL)."""
    query = select(Person.id).where(where(Person.id)).order_by(Person.id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalars(query).all()


def people_with_facts(
    session: Session, where: Any, lock: bool = False
) -> list[tuple[uuid.UUID, Facts]]:
    """Every selected person with their facts (the empty facts when they have no records)."""
    ids = person_ids(session, where, lock=lock)
    facts = load_facts(session, RegionTimeline.load(session), where)
    return [(pid, facts.get(pid, EMPTY)) for pid in ids]
