"""Logins: one-time codes for residents, passwords for staff, token pairs, API keys."""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import live_cache
from app.config import Settings
from app.errors import AuthenticationFailed, FieldError, InvalidInput
from app.live_cache import LiveCache
from app.models import Account, ApiKey, OtpChallenge, RefreshToken, Role
from app.principal import ActorKind, Principal
from app.security.hashing import keyed_hash, token_hash, verify_password
from app.security.sealing import seal
from app.security.tokens import issue_access_token, read_access_token
from app.services.otp_guard import OtpGuard
from app.sms import SmsBackend

log = logging.getLogger("healthcode.auth")
PHONE_PATTERN = re.compile(r"^\+[1-9]\d{6,14}$")
API_KEY_PREFIX = "hck_"


@dataclass(frozen=True)
class TokenPair:
    """What a successful login returns."""

    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105


def _ascii_phone(raw: str) -> str:
    """NFKC (full-width ＋ and digits), any script's decimal digits as ASCII, no separators."""
    text = unicodedata.normalize("NFKC", raw or "")
    text = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)
    return re.sub(r"[\s().-]", "", text)


def normalize_phone(raw: str) -> str:
    """Full-width or other-script digits to ASCII, strip spaces and dashes; require E.164."""
    phone = _ascii_phone(raw)
    if not PHONE_PATTERN.match(phone):
        raise InvalidInput(
            "Invalid phone number.",
            [FieldError("/phone", "Use international format, e.g. +8613800000000.")],
        )
    return phone


def phone_bucket(settings: Settings, raw: object) -> str:
    """A rate-limit key for whatever phone a client sent: a keyed hash of its digits.

    The same normalisation as logins (formatting cannot dodge the limit); Redis never sees
    the number itself.
    """
    digits = re.sub(r"[^0-9]", "", _ascii_phone(raw))[:20] if isinstance(raw, str) else ""
    return keyed_hash(settings.id_hash_key, "rate-limit-phone", digits) if digits else "none"


def phone_hash(settings: Settings, phone: str) -> str:
    """Keyed hash of a phone number (the clear number is not stored)."""
    return keyed_hash(settings.id_hash_key, "phone", phone)


def _otp_hash(settings: Settings, challenge_key: str, code: str) -> str:
    return keyed_hash(settings.secret_key, "otp:" + challenge_key, code)


def request_otp(
    session: Session,
    *,
    settings: Settings,
    sms: SmsBackend,
    guard: OtpGuard,
    raw_phone: str,
    now: datetime,
) -> None:
    """Create a fresh 6-digit code for a phone (replacing open ones) and send it.

    The fresh code resets the phone's back-off (see otp_guard), so its owner can use it.
    """
    phone = normalize_phone(raw_phone)
    p_hash = phone_hash(settings, phone)
    session.execute(
        update(OtpChallenge)
        .where(OtpChallenge.phone_hash == p_hash, OtpChallenge.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge = OtpChallenge(
        id=uuid.uuid4(),
        phone_hash=p_hash,
        code_hash="",
        created_at=now,
        expires_at=now + timedelta(seconds=settings.otp_ttl),
    )
    challenge.code_hash = _otp_hash(settings, str(challenge.id), code)
    session.add(challenge)
    session.flush()
    sms.send_otp(phone, code, max(1, settings.otp_ttl // 60))
    guard.reset(p_hash)


def verify_otp(
    session: Session,
    *,
    settings: Settings,
    guard: OtpGuard,
    raw_phone: str,
    code: str,
    now: datetime,
) -> Account:
    """Check a code (single use, limited attempts, expiring); create the resident if new.

    Wrong codes count per code, per phone and address, and per phone (see otp_guard).
    """
    phone = normalize_phone(raw_phone)
    p_hash = phone_hash(settings, phone)
    guard.check(p_hash, now)
    failure = AuthenticationFailed("The code is wrong, expired or already used.")
    challenge = session.scalars(
        select(OtpChallenge)
        .where(OtpChallenge.phone_hash == p_hash, OtpChallenge.consumed_at.is_(None))
        .order_by(OtpChallenge.created_at.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if challenge is None or challenge.expires_at <= now:
        guard.failed(p_hash, now)
        raise failure
    challenge.attempts += 1
    if challenge.attempts >= settings.otp_max_attempts:
        challenge.consumed_at = now  # the last allowed attempt burns the code either way
    expected = _otp_hash(settings, str(challenge.id), code)
    if not hmac.compare_digest(expected, challenge.code_hash):
        guard.failed(p_hash, now)
        raise AuthenticationFailed(failure.detail, keep_changes=True)  # the attempt counts
    challenge.consumed_at = now
    guard.reset(p_hash)
    account = session.scalars(select(Account).where(Account.phone_hash == p_hash)).first()
    if account is None:
        account = Account(
            role=Role.RESIDENT, phone_hash=p_hash, phone_hint=phone[-4:], created_at=now
        )
        session.add(account)
    if not account.active:
        raise AuthenticationFailed("This account is disabled.", keep_changes=True)
    account.last_login_at = now
    account.phone_sealed = seal(settings.id_hash_key, phone)  # for notices (identity moves)
    session.flush()
    return account


def login_password(session: Session, *, username: str, password: str, now: datetime) -> Account:
    """Check a staff member's username and password."""
    account = session.scalars(select(Account).where(Account.username == username)).first()
    ok = verify_password(account.password_hash if account else None, password)
    if account is None or not ok or not account.active:
        raise AuthenticationFailed("Wrong username or password, or the account is disabled.")
    account.last_login_at = now
    return account


def issue_tokens(
    session: Session,
    *,
    settings: Settings,
    account: Account,
    now: datetime,
    family_id: uuid.UUID | None = None,
) -> TokenPair:
    """Create an access token and a new refresh token."""
    refresh = "hcr_" + secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            account_id=account.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=token_hash(refresh),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl),
        )
    )
    session.flush()
    access = issue_access_token(
        settings.secret_key,
        settings.issuer,
        account.id,
        account.role,
        now,
        settings.access_token_ttl,
    )
    return TokenPair(access, refresh, settings.access_token_ttl)


def refresh_tokens(
    session: Session, *, settings: Settings, refresh: str, now: datetime
) -> TokenPair:
    """Rotate a refresh token; reuse of a rotated token revokes its whole family."""
    failure = AuthenticationFailed("The refresh token is invalid, expired or revoked.")
    row = session.scalars(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(refresh))
    ).first()
    if row is None:
        raise failure
    if row.revoked_at is not None:
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        log.warning("refresh token reuse detected; family revoked")
        raise AuthenticationFailed(failure.detail, keep_changes=True)
    account = session.get(Account, row.account_id)
    if row.expires_at <= now or account is None or not account.active:
        raise failure
    if account.tokens_valid_from is not None and row.created_at < account.tokens_valid_from:
        raise failure  # issued before a disable (also revoked then)
    claimed = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == row.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(RefreshToken.id)
    ).first()
    if claimed is None:  # a concurrent refresh used it first: treat as reuse
        raise failure
    return issue_tokens(
        session, settings=settings, account=account, now=now, family_id=row.family_id
    )


def logout(session: Session, *, refresh: str, now: datetime) -> None:
    """Revoke a refresh token (and its rotation family); unknown tokens are ignored."""
    row = session.scalars(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash(refresh))
    ).first()
    if row is not None:
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    session.flush()


