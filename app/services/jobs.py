"""Tracked jobs split into chunks by person-id range: full recomputes and dry-runs."""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import NotFound
from app.models import JobChunk, JobRecord, Person, Role
from app.security.access import Principal
from app.services import outbox, rulesets
from app.services.facts import PersonRange, people_with_facts, split_ranges
from app.services.recompute import recompute_range
from risk import Impact, impact

EXAMPLES = 5


def start(
    session: Session,
    kind: str,
    params: dict[str, Any],
    actor: Principal | None,
    now: datetime,
    chunk_people: int,
) -> tuple[JobRecord, list[int]]:
    """Create a job and one outbox entry per chunk (not committed); returns the entry ids."""
    people = int(session.scalar(select(func.count()).select_from(Person)) or 0)
    chunks = max(1, math.ceil(people / chunk_people))
    job = JobRecord(
        id=uuid.uuid4(),
        kind=kind,
        params=params,
        status="queued",
        total=people,
        chunks=chunks,
        created_at=now,
        created_by=actor.id if actor and actor.kind == "account" else None,
    )
    session.add(job)
    entries = []
    for number, part in enumerate(split_ranges(chunks)):
        payload = {
            "job_id": str(job.id),
            "chunk": number,
            "low": str(part.low),
            "high": str(part.high) if part.high else None,
        }
        entries.append(outbox.add(session, "job_chunk", payload, now))
    session.flush()
    return job, [e.id for e in entries]


def _impact_json(result: Impact) -> dict[str, Any]:
    return {
        "before": dict(result.before_counts),
        "after": dict(result.after_counts),
        "transitions": dict(result.transitions),
        "examples": {k: [str(x) for x in v] for k, v in result.examples.items()},
    }


def _merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"before": {}, "after": {}, "transitions": {}, "examples": {}}
    for part in results:
        for key in ("before", "after", "transitions"):
            for name, count in part[key].items():
                merged[key][name] = merged[key].get(name, 0) + count
        for name, ids in part["examples"].items():
            merged["examples"][name] = (merged["examples"].get(name, []) + ids)[:EXAMPLES]
    return merged


def run_chunk(session: Session, settings: Settings, payload: dict[str, Any], now: datetime) -> None:
    """Do one chunk exactly once (its JobChunk row commits with its effects; not committed)."""
    job_id, number = uuid.UUID(payload["job_id"]), int(payload["chunk"])
    job = session.get(JobRecord, job_id)
    if job is None or session.get(JobChunk, (job_id, number)) is not None:
        return
    part = PersonRange(
        uuid.UUID(payload["low"]), uuid.UUID(payload["high"]) if payload["high"] else None
    )
    if job.status == "queued":
        session.execute(
            update(JobRecord)
            .where(JobRecord.id == job_id, JobRecord.status == "queued")
            .values(status="running")
        )
    result: dict[str, Any] | None = None
    if job.kind == "dry_run":
        old = rulesets.compiled(rulesets.active_record(session))
        new = rulesets.compiled(rulesets.get(session, int(job.params["version"])))
        result = _impact_json(_dry_run(session, old, new, part, now))
        count = sum(result["before"].values())
    else:
        count = recompute_range(session, settings, part, now).people
    session.add(JobChunk(job_id=job_id, chunk=number, people=count, result=result, done_at=now))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return
    session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id)
        .values(done=JobRecord.done + count, chunks_done=JobRecord.chunks_done + 1)
    )
    session.flush()
    session.refresh(job)
    if job.chunks_done >= job.chunks:
        _finish(session, job, now)


def _dry_run(session: Session, old: Any, new: Any, part: PersonRange, now: datetime) -> Impact:
    return impact(old, new, people_with_facts(session, part.clause), now, EXAMPLES)


def _finish(session: Session, job: JobRecord, now: datetime) -> None:
    chunks = session.scalars(select(JobChunk).where(JobChunk.job_id == job.id)).all()
    if job.kind == "dry_run":
        job.result = _merge([c.result for c in chunks if c.result])
    else:
        job.result = {"people": sum(c.people for c in chunks)}
    job.status = "finished"
    job.finished_at = now


def get_job(session: Session, actor: Principal, job_id: uuid.UUID) -> JobRecord:
    """A job its creator or an admin may see."""
    job = session.get(JobRecord, job_id)
    if job is None or (actor.role != Role.ADMIN and job.created_by != actor.id):
        raise NotFound("No such job.")
    return job


def fail(session: Session, job_id: uuid.UUID, error: str, now: datetime) -> None:
    """Mark a job failed (after its chunk exhausted retries); not committed."""
    session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id)
        .values(status="failed", error=error[:500], finished_at=now)
    )
