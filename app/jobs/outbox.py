"""The RQ job that carries out one outbox entry (ids in, effects committed with it)."""

from __future__ import annotations

import logging

from app.jobs.runtime import job_container
from app.services import apply

log = logging.getLogger("healthcode.jobs")


def process(entry_id: int) -> bool:
    """Apply outbox entry `entry_id`; running it twice changes nothing."""
    with job_container() as c:
        with c.unit_of_work() as uow:
            apply.start(uow.session, entry_id=entry_id)
        try:
            with c.unit_of_work() as uow:
                return apply.process(
                    uow.session, settings=c.settings, entry_id=entry_id, now=c.clock()
                )
        except Exception as exc:
            log.exception("outbox entry %s failed", entry_id)
            with c.unit_of_work() as uow:
                error = f"{type(exc).__name__}: {exc}"
                apply.record_failure(uow.session, entry_id=entry_id, error=error, now=c.clock())
            raise
