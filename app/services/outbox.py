"""The transactional outbox: work rows committed with their data, relayed to RQ after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.jobs import get_queue
from app.models import OutboxEntry
from app.unit_of_work import send_after_commit

log = logging.getLogger("healthcode.outbox")
JOB = "app.jobs.outbox.process"
MAX_ATTEMPTS = 5


class Topic(StrEnum):
    """What an outbox entry asks for (`app.services.apply.HANDLERS` maps each to its handler)."""

    APPLY_BATCH = "apply_batch"
    RECOMPUTE_PEOPLE = "recompute_people"
    JOB_CHUNK = "job_chunk"


    VENUE_EXPOSURE = "venue_exposure"
def add(session: Session, *, topic: Topic, payload: dict[str, Any], now: datetime) -> OutboxEntry:
    """Record work to do, flushed; the unit of work sends it to the queue once it commits."""
    entry = OutboxEntry(topic=topic, payload=payload, created_at=now)
    session.add(entry)
    session.flush()
    send_after_commit(session, entry)
    return entry


def enqueue(
    session: Session, *, redis: Redis, queue_name: str, entry_ids: Sequence[int], now: datetime
) -> int:
    """Hand committed entries to RQ and flush their enqueued marks; with Redis down they
    stay pending for the relay."""
    if not entry_ids:
        return 0
    queue = get_queue(redis, queue_name)
    done: list[int] = []
    try:
        with redis.pipeline() as pipe:
            for entry_id in entry_ids:
                queue.enqueue(
                    JOB,
                    entry_id,
                    job_id=f"outbox-{entry_id}",
                    retry=Retry(max=3, interval=[2, 10, 30]),
                    job_timeout=1800,
                    result_ttl=3600,
                    failure_ttl=7 * 24 * 3600,
                    pipeline=pipe,
                )
                done.append(entry_id)
            pipe.execute()
    except RedisError as exc:
        log.warning("could not enqueue %d outbox entries: %s", len(entry_ids), exc)
        return 0
    session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id.in_(done))
        .values(enqueued_at=now, attempts=OutboxEntry.attempts + 1)
    )
    return len(done)


def pending(
    session: Session, *, now: datetime, stale_after: timedelta, limit: int = 500
) -> list[int]:
    """Entries never enqueued, or enqueued so long ago that the job must have been lost."""
    rows = session.scalars(
        select(OutboxEntry.id)
        .where(
            OutboxEntry.done_at.is_(None),
            OutboxEntry.attempts < MAX_ATTEMPTS,
            or_(OutboxEntry.enqueued_at.is_(None), OutboxEntry.enqueued_at < now - stale_after),
        )
        .order_by(OutboxEntry.id)
        .limit(limit)
    ).all()
    return list(rows)


def relay(
    session: Session, *, redis: Redis, queue_name: str, now: datetime, stale_after: timedelta
) -> int:
    """Enqueue every pending entry (run periodically by the scheduler; not committed)."""
    total = 0
    while True:
        ids = pending(session, now=now, stale_after=stale_after)
        if not ids:
            return total
        count = enqueue(session, redis=redis, queue_name=queue_name, entry_ids=ids, now=now)
        total += count
        if count < len(ids):
            return total


def mark_done(session: Session, *, entry_ids: Iterable[int], now: datetime) -> None:
    """Mark entries done in the caller's transaction (with the effects they describe)."""
    session.execute(
        update(OutboxEntry).where(OutboxEntry.id.in_(list(entry_ids))).values(done_at=now)
    )


class Relay:
    """Sends committed outbox entries to RQ; bound to one Redis and queue."""

    def __init__(self, redis: Redis, queue_name: str) -> None:
        self.redis = redis
        self.queue_name = queue_name

    def send(self, session: Session, entry_ids: Sequence[int], *, now: datetime) -> int:
        """Enqueue entries that are already committed (best effort; the relay retries)."""
        return enqueue(
            session, redis=self.redis, queue_name=self.queue_name, entry_ids=entry_ids, now=now
        )
