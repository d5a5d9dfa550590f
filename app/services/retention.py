"""Retention of feed records and venue check-ins: weekly partitions created ahead, expired
ones dropped whole.

On PostgreSQL `lab_tests`, `stays` and `contact_events` are partitioned by RANGE (received_at),
and `checkins` by RANGE (arrived_at) (`app.models.partitions`), one partition per week (Monday
00:00 UTC, named `<table>_pYYYYMMDD`), plus a DEFAULT partition that catches a row no weekly
partition covers (the scheduler stopped for weeks, or a row written with an old time), so an
insert never fails for want of a partition. Below, "received_at" stands for a table's
partition key. Feed records are kept HEALTHCODE_FEED_RETENTION_DAYS, check-ins
HEALTHCODE_CHECKIN_RETENTION_DAYS (`EXPIRING`).

* `create_ahead` makes the current week's partition and the next AHEAD weeks'. A row already in
  the DEFAULT partition for such a week is moved into the new partition (built beside the
  table, filled, then attached, under an ACCESS EXCLUSIVE lock on the table).
* `purge` drops each weekly partition whose whole range is older than the cutoff
  (now - HEALTHCODE_FEED_RETENTION_DAYS), so no row received inside the retention window is
  lost (a row is kept up to a week longer than the window), and deletes expired rows from the
  DEFAULT partition. On SQLite it is a DELETE of the same rows.

A stay still going on (departed_at null, or ending after the cutoff) is never purged: the rules
still see it. On PostgreSQL it is carried into the current week (its received_at becomes the
purge time) before its old partition is dropped. Tests and contacts are never carried: their
event time is at most the clock skew after their received_at (the ingest refuses later ones).
Check-ins are never carried either: a visit ends at most MAX_STAY after it began, far inside
the retention.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, column, delete, or_, table, text, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import CheckIn, ContactEvent, LabTest, Stay
from app.models.partitions import PARTITIONED
from app.services import audit

log = logging.getLogger("healthcode.retention")

WEEK = timedelta(days=7)
AHEAD = 2
"""Weeks after the current one that have their partition already."""


@dataclass(frozen=True)
class Expiring:
    """A table whose rows expire: its model, how many days its rows are kept under given
    settings, and the audit action of a purge."""

    model: Any
    days: Callable[[Settings], int]
    action: str

    def retention(self, settings: Settings) -> timedelta:
        """How long rows are kept under `settings`."""
        return timedelta(days=self.days(settings))


def _feed_days(settings: Settings) -> int:
    return settings.feed_retention_days


def _checkin_days(settings: Settings) -> int:
    return settings.checkin_retention_days


EXPIRING: tuple[Expiring, ...] = (
    Expiring(LabTest, _feed_days, "feeds.purge"),
    Expiring(Stay, _feed_days, "feeds.purge"),
    Expiring(ContactEvent, _feed_days, "feeds.purge"),
    Expiring(CheckIn, _checkin_days, "checkins.purge"),
)
"""Every partitioned table (`app.models.partitions.PARTITIONED`; a test keeps the two in
step), purged hourly."""
_ACTIONS = {e.model.__tablename__: e.action for e in EXPIRING}
LOCK_TIMEOUT = "10s"
"""How long partition DDL waits for its lock (behind a long read) before giving up for this run:
a waiting ACCESS EXCLUSIVE request would hold up every later query on the table."""

_BOUND = re.compile(r"FOR VALUES FROM \((.+)\) TO \((.+)\)")


@dataclass(frozen=True)
class Partition:
    """A weekly (or other range) partition; `lower` None is MINVALUE."""

    name: str
    lower: datetime | None
    upper: datetime | None


@dataclass
class Purged:
    """What one purge of one table removed."""

    table: str
    cutoff: datetime
    rows: int = 0
    dropped: list[str] = field(default_factory=list)
    carried: int = 0


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the week holding `moment`."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def partition_name(table: str, start: datetime) -> str:
    """The weekly partition of `table` starting at `start`."""
    return f"{table}_p{start:%Y%m%d}"


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _bound(value: str) -> datetime | None:
    if value in ("MINVALUE", "MAXVALUE"):
        return None
    return datetime.fromisoformat(value.strip("'")).astimezone(UTC)


def partitions(session: Session, *, table: str) -> list[Partition]:
    """The range partitions of `table` (not the DEFAULT one), oldest first (PostgreSQL)."""
    rows = session.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:t AS regclass)"
        ),
        {"t": table},
    )
    found = []
    for name, bound in rows:
        match = _BOUND.fullmatch(bound)
        if match:  # not the DEFAULT partition
            found.append(Partition(name, _bound(match[1]), _bound(match[2])))
    return sorted(found, key=lambda p: p.lower or datetime.min.replace(tzinfo=UTC))


def create_ahead(session: Session, *, model: Any, now: datetime) -> list[str]:
    """Create the partitions of this week and the next AHEAD weeks that do not exist yet.

    Rows for such a week already in the DEFAULT partition move into the new one. Returns the
    names created (none on SQLite).
    """
    if not _postgresql(session):
        return []
    parent = model.__tablename__
    key = PARTITIONED[parent]
    wanted = [week_start(now) + i * WEEK for i in range(AHEAD + 1)]
    existing = {p.name for p in partitions(session, table=parent)}
    missing = [start for start in wanted if partition_name(parent, start) not in existing]
    if not missing:
        return []
    session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    session.execute(text(f"LOCK TABLE {parent} IN ACCESS EXCLUSIVE MODE"))
    created = []
    for start in missing:
        name = partition_name(parent, start)
        bounds = {"lo": start, "hi": start + WEEK}
        session.execute(text(f"CREATE TABLE {name} (LIKE {parent} INCLUDING DEFAULTS)"))
        moved = _count(
            session,
            text(
                f"WITH moved AS (DELETE FROM {parent}_default "  # noqa: S608
                f"WHERE {key} >= :lo AND {key} < :hi RETURNING *) "
                f"INSERT INTO {name} SELECT * FROM moved"
            ).bindparams(**bounds),
        )
        lo, hi = (f"'{b.isoformat()}'" for b in bounds.values())
        session.execute(
            text(f"ALTER TABLE {parent} ATTACH PARTITION {name} FOR VALUES FROM ({lo}) TO ({hi})")
        )
        created.append(name)
        log.info("created partition %s (%d rows moved from %s_default)", name, moved, parent)
    return created


def _still_seen(table: str, columns: Any, cutoff: datetime) -> Any:
    """Rows the rules still see however long ago they arrived: stays going on at the cutoff."""
    if table == Stay.__tablename__:
        return or_(columns.departed_at.is_(None), columns.departed_at >= cutoff)
    return None


def _count(session: Session, statement: Any) -> int:
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    return result.rowcount


def purge(session: Session, *, model: Any, retention: timedelta, now: datetime) -> Purged:
    """Remove `model`'s rows received (check-ins: begun) more than `retention` ago (see the
    module doc).

    PostgreSQL: whole weekly partitions (counted, then dropped), and expired rows of the DEFAULT
    partition; SQLite: a DELETE. Audited with the counts.
    """
    name = model.__tablename__
    key = PARTITIONED[name]
    cutoff = now - retention
    result = Purged(name, cutoff)
    target = model.__table__
    if _postgresql(session):
        session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        for part in partitions(session, table=name):
            if part.upper is None or part.upper > cutoff:
                continue
            inside = target.c[key] < part.upper
            if part.lower is not None:
                inside &= target.c[key] >= part.lower
            seen = _still_seen(name, target.c, cutoff)
            if seen is not None:  # carried into the current week before the drop
                carry = update(target).where(inside, seen).values(received_at=now)
                result.carried += _count(session, carry)
            count = text(f"SELECT count(*) FROM {part.name}")  # noqa: S608
            result.rows += session.execute(count).scalar_one()
            session.execute(text(f"DROP TABLE {part.name}"))
            result.dropped.append(part.name)
        target = table(f"{name}_default", *(column(c.name, c.type) for c in target.c))
    condition = target.c[key] < cutoff
    seen = _still_seen(name, target.c, cutoff)
    if seen is not None:
        condition &= ~seen
    result.rows += _count(session, delete(target).where(condition))
    audit.record(
        session,
        actor=None,
        action=_ACTIONS[name],
        target_type="table",
        target_id=name,
        cutoff=cutoff.isoformat(),
        rows=result.rows,
        dropped=result.dropped,
        carried=result.carried,
    )
    log.info(
        "purged %d %s rows older than %s (%d partitions dropped, %d stays carried)",
        result.rows,
        name,
        cutoff.isoformat(),
        len(result.dropped),
        result.carried,
    )
    return result
