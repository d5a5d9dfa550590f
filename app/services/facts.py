"""Loading people's facts (every feed kind's records; stays with region levels) for the engine."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, select
from sqlalchemy.orm import Session

from app.feed_kinds import FEEDS, FeedSpec
from app.models import Person, RegionLevel
from risk import Facts, LevelPeriod

EMPTY = Facts()
ALL_REGIONS_ABOVE = 500
"""Stays in more regions than this: read every region's level history in one scan rather
than look up each region (a chunk of a full recompute, not a few people's new records)."""


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
    def load(cls, session: Session, *, codes: Collection[str] | None = None) -> RegionTimeline:
        """Read the level history of the regions `codes` (None: of every region)."""
        if codes is not None and not codes:
            return cls(())
        query = select(
            RegionLevel.region_code,
            RegionLevel.level,
            RegionLevel.effective_from,
            RegionLevel.created_at,
        )
        if codes is not None:
            query = query.where(RegionLevel.region_code.in_(sorted(codes)))
        return cls(session.execute(query))

    def overlapping(
        self, code: str, arrived: datetime, departed: datetime | None
    ) -> tuple[LevelPeriod, ...]:
        """The level periods of a region that overlap a stay."""
        return tuple(
            p
            for p in self._periods.get(code, ())
            if (departed is None or p.since < departed) and (p.until is None or p.until > arrived)
        )


def _fact_rows(conn: Connection, spec: FeedSpec, where: Any) -> Sequence[Row[Any]]:
    """(person_id, *the columns to_fact reads) of spec's records for the selected people."""
    return conn.execute(select(*spec.fact_query_columns()).where(where(spec.model.person_id))).all()


def load_facts(session: Session, *, where: Any) -> dict[uuid.UUID, Facts]:
    """Facts for the people selected by `where(person_id_column)`: one query per feed kind,
    then the level history of the regions their stays are in."""
    conn = session.connection()
    rows = [(spec, _fact_rows(conn, spec, where)) for spec in FEEDS.values()]
    codes: set[str] = set()
    for spec, got in rows:
        index = spec.region_index  # once per kind, not per row
        if index is not None:
            codes.update(row[index] for row in got)
    timeline = RegionTimeline.load(
        session, codes=codes if len(codes) <= ALL_REGIONS_ABOVE else None
    )
    found: dict[uuid.UUID, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for spec, got in rows:
        for row in got:
            found[row[0]][spec.facts_key].append(spec.to_fact(tuple(row[1:]), timeline))
    return {
        pid: Facts(**{key: tuple(records) for key, records in by_key.items()})
        for pid, by_key in found.items()
    }


def person_ids(session: Session, *, where: Any, lock: bool = False) -> Sequence[uuid.UUID]:
    """The ids of the people selected, locked for update when asked (PostgreSQL)."""
    query = select(Person.id).where(where(Person.id)).order_by(Person.id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalars(query).all()


def people_with_facts(
    session: Session, *, where: Any, lock: bool = False
) -> list[tuple[uuid.UUID, Facts]]:
    """Every selected person with their facts (the empty facts when they have no records)."""
    ids = person_ids(session, where=where, lock=lock)
    facts = load_facts(session, where=where)
    return [(pid, facts.get(pid, EMPTY)) for pid in ids]
