"""Issuing residents' health codes, rendering them once, and checking codes online."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import metrics
from app.config import Settings
from app.errors import FieldError, InvalidInput
from app.models import CodeRevocation, IssuedCode, KeyRecord, Person
from app.principal import Principal
from app.services.keys import ACTIVE, RETIRED, Keyring, verification_keys
from app.services.proofing import proven_person
from app.services.status import current_color
from app.services.subjects import person_of, subject_of
from app.unit_of_work import after_commit
from codes import (
    HEALTH,
    HealthClaims,
    Revocation,
    TrustBundle,
    VerificationError,
    VerificationResult,
    check,
    compute_expiry,
    qr,
    verify,
)
from codes import issue as sign_code
from codes.claims import new_code_id
from codes.errors import ImageError

# A code with less than this left is replaced rather than handed out again.
MIN_REMAINING = timedelta(minutes=5)


def current_code(
    session: Session, *, keyring: Keyring, settings: Settings, actor: Principal, now: datetime
) -> IssuedCode:
    """The resident's unexpired code for their current colour, issuing one if needed."""
    person = proven_person(session, actor=actor, settings=settings)
    if session.get_bind().dialect.name == "postgresql":
        # A recompute holds this row FOR UPDATE until it commits: wait, then read its result.
        session.execute(select(Person.id).where(Person.id == person.id).with_for_update(read=True))
    status = current_color(session, person_id=person.id)
    revocation = session.get(CodeRevocation, person.id)
    existing = session.scalars(
        select(IssuedCode)
        .join(KeyRecord, KeyRecord.id == IssuedCode.key_id)
        .where(
            KeyRecord.status.in_((ACTIVE, RETIRED)),
            IssuedCode.person_id == person.id,
            IssuedCode.color == status.color,
            IssuedCode.ruleset_version == status.ruleset_version,
            IssuedCode.expires_at > now + MIN_REMAINING,
        )
        .order_by(IssuedCode.issued_at.desc())
        .limit(1)
    ).first()
    if existing is not None and (revocation is None or existing.issued_at >= revocation.before):
        return existing
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


def verify_online(
    session: Session, *, keyring: Keyring, text: str, now: datetime
) -> VerificationResult:
    """Verify a code against the live keys and the holder's live revocation state."""
    keys = verification_keys(session, keyring=keyring)
    live = TrustBundle(0, now, keys)
    try:
        code = verify(text, live, kinds=[HEALTH], now=now, check_freshness=False)
    except VerificationError:
        return check(text, live, kinds=[HEALTH], now=now, check_freshness=False)
    subject, issued_at = code.claims.subject, code.claims.issued_at
    person_id = person_of(subject)
    row = session.get(CodeRevocation, person_id) if person_id else None
    if row is not None and issued_at < row.before:
        entry = Revocation(HEALTH.name, subject, row.before)
        revoked = TrustBundle(0, now, keys, (entry,))
        return check(text, revoked, kinds=[HEALTH], now=now, check_freshness=False)
    return VerificationResult.of(code)


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
