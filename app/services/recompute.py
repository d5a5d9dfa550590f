"""Recomputing people's colours with the active rule set, storing only what changed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app import live_cache
from app.config import Settings
from app.models import Person, PersonStatus, StatusChange
from app.services import columnar, exposures, rulesets, trust
from app.services.facts import PersonRange, people_with_facts, person_ids
from app.services.upsert import copy_update, copy_upsert
from risk import COLORS, Assessment, Color, CompiledRuleSet, Reason, assess, severity
from risk.errors import ColumnarUnsupported

Where = Callable[[Any], Any]
IN_CHUNK = 1000
FEW = 50  # up to this many people, a targeted recompute uses the per-person engine
COLUMNAR = "columnar"
PER_PERSON = "per-person"


@dataclass
class RecomputeStats:
    """What a recompute did."""

    people: int = 0
    changed: int = 0
    worsened: int = 0
    evaluator: str = ""

    def add(self, other: RecomputeStats) -> None:
        """Accumulate another chunk's counts."""
        self.people += other.people
        self.changed += other.changed
        self.worsened += other.worsened
        self.evaluator = other.evaluator or self.evaluator


def reason_json(reason: Reason) -> dict[str, Any]:
    """A reason as stored and served (both languages kept)."""
    return {
        "rule_id": reason.rule_id,
        "color": reason.color,
        "record_id": reason.record_id,
        "record_kind": reason.record_kind,
        "text": dict(reason.text),
        "how_to_clear": dict(reason.how_to_clear),
        "since": reason.since.isoformat() if reason.since else None,
        "until": reason.until.isoformat() if reason.until else None,
    }


def _apply(
    session: Session,
    *,
    settings: Settings,
    version: int,
    results: dict[uuid.UUID, Assessment],
    now: datetime,
) -> RecomputeStats:
    stats = RecomputeStats(people=len(results))
    if not results:
        return stats
    existing: dict[uuid.UUID, tuple[str, datetime | None, int, list[Any]]] = {}
    ids = list(results)
    for start in range(0, len(ids), IN_CHUNK):
        part = ids[start : start + IN_CHUNK]
        for pid, color, until, ver, reasons in session.execute(
            select(
                PersonStatus.person_id,
                PersonStatus.color,
                PersonStatus.valid_until,
                PersonStatus.ruleset_version,
                PersonStatus.reasons,
            ).where(PersonStatus.person_id.in_(part))
        ):
            existing[pid] = (color, until, ver, reasons)
    rows: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    worsened: list[uuid.UUID] = []
    cases: list[exposures.Case] = []
    for pid, result in results.items():
        reasons = [reason_json(r) for r in result.reasons]
        old = existing.get(pid)
        if old is not None and old == (result.color, result.valid_until, version, reasons):
            continue
        cases.extend(exposures.new_cases(pid, reasons, old[3] if old is not None else []))
        old_color = old[0] if old is not None else Color.GREEN
        since_changed = old is None or old_color != result.color
        rows.append(
            {
                "person_id": pid,
                "color": result.color,
                "valid_until": result.valid_until,
                "ruleset_version": version,
                "reasons": reasons,
                "computed_at": now,
                **({"since": now} if since_changed else {}),
            }
        )
        if old_color != result.color:
            changes.append(
                {
                    "id": uuid.uuid4(),
                    "person_id": pid,
                    "at": now,
                    "from_color": old_color,
                    "to_color": result.color,
                    "ruleset_version": version,
                    "reasons": reasons,
                }
            )
            if severity(result.color) > severity(old_color):
                worsened.append(pid)
    with_since = [r for r in rows if "since" in r]
    without = [r for r in rows if "since" not in r]
    cols = ["color", "valid_until", "ruleset_version", "reasons", "computed_at"]
    if with_since:
        copy_upsert(
            session,
            model=PersonStatus,
            rows=with_since,
            keys=["person_id"],
            update=[*cols, "since"],
        )
    if without:  # existing rows keeping their `since`
        copy_update(session, model=PersonStatus, rows=without, keys=["person_id"], update=cols)
    live_cache.stale(session, (live_cache.person(row["person_id"]) for row in rows))
    if changes:
        session.connection().execute(insert(StatusChange), changes)
    trust.revoke_people(
        session, settings=settings, person_ids=worsened, reason="color_worsened", now=now
    )
    exposures.note_cases(session, cases=cases, now=now)
    stats.changed, stats.worsened = len(rows), len(worsened)
    return stats


def assess_people(
    session: Session, *, compiled: CompiledRuleSet, where: Where, now: datetime, lock: bool
) -> dict[uuid.UUID, Assessment]:
    """Assess every selected person (people with no records get the empty facts)."""
    people = people_with_facts(session, where=where, lock=lock)
    return {pid: assess(compiled, facts, now) for pid, facts in people}


def _minimum_rank(compiled: CompiledRuleSet) -> int:
    """Below this severity no rule has fired (so the person has no reasons)."""
    return min((rule.severity for rule in compiled.rules), default=len(COLORS))


