"""Regions and the history of their risk levels."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class Region(Base):
    """An administrative region that travel records refer to by code."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10), default="low")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RegionLevel(Base):
    """A region's risk level from `effective_from` until the next entry."""

    __tablename__ = "region_levels"
    __table_args__ = (Index("ix_region_levels_region_from", "region_code", "effective_from"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(10))
    effective_from: Mapped[datetime]
    set_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
