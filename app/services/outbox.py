"""The transactional outbox: work rows committed with their data, relayed to RQ after commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.job import Job
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.jobs import get_queue
from app.models import OutboxEntry
from app.unit_of_work import send_after_commit

log = logging.getLogger("healthcode.outbox")
JOB = "app.jobs.outbox.process"
MAX_ATTEMPTS = 5
LEASE_PREFIX = "healthcode:outbox-lease:"
TAKEN_PREFIX = "healthcode:outbox-taken:"  # an entry's job seen taken but not started
TAKEN_SEEN_FOR = 60  # seconds a sighting counts: the relay runs every few seconds


class Topic(StrEnum):
    """What an outbox entry asks for (`app.services.apply.HANDLERS` maps each to its handler)."""

    APPLY_BATCH = "apply_batch"
    RECOMPUTE_PEOPLE = "recompute_people"
    JOB_CHUNK = "job_chunk"
    VENUE_EXPOSURE = "venue_exposure"


def add(session: Session, *, topic: Topic, payload: dict[str, Any], now: datetime) -> OutboxEntry:
    """Record work to do, flushed and marked as sent: the unit of work sends it to the queue
    once it commits, and marks it unsent again if the queue cannot take it (`Relay.send`).
    Marking it after the send would cost each request a second statement and commit, and
    wait for the row lock of a worker already running the job. A process that dies between
    the commit and the send leaves an entry whose job Redis never had: `orphaned` finds it."""
    entry = OutboxEntry(topic=topic, payload=payload, created_at=now, enqueued_at=now, attempts=1)
    session.add(entry)
    session.flush()
    send_after_commit(session, entry)
    return entry


def _push(redis: Redis, queue_name: str, entry_ids: Sequence[int]) -> bool:
    """Hand entries to RQ in one pipeline; False when Redis cannot take them."""
    queue = get_queue(redis, queue_name)
    try:
        with redis.pipeline() as pipe:
            for entry_id in entry_ids:
                queue.enqueue(
                    JOB,
                    entry_id,
                    job_id=job_id(entry_id),
                    retry=Retry(max=3, interval=[2, 10, 30]),
                    job_timeout=1800,
                    result_ttl=3600,
                    failure_ttl=7 * 24 * 3600,
                    pipeline=pipe,
                )
            pipe.execute()
    except RedisError as exc:
        log.warning("could not enqueue %d outbox entries: %s", len(entry_ids), exc)
        return False
    return True


def enqueue(
    session: Session, *, redis: Redis, queue_name: str, entry_ids: Sequence[int], now: datetime
) -> int:
    """Hand committed entries to RQ again and flush their enqueued marks; with Redis down
    they stay as they were, for the relay's next round."""
    if not entry_ids or not _push(redis, queue_name, entry_ids):
        return 0
    _mark(session, entry_ids, enqueued_at=now)
    return len(entry_ids)


def _mark(session: Session, entry_ids: Sequence[int], *, enqueued_at: datetime | None) -> None:
    """Flush entries as sent at `enqueued_at` (one attempt more), or None: as not sent after
    all (the attempt taken back)."""
    step = 1 if enqueued_at is not None else -1
    session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id.in_(entry_ids))
        .values(enqueued_at=enqueued_at, attempts=OutboxEntry.attempts + step)
    )


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


def job_id(entry_id: int) -> str:
    """The RQ job id of an entry: one id per entry, so a re-send replaces the job."""
    return f"outbox-{entry_id}"


def lease_key(entry_id: int) -> str:
    """The Redis key a running job holds (and renews) while it works on an entry."""
    return f"{LEASE_PREFIX}{entry_id}"


