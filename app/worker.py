"""The RQ worker process: `flask --app wsgi worker` (JSON serializer, with scheduler)."""

from __future__ import annotations

import click
from flask import Flask
from rq import Worker
from rq.serializers import JSONSerializer

from app.extensions import container


def register_worker_cli(app: Flask) -> None:
    """Add the `worker` command."""

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
    def worker(burst: bool) -> None:
        """Run an RQ worker for the healthcode queue."""
        c = container()
        w = Worker(
            [c.settings.queue_name],
            connection=c.redis,
            serializer=JSONSerializer,
            name=None,
        )
        w.work(burst=burst, with_scheduler=True, logging_level=c.settings.log_level)
