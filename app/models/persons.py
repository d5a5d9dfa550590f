"""People known to the system, by a keyed hash of their ID number."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class Person(Base):
    """A person: may come from a data feed before any resident account links to it."""

    __tablename__ = "persons"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_last4: Mapped[str] = mapped_column(String(4))
    name_masked: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None]
    # How the linked account proved it is this person (app.services.proofing), and when;
    # null while no account has proven it: no code, no status for anyone.
    identity_method: Mapped[str | None] = mapped_column(String(20))
    identity_proven_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
