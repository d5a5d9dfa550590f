"""A lease a running job holds in Redis and renews from a thread while it works.

When the process dies (kill -9, a lost machine) nobody renews it, it lapses after `ttl`
seconds, and the scheduler's relay sends the work again (`app.services.outbox.orphaned`).
The lease only says "someone is working on it"; exactly-once comes from the database.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger("healthcode.jobs")


@contextmanager
def held(redis: Redis, key: str, *, ttl: int) -> Iterator[None]:
    """Hold `key` for the duration of the block, renewed every ttl/3 seconds."""
    stop = threading.Event()

    def renew() -> bool:
        try:
            redis.set(key, "1", ex=ttl)
            return True
        except RedisError:
            log.warning("could not renew the lease %s", key)
            return False

    def keep() -> None:
        while not stop.wait(max(ttl / 3, 0.5)):
            renew()

    renew()
    thread = threading.Thread(target=keep, name="lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        with contextlib.suppress(RedisError):  # else it lapses by itself
            redis.delete(key)
