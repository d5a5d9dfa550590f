"""`flask --app wsgi scheduler`: the outbox relay plus periodic jobs, as one small loop."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import click
from flask import Flask
from redis.exceptions import RedisError

from app.extensions import container
from app.jobs import get_queue
from app.jobs.periodic import relay_outbox

log = logging.getLogger("healthcode.scheduler")


@dataclass(frozen=True)
class Periodic:
    """A job enqueued every `every` seconds (one per period, even with several schedulers)."""

    func: str
    every_setting: str


PERIODIC = (
    Periodic("app.jobs.periodic.recompute_expired", "expiry_interval"),
    Periodic("app.jobs.periodic.maintain_trust", "expiry_interval"),
)


def tick(now_ts: float) -> None:
    """Relay the outbox and enqueue the periodic jobs that are due."""
    c = container()
    try:
        relayed = relay_outbox()
        if relayed:
            log.info("relayed %d outbox entries", relayed)
        queue = get_queue(c.redis, c.settings.queue_name)
        for job in PERIODIC:
            every = int(getattr(c.settings, job.every_setting))
            slot = int(now_ts // every)
            job_id = f"periodic-{job.func.rsplit('.', 1)[1]}-{slot}"
            if queue.fetch_job(job_id) is None:
                queue.enqueue(job.func, job_id=job_id, job_timeout=600, result_ttl=every * 4)
    except RedisError as exc:
        log.warning("redis unavailable, will retry: %s", exc)


def register_scheduler_cli(app: Flask) -> None:
    """Add the `scheduler` command."""

    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Run one tick and exit.")
    def scheduler(once: bool) -> None:
        """Relay the outbox and enqueue periodic jobs until stopped."""
        interval = container().settings.scheduler_interval
        while True:
            tick(time.time())
            if once:
                return
            time.sleep(interval)
