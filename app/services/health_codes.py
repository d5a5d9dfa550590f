"""Issuing residents' health codes, rendering them once, and checking codes online."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from app import metrics
from app.config import Settings
from app.errors import FieldError, InvalidInput
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


def current_code(
    session: Session, *, keyring: Keyring, settings: Settings, actor: Principal, now: datetime
) -> IssuedCode:
    """The resident's unexpired code for their current colour, issuing one if needed.

    Handing out a code already issued is one read and writes nothing. Issuing one first waits
    for a recompute holding the person's row (PostgreSQL), then reads again: a code is never
    signed from a colour that is being replaced.
    """
    if actor.person_id is None:
        raise not_verified(settings)
    person, status, revocation, existing = _known(session, person_id=actor.person_id, now=now)
    if person is None or person.identity_proven_at is None:
        raise not_verified(settings)
    if reused := _reusable(existing, revocation):
        return reused
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Person.id).where(Person.id == person.id).with_for_update(read=True))
        session.expire_all()
        _, status, revocation, existing = _known(session, person_id=person.id, now=now)
        if reused := _reusable(existing, revocation):
            return reused
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


def code_image(session: Session, *, code: IssuedCode, kind: str) -> bytes:
    """The PNG or SVG of a code, rendered on first request and stored with it."""
    if kind == "png":
        if code.png is None:
            code.png = qr.render_png(code.text)
            session.flush()
        return code.png
    if code.svg is None:
        code.svg = qr.render_svg(code.text)
        session.flush()
    return code.svg.encode()


def _verified(
    keys: tuple[VerificationKey, ...], *, text: str, now: datetime
) -> VerifiedCode | None:
    try:
        return verify(
            text, TrustBundle(0, now, keys), kinds=[HEALTH], now=now, check_freshness=False
        )
    except VerificationError:
        return None


@cache
def _live_query() -> Select[uuid.UUID, datetime | None, dict[str, Any], datetime | None]:
    """The statement `_live_state` runs (built once)."""
    cut_off = (
        select(CodeRevocation.before)
        .where(CodeRevocation.person_id == bindparam("person_id"))
        .scalar_subquery()
    )
    return verifying_key_rows().add_columns(cut_off)


def _live_state(
    session: Session, *, keyring: Keyring, code: VerifiedCode | None
) -> tuple[tuple[VerificationKey, ...], datetime | None]:
    """One read: the keys that verify codes now, and the cut-off of the code holder's
    revocation if any."""
    person_id = person_of(code.claims.subject) if code is not None else None
    rows = session.execute(_live_query(), {"person_id": person_id}).all()
    keys = tuple(keyring.public_key(key_id, not_after, jwk) for key_id, not_after, jwk, _ in rows)
    return keys, rows[0][3] if rows else None


def verify_online(
    session: Session, *, keyring: Keyring, text: str, now: datetime
) -> VerificationResult:
    """Verify a code against the live keys and the holder's live revocation state.

    One read (the live keys and the holder's revocation). The code is first verified with the
    keys of the previous call (its subject names the revocation to read), and again in the
    rare case the live keys differ.
    """
    guess = keyring.code_keys_seen
    code = _verified(guess, text=text, now=now)
    keys, cut_off = _live_state(session, keyring=keyring, code=code)
    if keys != guess:
        keyring.code_keys_seen = keys
        code = _verified(keys, text=text, now=now)
        if code is not None:
            _, cut_off = _live_state(session, keyring=keyring, code=code)
    if code is None:  # check() says why
        live = TrustBundle(0, now, keys)
        return check(text, live, kinds=[HEALTH], now=now, check_freshness=False)
    if cut_off is None or code.claims.issued_at >= cut_off:
        return VerificationResult.of(code)
    revoked = TrustBundle(0, now, keys, (Revocation(HEALTH.name, code.claims.subject, cut_off),))
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
