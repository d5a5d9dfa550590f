"""Venues' signed place codes: issued per rotation period, checked online at check-in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import Conflict, FieldError, InvalidInput
from app.models import PlaceCode, Venue
from app.services.keys import Keyring, verification_keys
from codes import PLACE, PlaceClaims, TrustBundle, VerificationError, compute_expiry, verify
from codes import issue as sign_code
from codes.claims import new_code_id
from codes.policy import EntryPolicy

VENUE_INACTIVE = "VENUE_INACTIVE"
UNKNOWN_VENUE = "UNKNOWN_VENUE"
EXPLAIN = {
    "EXPIRED": "This place code has expired; scan the venue's current poster.",
    "NOT_YET_VALID": "This place code is not valid yet.",
    "BAD_SIGNATURE": "This place code is not genuine (altered or forged).",
    "UNKNOWN_KEY": "This place code was not signed by a key we trust.",
    "WRONG_KIND": "This is not a venue's place code (HCP1:...).",
    "BAD_PREFIX": "This is not a Healthcode code.",
    "BAD_ENCODING": "This code was altered or read wrongly.",
    "MALFORMED": "This code is damaged or not a Healthcode code.",
    VENUE_INACTIVE: "This venue no longer takes check-ins.",
    UNKNOWN_VENUE: "This place code names no venue we know.",
}


def policy_of(venue: Venue) -> EntryPolicy:
    """The venue's current entry policy."""
    return EntryPolicy(tuple(venue.admitted_colors), venue.test_within_hours)


def _matches(code: PlaceCode, venue: Venue) -> bool:
    return (
        code.region_code == venue.region_code
        and list(code.admitted_colors) == list(venue.admitted_colors)
        and code.test_within_hours == venue.test_within_hours
    )


def current(
    session: Session, *, keyring: Keyring, settings: Settings, venue: Venue, now: datetime
) -> PlaceCode:
    """The venue's place code for now: the latest while its period runs, the key is active and
    the policy unchanged; else a new one (the old one keeps working until its grace ends)."""
    if not venue.active:
        raise Conflict("This venue is deactivated: it has no place code.")
    record, key = keyring.active(session)
    latest = session.scalars(
        select(PlaceCode)
        .where(PlaceCode.venue_id == venue.id)
        .order_by(PlaceCode.issued_at.desc())
        .limit(1)
    ).first()
    if (
        latest is not None
        and latest.rotate_at > now
        and latest.key_id == record.id
        and _matches(latest, venue)
    ):
        return latest
    issued_at = datetime.fromtimestamp(int(now.timestamp()), UTC)
    rotation = timedelta(seconds=settings.place_code_rotation)
    lifetime = rotation + timedelta(seconds=settings.place_code_grace)
    claims = PlaceClaims(
        issuer=settings.issuer,
        subject=venue.id.hex,
        issued_at=issued_at,
        expires_at=compute_expiry(issued_at, lifetime, None, record.not_after),
        code_id=new_code_id(),
        region=venue.region_code,
        admitted_colors=tuple(venue.admitted_colors),
        test_within_hours=venue.test_within_hours,
    )
    code = PlaceCode(
        id=claims.code_id,
        venue_id=venue.id,
        key_id=record.id,
        region_code=venue.region_code,
        admitted_colors=list(venue.admitted_colors),
        test_within_hours=venue.test_within_hours,
        issued_at=issued_at,
        rotate_at=min(issued_at + rotation, claims.expires_at),
        expires_at=claims.expires_at,
        text=sign_code(claims, key, kind=PLACE),
    )
    session.add(code)
    session.flush()
    return code


def refused(reason: str) -> InvalidInput:
    """The error for a place code that cannot be used, naming its reason."""
    detail = f"{reason}: {EXPLAIN.get(reason, 'This place code cannot be used.')}"
    return InvalidInput(
        f"The place code was refused ({reason}).", [FieldError("/place_code", detail)]
    )


def check(
    session: Session, *, keyring: Keyring, text: str, now: datetime
) -> tuple[PlaceClaims, Venue]:
    """Verify place code text online (live keys) and find its active venue, or refuse it."""
    live = TrustBundle(0, now, verification_keys(session, keyring=keyring))
    try:
        verified = verify(text.strip(), live, kinds=[PLACE], now=now, check_freshness=False)
    except VerificationError as exc:
        raise refused(str(exc.reason)) from None
    claims = verified.claims
    assert isinstance(claims, PlaceClaims)
    venue = _venue_of(session, claims.subject)
    if venue is None:
        raise refused(UNKNOWN_VENUE)
    if not venue.active:
        raise refused(VENUE_INACTIVE)
    return claims, venue


def _venue_of(session: Session, subject: str) -> Venue | None:
    try:
        return session.get(Venue, uuid.UUID(hex=subject))
    except ValueError:
        return None
