"""feed record tables: the person indexes cover the columns a person's facts read (PostgreSQL)

Revision ID: eb16196b88fb
Revises: 5e0c2a7d9b14
Create Date: 2026-12-01 09:00:00

A recompute chunk reads the records of a range of person ids. The rows of one person are
scattered over the heap (records arrive in upload order), so a chunk of 25,000 people read
about 60% of each partition's heap pages; with the record columns INCLUDEd in the
(person_id, ...) index the read is an index-only scan of one contiguous index range (the
visibility map is set by autovacuum, which insert-only partitions get since PostgreSQL 13).
Per-person fact reads use the same indexes. SQLite has no INCLUDE: unchanged there.
Each index is rebuilt on the partitioned table (and so on every partition) in this transaction,
which blocks ingest into that table while it builds.
"""
from typing import Sequence, Union

from alembic import op


revision: str = 'eb16196b88fb'
down_revision: Union[str, Sequence[str], None] = '5e0c2a7d9b14'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# index: (table, key columns, columns included)
INDEXES = {
    'ix_lab_tests_person_sampled': (
        'lab_tests',
        ['person_id', 'sampled_at'],
        ['record_id', 'kind', 'result'],
    ),
    'ix_stays_person_id': (
        'stays',
        ['person_id'],
        ['id', 'record_id', 'region_code', 'arrived_at', 'departed_at'],
    ),
    'ix_contact_events_person_exposed': (
        'contact_events',
        ['person_id', 'exposed_at'],
        ['record_id', 'kind'],
    ),
}


def _rebuild(*, covering: bool) -> None:
    for name, (table, columns, included) in INDEXES.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, postgresql_include=included if covering else [])


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _rebuild(covering=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _rebuild(covering=False)
