"""`flask --app wsgi scheduler`: the outbox relay plus periodic jobs, as one small loop."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import click
from flask import Flask
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from app import heartbeat
from app.config import Settings
from app.extensions import container
from app.jobs import get_queue
from app.jobs.periodic import relay_outbox

log = logging.getLogger("healthcode.scheduler")


@dataclass(frozen=True)
class Periodic:
    """A job enqueued once per period (even with several schedulers): every `every_setting`
    seconds (a setting's name), or every `every` seconds."""

    func: str
    every_setting: str = ""
    every: int = 0

    def period(self, settings: Settings) -> int:
        """The period in seconds."""
        return int(getattr(settings, self.every_setting)) if self.every_setting else self.every


PERIODIC = (
    Periodic("app.jobs.periodic.recompute_expired", "expiry_interval"),
    Periodic("app.jobs.periodic.maintain_trust", "expiry_interval"),
    Periodic("app.jobs.retention.purge_expired", every=3600),
)


def tick(now_ts: float) -> bool:
    """Relay the outbox and enqueue the periodic jobs that are due.

    An outage of the database or Redis is logged and the tick skipped: the loop carries on
    and resumes by itself when the service is back. Returns whether the tick went through.
    """
    c = container()
    try:
        relayed = relay_outbox()
        if relayed:
            log.info("relayed %d outbox entries", relayed)
        queue = get_queue(c.redis, c.settings.queue_name)
        for job in PERIODIC:
            every = job.period(c.settings)
            slot = int(now_ts // every)
            job_id = f"periodic-{job.func.rsplit('.', 1)[1]}-{slot}"
            if queue.fetch_job(job_id) is None:
                queue.enqueue(job.func, job_id=job_id, job_timeout=600, result_ttl=every * 4)
    except RedisError as exc:
        log.warning("redis unavailable, will retry: %s", type(exc).__name__)
        return False
    except SQLAlchemyError as exc:
        log.warning("database unavailable, will retry: %s", type(exc).__name__)
        return False
    except Exception:  # a bug must not stop the relay and the periodic jobs for good
        log.exception("scheduler tick failed")
        return False
    return True


def register_scheduler_cli(app: Flask) -> None:
    """Add the `scheduler` command."""

    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Run one tick and exit.")
    def scheduler(once: bool) -> None:
        """Relay the outbox and enqueue periodic jobs until stopped."""
        settings = container().settings
        while True:
            ok = tick(time.time())
            heartbeat.beat(settings.heartbeat_dir, "scheduler", ok=ok)
            if once:
                return
            time.sleep(settings.scheduler_interval)
