"""One lock for every change to the trust bundle, so sequence numbers follow commit order."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

TRUST_LOCK = 0x4843_5452  # "HCTR": PostgreSQL advisory lock serialising trust changes


def lock_trust(session: Session) -> None:
    """Serialise trust changes until commit, so `seq` order is commit order (PostgreSQL).

    Without it a long transaction could commit seq 10 after seq 11 was served to devices,
    and their next `?since=11` delta would miss it. SQLite already has a single writer.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TRUST_LOCK})
