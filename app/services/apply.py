"""Applying outbox work: one handler per topic (feed batches, targeted recomputes, job chunks)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, union, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.feed_kinds import UPLOADS
from app.models import FeedBatch, OutboxEntry
from app.services import exposures, jobs, outbox
from app.services.outbox import Topic
from app.services.recompute import recompute_people, recompute_where
from app.states import BatchStatus

Handler = Callable[[Session, Settings, dict[str, Any], datetime], None]


def _apply_batch(
    session: Session, settings: Settings, payload: dict[str, Any], now: datetime
) -> None:
    """Recompute everyone a batch touched, as one set-based step, and mark it applied."""
    batch_id = uuid.UUID(payload["batch_id"])
    batch = session.get(FeedBatch, batch_id)
    if batch is None or batch.status == BatchStatus.APPLIED:
        return
    people = union(
        *(
            select(spec.model.person_id).where(spec.model.batch_id == batch_id)
            for spec in UPLOADS.values()
        )
    )
    recompute_where(session, settings=settings, where=lambda column: column.in_(people), now=now)
    batch.status, batch.applied_at = BatchStatus.APPLIED, now


def _recompute_people(
    session: Session, settings: Settings, payload: dict[str, Any], now: datetime
) -> None:
    ids = [uuid.UUID(p) for p in payload["people"]]
    recompute_people(session, settings=settings, ids=ids, now=now)


def _job_chunk(
    session: Session, settings: Settings, payload: dict[str, Any], now: datetime
) -> None:
    jobs.run_chunk(session, settings=settings, payload=payload, now=now)


def _venue_exposure(
    session: Session, settings: Settings, payload: dict[str, Any], now: datetime
) -> None:
    # entries queued before cases were grouped hold one case
    exposures.open_cases(session, settings=settings, cases=payload.get("cases", [payload]), now=now)


HANDLERS: dict[Topic, Handler] = {
    Topic.APPLY_BATCH: _apply_batch,
    Topic.RECOMPUTE_PEOPLE: _recompute_people,
    Topic.JOB_CHUNK: _job_chunk,
    Topic.VENUE_EXPOSURE: _venue_exposure,
}
"""What carries out each outbox topic (every topic has one handler; a test checks it)."""


def start(session: Session, *, entry_id: int) -> None:
    """Show that an entry's work has begun (a batch turns `applying`, a job `running`); its
    own small unit."""
    entry = session.get(OutboxEntry, entry_id)
    if entry is None or entry.done_at is not None:
        return
    if entry.topic == Topic.JOB_CHUNK:
        jobs.mark_running(session, job_id=uuid.UUID(entry.payload["job_id"]))
        return
    if entry.topic != Topic.APPLY_BATCH:
        return
    batch = session.get(FeedBatch, uuid.UUID(entry.payload["batch_id"]))
    if batch is not None and batch.status == BatchStatus.QUEUED:
        batch.status = BatchStatus.APPLYING
        session.flush()


def process(session: Session, *, settings: Settings, entry_id: int, now: datetime) -> bool:
    """Do one outbox entry exactly once: its effects and its done mark commit together."""
    # Claim the entry first: a row lock on PostgreSQL, the write lock on SQLite. A duplicate
    # delivery of the same entry then waits here and finds it done.
    session.execute(
        update(OutboxEntry).where(OutboxEntry.id == entry_id).values(attempts=OutboxEntry.attempts)
    )
    entry = session.get(OutboxEntry, entry_id, populate_existing=True)
    if entry is None or entry.done_at is not None:
        return False
    HANDLERS[Topic(entry.topic)](session, settings, entry.payload, now)
    outbox.mark_done(session, entry_ids=[entry_id], now=now)
    session.flush()
    return True


def _fail_target(session: Session, *, entry: OutboxEntry, error: str, now: datetime) -> None:
    if entry.topic == Topic.APPLY_BATCH:
        batch = session.get(FeedBatch, uuid.UUID(entry.payload["batch_id"]))
        if batch is not None:
            batch.status, batch.error = BatchStatus.FAILED, error[:500]
    elif entry.topic == Topic.JOB_CHUNK:
        jobs.fail(session, job_id=uuid.UUID(entry.payload["job_id"]), error=error, now=now)


def record_failure(session: Session, *, entry_id: int, error: str, now: datetime) -> None:
    """Note a failed attempt (in a fresh unit of work); after the last one its batch or job
    is marked failed."""
    entry = session.get(OutboxEntry, entry_id)
    if entry is None:
        return
    entry.last_error = error[:500]
    if entry.attempts >= outbox.MAX_ATTEMPTS:
        _fail_target(session, entry=entry, error=error, now=now)
    session.flush()


def give_up_exhausted(session: Session, *, now: datetime, stale_after: timedelta) -> int:
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
        _fail_target(session, entry=entry, error=entry.last_error, now=now)
    session.flush()
    return len(entries)
