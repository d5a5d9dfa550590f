"""Each person's current colour (computed by the risk engine) and its history."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class PersonStatus(Base):
    """The stored colour of a person, valid until `valid_until` unless new data arrives."""

    __tablename__ = "person_status"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    color: Mapped[str] = mapped_column(String(10))
    valid_until: Mapped[datetime | None] = mapped_column(index=True)
    ruleset_version: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    since: Mapped[datetime] = mapped_column(default=utcnow)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class StatusChange(Base):
    """A change of a person's colour, with the reasons at that moment."""

    __tablename__ = "status_changes"
    __table_args__ = (Index("ix_status_changes_person_at", "person_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    from_color: Mapped[str | None] = mapped_column(String(10))
    to_color: Mapped[str] = mapped_column(String(10))
    ruleset_version: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
