"""Recording audited actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEvent
from app.principal import Principal


def record(
    session: Session,
    *,
    actor: Principal | None,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session (committed with the action it records).

    The request id comes with the actor (None for system actions: jobs, commands).
    """
    event = AuditEvent(
        actor_type=actor.kind if actor else "system",
        actor_id=actor.id if actor else None,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
        request_id=actor.request_id if actor else None,
    )
    session.add(event)
    return event
