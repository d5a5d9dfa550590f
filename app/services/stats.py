"""Operational figures for officials: colours, queue depth, failures, recompute lag."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.jobs import get_queue
from app.models import FeedBatch, JobRecord, OutboxEntry, Person, PersonStatus
from app.states import BatchStatus, JobStatus
from risk import COLORS, Color


def stats(session: Session, *, redis: Redis, queue_name: str, now: datetime) -> dict[str, Any]:
    """People per colour (no status row counts as green), queue and lag figures."""
    colors: dict[str, int] = dict.fromkeys(COLORS, 0)
    for color, count in session.execute(
        select(PersonStatus.color, func.count()).group_by(PersonStatus.color)
    ):
        colors[color] = count
    people = int(session.scalar(select(func.count()).select_from(Person)) or 0)
    colors[Color.GREEN] += people - sum(colors.values())
    overdue = session.scalar(
        select(func.min(PersonStatus.valid_until)).where(PersonStatus.valid_until <= now)
    )
    oldest_pending = session.scalar(
        select(func.min(OutboxEntry.created_at)).where(OutboxEntry.done_at.is_(None))
    )
    lags = [(now - t).total_seconds() for t in (overdue, oldest_pending) if t is not None]
    queue: dict[str, Any] = {"reachable": True}
    try:
        q = get_queue(redis, queue_name)
        queue.update(depth=q.count, failed=FailedJobRegistry(queue=q).count)
    except RedisError:
        queue = {"reachable": False, "depth": None, "failed": None}
    return {
        "people": people,
        "colors": colors,
        "queue": queue,
        "outbox_pending": session.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.done_at.is_(None))
        ),
        "failed_batches": session.scalar(
            select(func.count())
            .select_from(FeedBatch)
            .where(FeedBatch.status == BatchStatus.FAILED)
        ),
        "failed_jobs": session.scalar(
            select(func.count()).select_from(JobRecord).where(JobRecord.status == JobStatus.FAILED)
        ),
        "recompute_lag_seconds": round(max(lags), 3) if lags else 0.0,
    }
