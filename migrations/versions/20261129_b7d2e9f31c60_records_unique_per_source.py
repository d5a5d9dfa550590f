"""feed records are unique per (source_id, record_id), the source being the API key or account

Revision ID: b7d2e9f31c60
Revises: a8e1c0d4f5b2
Create Date: 2026-11-29 21:00:00

"""
import uuid
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'b7d2e9f31c60'
down_revision: Union[str, Sequence[str], None] = 'a8e1c0d4f5b2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ('lab_tests', 'stays', 'contact_events')
UNKNOWN_SOURCE = uuid.UUID(int=0)  # records from before sources were kept


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('source_id', sa.Uuid(), nullable=True))
        op.execute(
            f"UPDATE {table} SET source_id = (SELECT feed_batches.source_id FROM feed_batches "
            f"WHERE feed_batches.id = {table}.batch_id)"
        )
        op.get_bind().execute(
            sa.text(f"UPDATE {table} SET source_id = :nil WHERE source_id IS NULL").bindparams(
                sa.bindparam('nil', UNKNOWN_SOURCE, type_=sa.Uuid())
            )
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('source_id', existing_type=sa.Uuid(), nullable=False)
            batch_op.drop_constraint(op.f(f'uq_{table}_record_id'), type_='unique')
            batch_op.create_unique_constraint(
                op.f(f'uq_{table}_source_id'), ['source_id', 'record_id']
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'uq_{table}_source_id'), type_='unique')
            batch_op.create_unique_constraint(op.f(f'uq_{table}_record_id'), ['record_id'])
            batch_op.drop_column('source_id')
