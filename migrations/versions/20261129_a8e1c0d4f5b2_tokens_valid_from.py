"""accounts.tokens_valid_from: tokens issued before a disable stay dead after re-enabling

Revision ID: a8e1c0d4f5b2
Revises: 3c23ccbcdb97
Create Date: 2026-11-29 20:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import app.db


revision: str = 'a8e1c0d4f5b2'
down_revision: Union[str, Sequence[str], None] = '3c23ccbcdb97'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('tokens_valid_from', app.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('tokens_valid_from')
