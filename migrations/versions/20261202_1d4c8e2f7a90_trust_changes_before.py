"""trust_changes.before: a dropped revocation's cut-off, so a delta drops pruned entries by
a per-kind cut-off instead of listing each hash

Revision ID: 1d4c8e2f7a90
Revises: eb16196b88fb
Create Date: 2026-12-02 08:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import app.db


revision: str = '1d4c8e2f7a90'
down_revision: Union[str, Sequence[str], None] = 'eb16196b88fb'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('trust_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('before', app.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('trust_changes', schema=None) as batch_op:
        batch_op.drop_column('before')
