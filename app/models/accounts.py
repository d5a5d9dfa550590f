"""Accounts, refresh tokens, one-time codes and API keys."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class Role(enum.StrEnum):
    """Who an account is; every endpoint declares the roles it allows."""

    RESIDENT = "resident"
    CHECKPOINT = "checkpoint"
    VENUE_OPERATOR = "venue_operator"
    COUNTER = "counter"  # checks ID cards in person and links residents' accounts
    OFFICIAL = "official"
    ADMIN = "admin"


STAFF_ROLES = (Role.CHECKPOINT, Role.VENUE_OPERATOR, Role.COUNTER, Role.OFFICIAL, Role.ADMIN)


class Account(Base):
    """A login: a resident (by phone) or a staff member (by username and password)."""

    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    role: Mapped[str] = mapped_column(String(20))
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    phone_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_hint: Mapped[str | None] = mapped_column(String(20))
    # The number sealed (AES-GCM) so the service can tell the owner by SMS when their
    # identity link moves; refreshed at each login (app.security.sealing).
    phone_sealed: Mapped[str | None] = mapped_column(String(200))
    person_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), unique=True
    )
    disabled_at: Mapped[datetime | None]
    # Tokens issued before this instant never work again (set when the account is disabled).
    tokens_valid_from: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    last_login_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        """True unless the account has been disabled."""
        return self.disabled_at is None


class RefreshToken(Base):
    """A long-lived refresh token, stored hashed; rotated on every use."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class OtpChallenge(Base):
    """A one-time login code sent to a phone, stored as a keyed hash."""

    __tablename__ = "otp_challenges"
    __table_args__ = (Index("ix_otp_challenges_phone_hash_created_at", "phone_hash", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    phone_hash: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    consumed_at: Mapped[datetime | None]


class ApiKey(Base):
    """A machine credential with scopes; the secret is shown once and stored hashed."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
