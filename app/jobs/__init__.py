"""RQ jobs: module-level functions taking ids; queues use the JSON serializer."""

from __future__ import annotations

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer


def get_queue(redis: Redis, name: str = "healthcode") -> Queue:
    """The job queue on an explicit connection, JSON-serialized (never pickle)."""
    return Queue(name, connection=redis, serializer=JSONSerializer)