def columnar_assess(
    session: Session,
    *,
    compiled: CompiledRuleSet,
    where: Where,
    now: datetime,
    explain_all: bool,
) -> tuple[int, dict[uuid.UUID, Assessment]]:
    """The number of people selected, and the assessments to store: colours and valid_until
    from the columnar query; reasons from the per-person engine only where needed.

    Without ``explain_all`` (a full recompute) only the people whose colour or valid_until
    changed come back from the database; only they are locked, explained and written, and the
    others keep their row, reasons and rule-set version. With it (new records), everyone
    selected is locked first and every non-green person is explained again. Raises
    ColumnarUnsupported for the caller to fall back.
    """
    if explain_all:
        people = len(person_ids(session, where=where, lock=True))
        columnar.load_inputs(session, where=where)
        found = columnar.evaluate(session, ruleset=compiled.ruleset, now=now)
    else:
        people = columnar.load_inputs(session, where=where)
        changed = columnar.changed(session, ruleset=compiled.ruleset, now=now)
        found = _not_rewritten(session, found=changed, where=where)
    return people, _explain(session, compiled=compiled, found=found, now=now)


def _not_rewritten(
    session: Session, *, found: dict[uuid.UUID, columnar.Result], where: Where
) -> dict[uuid.UUID, columnar.Result]:
    """Lock the people about to be written (PostgreSQL), and leave out anyone whose stored
    status another transaction rewrote since the columnar read: it used newer records, so
    writing over it would step back. Locking only these (not a whole chunk) keeps a full
    recompute from writing a lock into every person's row; when they are many (a first
    publish), one read of the whole selection locks them faster than lists of ids."""
    ids = sorted(found)
    if len(ids) > IN_CHUNK:
        selections = [where]
    else:
        selections = [_in(ids[start : start + IN_CHUNK]) for start in range(0, len(ids), IN_CHUNK)]
    lock = session.get_bind().dialect.name == "postgresql"
    stored: dict[uuid.UUID, datetime | None] = {}
    for selected in selections:
        query = (
            select(Person.id, PersonStatus.computed_at)
            .outerjoin(PersonStatus, PersonStatus.person_id == Person.id)
            .where(selected(Person.id))
            .order_by(Person.id)
        )
        if lock:
            query = query.with_for_update(of=Person)
        stored.update((pid, at) for pid, at in session.execute(query))
    return {
        pid: got for pid, got in found.items() if pid in stored and stored[pid] == got.stored_at
    }


def _explain(
    session: Session,
    *,
    compiled: CompiledRuleSet,
    found: dict[uuid.UUID, columnar.Result],
    now: datetime,
) -> dict[uuid.UUID, Assessment]:
    """Assessments from columnar results: people below every rule's colour need no reasons;
    the others are assessed by the per-person engine (the reference)."""
    floor = _minimum_rank(compiled)
    results: dict[uuid.UUID, Assessment] = {}
    wanted: list[uuid.UUID] = []
    for pid, got in found.items():
        if severity(got.color) < floor:
            results[pid] = Assessment(got.color, [], got.valid_until, compiled.version)
        else:
            wanted.append(pid)
    wanted.sort()
    for start in range(0, len(wanted), IN_CHUNK):
        part = wanted[start : start + IN_CHUNK]
        for pid, facts in people_with_facts(session, where=_in(part)):
            results[pid] = assess(compiled, facts, now)
    return results


def recompute_where(
    session: Session, *, settings: Settings, where: Where, now: datetime, explain_all: bool = True
) -> RecomputeStats:
    """Recompute the selected people with the active rule set (not committed).

    The columnar evaluator gives everyone's colour; a rule set it cannot compile falls back to
    the per-person engine (``stats.evaluator`` says which ran). A handful of people with new
    records (``explain_all``: each is explained anyway) go straight to the per-person engine:
    the columnar query's fixed cost (input tables, statistics) is for chunks.
    """
    record = rulesets.active_record(session)
    compiled = rulesets.compiled(record)
    if explain_all and len(person_ids(session, where=where, lock=True)) <= FEW:
        results = assess_people(session, compiled=compiled, where=where, now=now, lock=False)
        stats = _apply(session, settings=settings, version=record.version, results=results, now=now)
        stats.evaluator = f"{PER_PERSON} (few people)"
        return stats
    try:
        with session.begin_nested():
            people, results = columnar_assess(
                session, compiled=compiled, where=where, now=now, explain_all=explain_all
            )
        evaluator = COLUMNAR
    except ColumnarUnsupported as exc:
        results = assess_people(session, compiled=compiled, where=where, now=now, lock=True)
        people, evaluator = len(results), f"{PER_PERSON} ({exc})"
    stats = _apply(session, settings=settings, version=record.version, results=results, now=now)
    stats.people, stats.evaluator = people, evaluator
    return stats


def recompute_people(
    session: Session, *, settings: Settings, ids: Sequence[uuid.UUID], now: datetime
) -> RecomputeStats:
    """Recompute a list of people, in chunks (not committed)."""
    stats = RecomputeStats()
    unique = sorted(set(ids))
    for start in range(0, len(unique), IN_CHUNK):
        part = unique[start : start + IN_CHUNK]
        stats.add(recompute_where(session, settings=settings, where=_in(part), now=now))
    return stats


def _in(ids: Sequence[uuid.UUID]) -> Where:
    return lambda column: column.in_(ids)


def recompute_range(
    session: Session, *, settings: Settings, person_range: PersonRange, now: datetime
) -> RecomputeStats:
    """Recompute everyone in an id range (not committed); reasons only where something changed."""
    return recompute_where(
        session, settings=settings, where=person_range.clause, now=now, explain_all=False
    )


def expired(session: Session, *, now: datetime, limit: int = 5000) -> list[uuid.UUID]:
    """People whose stored colour may have changed with the passage of time."""
    return list(
        session.scalars(
            select(PersonStatus.person_id).where(PersonStatus.valid_until <= now).limit(limit)
        ).all()
    )
