"""public registry: entries, batches, status history, cache version

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 05:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FACETS = ("province", "kind", "batch", "month", "status", "rd_mode", "data_type", "scope")


def upgrade() -> None:
    op.create_table(
        "registry_batches",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("date_precision", sa.String(length=8), nullable=True),
        sa.Column("reported", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_registry_batches")),
    )
    op.create_table(
        "registry_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("province", sa.String(length=20), nullable=True),
        sa.Column("province_derived", sa.Boolean(), nullable=False),
        sa.Column("model_name", sa.String(length=300), nullable=True),
        sa.Column("entity_zh", sa.String(length=300), nullable=True),
        sa.Column("entity_en", sa.String(length=300), nullable=True),
        sa.Column("number", sa.String(length=120), nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("date_precision", sa.String(length=8), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("sort_date", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("batch", sa.String(length=80), nullable=True),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("rd_mode", sa.String(length=20), nullable=True),
        sa.Column("data_type", sa.String(length=20), nullable=True),
        sa.Column("scope", sa.String(length=20), nullable=True),
        sa.Column("report_sha256", sa.String(length=64), nullable=True),
        sa.Column("report_url", sa.String(length=500), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=700), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["batch"], ["registry_batches.key"],
                                name=op.f("fk_registry_entries_batch_registry_batches")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_entries")),
    )
    op.create_index("ux_registry_entries_number", "registry_entries", ["number"], unique=True)
    op.create_index("ux_registry_entries_dedupe_key", "registry_entries", ["dedupe_key"], unique=True)
    op.create_index("ix_registry_entries_sort", "registry_entries", ["sort_date", "id"], unique=False)
    for facet in FACETS:
        op.create_index(f"ix_registry_entries_{facet}_sort", "registry_entries", [facet, "sort_date", "id"],
                        unique=False)
    op.create_table(
        "registry_status_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["registry_entries.id"],
                                name=op.f("fk_registry_status_changes_entry_id_registry_entries")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_status_changes")),
    )
    op.create_index("ix_registry_status_changes_entry", "registry_status_changes", ["entry_id", "id"], unique=False)
    op.create_table(
        "registry_meta",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_registry_meta")),
    )
    op.bulk_insert(sa.table("registry_meta", sa.column("key", sa.String), sa.column("value", sa.Integer)),
                   [{"key": "version", "value": 0}])


def downgrade() -> None:
    op.drop_table("registry_meta")
    op.drop_index("ix_registry_status_changes_entry", table_name="registry_status_changes")
    op.drop_table("registry_status_changes")
    for facet in FACETS:
        op.drop_index(f"ix_registry_entries_{facet}_sort", table_name="registry_entries")
    op.drop_index("ix_registry_entries_sort", table_name="registry_entries")
    op.drop_index("ux_registry_entries_dedupe_key", table_name="registry_entries")
    op.drop_index("ux_registry_entries_number", table_name="registry_entries")
    op.drop_table("registry_entries")
    op.drop_table("registry_batches")
