"""Residents' profiles and officials' person look-ups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import Conflict, NotFound
from app.models import Account, Person
from app.principal import Principal
from app.services import audit, proofing
from app.services.identity import id_hash, normalize_id_number

NO_PROFILE = (
    "No verified identity yet: PUT /v1/me/profile, or visit a counter with your ID card "
    "(the answer to PUT says which applies here)."
)


def find_or_create_person(
    session: Session, *, settings: Settings, id_number: str, now: datetime
) -> Person:
    """The person with this ID number, created (unlinked) if unknown; not committed."""
    normalized = normalize_id_number(id_number)
    digest = id_hash(settings.id_hash_key, normalized)
    person = session.scalars(select(Person).where(Person.id_hash == digest)).first()
    if person is None:
        person = Person(id_hash=digest, id_last4=normalized[-4:], created_at=now, updated_at=now)
        session.add(person)
        session.flush()
    return person


def get_profile(session: Session, *, actor: Principal) -> Person:
    """The caller's own person record, or NotFound before the profile is set."""
    if actor.person_id is None:
        raise NotFound(NO_PROFILE)
    person = session.get(Person, actor.person_id)
    if person is None:
        raise NotFound(NO_PROFILE)
    return person


def put_profile(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    name: str,
    id_number: str,
    birth_date: date,
    phone: str | None,
    now: datetime,
) -> Person:
    """Prove the caller's identity (app.services.proofing), then link it to its person.

    The person may already exist (created by a data feed). An ID number linked to another
    account is a dispute, settled at a counter. A counter-verified resident's PUT changes
    nothing (changes are made at the counter too).
    """
    claim = proofing.make_claim(
        name=name, id_number=id_number, birth_date=birth_date, today=now.date()
    )
    account = session.get(Account, actor.id)
    assert account is not None
    digest = id_hash(settings.id_hash_key, claim.id_number)
    if account.person_id is not None:
        linked = session.get(Person, account.person_id)
        if linked is not None and linked.id_hash != digest:
            raise Conflict("Your profile has another ID number; visit a counter to change it.")
    person = find_or_create_person(session, settings=settings, id_number=claim.id_number, now=now)
    holder = proofing.holder_of(session, person)
    if holder is not None and holder.id != account.id:
        raise Conflict(proofing.HOW_TO_DISPUTE)
    if holder is not None and person.identity_method == proofing.Method.COUNTER:
        return person
    method = proofing.self_service_method(
        settings=settings, account=account, phone=phone, claim=claim
    )
    proofing.link(account=account, person=person, claim=claim, method=method, now=now)
    audit.record(
        session,
        actor=actor,
        action="profile.update",
        target_type="person",
        target_id=str(person.id),
        identity_method=str(method),
    )
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(proofing.HOW_TO_DISPUTE) from None
    return person


def lookup(session: Session, *, settings: Settings, actor: Principal, id_number: str) -> Person:
    """Find a person by ID number for an official; every look-up is audited."""
    normalized = normalize_id_number(id_number)
    digest = id_hash(settings.id_hash_key, normalized)
    person = session.scalars(select(Person).where(Person.id_hash == digest)).first()
    audit.record(
        session,
        actor=actor,
        action="person.lookup",
        target_type="person",
        target_id=str(person.id) if person else None,
        found=person is not None,
        id_last4=normalized[-4:],
    )
    if person is None:
        raise NotFound("No person with this ID number.", keep_changes=True)  # audited
    return person
