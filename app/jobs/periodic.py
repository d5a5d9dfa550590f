"""Periodic work: relay the outbox, recompute expired colours, prune the trust bundle."""

from __future__ import annotations

import logging
from datetime import timedelta

from app.jobs.runtime import job_container
from app.services import apply, keys, outbox, trust
from app.services.recompute import expired, recompute_people

log = logging.getLogger("healthcode.jobs")
MAX_ROUNDS = 20  # 5,000 people a round; bounded so one run cannot spin forever


def recompute_expired() -> int:
    """Recompute everyone whose stored colour reached its valid_until (RQ job)."""
    total = 0
    with job_container() as c:
        for _ in range(MAX_ROUNDS):
            with c.unit_of_work() as uow:  # one unit per round
                now = c.clock()
                people = expired(uow.session, now=now)
                if not people:
                    return total
                stats = recompute_people(uow.session, settings=c.settings, ids=people, now=now)
                total += stats.people
        return total  # more are due: the next run carries on


def maintain_trust() -> int:
    """Drop revocations and retired keys that no longer cover any valid code (RQ job)."""
    with job_container() as c, c.unit_of_work() as uow:
        now = c.clock()
        return trust.prune(uow.session, now=now) + keys.expire_retired(uow.session, now=now)


def relay_outbox() -> int:
    """Send pending and lost outbox entries to RQ (run by the scheduler, not as a job)."""
    with job_container() as c, c.unit_of_work() as uow:
        session = uow.session
        stale = timedelta(seconds=c.settings.outbox_stale_after)
        sent = outbox.relay(
            session,
            redis=c.redis,
            queue_name=c.settings.queue_name,
            now=c.clock(),
            stale_after=stale,
            lease=timedelta(seconds=c.settings.outbox_lease),
        )
        failed = apply.give_up_exhausted(session, now=c.clock(), stale_after=stale)
        if failed:
            log.error("%d outbox entries failed for good; see /v1/stats", failed)
        return sent
