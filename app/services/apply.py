"""Applying outbox work: feed batches, targeted recomputes and job chunks."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, union, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import ContactEvent, FeedBatch, LabTest, OutboxEntry, Stay
from app.services import jobs, outbox
from app.services.recompute import recompute_people


def apply_batch(session: Session, settings: Settings, batch_id: uuid.UUID, now: datetime) -> None:
    """Recompute everyone a batch touched and mark it applied (not committed)."""
    batch = session.get(FeedBatch, batch_id)
    if batch is None or batch.status == "applied":
        return
    people = session.scalars(
        union(
            *(
                select(m.person_id).where(m.batch_id == batch_id)
                for m in (LabTest, Stay, ContactEvent)
            )
        )
    ).all()
    recompute_people(session, settings, list(people), now)
    batch.status, batch.applied_at = "applied", now


def process(session: Session, settings: Settings, entry_id: int, now: datetime) -> bool:
    """Do one outbox entry exactly once; its effects and done mark commit together."""
    # Claim the entry first: a row lock on PostgreSQL, the write lock on SQLite. A duplicate
    # delivery of the same entry then waits here and finds it done.
    session.execute(
        update(OutboxEntry).where(OutboxEntry.id == entry_id).values(attempts=OutboxEntry.attempts)
    )
    entry = session.get(OutboxEntry, entry_id, populate_existing=True)
    if entry is None or entry.done_at is not None:
        session.commit()
        return False
    payload: dict[str, Any] = entry.payload
    if entry.topic == "apply_batch":
        _mark_applying(session, uuid.UUID(payload["batch_id"]))
        apply_batch(session, settings, uuid.UUID(payload["batch_id"]), now)
    elif entry.topic == "recompute_people":
        recompute_people(session, settings, [uuid.UUID(p) for p in payload["people"]], now)
    elif entry.topic == "job_chunk":
        jobs.run_chunk(session, settings, payload, now)
    else:
        raise ValueError(f"unknown outbox topic {entry.topic!r}")
    outbox.mark_done(session, [entry_id], now)
    session.commit()
    return True


def _mark_applying(session: Session, batch_id: uuid.UUID) -> None:
    batch = session.get(FeedBatch, batch_id)
    if batch is not None and batch.status == "queued":
        batch.status = "applying"
        session.commit()


def _fail_target(session: Session, entry: OutboxEntry, error: str, now: datetime) -> None:
    if entry.topic == "apply_batch":
        batch = session.get(FeedBatch, uuid.UUID(entry.payload["batch_id"]))
        if batch is not None:
            batch.status, batch.error = "failed", error[:500]
    elif entry.topic == "job_chunk":
        jobs.fail(session, uuid.UUID(entry.payload["job_id"]), error, now)


def record_failure(session: Session, entry_id: int, error: str, now: datetime) -> None:
    """Note a failed attempt; after the last one the batch or job is marked failed; commits."""
    session.rollback()
    entry = session.get(OutboxEntry, entry_id)
    if entry is None:
        return
    entry.last_error = error[:500]
    if entry.attempts >= outbox.MAX_ATTEMPTS:
        _fail_target(session, entry, error, now)
    session.commit()


def give_up_exhausted(session: Session, now: datetime, stale_after: timedelta) -> int:
    """Entries sent the maximum number of times and lost again: fail their batch or job."""
    entries = session.scalars(
        select(OutboxEntry).where(
            OutboxEntry.done_at.is_(None),
            OutboxEntry.attempts == outbox.MAX_ATTEMPTS,
            OutboxEntry.enqueued_at < now - stale_after,
        )
    ).all()
    for entry in entries:
        entry.last_error = entry.last_error or "lost after the last retry"
        entry.attempts = outbox.MAX_ATTEMPTS + 1  # reported once
        _fail_target(session, entry, entry.last_error, now)
    session.commit()
    return len(entries)
