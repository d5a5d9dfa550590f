"""Read-only views for the officials' console: colours per region and over time, recent feed
batches, and a person's colour history (audited)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import FeedBatch, Person, PersonStatus, StatusChange, Stay
from app.principal import Principal
from app.services import audit
from app.services.residents import history_of
from risk import Color

COLOURS: tuple[str, ...] = tuple(Color)
NO_REGION = ""


def _current(session: Session) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(COLOURS, 0)
    for color, count in session.execute(
        select(PersonStatus.color, func.count()).group_by(PersonStatus.color)
    ):
        counts[str(color)] = int(count)
    people = int(session.scalar(select(func.count()).select_from(Person)) or 0)
    counts[Color.GREEN] += people - sum(counts.values())
    return counts


def colours_by_region(session: Session) -> list[dict[str, Any]]:
    """People per colour, by the region of their latest stay ("" for people with no stay)."""
    latest = (
        select(Stay.person_id, func.max(Stay.arrived_at).label("at"))
        .group_by(Stay.person_id)
        .subquery()
    )
    color = func.coalesce(PersonStatus.color, Color.GREEN.value)
    rows = session.execute(
        select(Stay.region_code, color, func.count(func.distinct(Stay.person_id)))
        .join(latest, and_(Stay.person_id == latest.c.person_id, Stay.arrived_at == latest.c.at))
        .outerjoin(PersonStatus, PersonStatus.person_id == Stay.person_id)
        .group_by(Stay.region_code, color)
    ).all()
    regions: dict[str, dict[str, int]] = {}
    for code, colour, count in rows:
        regions.setdefault(code, dict.fromkeys(COLOURS, 0))[colour] += int(count)
    rest = _current(session)
    for counts in regions.values():
        for colour in COLOURS:
            rest[colour] -= counts[colour]
    regions[NO_REGION] = rest
    return [{"region": code, "colors": counts} for code, counts in sorted(regions.items())]


def colours_over_time(session: Session, *, now: datetime, days: int) -> list[dict[str, Any]]:
    """People per colour at the end of each of the last `days` days (oldest first).

    Counted back from today's figures through the recorded colour changes.
    """
    points = []
    for back in range(days, -1, -1):
        at = now - timedelta(days=back)
        counts = _current(session)
        for old, new, count in session.execute(
            select(StatusChange.from_color, StatusChange.to_color, func.count())
            .where(StatusChange.at > at)
            .group_by(StatusChange.from_color, StatusChange.to_color)
        ):
            counts[str(new)] = counts.get(str(new), 0) - int(count)
            before = str(old or Color.GREEN)
            counts[before] = counts.get(before, 0) + int(count)
        points.append({"at": at, "colors": {c: max(0, counts.get(c, 0)) for c in COLOURS}})
    return points


def recent_batches(session: Session, *, limit: int) -> Sequence[FeedBatch]:
    """The latest feed batches, newest first."""
    return session.scalars(
        select(FeedBatch).order_by(FeedBatch.received_at.desc()).limit(limit)
    ).all()


def person_history(
    session: Session, *, actor: Principal, person_id: uuid.UUID, language: str
) -> list[dict[str, Any]]:
    """A person's colour changes, newest first; the read is audited."""
    if session.get(Person, person_id) is None:
        raise NotFound("No such person.")
    audit.record(
        session,
        actor=actor,
        action="person.history",
        target_type="person",
        target_id=str(person_id),
    )
    session.flush()
    return history_of(session, person_id=person_id, language=language)
