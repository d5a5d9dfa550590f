"""Tracked jobs split into chunks by person-id range: full recomputes and dry-runs."""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.errors import NotFound
from app.models import JobChunk, JobRecord, Person, Role
from app.principal import Principal
from app.services import audit, columnar, outbox, rulesets
from app.services.facts import PersonRange, people_with_facts, split_ranges
from app.services.recompute import COLUMNAR, PER_PERSON, recompute_range
from app.states import JobKind, JobStatus
from risk import Impact, impact
from risk.errors import ColumnarUnsupported
from risk.impact import impact_of_groups

EXAMPLES = 5


def start(
    session: Session,
    *,
    kind: JobKind,
    params: dict[str, Any],
    actor: Principal | None,
    now: datetime,
    chunk_people: int,
) -> JobRecord:
    """Create a job and one outbox entry per chunk (sent once the unit of work commits)."""
    people = int(session.scalar(select(func.count()).select_from(Person)) or 0)
    chunks = max(1, math.ceil(people / chunk_people))
    job = JobRecord(
        id=uuid.uuid4(),
        kind=kind,
        params=params,
        status=JobStatus.QUEUED,
        total=people,
        chunks=chunks,
        created_at=now,
        created_by=actor.account_id if actor else None,
    )
    session.add(job)
    for number, part in enumerate(split_ranges(chunks)):
        payload = {
            "job_id": str(job.id),
            "chunk": number,
            "low": str(part.low),
            "high": str(part.high) if part.high else None,
        }
        outbox.add(session, topic=outbox.Topic.JOB_CHUNK, payload=payload, now=now)
    return job


def start_dry_run(
    session: Session, *, actor: Principal, version: int, now: datetime, chunk_people: int
) -> JobRecord:
    """Start a job computing a draft's impact on everyone, changing nothing."""
    rulesets.get(session, version=version)
    rulesets.active_record(session)
    job = start(
        session,
        kind=JobKind.DRY_RUN,
        params={"version": version},
        actor=actor,
        now=now,
        chunk_people=chunk_people,
    )
    audit.record(
        session,
        actor=actor,
        action="ruleset.dry_run",
        target_type="ruleset",
        target_id=str(version),
        job_id=str(job.id),
    )
    return job


def start_publish(
    session: Session, *, actor: Principal, version: int, now: datetime, chunk_people: int
) -> JobRecord:
    """Activate a rule set and start recomputing everyone with it."""
    rulesets.activate(session, version=version, actor=actor, now=now)
    return start(
        session,
        kind=JobKind.PUBLISH,
        params={"version": version},
        actor=actor,
        now=now,
        chunk_people=chunk_people,
    )


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


def mark_running(session: Session, *, job_id: uuid.UUID) -> None:
    """Show that a job's work has begun (its own small unit, before the chunk's)."""
    session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id, JobRecord.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING)
    )


def run_chunk(
    session: Session, *, settings: Settings, payload: dict[str, Any], now: datetime
) -> None:
    """Do one chunk exactly once (its JobChunk row commits with its effects)."""
    job_id, number = uuid.UUID(payload["job_id"]), int(payload["chunk"])
    job = session.get(JobRecord, job_id)
    if job is None or session.get(JobChunk, (job_id, number)) is not None:
        return
    part = PersonRange(
        uuid.UUID(payload["low"]), uuid.UUID(payload["high"]) if payload["high"] else None
    )
    try:
        # the job row is updated only once the chunk is done: a lock held on it during the
        # chunk would make every other worker's chunk wait for this one
        with session.begin_nested():  # the chunk's effects and its JobChunk row, or nothing
            result: dict[str, Any] | None = None
            if job.kind == JobKind.DRY_RUN:
                old = rulesets.compiled(rulesets.active_record(session))
                new = rulesets.compiled(rulesets.get(session, version=int(job.params["version"])))
                found, evaluator = _dry_run(session, old=old, new=new, part=part, now=now)
                result = {**_impact_json(found), "evaluator": evaluator}
                count = sum(result["before"].values())
            else:
                stats = recompute_range(session, settings=settings, person_range=part, now=now)
                count, result = stats.people, {"evaluator": stats.evaluator}
            session.add(
                JobChunk(job_id=job_id, chunk=number, people=count, result=result, done_at=now)
            )
            session.flush()
    except IntegrityError:  # another delivery did this chunk meanwhile
        return
    session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id)
        .values(
            done=JobRecord.done + count,
            chunks_done=JobRecord.chunks_done + 1,
            status=case(
                (JobRecord.status == JobStatus.QUEUED, JobStatus.RUNNING.value),
                else_=JobRecord.status,
            ),
        )
    )
    session.flush()
    session.refresh(job)
    if job.chunks_done >= job.chunks:
        _finish(session, job=job, now=now)


def _dry_run(
    session: Session, *, old: Any, new: Any, part: PersonRange, now: datetime
) -> tuple[Impact, str]:
    """The chunk's impact: columnar colours of both rule sets, else the per-person engine."""
    try:
        with session.begin_nested():
            columnar.load_inputs(session, where=part.clause)
            groups = columnar.colour_changes(
                session, old=old.ruleset, new=new.ruleset, now=now, examples=EXAMPLES
            )
        return impact_of_groups(groups, EXAMPLES), COLUMNAR
    except ColumnarUnsupported as exc:
        people = people_with_facts(session, where=part.clause)
        return impact(old, new, people, now, EXAMPLES), f"{PER_PERSON} ({exc})"


def _finish(session: Session, *, job: JobRecord, now: datetime) -> None:
    chunks = session.scalars(select(JobChunk).where(JobChunk.job_id == job.id)).all()
    evaluators = sorted({(c.result or {}).get("evaluator") or PER_PERSON for c in chunks})
    if job.kind == JobKind.DRY_RUN:
        job.result = _merge([c.result for c in chunks if c.result])
    else:
        job.result = {"people": sum(c.people for c in chunks)}
    job.result["evaluator"] = evaluators[0] if len(evaluators) == 1 else evaluators
    job.status = JobStatus.FINISHED
    job.finished_at = now


def get_job(session: Session, *, actor: Principal, job_id: uuid.UUID) -> JobRecord:
    """A job its creator or an admin may see."""
    job = session.get(JobRecord, job_id)
    if job is None or (actor.role != Role.ADMIN and job.created_by != actor.id):
        raise NotFound("No such job.")
    return job


def fail(session: Session, *, job_id: uuid.UUID, error: str, now: datetime) -> None:
    """Mark a job failed (after its chunk exhausted retries); not committed."""
    session.execute(
        update(JobRecord)
        .where(JobRecord.id == job_id)
        .values(status=JobStatus.FAILED, error=error[:500], finished_at=now)
    )
