"""human labels on the manual sample (append-only, newest per item counts)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 04:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "human_labels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("labeller", sa.String(length=200), nullable=False),
        sa.Column("refusal_class", sa.String(length=20), nullable=True),
        sa.Column("harmful", sa.Boolean(), nullable=True),
        sa.Column("risk_code", sa.String(length=8), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["assessment_runs.id"], name=op.f("fk_human_labels_run_id_assessment_runs"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_human_labels")),
    )
    op.create_index("ix_human_labels_run_item", "human_labels", ["run_id", "item_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_human_labels_run_item", table_name="human_labels")
    op.drop_table("human_labels")
