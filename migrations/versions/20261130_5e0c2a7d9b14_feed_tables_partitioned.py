"""feed record tables partitioned by week of received_at (PostgreSQL only; SQLite unchanged)

Revision ID: 5e0c2a7d9b14
Revises: a9e1c0d2b3f4
Create Date: 2026-11-30 09:00:00

Each of lab_tests, stays and contact_events becomes a table PARTITION BY RANGE (received_at)
with weekly partitions (Monday 00:00 UTC, named <table>_pYYYYMMDD) from the week of its oldest
row (at most 53 weeks back; older rows go to the DEFAULT partition, which the purge also
empties) to two weeks ahead, and a DEFAULT partition. The rows are moved in the same
transaction. A unique key of a partitioned table must contain the partition key: the
(source_id, record_id) key becomes (source_id, record_id, received_at), and the ingest keeps
(source_id, record_id) unique across partitions (advisory lock per source and a look-up).
The primary key becomes (id, received_at).
"""
from datetime import UTC, datetime, timedelta
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '5e0c2a7d9b14'
down_revision: Union[str, Sequence[str], None] = 'a9e1c0d2b3f4'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

WEEK = timedelta(days=7)
AHEAD = 2  # weeks after the current one
OLDEST = 53  # weeks back at most; older rows go to the DEFAULT partition

INDEXES = {
    'lab_tests': {
        'ix_lab_tests_batch_id': 'batch_id',
        'ix_lab_tests_person_sampled': 'person_id, sampled_at',
    },
    'stays': {
        'ix_stays_batch_id': 'batch_id',
        'ix_stays_person_id': 'person_id',
        'ix_stays_region_arrived': 'region_code, arrived_at',
    },
    'contact_events': {
        'ix_contact_events_batch_id': 'batch_id',
        'ix_contact_events_person_exposed': 'person_id, exposed_at',
    },
}
FOREIGN_KEYS = {
    'lab_tests': {'fk_lab_tests_person_id_persons': 'person_id'},
    'stays': {'fk_stays_person_id_persons': 'person_id'},
    'contact_events': {'fk_contact_events_person_id_persons': 'person_id'},
}
REFERENCES = {
    'person_id': 'persons (id) ON DELETE CASCADE',
    'region_code': 'regions (code)',
}


def _week_start(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _foreign_keys(table: str) -> dict[str, str]:
    keys = dict(FOREIGN_KEYS[table])
    if table == 'stays':
        keys['fk_stays_region_code_regions'] = 'region_code'
    return keys


def _rebuild(table: str, old: str, *, partitioned: bool) -> None:
    """Rename `table` to `old`, create `table` anew (partitioned or not), move the rows."""
    op.execute(f'ALTER TABLE {table} RENAME TO {old}')
    unique = f'uq_{table}_source_record_received' if not partitioned else f'uq_{table}_source_id'
    op.execute(f'ALTER TABLE {old} DROP CONSTRAINT pk_{table}, DROP CONSTRAINT {unique}')
    op.execute(f"DROP INDEX {', '.join(INDEXES[table])}")
    suffix = ' PARTITION BY RANGE (received_at)' if partitioned else ''
    op.execute(f'CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS){suffix}')
    if partitioned:
        keys = (
            f'ADD CONSTRAINT pk_{table} PRIMARY KEY (id, received_at), '
            f'ADD CONSTRAINT uq_{table}_source_record_received '
            'UNIQUE (source_id, record_id, received_at)'
        )
        _partitions(table, old)
    else:
        keys = (
            f'ADD CONSTRAINT pk_{table} PRIMARY KEY (id), '
            f'ADD CONSTRAINT uq_{table}_source_id UNIQUE (source_id, record_id)'
        )
    op.execute(f'INSERT INTO {table} SELECT * FROM {old}')  # same columns, same order (LIKE)
    references = ', '.join(
        f'ADD CONSTRAINT {name} FOREIGN KEY ({column}) REFERENCES {REFERENCES[column]}'
        for name, column in _foreign_keys(table).items()
    )
    op.execute(f'ALTER TABLE {table} {keys}, {references}')
    for name, columns in INDEXES[table].items():
        op.execute(f'CREATE INDEX {name} ON {table} ({columns})')
    op.execute(f'DROP TABLE {old}')
    op.execute(f'ANALYZE {table}')


def _partitions(table: str, old: str) -> None:
    """Weekly partitions covering the old rows (up to OLDEST weeks back) and AHEAD weeks."""
    now = datetime.now(UTC)
    oldest = op.get_bind().execute(sa.text(f'SELECT min(received_at) FROM {old}')).scalar()
    first = _week_start(max(oldest or now, now - OLDEST * WEEK))
    start = first
    while start <= _week_start(now) + AHEAD * WEEK:
        op.execute(
            f"CREATE TABLE {table}_p{start:%Y%m%d} PARTITION OF {table} FOR VALUES "
            f"FROM ('{start.isoformat()}') TO ('{(start + WEEK).isoformat()}')"
        )
        start += WEEK
    op.execute(f'CREATE TABLE {table}_default PARTITION OF {table} DEFAULT')


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # SQLite: one table each, (source_id, record_id) unique as before
    for table in INDEXES:
        _rebuild(table, f'{table}_unpartitioned', partitioned=True)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in INDEXES:
        _rebuild(table, f'{table}_partitioned', partitioned=False)
