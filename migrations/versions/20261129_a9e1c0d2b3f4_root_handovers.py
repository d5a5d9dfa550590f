"""root key hand-over statements

Revision ID: a9e1c0d2b3f4
Revises: f46319652624
Create Date: 2026-11-29 21:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import app.db


revision: str = 'a9e1c0d2b3f4'
down_revision: Union[str, Sequence[str], None] = 'f46319652624'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('root_handovers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('from_kid', sa.String(length=32), nullable=False),
    sa.Column('to_kid', sa.String(length=32), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_root_handovers')),
    sa.UniqueConstraint('from_kid', name=op.f('uq_root_handovers_from_kid'))
    )


def downgrade() -> None:
    op.drop_table('root_handovers')