def orphaned(
    session: Session,
    *,
    redis: Redis,
    queue_name: str,
    now: datetime,
    lease: timedelta,
    stale_after: timedelta,
) -> list[int]:
    """Entries sent to RQ whose job is gone: its worker died mid-job (the job is `started`
    but nobody renews the lease), died between taking it off the queue and starting it (the
    job is `queued` but sits in RQ's intermediate queue, which RQ's own maintenance clears
    only after 10 minutes or more), or Redis lost it (no such job). Sent again at once rather
    than after `stale_after`; the database claim in `apply.process` keeps the effects
    exactly-once even when the first run was in fact alive."""
    ids = session.scalars(
        select(OutboxEntry.id)
        .where(
            OutboxEntry.done_at.is_(None),
            OutboxEntry.attempts < MAX_ATTEMPTS,
            OutboxEntry.enqueued_at < now - lease,
            OutboxEntry.enqueued_at >= now - stale_after,
        )
        .order_by(OutboxEntry.id)
        .limit(500)
    ).all()
    if not ids:
        return []
    with redis.pipeline(transaction=False) as pipe:
        for entry_id in ids:
            pipe.hmget(Job.key_for(job_id(entry_id)), ["status", "started_at"])
            pipe.exists(lease_key(entry_id))
        replies = pipe.execute()
    lost, waiting = [], []
    for i, entry_id in enumerate(ids):
        (status, started_at), leased = replies[2 * i], replies[2 * i + 1]
        if status is None:
            lost.append(entry_id)  # Redis lost the job (restarted, flushed, evicted)
        elif status == b"started" and not leased and _older(started_at, now - lease):
            lost.append(entry_id)  # its worker died: nobody renews the lease
        elif status == b"queued":
            waiting.append(entry_id)
    if waiting:
        lost += _taken_never_started(redis, get_queue(redis, queue_name), waiting)
    return sorted(lost)


def _taken_never_started(redis: Redis, queue: Queue, entry_ids: list[int]) -> list[int]:
    """Of entries whose job is `queued`, those a worker took off the queue and never started:
    in RQ's intermediate queue on two relay runs in a row (a live single-queue worker moves a
    job on within milliseconds of taking it, so one sighting may be that moment). Their ids
    leave the intermediate queue, so the job sent again is not taken for stuck again, nor
    failed later by RQ's own clean-up of that queue."""
    taken = set(cast(list[bytes], redis.lrange(queue.intermediate_queue_key, 0, -1)))
    seen = [entry_id for entry_id in entry_ids if job_id(entry_id).encode() in taken]
    if not seen:
        return []
    with redis.pipeline(transaction=False) as pipe:
        for entry_id in seen:  # True: first sighting, kept for the next run or two
            pipe.set(f"{TAKEN_PREFIX}{entry_id}", 1, nx=True, ex=TAKEN_SEEN_FOR)
        first = pipe.execute()
    stuck = [entry_id for entry_id, new in zip(seen, first, strict=True) if not new]
    if stuck:
        with redis.pipeline(transaction=False) as pipe:
            for entry_id in stuck:
                pipe.lrem(queue.intermediate_queue_key, 0, job_id(entry_id))
                pipe.delete(f"{TAKEN_PREFIX}{entry_id}")
            pipe.execute()
    return stuck


def _older(stamp: bytes | None, limit: datetime) -> bool:
    if not stamp:
        return True
    try:
        started = datetime.fromisoformat(stamp.decode().replace("Z", "+00:00"))
    except ValueError:
        return True
    return (started if started.tzinfo else started.replace(tzinfo=UTC)) < limit


def relay(
    session: Session,
    *,
    redis: Redis,
    queue_name: str,
    now: datetime,
    stale_after: timedelta,
    lease: timedelta = timedelta(seconds=15),
) -> int:
    """Enqueue every pending or orphaned entry (run by the scheduler; not committed)."""
    total = 0
    ids = orphaned(
        session, redis=redis, queue_name=queue_name, now=now, lease=lease, stale_after=stale_after
    )
    if ids:
        log.warning("re-sending %d outbox entries whose job was lost", len(ids))
        total += enqueue(session, redis=redis, queue_name=queue_name, entry_ids=ids, now=now)
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

    def send(self, session: Session, entry_ids: Sequence[int]) -> int:
        """Enqueue new entries, committed as sent (`add`). When Redis cannot take them, flush
        them back to unsent for the relay (the caller commits) and return 0."""
        if not entry_ids or _push(self.redis, self.queue_name, entry_ids):
            return len(entry_ids)
        _mark(session, entry_ids, enqueued_at=None)
        return 0
