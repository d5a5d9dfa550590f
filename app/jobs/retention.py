"""Retention of feed records and check-ins (RQ job, hourly from the scheduler): partitions
ahead, expired ones purged."""

from __future__ import annotations

from app.jobs.runtime import job_container
from app.services import retention


def purge_expired() -> dict[str, int]:
    """Create the coming weeks' partitions and purge expired rows (feed records, check-ins),
    one table at a time.

    Each step is its own transaction, so a table's ACCESS EXCLUSIVE lock (creating or dropping
    a partition) is held only for that step. Returns the rows purged per table.
    """
    purged = {}
    with job_container() as c:
        for table in retention.EXPIRING:
            with c.unit_of_work() as uow:
                retention.create_ahead(uow.session, model=table.model, now=c.clock())
            with c.unit_of_work() as uow:
                result = retention.purge(
                    uow.session,
                    model=table.model,
                    retention=table.retention(c.settings),
                    now=c.clock(),
                )
            purged[result.table] = result.rows
    return purged
