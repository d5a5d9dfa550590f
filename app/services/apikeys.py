"""API keys for machines: created with scopes, shown once, stored hashed, revocable."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import new_id
from app.errors import FieldError, InvalidInput, NotFound
from app.feed_kinds import SCOPES
from app.models import ApiKey, Role
from app.principal import Principal
from app.security.hashing import token_hash
from app.services import audit
from app.services.auth import API_KEY_PREFIX


def create_key(
    session: Session, *, name: str, scopes: Sequence[str], actor: Principal, now: datetime
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the secret, which is never shown again."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InvalidInput(
            "Invalid scopes.",
            [FieldError("/scopes", f"Choose one or more of: {', '.join(SCOPES)}.")],
        )
    prefix = secrets.token_hex(6)
    secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32).replace('_', '-')}"
    key = ApiKey(
        id=new_id(),
        name=name.strip(),
        prefix=prefix,
        secret_hash=token_hash(secret),
        scopes=sorted(set(scopes)),
        created_by=actor.id,
        created_at=now,
    )
    session.add(key)
    audit.record(
        session,
        actor=actor,
        action="api_key.create",
        target_type="api_key",
        target_id=str(key.id),
        scopes=key.scopes,
    )
    session.flush()
    return key, secret


def _visible(query, actor: Principal):  # type: ignore[no-untyped-def]
    if actor.role == Role.ADMIN:
        return query
    return query.where(ApiKey.created_by == actor.id)


def list_keys(session: Session, *, actor: Principal) -> Sequence[ApiKey]:
    """Keys the caller may see: an admin sees all, an official their own."""
    query = _visible(select(ApiKey).order_by(ApiKey.created_at.desc()), actor)
    return session.scalars(query).all()


def revoke_key(session: Session, *, key_id: uuid.UUID, actor: Principal, now: datetime) -> ApiKey:
    """Revoke a key the caller may see; it stops working at once."""
    key: ApiKey | None = session.scalars(
        _visible(select(ApiKey).where(ApiKey.id == key_id), actor)
    ).first()
    if key is None:
        raise NotFound("No such API key.")
    if key.revoked_at is None:
        key.revoked_at = now
        audit.record(
            session,
            actor=actor,
            action="api_key.revoke",
            target_type="api_key",
            target_id=str(key.id),
        )
        session.flush()
    return key
