"""Recording audited actions."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy.orm import Session

from app.models import AuditEvent
from app.security.access import Principal


def record(
    session: Session,
    actor: Principal | None,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session (committed with the action it records)."""
    event = AuditEvent(
        actor_type=actor.kind if actor else "system",
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
        request_id=g.get("request_id") if has_request_context() else None,
    )
    session.add(event)
    return event
