"""The RQ job that carries out one outbox entry (ids in, effects committed with it)."""

from __future__ import annotations

import logging

from app.jobs import lease
from app.jobs.runtime import job_container
from app.services import apply
from app.services.outbox import lease_key

log = logging.getLogger("healthcode.jobs")


def process(entry_id: int) -> bool:
    """Apply outbox entry `entry_id`; running it twice changes nothing.

    The job holds a lease on the entry while it runs: if the worker dies, the lease lapses
    and the scheduler sends the entry again within seconds (see app.jobs.lease).
    """
    with (
        job_container() as c,
        lease.held(c.redis, lease_key(entry_id), ttl=c.settings.outbox_lease),
    ):
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
