"""judge cache: verdicts of model-graded judges by content hash

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('judge_cache',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('judge', sa.String(length=200), nullable=False),
    sa.Column('verdict', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_judge_cache'))
    )


def downgrade() -> None:
    op.drop_table('judge_cache')
