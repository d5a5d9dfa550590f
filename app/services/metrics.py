"""Operational state for Prometheus, read from the database and Redis at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from redis import Redis
from redis.exceptions import RedisError
from rq.registry import (
    DeferredJobRegistry,
    FailedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.jobs import get_queue
from app.models import FeedBatch, OutboxEntry, PersonStatus
from app.states import BatchStatus

REGISTRIES = {
    "started": StartedJobRegistry,
    "scheduled": ScheduledJobRegistry,
    "deferred": DeferredJobRegistry,
    "failed": FailedJobRegistry,
}


class StateCollector(Collector):
    """Gauges and totals computed from shared state, so every process reports the same."""

    def __init__(
        self,
        sessions: Callable[[], AbstractContextManager[Session]],
        *,
        redis: Redis,
        queue_names: tuple[str, ...],
        now: datetime,
    ) -> None:
        self.sessions = sessions
        self.redis = redis
        self.queue_names = queue_names
        self.now = now

    def collect(self) -> Iterator[Metric]:
        """Yield every state series; `healthcode_up{dependency}` says what could be read."""
        up = GaugeMetricFamily(
            "healthcode_dependency_up",
            "1 when the dependency answered this scrape.",
            None,
            ["dependency"],
        )
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except SQLAlchemyError:
            up.add_metric(["database"], 0)
        try:
            yield from self._queues()
            up.add_metric(["redis"], 1)
        except RedisError:
            up.add_metric(["redis"], 0)
        yield up

    def _database(self) -> Iterator[Metric]:
        with self.sessions() as session:
            oldest = session.scalar(
                select(func.min(OutboxEntry.created_at)).where(OutboxEntry.done_at.is_(None))
            )
            overdue = session.scalar(
                select(func.min(PersonStatus.valid_until)).where(
                    PersonStatus.valid_until <= self.now
                )
            )
            batches = dict(
                session.execute(
                    select(FeedBatch.status, func.count()).group_by(FeedBatch.status)
                ).all()
            )
            accepted = dict(
                session.execute(
                    select(FeedBatch.kind, func.coalesce(func.sum(FeedBatch.accepted), 0)).group_by(
                        FeedBatch.kind
                    )
                ).all()
            )
            applied = dict(
                session.execute(
                    select(FeedBatch.kind, func.coalesce(func.sum(FeedBatch.accepted), 0))
                    .where(FeedBatch.status == BatchStatus.APPLIED)
                    .group_by(FeedBatch.kind)
                ).all()
            )
        age = GaugeMetricFamily(
            "healthcode_outbox_oldest_unsent_age_seconds",
            "Age of the oldest outbox entry not yet done (0 when none).",
        )
        age.add_metric([], (self.now - oldest).total_seconds() if oldest else 0.0)
        yield age
        lag = GaugeMetricFamily(
            "healthcode_recompute_lag_seconds",
            "How long the most overdue colour has waited for its expiry recompute (0 if none).",
        )
        lag.add_metric([], (self.now - overdue).total_seconds() if overdue else 0.0)
        yield lag
        by_status = GaugeMetricFamily(
            "healthcode_feed_batches", "Feed batches by status.", labels=["status"]
        )
        for status in BatchStatus:
            by_status.add_metric([status.value], batches.get(status.value, 0))
        yield by_status
        for name, help_text, sums in (
            ("healthcode_feed_records_accepted", "Feed records accepted, by kind.", accepted),
            ("healthcode_feed_records_applied", "Feed records applied, by kind.", applied),
        ):
            family = CounterMetricFamily(name, help_text, labels=["kind"])
            for kind, total in sorted(sums.items()):
                family.add_metric([kind], float(total))
            yield family

    def _queues(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "healthcode_queue_jobs", "RQ jobs per queue and state.", labels=["queue", "state"]
        )
        for name in self.queue_names:
            queue = get_queue(self.redis, name)
            depth.add_metric([name, "queued"], queue.count)
            for state, registry in REGISTRIES.items():
                depth.add_metric([name, state], registry(queue=queue).count)
        yield depth
