"""In-person identity checks: staff link a resident's account to the ID card they checked."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import Conflict, NotFound
from app.models import Account, Person, Role
from app.principal import Principal
from app.services import audit, proofing, trust
from app.services.auth import normalize_phone, phone_hash
from app.services.persons import find_or_create_person
from app.sms import SmsBackend

MOVED = (
    "Healthcode: after an in-person ID check, the identity linked to your account was moved "
    "to another account. If this is wrong, visit a counter with your ID card."
)
LINKED = "Healthcode: your account is now linked to your verified identity."


def link_in_person(
    session: Session,
    *,
    settings: Settings,
    sms: SmsBackend,
    actor: Principal,
    phone: str,
    name: str,
    id_number: str,
    birth_date: date,
    move: bool,
    now: datetime,
) -> tuple[Person, Account | None]:
    """Link the account of `phone` to the checked ID card, in one visit (audited).

    The resident must have logged in once with that phone (proving they hold it). When the
    ID number is linked to another account, `move` (after checking the card in person)
    moves the link; both accounts are told by SMS once it commits. Returns the person and
    the account the link was moved from, if any.
    """
    claim = proofing.make_claim(
        name=name, id_number=id_number, birth_date=birth_date, today=now.date()
    )
    digest = phone_hash(settings, normalize_phone(phone))
    account = session.scalars(select(Account).where(Account.phone_hash == digest)).first()
    if account is None or account.role != Role.RESIDENT:
        raise NotFound("No resident account uses this phone: log in with it once first.")
    person = find_or_create_person(session, settings=settings, id_number=claim.id_number, now=now)
    if account.person_id is not None and account.person_id != person.id:
        raise Conflict("This account is linked to another ID number; move that one first.")
    previous = proofing.holder_of(session, person)
    if previous is not None and previous.id != account.id:
        if not move:
            raise Conflict(
                "This ID number is linked to another account. After checking the ID card in "
                "person, send move=true to move the link here (both accounts are told by SMS)."
            )
        previous.person_id = None
        session.flush()  # free the unique link before giving it to this account
        # codes the other account fetched must not outlive the move
        trust.revoke_people(
            session, settings=settings, person_ids=[person.id], reason="identity_moved", now=now
        )
    else:
        previous = None
    proofing.link(
        account=account, person=person, claim=claim, method=proofing.Method.COUNTER, now=now
    )
    audit.record(
        session,
        actor=actor,
        action="identity.move" if previous else "identity.link",
        target_type="person",
        target_id=str(person.id),
        account_id=str(account.id),
        moved_from=str(previous.id) if previous else None,
    )
    told = [(account, LINKED)] + ([(previous, MOVED)] if previous else [])
    for who, text in told:
        proofing.notify_after_commit(session, settings=settings, sms=sms, account=who, text=text)
    session.flush()
    return person, previous