@dataclass(frozen=True)
class Standing:
    """What an access token's check needs of its account (kept in the live cache)."""

    active: bool
    role: str
    tokens_valid_from: datetime | None
    person_id: uuid.UUID | None


def _standing(session: Session, *, live: LiveCache, account_id: uuid.UUID) -> Standing | None:
    """The account's standing (live cache, dropped when the account changes; else one read)."""

    def load() -> Standing | None:
        row = session.get(Account, account_id)
        if row is None:
            return None
        return Standing(row.active, row.role, row.tokens_valid_from, row.person_id)

    return live.through(live_cache.account(account_id), "standing", session=session, load=load)


def resolve_bearer(
    session: Session,
    *,
    live: LiveCache,
    settings: Settings,
    token: str,
    request_id: str | None = None,
) -> Principal:
    """Turn a bearer credential (JWT or API key) into a principal acting in request
    `request_id`, checking it is live."""
    if token.startswith(API_KEY_PREFIX):
        return _resolve_api_key(session, token=token, request_id=request_id)
    claims = read_access_token(settings.secret_key, settings.issuer, token)
    if claims is None:
        raise AuthenticationFailed("The access token is invalid or expired.")
    account = _standing(session, live=live, account_id=claims.account_id)
    if account is None or not account.active or account.role != claims.role:
        raise AuthenticationFailed("The account is disabled or no longer exists.")
    if account.tokens_valid_from is not None and claims.issued_at < account.tokens_valid_from:
        raise AuthenticationFailed("This token was issued before the account was disabled.")
    return Principal(
        ActorKind.ACCOUNT,
        claims.account_id,
        role=account.role,
        person_id=account.person_id,
        request_id=request_id,
    )


def _resolve_api_key(session: Session, *, token: str, request_id: str | None) -> Principal:
    failure = AuthenticationFailed("The API key is invalid or revoked.")
    parts = token.split("_")
    if len(parts) != 3:
        raise failure
    key = session.scalars(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if key is None or key.revoked_at is not None:
        raise failure
    creator = session.get(Account, key.created_by)
    if creator is None or not creator.active:  # a disabled official's keys stop too
        raise failure
    if not hmac.compare_digest(key.secret_hash, token_hash(token)):
        raise failure
    return Principal(ActorKind.API_KEY, key.id, scopes=frozenset(key.scopes), request_id=request_id)
