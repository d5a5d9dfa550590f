"""Data-feed records (tests, stays, contacts), their batches, and the transactional outbox.

On PostgreSQL the three record tables are partitioned by week of `received_at` (ingestion time;
`app.models.partitions`). A unique key of a partitioned table must contain the partition key,
so there (source_id, record_id) is unique together with received_at, and the ingest keeps it
unique across partitions (a transaction-level advisory lock per source, then a look-up:
`app/services/feeds.py`). SQLite keeps the plain unique (source_id, record_id) and one table
each; its primary key stays `id` (Alembic compares no primary keys).

On PostgreSQL each table's person index INCLUDEs the columns a person's facts (and the columnar
evaluator's inputs, `app/services/columnar.py`) read: a chunk of people is then read by an
index-only scan of one index range, not from heap pages scattered in upload order.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, new_id, utcnow


def _record_key(table: str) -> tuple[Any, ...]:
    """The (source_id, record_id) dedup key, per dialect (see the module docstring)."""
    return (
        UniqueConstraint("source_id", "record_id", name=f"uq_{table}_source_id").ddl_if(
            dialect="sqlite"
        ),
        UniqueConstraint(
            "source_id", "record_id", "received_at", name=f"uq_{table}_source_record_received"
        ).ddl_if(dialect="postgresql"),
        {"postgresql_partition_by": "RANGE (received_at)"},
    )


def record_key(dialect: str) -> list[str]:
    """The unique key of a record table on `dialect`, record_id first (for ON CONFLICT)."""
    return ["record_id", "source_id", *(["received_at"] if dialect == "postgresql" else [])]


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
        Index(
            "ix_lab_tests_person_sampled",
            "person_id",
            "sampled_at",
            postgresql_include=["record_id", "kind", "result"],
        ),
        *_record_key("lab_tests"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    source_id: Mapped[uuid.UUID]  # who sent it: the API key or account id
    record_id: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    result: Mapped[str] = mapped_column(String(10))
    sampled_at: Mapped[datetime]
    batch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(primary_key=True, default=utcnow)


class Stay(Base):
    """A travel record: a person's stay in a region, open while departed_at is null."""

    __tablename__ = "stays"
    __table_args__ = (
        Index(
            "ix_stays_person_id",
            "person_id",
            postgresql_include=["id", "record_id", "region_code", "arrived_at", "departed_at"],
        ),
        Index("ix_stays_region_arrived", "region_code", "arrived_at"),
        *_record_key("stays"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    source_id: Mapped[uuid.UUID]  # who sent it: the API key or account id
    record_id: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    arrived_at: Mapped[datetime]
    departed_at: Mapped[datetime | None]
    batch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(primary_key=True, default=utcnow)


class ContactEvent(Base):
    """An exposure of a person as a close or secondary contact."""

    __tablename__ = "contact_events"
    __table_args__ = (
        Index(
            "ix_contact_events_person_exposed",
            "person_id",
            "exposed_at",
            postgresql_include=["record_id", "kind"],
        ),
        *_record_key("contact_events"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    source_id: Mapped[uuid.UUID]  # who sent it: the API key or account id
    record_id: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    exposed_at: Mapped[datetime]
    batch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    received_at: Mapped[datetime] = mapped_column(primary_key=True, default=utcnow)


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
