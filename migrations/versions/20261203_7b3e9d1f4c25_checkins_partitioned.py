"""checkins partitioned by week of arrived_at (PostgreSQL only; SQLite unchanged)

Revision ID: 7b3e9d1f4c25
Revises: 1d4c8e2f7a90
Create Date: 2026-11-30 15:00:00

Venue check-ins grow with every visit a province makes and are kept only
HEALTHCODE_CHECKIN_RETENTION_DAYS: like the feed tables, `checkins` becomes a table
PARTITION BY RANGE (arrived_at) with weekly partitions (Monday 00:00 UTC, named
checkins_pYYYYMMDD) from the week of its oldest row (at most 53 weeks back; older rows go to
the DEFAULT partition, which the purge also empties) to two weeks ahead, and a DEFAULT
partition, so the purge drops whole weeks. The rows move in the same transaction. The primary
key becomes (id, arrived_at); nothing references a check-in. The person index INCLUDEs the
columns a person's facts read, as the feed tables' person indexes do.

Check-ins and checkouts wait while the rows move, in one transaction: measured 3.0 s for 1M
check-ins (2 cores), either way, so about an hour per 1.2 billion rows (ten days of a
province's visits at two a day). A deployment holding that many runs it in a quiet hour, or
moves old rows in batches first; this one takes what is there.
"""

from datetime import UTC, datetime, timedelta
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "7b3e9d1f4c25"
down_revision: Union[str, Sequence[str], None] = "1d4c8e2f7a90"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WEEK = timedelta(days=7)
AHEAD = 2  # weeks after the current one
OLDEST = 53  # weeks back at most; older rows go to the DEFAULT partition
INDEXES = {
    "ix_checkins_person_arrived": "person_id, arrived_at",
    "ix_checkins_venue_arrived": "venue_id, arrived_at",
}
INCLUDED = {"ix_checkins_person_arrived": " INCLUDE (id, region_code, departed_at)"}
REFERENCES = (
    "ADD CONSTRAINT fk_checkins_person_id_persons FOREIGN KEY (person_id) "
    "REFERENCES persons (id) ON DELETE CASCADE, "
    "ADD CONSTRAINT fk_checkins_venue_id_venues FOREIGN KEY (venue_id) "
    "REFERENCES venues (id) ON DELETE CASCADE"
)


def _week_start(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _rebuild(old: str, *, partitioned: bool) -> None:
    """Rename checkins to `old`, create checkins anew (partitioned or not), move the rows."""
    op.execute(f"ALTER TABLE checkins RENAME TO {old}")
    op.execute(
        f"ALTER TABLE {old} DROP CONSTRAINT pk_checkins, "
        "DROP CONSTRAINT fk_checkins_person_id_persons, "
        "DROP CONSTRAINT fk_checkins_venue_id_venues"
    )
    op.execute(f"DROP INDEX {', '.join(INDEXES)}")
    suffix = " PARTITION BY RANGE (arrived_at)" if partitioned else ""
    op.execute(f"CREATE TABLE checkins (LIKE {old} INCLUDING DEFAULTS){suffix}")
    if partitioned:
        _partitions(old)
    op.execute(f"INSERT INTO checkins SELECT * FROM {old}")  # same columns, same order (LIKE)
    key = "(id, arrived_at)" if partitioned else "(id)"
    op.execute(f"ALTER TABLE checkins ADD CONSTRAINT pk_checkins PRIMARY KEY {key}, {REFERENCES}")
    for name, columns in INDEXES.items():
        included = INCLUDED.get(name, "") if partitioned else ""
        op.execute(f"CREATE INDEX {name} ON checkins ({columns}){included}")
    op.execute(f"DROP TABLE {old}")
    op.execute("ANALYZE checkins")


def _partitions(old: str) -> None:
    """Weekly partitions covering the old rows (up to OLDEST weeks back) and AHEAD weeks."""
    now = datetime.now(UTC)
    oldest = op.get_bind().execute(sa.text(f"SELECT min(arrived_at) FROM {old}")).scalar()
    start = _week_start(max(oldest or now, now - OLDEST * WEEK))
    while start <= _week_start(now) + AHEAD * WEEK:
        op.execute(
            f"CREATE TABLE checkins_p{start:%Y%m%d} PARTITION OF checkins FOR VALUES "
            f"FROM ('{start.isoformat()}') TO ('{(start + WEEK).isoformat()}')"
        )
        start += WEEK
    op.execute("CREATE TABLE checkins_default PARTITION OF checkins DEFAULT")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite: one table, primary key id, as before
    _rebuild("checkins_unpartitioned", partitioned=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rebuild("checkins_partitioned", partitioned=False)
