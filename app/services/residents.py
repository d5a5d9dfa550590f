"""What a resident sees of their own status: colour, reasons in their language, history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import live_cache
from app.errors import NotFound
from app.live_cache import LiveCache
from app.models import Person, PersonStatus, StatusChange
from app.principal import Principal
from app.services import audit, rulesets
from app.services.facts import people_with_facts
from app.services.proofing import not_verified, proven_person
from app.services.recompute import reason_json
from risk import Color, assess

LANGUAGES = ("en", "zh")


def localized(reasons: Sequence[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    """Reasons with `text` and `how_to_clear` in one language."""
    return [
        {
            "rule_id": r["rule_id"],
            "color": r["color"],
            "text": r["text"].get(language) or r["text"].get("en"),
            "since": r["since"],
            "until": r["until"],
            "how_to_clear": r["how_to_clear"].get(language) or r["how_to_clear"].get("en"),
            "record_id": r.get("record_id"),
        }
        for r in reasons
    ]


def _person(session: Session, actor: Principal) -> Any:
    return proven_person(session, actor=actor).id


def _reasons(session: Session, *, row: PersonStatus, now: datetime) -> list[dict[str, Any]]:
    """The reasons of a stored status. A full recompute leaves people whose colour and validity
    did not change untouched, reasons included: when a newer rule set is active, they are
    explained again here with it (the per-person engine), unless its colour differs (a
    recompute still under way), in which case the stored reasons stand."""
    if row.color == Color.GREEN or not row.reasons:
        return row.reasons
    record = rulesets.active_record(session)
    if record.version == row.ruleset_version:
        return row.reasons
    ((_, facts),) = people_with_facts(session, where=lambda column: column == row.person_id)
    fresh = assess(rulesets.compiled(record), facts, now)
    if fresh.color != row.color:
        return row.reasons
    return [reason_json(r) for r in fresh.reasons]


def _status_view(
    session: Session, row: PersonStatus | None, language: str, now: datetime
) -> dict[str, Any]:
    """A stored status as served; no row means green (no data)."""
    if row is None:
        return {
            "color": Color.GREEN,
            "valid_until": None,
            "rule_set_version": 0,  # as in the code: no rule set has assessed them yet
            "reasons": [],
            "updated_at": None,
            "since": None,
        }
    return {
        "color": row.color,
        "valid_until": row.valid_until,
        "rule_set_version": row.ruleset_version,
        "reasons": localized(_reasons(session, row=row, now=now), language),
        "updated_at": row.computed_at,
        "since": row.since,
    }


def my_status(
    session: Session, *, live: LiveCache, actor: Principal, language: str, now: datetime
) -> dict[str, Any]:
    """The caller's colour, why, until when, and how to get back to green.

    The open mini-app asks every few seconds: the view is kept in the live cache, per
    language, until the person's status or identity changes or a rule set is published (or
    for the cache's `max_age` at most). The dict it returns is shared: do not change it."""
    if actor.person_id is None:
        raise not_verified(None)

    def view() -> dict[str, Any]:
        person_id = _person(session, actor)
        return _status_view(session, session.get(PersonStatus, person_id), language, now)

    return live.through(
        live_cache.person(actor.person_id), f"status:{language}", session=session, load=view
    )


def my_history(session: Session, *, actor: Principal, language: str) -> list[dict[str, Any]]:
    """The caller's colour changes, newest first."""
    return history_of(session, person_id=_person(session, actor), language=language)


def history_of(session: Session, *, person_id: uuid.UUID, language: str) -> list[dict[str, Any]]:
    """A person's last 200 colour changes, newest first, with reasons in `language`."""
    rows = session.scalars(
        select(StatusChange)
        .where(StatusChange.person_id == person_id)
        .order_by(StatusChange.at.desc())
        .limit(200)
    ).all()
    return [
        {
            "at": r.at,
            "from": r.from_color,
            "to": r.to_color,
            "rule_set_version": r.ruleset_version,
            "reasons": localized(r.reasons, language),
        }
        for r in rows
    ]


def person_status(
    session: Session, *, actor: Principal, person_id: uuid.UUID, language: str, now: datetime
) -> dict[str, Any]:
    """An official reads a person's status; the read is audited."""
    if session.get(Person, person_id) is None:
        raise NotFound("No such person.")
    audit.record(
        session, actor=actor, action="person.status", target_type="person", target_id=str(person_id)
    )
    session.flush()
    return _status_view(session, session.get(PersonStatus, person_id), language, now)
