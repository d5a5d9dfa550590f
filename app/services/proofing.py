"""Identity proofing: an account is linked to a person only once it proved to be that person.

Providers (HEALTHCODE_IDENTITY_PROVIDER):

- `telco`: the carrier's real-name three-element check (phone, name, ID number) over HTTP
  (`TELCO_PROTOCOL`); the resident proves it themselves with PUT /v1/me/profile.
- `counter`: staff (role `counter`, or an official) check the ID card in person and link the
  account in one visit (POST /v1/identity/links).
- `development`, `none`: nothing is checked (production refuses both); the profile says so.

A counter link also settles disputes: when the ID number is linked to another account, the
staff member who checked the card moves the link (audited), and both accounts get an SMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import FieldError, IdentityNotVerified, InvalidInput, Unavailable
from app.models import Account, Person
from app.outbound import Endpoint, OutboundError
from app.principal import Principal
from app.security.sealing import unseal
from app.services.auth import normalize_phone, phone_hash
from app.services.feeds import clean_text
from app.services.identity import normalize_id_number, prc_birth_date
from app.sms import SmsBackend
from app.unit_of_work import after_commit
from codes import mask_name

# Names as entered (codes carry a masked form cut to fit: codes.mask_name).
NAME_MAX = 64

TELCO_PROTOCOL = """POST <HEALTHCODE_IDENTITY_TELCO_URL>, Authorization: Bearer <key>,
JSON {"phone": "+8613800000000", "name": "...", "id_number": "..."} ->
200 JSON {"result": "match" | "mismatch" | "unknown"}"""

HOW_TO_VERIFY = {
    "telco": "Send PUT /v1/me/profile with your name, ID number and birth date, and `phone`: "
    "the number you log in with. They must match your mobile carrier's real-name record. "
    "Or visit a counter with your ID card.",
    "counter": "Visit a counter with your ID card and this phone: staff check the card and "
    "link your account in one visit.",
}
HOW_TO_VERIFY_ANY = (
    "Send PUT /v1/me/profile with your name, ID number and birth date (where the carrier "
    "check is used, also `phone`), or visit a counter with your ID card and this phone."
)
HOW_TO_DISPUTE = (
    "This ID number is linked to another account. If it is yours, visit a counter with your "
    "ID card and this phone: after checking the card in person, staff move the link to your "
    "account, and both accounts are told by SMS."
)


class Method(StrEnum):
    """How an identity was proven (stored on the person)."""

    TELCO = "telco"
    COUNTER = "counter"
    DEVELOPMENT = "development"
    NONE = "none"


UNCHECKED = {
    Method.DEVELOPMENT: "Development identity provider: the identity was NOT checked.",
    Method.NONE: "No identity provider: the identity was NOT checked.",
}


def how_to_verify(provider: str) -> str:
    """What a resident does to get verified under this provider."""
    return HOW_TO_VERIFY.get(provider, HOW_TO_VERIFY["counter"])


def not_verified(settings: Settings | None) -> IdentityNotVerified:
    """The error for a resident without a proven identity: why, and how to fix it."""
    how = how_to_verify(settings.identity_provider) if settings else HOW_TO_VERIFY_ANY
    return IdentityNotVerified(
        "Your identity is not verified, so there is no health code or status for you yet. " + how
    )


def proven_person(
    session: Session, *, actor: Principal, settings: Settings | None = None
) -> Person:
    """The caller's person once their identity is proven; else IdentityNotVerified."""
    person = session.get(Person, actor.person_id) if actor.person_id else None
    if person is None or person.identity_proven_at is None:
        raise not_verified(settings)
    return person


@dataclass(frozen=True)
class Claim:
    """Who a resident says they are (validated, ID number normalised)."""

    name: str
    id_number: str
    birth_date: date


def make_claim(*, name: str, id_number: str, birth_date: date, today: date) -> Claim:
    """A validated claim, or InvalidInput listing every problem with a pointer."""
    normalized = normalize_id_number(id_number)
    errors = []
    try:
        clean_text(name.strip(), NAME_MAX)
    except ValueError:
        errors.append(FieldError("/name", f"Give your name (1-{NAME_MAX} printable characters)."))
    if birth_date > today or birth_date.year < 1900:
        errors.append(FieldError("/birth_date", "Not a plausible birth date."))
    encoded = prc_birth_date(normalized)
    if encoded is not None and encoded != birth_date:
        errors.append(FieldError("/birth_date", "Does not match the birth date in the ID number."))
    if errors:
        raise InvalidInput("The profile is not valid.", errors)
    return Claim(" ".join(name.split()), normalized, birth_date)


def telco_matches(settings: Settings, *, phone: str, claim: Claim) -> bool:
    """Ask the carrier whether this phone's real-name record is this name and ID number."""
    endpoint = Endpoint(
        settings.identity_telco_url,
        settings.identity_telco_key,
        settings.identity_telco_timeout,
        settings.identity_telco_retries,
        name="telco identity check",
    )
    try:
        answer = endpoint.post({"phone": phone, "name": claim.name, "id_number": claim.id_number})
    except OutboundError:
        raise Unavailable("The identity check is unavailable; try again shortly.") from None
    return answer.get("result") == "match"


def self_service_method(
    *, settings: Settings, account: Account, phone: str | None, claim: Claim
) -> Method:
    """Prove a claim made by the resident, or raise saying how to get verified."""
    provider = settings.identity_provider
    if provider in (Method.DEVELOPMENT, Method.NONE):
        return Method(provider)
    if provider == Method.COUNTER:
        raise not_verified(settings)
    normalized = normalize_phone(phone) if phone is not None else None
    if normalized is None or phone_hash(settings, normalized) != account.phone_hash:
        raise InvalidInput(
            "Identity not verified: give the phone number you log in with.",
            [FieldError("/phone", "Must be the number you log in with (the carrier checks it).")],
        )
    if not telco_matches(settings, phone=normalized, claim=claim):
        raise InvalidInput(
            "Identity not verified: your carrier's real-name record for this phone does not "
            "match this name and ID number. Check them, or visit a counter with your ID card.",
            [FieldError("/id_number", "Does not match the carrier's real-name record.")],
        )
    return Method.TELCO


def link(
    *,
    account: Account,
    person: Person,
    claim: Claim,
    method: Method,
    now: datetime,
) -> None:
    """Link a proven account to its person (the person must not be linked elsewhere)."""
    person.name_masked = mask_name(claim.name)
    person.birth_date = claim.birth_date
    person.identity_method = method
    person.identity_proven_at = now
    person.updated_at = now
    account.person_id = person.id


def holder_of(session: Session, person: Person) -> Account | None:
    """The account linked to a person, if any."""
    return session.scalars(select(Account).where(Account.person_id == person.id)).first()


def notify_after_commit(
    session: Session, *, settings: Settings, sms: SmsBackend, account: Account, text: str
) -> None:
    """SMS an account's owner once the unit of work commits (needs its sealed phone)."""
    phone = unseal(settings.id_hash_key, account.phone_sealed) if account.phone_sealed else None
    if phone is not None:
        after_commit(session, partial(sms.send_notice, phone, text))
