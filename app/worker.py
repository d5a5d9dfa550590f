"""The RQ worker process: `flask --app wsgi worker` (JSON serializer, with scheduler).

RQ's own loop quits on a Redis timeout or any unexpected error; this command starts a new
RQ worker after a pause instead, so the process survives an outage of Redis or the database
and resumes by itself. Only SIGTERM/SIGINT (or --burst) end it.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from types import FrameType
from typing import Any

import click
from flask import Flask
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from app import heartbeat
from app.extensions import container
from app.jobs.runtime import dispose_after_fork

log = logging.getLogger("healthcode.worker")
WORKER_TTL = 40  # RQ heartbeats at least every 25 s while idle ...
MONITOR_INTERVAL = 10  # ... and every 10 s while a job runs
RESTART_PAUSES = (1, 2, 5, 10)
BEAT_EVERY = 5.0  # seconds between heartbeat-file writes: RQ heartbeats several times a job


class HealthcodeWorker(SimpleWorker):
    """An RQ worker that also writes the heartbeat file, and remembers a stop request.

    Jobs run in the worker process itself, not in a work-horse forked per job: a fork and a
    new database connection cost more than a small job (one new test result) itself. A job
    that dies takes the worker with it; its lease lapses and the scheduler sends it again.
    """

    heartbeat_dir = ""
    stopping = False
    beaten = -BEAT_EVERY  # time.monotonic() of this worker's last heartbeat-file write

    def heartbeat(self, *args: Any, **kwargs: Any) -> Any:
        """RQ's heartbeat (it reaches Redis), then ours (the file a health check reads), at
        most every BEAT_EVERY seconds: a file write for each of RQ's beats slowed every job."""
        result = super().heartbeat(*args, **kwargs)
        now = time.monotonic()
        if now - self.beaten >= BEAT_EVERY:
            heartbeat.beat(self.heartbeat_dir, "worker", name=self.name)
            self.beaten = now
        return result

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """Warm shutdown (SIGTERM/SIGINT): finish the current job, then exit for good."""
        HealthcodeWorker.stopping = True
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]


def register_worker_cli(app: Flask) -> None:
    """Add the `worker` command."""

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
    def worker(burst: bool) -> None:
        """Run an RQ worker for the healthcode queue, restarted after an outage."""
        c = container()
        os.register_at_fork(after_in_child=lambda: dispose_after_fork(c))
        HealthcodeWorker.heartbeat_dir = c.settings.heartbeat_dir
        failures = 0
        while not HealthcodeWorker.stopping:
            try:
                w = HealthcodeWorker(
                    [c.settings.queue_name],
                    connection=c.redis,
                    serializer=JSONSerializer,
                    worker_ttl=WORKER_TTL,
                    job_monitoring_interval=MONITOR_INTERVAL,
                )
                w.work(burst=burst, with_scheduler=True, logging_level=c.settings.log_level)
                failures = 0
            except Exception as exc:
                log.warning("worker loop failed: %s", type(exc).__name__)
                failures += 1
            if burst or HealthcodeWorker.stopping:
                return
            pause = RESTART_PAUSES[min(failures, len(RESTART_PAUSES) - 1)]
            log.warning("RQ worker stopped unexpectedly; starting a new one in %d s", pause)
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, _stop_between_runs)
            deadline = time.monotonic() + pause
            while time.monotonic() < deadline and not HealthcodeWorker.stopping:
                time.sleep(0.1)


def _stop_between_runs(_signum: int, _frame: FrameType | None) -> None:
    HealthcodeWorker.stopping = True
