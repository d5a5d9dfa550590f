"""The RQ worker process: `flask --app wsgi worker` (JSON serializer, with scheduler)."""

from __future__ import annotations

import os

import click
from flask import Flask
from rq import Worker
from rq.serializers import JSONSerializer

from app.extensions import container
from app.jobs.runtime import dispose_after_fork


def register_worker_cli(app: Flask) -> None:
    """Add the `worker` command."""

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
    def worker(burst: bool) -> None:
        """Run an RQ worker for the healthcode queue."""
        c = container()
        os.register_at_fork(after_in_child=lambda: dispose_after_fork(c))
        w = Worker(
            [c.settings.queue_name],
            connection=c.redis,
            serializer=JSONSerializer,
            name=None,
        )
        w.work(burst=burst, with_scheduler=True, logging_level=c.settings.log_level)
