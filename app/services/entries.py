"""Door decisions at a venue: checked online, or uploaded from a device's offline log.

Operators see decisions with the masked hints shown at the scan, and counts per hour; never
more of anyone's identity."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import ordered_ids
from app.errors import FieldError, InvalidInput
from app.live_cache import LiveCache
from app.models import CheckIn, IssuedCode, Venue, VenueEntry
from app.principal import Principal
from app.services import health_codes, place_codes
from app.services.checkins import latest_negative_test
from app.services.feeds import clean_text
from app.services.keys import Keyring
from app.timestamps import parse_rfc3339
from codes import COLORS
from codes.policy import decide

MAX_BATCH = 5000
OLDEST = timedelta(days=30)  # offline logs older than this are refused
ENTRY_FIELDS = {"entry_id", "code_id", "scanned_at", "admitted", "reason", "color"}


def _hint(name: str | None, last4: str | None) -> str | None:
    return None if name is None else f"{name} ({last4})"


def check_online(
    session: Session,
    *,
    live: LiveCache,
    keyring: Keyring,
    actor: Principal,
    venue: Venue,
    text: str,
    now: datetime,
) -> VenueEntry:
    """Verify a person's health code online, apply the venue policy, keep the decision."""
    result = health_codes.verify_online(session, live=live, keyring=keyring, text=text, now=now)
    policy = place_codes.policy_of(venue)
    tested = None
    if result.valid and result.code_id is not None and policy.test_within_hours is not None:
        issued = session.get(IssuedCode, result.code_id)
        if issued is not None:
            tested = latest_negative_test(
                session, person_id=issued.person_id, since=policy.test_since(now), now=now
            )
    decision = decide(policy, result, now=now, negative_test_at=tested)
    entry = VenueEntry(
        id=uuid.uuid4(),
        venue_id=venue.id,
        entry_id=f"online-{uuid.uuid4().hex}",
        code_id=result.code_id,
        scanned_at=now,
        admitted=decision.admit,
        reason=decision.reason,
        color=decision.color,
        holder_hint=_hint(result.holder_name, result.id_last4) if result.valid else None,
        offline=False,
        recorded_by=actor.id,
        received_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass
class BatchResult:
    """What an offline-log upload answers."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _entry_errors(
    raw: Any, latest: datetime, oldest: datetime
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    if not isinstance(raw, dict):
        return {}, [{"pointer": "", "detail": "Each entry must be an object."}]
    unknown = sorted(set(raw) - ENTRY_FIELDS)
    errors = [{"pointer": f"/{k}", "detail": "Unknown field."} for k in unknown]
    clean: dict[str, Any] = {}
    for name in ("entry_id", "scanned_at", "admitted"):
        if name not in raw:
            errors.append({"pointer": f"/{name}", "detail": "Missing data for required field."})
    checks: dict[str, Callable[[Any], Any]] = {
        "entry_id": lambda v: clean_text(v, 64),
        "code_id": lambda v: None if v is None else clean_text(v, 64),
        "reason": lambda v: None if v is None else clean_text(v, 40),
        "scanned_at": lambda v: _scanned(v, latest, oldest),
        "admitted": _boolean,
        "color": lambda v: None if v is None else _color(v),
    }
    for name, convert in checks.items():
        if name in raw:
            try:
                clean[name] = convert(raw[name])
            except ValueError as exc:
                errors.append({"pointer": f"/{name}", "detail": f"{name} {exc}."})
    return clean, errors


def _scanned(value: Any, latest: datetime, oldest: datetime) -> datetime:
    moment = parse_rfc3339(value)
    if moment > latest:
        raise ValueError("is in the future")
    if moment < oldest:
        raise ValueError("is more than 30 days ago")
    return moment


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _color(value: Any) -> str:
    if value not in COLORS:
        raise ValueError(f"must be one of: {', '.join(COLORS)}")
    return str(value)


def upload(
    session: Session,
    *,
    settings: Settings,
    actor: Principal,
    venue: Venue,
    entries: Sequence[Any],
    now: datetime,
) -> BatchResult:
    """Store a device's offline decisions; idempotent by entry_id, bad entries refused one by
    one (a repeated entry_id, or the same code scanned twice at the same instant, in one
    batch is refused too)."""
    if len(entries) > MAX_BATCH:
        raise InvalidInput(
            "Too many entries.", [FieldError("/entries", f"At most {MAX_BATCH} per batch.")]
        )
    result = BatchResult()
    latest = now + timedelta(seconds=settings.clock_skew)
    seen_ids: set[str] = set()
    seen_scans: set[tuple[str, datetime]] = set()
    rows: list[dict[str, Any]] = []
    for index, raw in enumerate(entries):
        clean, errors = _entry_errors(raw, latest, now - OLDEST)
        if not errors and clean["entry_id"] in seen_ids:
            errors = [{"pointer": "/entry_id", "detail": "entry_id repeated in this batch."}]
        scan = (clean.get("code_id") or "", clean.get("scanned_at"))
        if not errors and clean.get("code_id") and scan in seen_scans:
            errors = [{"pointer": "/scanned_at", "detail": "Same code and scanned_at twice."}]
        if errors:
            result.rejected.append({"index": index, "errors": errors})
            continue
        seen_ids.add(clean["entry_id"])
        seen_scans.add(scan)  # type: ignore[arg-type]
        rows.append(
            {
                "venue_id": venue.id,
                "code_id": None,
                "reason": None,
                "color": None,
                **clean,
                "holder_hint": None,
                "offline": True,
                "recorded_by": actor.id,
                "received_at": now,
            }
        )
    for row, row_id in zip(rows, ordered_ids(len(rows)), strict=True):
        row["id"] = row_id
    inserted = _insert_new(session, rows=rows)
    result.accepted = inserted
    result.duplicates = len(rows) - inserted
    session.flush()
    return result


def _insert_new(session: Session, *, rows: list[dict[str, Any]]) -> int:
    """Insert entries whose (venue, entry_id) is new; returns how many were."""
    if not rows:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(VenueEntry).on_conflict_do_nothing(
        index_elements=["venue_id", "entry_id"]
    )
    return len(session.execute(stmt.returning(VenueEntry.id), rows).all())


def recent(session: Session, *, venue: Venue, limit: int) -> Sequence[VenueEntry]:
    """The venue's latest door decisions."""
    return session.scalars(
        select(VenueEntry)
        .where(VenueEntry.venue_id == venue.id)
        .order_by(VenueEntry.scanned_at.desc())
        .limit(limit)
    ).all()


def hourly(
    session: Session, *, venue: Venue, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Per hour: entries admitted and refused, and check-ins (counts only)."""
    counts: Counter[tuple[datetime, str]] = Counter()
    entries = session.execute(
        select(VenueEntry.scanned_at, VenueEntry.admitted).where(
            VenueEntry.venue_id == venue.id,
            VenueEntry.scanned_at >= since,
            VenueEntry.scanned_at < until,
        )
    )
    for at, admitted in entries:
        counts[(_hour(at), "admitted" if admitted else "refused")] += 1
    visits = session.scalars(
        select(CheckIn.arrived_at).where(
            CheckIn.venue_id == venue.id, CheckIn.arrived_at >= since, CheckIn.arrived_at < until
        )
    )
    for at in visits:
        counts[(_hour(at), "checkins")] += 1
    hours = sorted({hour for hour, _ in counts})
    return [
        {
            "hour": hour,
            "admitted": counts[(hour, "admitted")],
            "refused": counts[(hour, "refused")],
            "checkins": counts[(hour, "checkins")],
        }
        for hour in hours
    ]


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
