"""filing and review service: organisations, users, tokens, filings, materials, batches, audit

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 06:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("contact_email", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("credit_code", name=op.f("uq_organisations_credit_code")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("province", sa.String(length=6), nullable=True),
        sa.Column("organisation_id", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_users_organisation_id_organisations")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_failures_email_at", "login_failures", ["email", "at"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_api_tokens_token_sha256")),
    )
    op.create_table(
        "filings",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("organisation_id", sa.String(length=40), nullable=False),
        sa.Column("province", sa.String(length=6), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("previous_filing_id", sa.String(length=40), nullable=True),
        sa.Column("number", sa.String(length=120), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("provincial_reviewer", sa.String(length=40), nullable=True),
        sa.Column("assessors", sa.JSON(), nullable=False),
        sa.Column("assessment_run_id", sa.String(length=40), nullable=True),
        sa.Column("assessment_signed_by", sa.String(length=40), nullable=True),
        sa.Column("assessment_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_filings_organisation_id_organisations")),
        sa.ForeignKeyConstraint(["previous_filing_id"], ["filings.id"],
                                name=op.f("fk_filings_previous_filing_id_filings")),
        sa.UniqueConstraint("number", name=op.f("uq_filings_number")),
    )
    op.create_index("ix_filings_organisation", "filings", ["organisation_id"])
    op.create_index("ix_filings_province_state", "filings", ["province", "state"])
    op.create_table(
        "materials",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column("filing_id", sa.String(length=40), nullable=False),
        sa.Column("material_type", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("declared_type", sa.String(length=200), nullable=True),
        sa.Column("sniffed_type", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.String(length=40), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["filing_id"], ["filings.id"], name=op.f("fk_materials_filing_id_filings")),
    )
    op.create_index("ix_materials_filing_type", "materials", ["filing_id", "material_type", "id"])
    op.create_table(
        "number_sequences",
        sa.Column("kind", sa.String(length=16), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "filing_batches",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=40), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "filing_batch_members",
        sa.Column("batch_id", sa.String(length=40), primary_key=True),
        sa.Column("filing_id", sa.String(length=40), primary_key=True),
        sa.ForeignKeyConstraint(["batch_id"], ["filing_batches.id"],
                                name=op.f("fk_filing_batch_members_batch_id_filing_batches")),
        sa.ForeignKeyConstraint(["filing_id"], ["filings.id"],
                                name=op.f("fk_filing_batch_members_filing_id_filings")),
        sa.UniqueConstraint("filing_id", name=op.f("uq_filing_batch_members_filing_id")),
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.Integer(), autoincrement=False, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_audit_events_object", "audit_events", ["object_type", "object_id", "seq"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
    )
    op.bulk_insert(sa.table("audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
                            sa.column("hash", sa.String)), [{"id": 1, "seq": 0, "hash": GENESIS}])


def downgrade() -> None:
    op.drop_table("audit_head")
    op.drop_index("ix_audit_events_object", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("filing_batch_members")
    op.drop_table("filing_batches")
    op.drop_table("number_sequences")
    op.drop_index("ix_materials_filing_type", table_name="materials")
    op.drop_table("materials")
    op.drop_index("ix_filings_province_state", table_name="filings")
    op.drop_index("ix_filings_organisation", table_name="filings")
    op.drop_table("filings")
    op.drop_table("api_tokens")
    op.drop_index("ix_login_failures_email_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("users")
    op.drop_table("organisations")
