"""Residents check in by scanning a venue's place code: a stay at the venue's region."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import Conflict, NotFound
from app.live_cache import LiveCache
from app.models import CheckIn, LabTest, Person, Venue
from app.models.venues import MAX_STAY
from app.principal import Principal
from app.services import health_codes, outbox, place_codes
from app.services.keys import Keyring
from app.services.status import current_color
from codes import VerificationResult
from codes.policy import EntryDecision, EntryPolicy, decide


@dataclass(frozen=True)
class CheckInResult:
    """What a check-in answers: the visit, the resident's colour and code, the door decision."""

    checkin: CheckIn
    venue: Venue
    created: bool
    color: str
    code: health_codes.ShownCode
    decision: EntryDecision


def latest_negative_test(
    session: Session, *, person_id: uuid.UUID, since: datetime | None, now: datetime
) -> datetime | None:
    """When the person's latest negative test since `since` was sampled (None: no such test)."""
    if since is None:
        return None
    return session.scalar(
        select(LabTest.sampled_at)
        .where(
            LabTest.person_id == person_id,
            LabTest.result == "negative",
            LabTest.sampled_at >= since,
            LabTest.sampled_at <= now,
        )
        .order_by(LabTest.sampled_at.desc())
        .limit(1)
    )


def admit(
    session: Session, *, policy: EntryPolicy, person_id: uuid.UUID, color: str, now: datetime
) -> EntryDecision:
    """The venue policy applied to a person's live colour and tests."""
    tested = latest_negative_test(
        session, person_id=person_id, since=policy.test_since(now), now=now
    )
    result = VerificationResult(valid=True, reason=None, color=color)
    return decide(policy, result, now=now, negative_test_at=tested)


def _recompute(session: Session, *, person_id: uuid.UUID, now: datetime) -> None:
    payload = {"people": [str(person_id)]}
    outbox.add(session, topic=outbox.Topic.RECOMPUTE_PEOPLE, payload=payload, now=now)


def check_in(
    session: Session,
    *,
    live: LiveCache,
    keyring: Keyring,
    settings: Settings,
    actor: Principal,
    place_code: str,
    now: datetime,
) -> CheckInResult:
    """Record a visit (a repeat scan of the same venue within the repeat window is the same
    visit), leave any other open visit, and queue the resident's recompute."""
    person = session.get(Person, actor.person_id) if actor.person_id else None
    if person is None:
        raise Conflict("Set up your profile first: PUT /v1/me/profile.")
    claims, venue = place_codes.check(session, keyring=keyring, text=place_code, now=now)
    if session.get_bind().dialect.name == "postgresql":  # one check-in at a time per person
        session.execute(select(Person.id).where(Person.id == person.id).with_for_update())
    color = current_color(session, person_id=person.id).color
    decision = admit(
        session, policy=place_codes.policy_of(venue), person_id=person.id, color=color, now=now
    )
    recent = session.scalars(
        select(CheckIn)
        .where(
            CheckIn.person_id == person.id,
            CheckIn.venue_id == venue.id,
            CheckIn.arrived_at >= now - timedelta(seconds=settings.checkin_repeat_window),
        )
        .order_by(CheckIn.arrived_at.desc())
        .limit(1)
    ).first()
    created = recent is None
    if recent is None:
        session.execute(  # arriving here means leaving anywhere else
            update(CheckIn)
            .where(
                CheckIn.person_id == person.id,
                CheckIn.checked_out.is_(False),
                CheckIn.departed_at > now,
                CheckIn.arrived_at <= now,
            )
            .values(departed_at=now, checked_out=True)
        )
        recent = CheckIn(
            id=uuid.uuid4(),
            person_id=person.id,
            venue_id=venue.id,
            place_code_id=claims.code_id,
            region_code=venue.region_code,
            arrived_at=now,
            departed_at=now + timedelta(seconds=settings.checkin_duration),
            checked_out=False,
            admitted=decision.admit,
            color=color,
        )
        session.add(recent)
        session.flush()
        _recompute(session, person_id=person.id, now=now)
    code = health_codes.current_code(
        session, live=live, keyring=keyring, settings=settings, actor=actor, now=now
    )
    return CheckInResult(recent, venue, created, color, code, decision)


def _own(session: Session, *, actor: Principal, checkin_id: uuid.UUID) -> CheckIn:
    # by id and owner: the primary key also holds arrived_at (the partition key)
    checkin = session.scalar(
        select(CheckIn).where(CheckIn.id == checkin_id, CheckIn.person_id == actor.person_id)
    )
    if checkin is None:
        raise NotFound("No such check-in.")
    return checkin


def check_out(
    session: Session, *, actor: Principal, checkin_id: uuid.UUID, now: datetime
) -> CheckIn:
    """End a visit now (at most MAX_STAY after arrival); checking out twice changes nothing."""
    checkin = _own(session, actor=actor, checkin_id=checkin_id)
    if not checkin.checked_out:
        end = min(max(now, checkin.arrived_at), checkin.arrived_at + MAX_STAY)
        checkin.departed_at, checkin.checked_out = end, True
        session.flush()
        _recompute(session, person_id=checkin.person_id, now=now)
    return checkin


def visits(session: Session, *, actor: Principal, limit: int) -> Sequence[tuple[CheckIn, str]]:
    """The resident's own visits, newest first, with each venue's name."""
    if actor.person_id is None:
        return []
    rows = session.execute(
        select(CheckIn, Venue.name)
        .join(Venue, Venue.id == CheckIn.venue_id)
        .where(CheckIn.person_id == actor.person_id)
        .order_by(CheckIn.arrived_at.desc())
        .limit(limit)
    ).all()
    return [(row[0], row[1]) for row in rows]
