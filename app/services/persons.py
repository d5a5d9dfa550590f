"""Residents' profiles and officials' person look-ups."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import Conflict, FieldError, InvalidInput, NotFound
from app.models import Account, Person
from app.principal import Principal
from app.services import audit
from app.services.feeds import clean_text
from app.services.identity import id_hash, normalize_id_number, prc_birth_date
from codes import mask_name

# Names as entered (the code carries a masked form cut to fit; codes.mask_name).
NAME_MAX = 64


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
        raise NotFound("You have not set up your profile yet: PUT /v1/me/profile.")
    person = session.get(Person, actor.person_id)
    if person is None:
        raise NotFound("You have not set up your profile yet: PUT /v1/me/profile.")
    return person


def put_profile(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    name: str,
    id_number: str,
    birth_date: date,
    now: datetime,
) -> Person:
    """Set the caller's identity, linking to a person that data feeds already created."""
    normalized = normalize_id_number(id_number)
    errors = []
    try:
        clean_text(name.strip(), NAME_MAX)
    except ValueError:
        errors.append(FieldError("/name", f"Give your name (1-{NAME_MAX} printable characters)."))
    if birth_date > now.date() or birth_date.year < 1900:
        errors.append(FieldError("/birth_date", "Not a plausible birth date."))
    encoded = prc_birth_date(normalized)
    if encoded is not None and encoded != birth_date:
        errors.append(FieldError("/birth_date", "Does not match the birth date in the ID number."))
    if errors:
        raise InvalidInput("The profile is not valid.", errors)
    account = session.get(Account, actor.id)
    assert account is not None
    digest = id_hash(settings.id_hash_key, normalized)
    if account.person_id is not None:
        person = session.get(Person, account.person_id)
        if person is not None and person.id_hash != digest:
            raise Conflict(
                "Your profile already has another ID number; contact support to change it."
            )
    person = find_or_create_person(session, settings=settings, id_number=normalized, now=now)
    holder = session.scalars(select(Account).where(Account.person_id == person.id)).first()
    if holder is not None and holder.id != account.id:
        raise Conflict("This ID number is registered to another account.")
    person.name_masked = mask_name(name)
    person.birth_date = birth_date
    person.updated_at = now
    account.person_id = person.id
    audit.record(
        session,
        actor=actor,
        action="profile.update",
        target_type="person",
        target_id=str(person.id),
    )
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("This ID number is registered to another account.") from None
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
