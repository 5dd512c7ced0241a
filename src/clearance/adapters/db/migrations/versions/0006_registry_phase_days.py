"""registry entries: days spent in each review phase (entries approved inside Clearance)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 05:15:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registry_entries") as batch:
        batch.add_column(sa.Column("phase_days", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registry_entries") as batch:
        batch.drop_column("phase_days")
