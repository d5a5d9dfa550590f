"""The RQ job that carries out one outbox entry (ids in, effects committed with it)."""

from __future__ import annotations

import logging

from app.jobs.runtime import job_container
from app.services import apply

log = logging.getLogger("healthcode.jobs")


def process(entry_id: int) -> bool:
    """Apply outbox entry `entry_id`; running it twice changes nothing."""
    with job_container() as c, c.db.session() as session:
        try:
            return apply.process(session, c.settings, entry_id, c.clock())
        except Exception as exc:
            log.exception("outbox entry %s failed", entry_id)
            apply.record_failure(session, entry_id, f"{type(exc).__name__}: {exc}", c.clock())
            raise
