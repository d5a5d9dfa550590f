"""Issuing residents' health codes, rendering them once, and checking codes online."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from app import live_cache, metrics
from app.config import Settings
from app.errors import FieldError, InvalidInput
from app.live_cache import KEYS, MISS, LiveCache
from app.models import CodeRevocation, IssuedCode, KeyRecord, Person, PersonStatus
from app.principal import Principal
from app.services.keys import ACTIVE, RETIRED, Keyring, verifying_key_rows
from app.services.proofing import not_verified
from app.services.status import CurrentColor, of_row
from app.services.subjects import person_of, subject_of
from app.unit_of_work import after_commit
from codes import (
    HEALTH,
    HealthClaims,
    Revocation,
    TrustBundle,
    VerificationError,
    VerificationKey,
    VerificationResult,
    VerifiedCode,
    check,
    compute_expiry,
    qr,
    verify,
)
from codes import issue as sign_code
from codes.claims import new_code_id
from codes.errors import ImageError
from risk import Color

# A code with less than this left is replaced rather than handed out again.
MIN_REMAINING = timedelta(minutes=5)


KnownQuery = Select[Person, PersonStatus, CodeRevocation, IssuedCode]


@cache
def _known_query() -> KnownQuery:
    """The statement `_known` runs (built once: building it costs more than running it)."""
    color = func.coalesce(PersonStatus.color, Color.GREEN.value)
    version = func.coalesce(PersonStatus.ruleset_version, 0)
    reusable = (
        select(IssuedCode.id)
        .join(KeyRecord, KeyRecord.id == IssuedCode.key_id)
        .where(
            KeyRecord.status.in_((ACTIVE, RETIRED)),
            IssuedCode.person_id == Person.id,
            IssuedCode.color == color,
            IssuedCode.ruleset_version == version,
            IssuedCode.expires_at > bindparam("good_after"),
        )
        .order_by(IssuedCode.issued_at.desc())
        .limit(1)
        .correlate(Person, PersonStatus)
        .scalar_subquery()
    )
    return (
        select(Person, PersonStatus, CodeRevocation, IssuedCode)
        .outerjoin(PersonStatus, PersonStatus.person_id == Person.id)
        .outerjoin(CodeRevocation, CodeRevocation.person_id == Person.id)
        .outerjoin(IssuedCode, IssuedCode.id == reusable)
        .where(Person.id == bindparam("person_id"))
    )


def _known(
    session: Session, *, person_id: uuid.UUID, now: datetime
) -> tuple[Person | None, CurrentColor, CodeRevocation | None, IssuedCode | None]:
    """One read: the person, their stored colour, their revocation, and their newest code
    that is still good for that colour (signed by a key that still verifies)."""
    params = {"person_id": person_id, "good_after": now + MIN_REMAINING}
    row = session.execute(_known_query(), params).first()
    if row is None:
        return None, of_row(None), None, None
    person, status, revocation, code = row
    return person, of_row(status), revocation, code


def _reusable(code: IssuedCode | None, revocation: CodeRevocation | None) -> IssuedCode | None:
    """The code found by `_known`, unless a revocation withdrew it: it is handed out again."""
    if code is None or (revocation is not None and code.issued_at < revocation.before):
        return None
    return code


@dataclass(frozen=True)
class ShownCode:
    """A resident's code as handed out: the issued row's public fields (kept in the live
    cache, so never an ORM object)."""

    id: str
    text: str
    color: str
    ruleset_version: int
    kid: str
    issued_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, row: IssuedCode) -> ShownCode:
        return cls(
            row.id, row.text, row.color, row.ruleset_version, row.kid, row.issued_at, row.expires_at
        )


def current_code(
    session: Session,
    *,
    live: LiveCache,
    keyring: Keyring,
    settings: Settings,
    actor: Principal,
    now: datetime,
) -> ShownCode:
    """The resident's unexpired code for their current colour, issuing one if needed.

    A code already handed out comes from the live cache (dropped when the person's status,
    revocation, identity or codes change, or a key does); else it is one read that writes
    nothing. Issuing one first waits for a recompute holding the person's row (PostgreSQL),
    then reads again: a code is never signed from a colour that is being replaced.
    """
    if actor.person_id is None:
        raise not_verified(settings)
    tag = live_cache.person(actor.person_id)
    kept = live.get(tag, "code", session=session)
    if kept is not MISS and kept.expires_at > now + MIN_REMAINING:
        return kept  # type: ignore[no-any-return]
    token = live.token()
    person, status, revocation, existing = _known(session, person_id=actor.person_id, now=now)
    if person is None or person.identity_proven_at is None:
        raise not_verified(settings)
    if reused := _reusable(existing, revocation):
        shown = ShownCode.of(reused)
        live.put(tag, "code", shown, token=token, session=session)
        return shown
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Person.id).where(Person.id == person.id).with_for_update(read=True))
        session.expire_all()
        _, status, revocation, existing = _known(session, person_id=person.id, now=now)
        if reused := _reusable(existing, revocation):
            return ShownCode.of(reused)
    return ShownCode.of(
        _issue(
            session,
            keyring=keyring,
            settings=settings,
            person=person,
            status=status,
            revocation=revocation,
            now=now,
        )
    )


def _issue(
    session: Session,
    *,
    keyring: Keyring,
    settings: Settings,
    person: Person,
    status: CurrentColor,
    revocation: CodeRevocation | None,
    now: datetime,
) -> IssuedCode:
    """Sign and store a new code for the person's stored colour (not committed)."""
    record, key = keyring.active(session)
    issued_at = datetime.fromtimestamp(int(now.timestamp()), UTC)
    if revocation is not None and revocation.before > issued_at:
        issued_at = revocation.before  # at most one second ahead: not revoked by it
    claims = HealthClaims(
        issuer=settings.issuer,
        subject=subject_of(person.id),
        issued_at=issued_at,
        expires_at=compute_expiry(
            issued_at, timedelta(seconds=settings.code_ttl), status.valid_until, record.not_after
        ),
        code_id=new_code_id(),
        color=status.color,
        ruleset_version=status.ruleset_version,
        holder_name=person.name_masked or "",
        id_last4=person.id_last4,
    )
    code = IssuedCode(
        id=claims.code_id,
        person_id=person.id,
        key_id=record.id,
        kid=record.kid,
        color=claims.color,
        ruleset_version=claims.ruleset_version,
        issued_at=claims.issued_at,
        expires_at=claims.expires_at,
        text=sign_code(claims, key, kind=HEALTH),
    )
    session.add(code)
    session.flush()
    color = code.color
    after_commit(session, lambda: metrics.issued(color))
    return code


