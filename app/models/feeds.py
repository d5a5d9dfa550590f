"""Data-feed records (tests, stays, contacts), their batches, and the transactional outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


class FeedBatch(Base):
    """One accepted upload of feed records, tracked until applied."""

    __tablename__ = "feed_batches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(10))
    source_type: Mapped[str] = mapped_column(String(10))
    source_id: Mapped[uuid.UUID]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    total: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    applied_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))


class LabTest(Base):
    """A lab test result for a person."""

    __tablename__ = "lab_tests"
    __table_args__ = (
        Index("ix_lab_tests_person_sampled", "person_id", "sampled_at"),
        UniqueConstraint("source_id", "record_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    source_id: Mapped[uuid.UUID]  # who sent it: the API key or account id
    record_id: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    result: Mapped[str] = mapped_column(String(10))
    sampled_at: Mapped[datetime]
    batch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Stay(Base):
    """A travel record: a person's stay in a region, open while departed_at is null."""

    __tablename__ = "stays"
    __table_args__ = (
        Index("ix_stays_person_id", "person_id"),
        Index("ix_stays_region_arrived", "region_code", "arrived_at"),
        UniqueConstraint("source_id", "record_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    source_id: Mapped[uuid.UUID]  # who sent it: the API key or account id
    record_id: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    arrived_at: Mapped[datetime]
    departed_at: Mapped[datetime | None]
    batch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContactEvent(Base):
    """An exposure of a person as a close or secondary contact."""

    __tablename__ = "contact_events"
    __table_args__ = (
        Index("ix_contact_events_person_exposed", "person_id", "exposed_at"),
        UniqueConstraint("source_id", "record_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    source_id: Mapped[uuid.UUID]  # who sent it: the API key or account id
    record_id: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    exposed_at: Mapped[datetime]
    batch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxEntry(Base):
    """Work committed with the data it concerns; a relay hands it to RQ after commit."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "done_at", "enqueued_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    topic: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
