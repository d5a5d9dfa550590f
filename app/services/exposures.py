"""Venue exposure: when a positive test turns someone red, everyone whose visit overlapped one
of the case's visits in the window before sampling gets a secondary contact naming the venue.

Set-based: one INSERT ... SELECT over the check-ins (index on venue and arrival), then the
contacts' recomputes go through the outbox in chunks. Each case is one outbox entry and one
`exposures` row (unique per case and test record), so a repeated delivery changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, Subquery, and_, case, distinct, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from app.config import Settings
from app.errors import Conflict, NotFound
from app.models import CheckIn, Exposure, ExposureSetting, Venue, VenueContact
from app.models.venues import MAX_STAY
from app.principal import Principal
from app.services import audit, outbox
from app.states import ExposureMode, ExposureStatus

RECOMPUTE_CHUNK = 1000
Case = tuple[uuid.UUID, str, datetime]  # person, test record id, sampled at


def _positive_tests(reasons: Iterable[dict[str, Any]]) -> dict[str, str]:
    return {
        r["record_id"]: r["since"]
        for r in reasons
        if r.get("record_kind") == "test" and r.get("color") == "red" and r.get("since")
    }


def new_cases(
    person_id: uuid.UUID, reasons: Sequence[dict[str, Any]], old: Sequence[dict[str, Any]]
) -> list[Case]:
    """Positive tests that newly make a person red (from stored reasons, old and new)."""
    before = _positive_tests(old)
    return [
        (person_id, record_id, datetime.fromisoformat(since))
        for record_id, since in _positive_tests(reasons).items()
        if record_id not in before
    ]


def note_cases(session: Session, *, cases: Iterable[Case], now: datetime) -> None:
    """Queue the venue exposure of the new positive cases: one outbox entry for all of them
    (a recompute chunk can find thousands; one job each would flood the queue)."""
    payload = {
        "cases": [
            {"person_id": str(pid), "record_id": record_id, "sampled_at": sampled.isoformat()}
            for pid, record_id, sampled in cases
        ]
    }
    if payload["cases"]:
        outbox.add(session, topic=outbox.Topic.VENUE_EXPOSURE, payload=payload, now=now)


def mode(session: Session) -> ExposureMode:
    """The exposure mode officials set (auto unless changed)."""
    row = session.get(ExposureSetting, 1)
    return ExposureMode.AUTO if row is None else ExposureMode(row.mode)


def set_mode(
    session: Session, *, actor: Principal, value: ExposureMode, now: datetime
) -> ExposureMode:
    """Set the exposure mode (audited)."""
    row = session.get(ExposureSetting, 1)
    if row is None:
        row = ExposureSetting(id=1, mode=value)
        session.add(row)
    row.mode, row.updated_at, row.updated_by = value, now, actor.id
    audit.record(session, actor=actor, action="exposure.mode", mode=str(value))
    session.flush()
    return value


def overlaps(
    *, exposure_id: uuid.UUID, person_id: uuid.UUID, window_from: datetime, until: datetime
) -> Select[Any]:
    """Rows (exposure, visitor, venue, venue name, first overlap) for every other person whose
    visit overlapped one of the case's visits that began before `until` and ended after
    `window_from`. The visitors' arrivals are bounded by constants so that the index on
    (venue_id, arrived_at) gives each case visit one short range scan."""
    case_visit, visit = aliased(CheckIn, name="case_visit"), aliased(CheckIn, name="visit")
    start = case(
        (visit.arrived_at > case_visit.arrived_at, visit.arrived_at),
        else_=case_visit.arrived_at,
    )
    return (
        select(
            literal(exposure_id, type_=VenueContact.__table__.c.exposure_id.type).label(
                "exposure_id"
            ),
            visit.person_id,
            visit.venue_id,
            Venue.name,
            func.min(start).label("exposed_at"),
        )
        .select_from(case_visit)
        .join(
            visit,
            and_(
                visit.venue_id == case_visit.venue_id,
                visit.arrived_at >= window_from - MAX_STAY,
                visit.arrived_at < until,
                visit.arrived_at < case_visit.departed_at,
                visit.departed_at > case_visit.arrived_at,
                visit.person_id != case_visit.person_id,
            ),
        )
        .join(Venue, Venue.id == case_visit.venue_id)
        .where(
            case_visit.person_id == person_id,
            # a visit lasts at most MAX_STAY: this bound lets PostgreSQL read only the weeks
            # of the window (check-ins are partitioned by arrival)
            case_visit.arrived_at >= window_from - MAX_STAY,
            case_visit.arrived_at < until,
            case_visit.departed_at > window_from,
        )
        .group_by(visit.person_id, visit.venue_id, Venue.name)
    )


def _summary(session: Session, found: Subquery) -> tuple[list[dict[str, Any]], int]:
    """Per-venue contact counts and the number of people, of rows (person_id, venue_id, name,
    exposed_at): the overlaps themselves, or the contacts an applied exposure recorded."""
    per_venue = session.execute(
        select(
            found.c.venue_id,
            found.c.name,
            func.count().label("contacts"),
            func.min(found.c.exposed_at).label("first"),
        ).group_by(found.c.venue_id, found.c.name)
    ).all()
    people = session.scalar(select(func.count(distinct(found.c.person_id)))) or 0
    venues = [
        {
            "venue_id": str(row.venue_id),
            "name": row.name,
            "contacts": row.contacts,
            "date": _date(row.first),
        }
        for row in per_venue
    ]
    return sorted(venues, key=lambda v: (v["date"], v["name"])), people


def _recorded(exposure: Exposure) -> Subquery:
    """The venue contacts an exposure recorded, shaped as the overlaps are."""
    return (
        select(
            VenueContact.person_id,
            VenueContact.venue_id,
            VenueContact.place.label("name"),
            VenueContact.exposed_at,
        )
        .where(VenueContact.exposure_id == exposure.id)
        .subquery()
    )


def _date(value: Any) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else str(value)[:10]


def open_cases(
    session: Session, *, settings: Settings, cases: Iterable[dict[str, Any]], now: datetime
) -> list[Exposure]:
    """The outbox handler: record each new case's exposure, then apply it (mode auto) or
    leave it for review. A case already recorded is left alone."""
    auto = mode(session) == ExposureMode.AUTO
    opened = []
    for payload in cases:
        exposure = _open(session, settings=settings, payload=payload, now=now)
        if exposure is None:
            continue
        if auto:
            # The overlaps run once: the summary reads back the contacts just recorded.
            _apply(session, exposure=exposure, now=now)
            exposure.venues, exposure.contacts = _summary(session, _recorded(exposure))
        else:
            exposure.venues, exposure.contacts = _summary(session, _query(exposure).subquery())
        opened.append(exposure)
    session.flush()
    return opened


def _open(
    session: Session, *, settings: Settings, payload: dict[str, Any], now: datetime
) -> Exposure | None:
    person_id, record_id = uuid.UUID(payload["person_id"]), payload["record_id"]
    known = session.scalar(
        select(Exposure.id).where(
            Exposure.case_person_id == person_id, Exposure.test_record_id == record_id
        )
    )
    if known is not None:
        return None
    sampled_at = datetime.fromisoformat(payload["sampled_at"])
    exposure = Exposure(
        id=uuid.uuid4(),
        case_person_id=person_id,
        test_record_id=record_id,
        sampled_at=sampled_at,
        window_from=sampled_at - timedelta(days=settings.exposure_window_days),
        status=ExposureStatus.PENDING,
        created_at=now,
    )
    session.add(exposure)
    session.flush()
    return exposure


def _query(exposure: Exposure) -> Select[Any]:
    return overlaps(
        exposure_id=exposure.id,
        person_id=exposure.case_person_id,
        window_from=exposure.window_from,
        until=exposure.sampled_at,
    )


def insert_contacts(session: Session, *, query: Select[Any]) -> None:
    """INSERT ... SELECT the overlaps as venue contacts (existing ones are kept)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    columns = ["exposure_id", "person_id", "venue_id", "place", "exposed_at"]
    stmt = dialect.insert(VenueContact).from_select(columns, query).on_conflict_do_nothing()
    session.execute(stmt)


