"""identity proofing: how and when a person's identity was proven; sealed phone numbers

Revision ID: c3f4a5b6d7e8
Revises: b7d2e9f31c60
Create Date: 2026-11-29 21:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import app.db


revision: str = 'c3f4a5b6d7e8'
down_revision: Union[str, Sequence[str], None] = 'b7d2e9f31c60'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Existing links stay unproven: their residents prove their identity once more.
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_method', sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column('identity_proven_at', app.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_sealed', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('phone_sealed')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_column('identity_proven_at')
        batch_op.drop_column('identity_method')
