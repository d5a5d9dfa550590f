"""Venues: registered by operators, seen only by their owner (and officials), transferred by
admins. Another operator's venue does not exist for the caller (404, so ids do not leak)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.errors import Conflict, FieldError, InvalidInput, NotFound
from app.models import Account, Region, Role, Venue, VenueApiKey
from app.principal import ActorKind, Principal
from app.services import apikeys, audit
from app.states import VenueKind
from codes import COLORS
from codes.kinds import REGION_PATTERN

EDITABLE = ("name", "address", "region_code", "kind", "admitted_colors", "test_within_hours")
SEES_ALL = (Role.OFFICIAL, Role.ADMIN)


def _policy(colors: Sequence[str]) -> list[str]:
    """Admitted colours in the canonical order (the schema has refused unknown ones)."""
    return [c for c in COLORS if c in colors]


def _check_region(session: Session, code: str) -> None:
    if session.get(Region, code) is None:
        raise InvalidInput("Unknown region.", [FieldError("/region_code", "Not a known region.")])
    if not re.fullmatch(REGION_PATTERN, code):
        raise InvalidInput(
            "This region's code cannot go into a place code.",
            [FieldError("/region_code", "Place codes carry region codes of 1-16 characters.")],
        )


def create(session: Session, *, actor: Principal, data: dict[str, Any], now: datetime) -> Venue:
    """Register a venue owned by the calling operator (default policy: green only)."""
    _check_region(session, data["region_code"])
    venue = Venue(
        id=uuid.uuid4(),
        owner_id=actor.id,
        name=data["name"].strip(),
        address=data["address"].strip(),
        region_code=data["region_code"],
        kind=VenueKind(data["kind"]),
        admitted_colors=_policy(data.get("admitted_colors") or ["green"]),
        test_within_hours=data.get("test_within_hours"),
        created_at=now,
        updated_at=now,
    )
    session.add(venue)
    session.flush()
    return venue


def _visible(query: Select[Any], actor: Principal) -> Select[Any]:
    if actor.role in SEES_ALL:
        return query
    return query.where(Venue.owner_id == actor.id)


def get(session: Session, *, actor: Principal, venue_id: uuid.UUID) -> Venue:
    """A venue the caller may see: their own, or any for officials and admins."""
    venue: Venue | None = session.scalars(
        _visible(select(Venue).where(Venue.id == venue_id), actor)
    ).first()
    if venue is None:
        raise NotFound("No such venue.")
    return venue


def owned(session: Session, *, actor: Principal, venue_id: uuid.UUID) -> Venue:
    """A venue the caller may change: their own (an admin: any)."""
    venue = session.get(Venue, venue_id)
    if venue is None or (actor.role != Role.ADMIN and venue.owner_id != actor.id):
        raise NotFound("No such venue.")
    return venue


def listing(
    session: Session, *, actor: Principal, q: str | None, region: str | None, limit: int
) -> Sequence[Venue]:
    """Own venues (operators) or all (officials, admins), newest first, optionally searched."""
    query = _visible(select(Venue), actor)
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern += "%"
        query = query.where(
            or_(
                func.lower(Venue.name).like(pattern, escape="\\"),
                func.lower(Venue.address).like(pattern, escape="\\"),
            )
        )
    if region:
        query = query.where(Venue.region_code == region)
    return session.scalars(query.order_by(Venue.created_at.desc()).limit(limit)).all()


def update(
    session: Session, *, actor: Principal, venue_id: uuid.UUID, data: dict[str, Any], now: datetime
) -> Venue:
    """Change a venue's details or entry policy (a new policy gets a new place code)."""
    venue = owned(session, actor=actor, venue_id=venue_id)
    if not venue.active:
        raise Conflict("This venue is deactivated.")
    if "region_code" in data:
        _check_region(session, data["region_code"])
    for name in EDITABLE:
        if name in data:
            value = data[name]
            if name == "admitted_colors":
                value = _policy(value)
            elif isinstance(value, str):
                value = value.strip()
            setattr(venue, name, value)
    venue.updated_at = now
    session.flush()
    return venue


def deactivate(session: Session, *, actor: Principal, venue_id: uuid.UUID, now: datetime) -> Venue:
    """Deactivate a venue: its place codes stop working for check-ins (idempotent)."""
    venue = owned(session, actor=actor, venue_id=venue_id)
    if venue.deactivated_at is None:
        venue.deactivated_at = venue.updated_at = now
        audit.record(
            session,
            actor=actor,
            action="venue.deactivate",
            target_type="venue",
            target_id=str(venue.id),
        )
        session.flush()
    return venue


def transfer(
    session: Session, *, actor: Principal, venue_id: uuid.UUID, owner_id: uuid.UUID, now: datetime
) -> Venue:
    """Give a venue to another venue operator account (admins)."""
    venue = session.get(Venue, venue_id)
    if venue is None:
        raise NotFound("No such venue.")
    owner = session.get(Account, owner_id)
    if owner is None or owner.role != Role.VENUE_OPERATOR or not owner.active:
        raise InvalidInput(
            "The new owner must be an active venue operator account.",
            [FieldError("/owner_id", "Not an active venue operator account.")],
        )
    audit.record(
        session,
        actor=actor,
        action="venue.transfer",
        target_type="venue",
        target_id=str(venue.id),
        from_owner=str(venue.owner_id),
        to_owner=str(owner_id),
    )
    venue.owner_id, venue.updated_at = owner_id, now
    session.flush()
    return venue


def create_device_key(
    session: Session, *, actor: Principal, venue_id: uuid.UUID, name: str, now: datetime
) -> tuple[Any, str]:
    """An API key with scope checkpoint bound to this venue (for a door device)."""
    venue = owned(session, actor=actor, venue_id=venue_id)
    key, secret = apikeys.create_key(
        session, name=name, scopes=["checkpoint"], actor=actor, now=now
    )
    session.add(VenueApiKey(api_key_id=key.id, venue_id=venue.id))
    session.flush()
    return key, secret


def for_door(session: Session, *, actor: Principal, venue_id: uuid.UUID) -> Venue:
    """A venue whose door the caller may staff: its operator, any checkpoint account, or an
    API key bound to it. Otherwise it does not exist for the caller."""
    venue = session.get(Venue, venue_id)
    if venue is None:
        raise NotFound("No such venue.")
    if actor.kind == ActorKind.API_KEY:
        binding = session.get(VenueApiKey, actor.id)
        allowed = binding is not None and binding.venue_id == venue.id
    else:
        allowed = actor.role == Role.CHECKPOINT or venue.owner_id == actor.id
    if not allowed:
        raise NotFound("No such venue.")
    if not venue.active:
        raise Conflict("This venue is deactivated.")
    return venue
