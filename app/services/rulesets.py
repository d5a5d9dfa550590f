"""Rule sets: drafts validated with JSON pointers, the active one, dry-runs and publishing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from app import live_cache
from app.errors import Conflict, FieldError, InvalidInput, NotFound, Unavailable
from app.models import RuleSetRecord
from app.principal import Principal
from app.services import audit
from app.states import RuleSetStatus
from risk import (
    CompiledRuleSet,
    RuleSetInvalid,
    compile_ruleset,
    load_default_policy,
    parse_ruleset,
)

DRAFT, ACTIVE, RETIRED = RuleSetStatus.DRAFT, RuleSetStatus.ACTIVE, RuleSetStatus.RETIRED
PUBLISH_LOCK = 0x4843_5253  # "HCRS"


@lru_cache(maxsize=16)
def _compiled(version: int, document_json: str) -> CompiledRuleSet:
    return compile_ruleset(json.loads(document_json))


def compiled(record: RuleSetRecord) -> CompiledRuleSet:
    """The compiled form of a stored rule set (cached per version)."""
    return _compiled(record.version, json.dumps(record.document, sort_keys=True))


def active_record(session: Session) -> RuleSetRecord:
    """The active rule set, or Unavailable when none was ever published."""
    record = session.scalars(select(RuleSetRecord).where(RuleSetRecord.status == ACTIVE)).first()
    if record is None:
        raise Unavailable("No active rule set: run 'flask rules init' or publish one.")
    return record


def _validated(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise InvalidInput("A rule set is a JSON object.", [FieldError("/rules", "Not an object.")])
    document = {"version": "0", **document}
    document.pop("published_at", None)
    document.pop("published_by", None)
    try:
        parse_ruleset(document)
    except RuleSetInvalid as exc:
        raise InvalidInput(
            "The rule set is not valid.",
            [FieldError(issue.pointer or "/", issue.message) for issue in exc.issues],
        ) from None
    return dict(document)


def create_draft(
    session: Session,
    *,
    actor: Principal | None,
    document: Any,
    now: datetime,
    description: str | None = None,
) -> RuleSetRecord:
    """Validate and store a draft; its version number is assigned here."""
    clean = _validated(document)
    record = RuleSetRecord(
        document=clean,
        status=DRAFT,
        created_at=now,
        description=description,
        created_by=actor.id if actor and actor.kind == "account" else None,
    )
    session.add(record)
    session.flush()
    record.document = {**clean, "version": str(record.version)}
    audit.record(
        session,
        actor=actor,
        action="ruleset.create",
        target_type="ruleset",
        target_id=str(record.version),
    )
    session.flush()
    return record


def list_rulesets(session: Session) -> Sequence[RuleSetRecord]:
    """Every rule set, newest first."""
    return session.scalars(select(RuleSetRecord).order_by(RuleSetRecord.version.desc())).all()


def get(session: Session, *, version: int) -> RuleSetRecord:
    """One rule set or NotFound."""
    record = session.get(RuleSetRecord, version)
    if record is None:
        raise NotFound(f"No rule set version {version}.")
    return record


def activate(
    session: Session, *, version: int, actor: Principal | None, now: datetime
) -> RuleSetRecord:
    """Make a rule set the active one (not committed; the caller recomputes everyone)."""
    if session.get_bind().dialect.name == "postgresql":  # one publish at a time
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PUBLISH_LOCK})
    record = get(session, version=version)
    session.refresh(record)
    if record.status == ACTIVE:
        raise Conflict(f"Rule set {version} is already active.")
    session.execute(
        update(RuleSetRecord).where(RuleSetRecord.status == ACTIVE).values(status=RETIRED)
    )
    # a status is explained with the active rule set: every status view kept is stale (a
    # publish that changes nobody's colour writes no status row that would say so)
    live_cache.stale(session, [live_cache.EVERYTHING])
    record.status = ACTIVE
    record.published_at = now
    record.published_by = actor.id if actor and actor.kind == "account" else None
    record.document = {
        **record.document,
        "published_at": now.isoformat(),
        "published_by": str(record.published_by) if record.published_by else None,
    }
    audit.record(
        session,
        actor=actor,
        action="ruleset.publish",
        target_type="ruleset",
        target_id=str(version),
    )
    return record


def init_default(session: Session, *, now: datetime) -> str:
    """Store and activate the shipped default policy when no rule set is active."""
    if session.scalars(select(RuleSetRecord).where(RuleSetRecord.status == ACTIVE)).first():
        return "a rule set is already active"
    record = create_draft(
        session, actor=None, document=load_default_policy(), now=now, description="Default policy"
    )
    activate(session, version=record.version, actor=None, now=now)
    session.flush()
    return f"activated the default policy as version {record.version}"
