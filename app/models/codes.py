"""Signing keys, issued codes, code revocations and the trust-bundle change log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class KeyRecord(Base):
    """A signing key pair; the private half is encrypted with the configured passphrase."""

    __tablename__ = "signing_keys"
    __table_args__ = (Index("ix_signing_keys_purpose_status", "purpose", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kid: Mapped[str] = mapped_column(String(32), index=True)
    alg: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(10))  # "code" or "bundle"
    status: Mapped[str] = mapped_column(String(10))  # active, retired, revoked, expired
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_pem: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    not_after: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class IssuedCode(Base):
    """A code issued to a person, with its rendered images cached."""

    __tablename__ = "issued_codes"
    __table_args__ = (Index("ix_issued_codes_person_expires", "person_id", "expires_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the CWT cti
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("signing_keys.id"))
    kid: Mapped[str] = mapped_column(String(32))
    color: Mapped[str] = mapped_column(String(10))
    ruleset_version: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    png: Mapped[bytes | None] = mapped_column(LargeBinary)
    svg: Mapped[str | None] = mapped_column(Text)


class CodeRevocation(Base):
    """Codes of this person issued before `before` are withdrawn (one row per person)."""

    __tablename__ = "code_revocations"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    before: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(40))
    seq: Mapped[int] = mapped_column(Integer, index=True)
    drop_after: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrustChange(Base):
    """One change to the trust bundle; the newest `seq` is the bundle's sequence number."""

    __tablename__ = "trust_changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))  # a TrustChangeKind
    subject: Mapped[str | None] = mapped_column(String(64))
    # A dropped revocation's before: a delta drops the entry by its kind's cut-off time when
    # this is earlier, instead of by hash (None in rows written before the column: by hash).
    before: Mapped[datetime | None]


class RootHandover(Base):
    """A statement signed by a bundle root naming its successor (codes.handover), kept
    published so devices that pinned an older root can follow the chain."""

    __tablename__ = "root_handovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    from_kid: Mapped[str] = mapped_column(String(32), unique=True)
    to_kid: Mapped[str] = mapped_column(String(32))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