def code_image(session: Session, *, code: ShownCode, kind: str) -> bytes:
    """The PNG or SVG of a code, rendered on first request and stored with it."""
    row = session.get_one(IssuedCode, code.id)
    if kind == "png":
        if row.png is None:
            row.png = qr.render_png(row.text)
            session.flush()
        return row.png
    if row.svg is None:
        row.svg = qr.render_svg(row.text)
        session.flush()
    return row.svg.encode()


class _Verified(NamedTuple):
    """A code whose signature and times checked, with what an online check answers for it."""

    code: VerifiedCode
    result: VerificationResult
    person_id: uuid.UUID | None


def _verified(
    session: Session,
    *,
    live: LiveCache,
    keys: tuple[VerificationKey, ...],
    text: str,
    now: datetime,
) -> _Verified | None:
    """The code if its signature and times check against these keys, else None.

    A code verified before is taken from the live cache while `now` lies inside its validity
    (a code is scanned at many doors in its life; a key change drops them all), with its
    result and holder; outside it, or new, it is verified in full.
    """

    def load() -> _Verified | None:
        try:
            code = verify(
                text, TrustBundle(0, now, keys), kinds=[HEALTH], now=now, check_freshness=False
            )
        except VerificationError:
            return None
        return _Verified(code, VerificationResult.of(code), person_of(code.claims.subject))

    def fresh(found: _Verified | None) -> bool:
        return found is not None and found.code.claims.issued_at <= now < found.code.expires_at

    return live.through(KEYS, f"verified {text}", session=session, load=load, fresh=fresh)


def _live_keys(
    session: Session, *, live: LiveCache, keyring: Keyring
) -> tuple[VerificationKey, ...]:
    """The keys that verify codes now (live cache, else one read)."""
    return live.through(
        KEYS,
        "code",
        session=session,
        load=lambda: tuple(
            keyring.public_key(*row) for row in session.execute(verifying_key_rows())
        ),
    )


def _cut_off(session: Session, *, live: LiveCache, person_id: uuid.UUID | None) -> datetime | None:
    """The cut-off of the person's revocation, if any (live cache, else one indexed read)."""
    if person_id is None:
        return None
    return live.through(
        live_cache.person(person_id),
        "cut_off",
        session=session,
        load=lambda: session.scalar(
            select(CodeRevocation.before).where(CodeRevocation.person_id == person_id)
        ),
    )


def verify_online(
    session: Session, *, live: LiveCache, keyring: Keyring, text: str, now: datetime
) -> VerificationResult:
    """Verify a code against the live keys and the holder's live revocation state.

    Both come from the live cache, which a key change or a revocation empties at once; a
    holder not seen lately costs one indexed read.
    """
    keys = _live_keys(session, live=live, keyring=keyring)
    found = _verified(session, live=live, keys=keys, text=text, now=now)
    if found is None:  # check() says why
        return check(
            text, TrustBundle(0, now, keys), kinds=[HEALTH], now=now, check_freshness=False
        )
    cut_off = _cut_off(session, live=live, person_id=found.person_id)
    if cut_off is None or found.code.claims.issued_at >= cut_off:
        return found.result
    subject = found.code.claims.subject
    revoked = TrustBundle(0, now, keys, (Revocation(HEALTH.name, subject, cut_off),))
    return check(text, revoked, kinds=[HEALTH], now=now, check_freshness=False)


def decode_upload(data: bytes, max_bytes: int) -> str:
    """The code text in an uploaded PNG/JPEG, or InvalidInput saying what is wrong."""
    if len(data) > max_bytes:
        raise InvalidInput("Image too large.", [FieldError("/files/file", "Image too large.")])
    try:
        return qr.decode_image(data)
    except ImageError as exc:
        raise InvalidInput(
            "No health code could be read from the image.",
            [FieldError("/files/file", str(exc) or type(exc).__name__)],
        ) from None
