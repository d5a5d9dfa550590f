"""Regions and their risk levels; a level change recomputes only the people concerned."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.errors import FieldError, InvalidInput, NotFound
from app.models import Region, RegionLevel, Stay
from app.principal import Principal
from app.services import audit, outbox

LEVELS = ("low", "medium", "high")
REGION_CODE = re.compile(r"^[A-Z0-9-]{2,32}$")
PEOPLE_PER_ENTRY = 1000


def list_regions(session: Session) -> Sequence[Region]:
    """Every region by code."""
    return session.scalars(select(Region).order_by(Region.code)).all()


def get_region(session: Session, *, code: str) -> tuple[Region, Sequence[RegionLevel]]:
    """A region with its level history (oldest first)."""
    region = session.get(Region, code)
    if region is None:
        raise NotFound(f"No region {code!r}.")
    history = session.scalars(
        select(RegionLevel)
        .where(RegionLevel.region_code == code)
        .order_by(RegionLevel.effective_from, RegionLevel.created_at)
    ).all()
    return region, history


def put_region(
    session: Session,
    *,
    actor: Principal,
    code: str,
    name: str,
    level: str,
    effective_from: datetime,
    now: datetime,
) -> Region:
    """Create or update a region and record a level from `effective_from`.

    A changed level queues the recompute of the people whose stays it concerns.
    """
    if not REGION_CODE.match(code):
        raise InvalidInput(
            "Invalid region code.", [FieldError("/code", "2-32 of A-Z, 0-9 and '-'.")]
        )
    if level not in LEVELS:
        raise InvalidInput("Unknown level.", [FieldError("/level", "low, medium or high.")])
    try:
        effective_from = effective_from.astimezone(UTC)
    except OverflowError:
        effective_from = datetime.min.replace(tzinfo=UTC)
    if not 2000 <= effective_from.year <= 2100:
        raise InvalidInput(
            "Date out of range.", [FieldError("/effective_from", "Between 2000 and 2100.")]
        )
    region = session.get(Region, code)
    created = region is None
    if region is None:
        region = Region(code=code, name=name, level=level, created_at=now, updated_at=now)
        session.add(region)
        session.flush()
    history = session.scalars(
        select(RegionLevel)
        .where(RegionLevel.region_code == code)
        .order_by(RegionLevel.effective_from)
    ).all()
    before = [h for h in history if h.effective_from <= effective_from]
    after = [h for h in history if h.effective_from > effective_from]
    previous = before[-1].level if before else None
    region.name = name
    session.add(
        RegionLevel(
            region_code=code,
            level=level,
            effective_from=effective_from,
            set_by=actor.id,
            created_at=now,
        )
    )
    current = [*before, RegionLevel(level=level, effective_from=effective_from)]
    if effective_from <= now:
        region.level = [h for h in current if h.effective_from <= now][-1].level
    region.updated_at = now
    period_end = after[0].effective_from if after else None
    audit.record(
        session,
        actor=actor,
        action="region.create" if created else "region.level",
        target_type="region",
        target_id=code,
        level=level,
        previous=previous,
        effective_from=effective_from.isoformat(),
        name=name,
    )
    if previous != level:
        _queue_recompute(session, code=code, start=effective_from, end=period_end, now=now)
    return region


def _queue_recompute(
    session: Session, *, code: str, start: datetime, end: datetime | None, now: datetime
) -> None:
    """Queue recomputing people whose stays overlap [start, end) in the region."""
    query = (
        select(Stay.person_id)
        .distinct()
        .where(Stay.region_code == code, or_(Stay.departed_at.is_(None), Stay.departed_at > start))
    )
    if end is not None:
        query = query.where(Stay.arrived_at < end)
    people = [str(p) for p in session.scalars(query).all()]
    for i in range(0, len(people), PEOPLE_PER_ENTRY):
        payload: dict[str, Any] = {"people": people[i : i + PEOPLE_PER_ENTRY], "reason": code}
        outbox.add(session, topic=outbox.Topic.RECOMPUTE_PEOPLE, payload=payload, now=now)
