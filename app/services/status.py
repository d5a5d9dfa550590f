"""Reading a person's stored colour (written by the risk recompute)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.models import PersonStatus
from risk import Color


@dataclass(frozen=True)
class CurrentColor:
    """What a code needs from the risk engine."""

    color: str
    ruleset_version: int
    valid_until: datetime | None


def current_color(session: Session, *, person_id: uuid.UUID) -> CurrentColor:
    """The stored colour; a person with no data (no status row) is green."""
    return of_row(session.get(PersonStatus, person_id))


def of_row(row: PersonStatus | None) -> CurrentColor:
    """The colour a status row holds; no row (no data yet) is green."""
    if row is None:
        return CurrentColor(Color.GREEN, 0, None)
    return CurrentColor(row.color, row.ruleset_version, row.valid_until)