def _apply(session: Session, *, exposure: Exposure, now: datetime) -> None:
    insert_contacts(session, query=_query(exposure))
    people = session.scalars(
        select(VenueContact.person_id)
        .where(VenueContact.exposure_id == exposure.id)
        .distinct()
        .order_by(VenueContact.person_id)
    ).all()
    for start in range(0, len(people), RECOMPUTE_CHUNK):
        chunk = [str(p) for p in people[start : start + RECOMPUTE_CHUNK]]
        outbox.add(session, topic=outbox.Topic.RECOMPUTE_PEOPLE, payload={"people": chunk}, now=now)
    exposure.status = ExposureStatus.APPLIED


def decide(
    session: Session, *, actor: Principal, exposure_id: uuid.UUID, approve: bool, now: datetime
) -> Exposure:
    """An official approves (contacts recorded, recomputed) or dismisses a pending exposure."""
    exposure = get(session, exposure_id=exposure_id)
    if exposure.status != ExposureStatus.PENDING:
        raise Conflict(f"This exposure is already {exposure.status}.")
    if approve:
        _apply(session, exposure=exposure, now=now)
    else:
        exposure.status = ExposureStatus.DISMISSED
    exposure.decided_at, exposure.decided_by = now, actor.id
    audit.record(
        session,
        actor=actor,
        action="exposure.approve" if approve else "exposure.dismiss",
        target_type="exposure",
        target_id=str(exposure.id),
    )
    session.flush()
    return exposure


def get(session: Session, *, exposure_id: uuid.UUID) -> Exposure:
    """One exposure."""
    exposure = session.get(Exposure, exposure_id)
    if exposure is None:
        raise NotFound("No such exposure.")
    return exposure


def listing(session: Session, *, status: str | None, limit: int) -> Sequence[Exposure]:
    """Exposures, newest first (officials)."""
    query = select(Exposure).order_by(Exposure.created_at.desc()).limit(limit)
    if status:
        query = query.where(Exposure.status == status)
    return session.scalars(query).all()
