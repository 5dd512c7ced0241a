"""Tables of the filing and review service (issue 5), on the shared ``metadata`` of tables.py.
Storage only: the domain objects are in clearance.domain.filings, mapped by the repositories.
Created by migration 0005."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from clearance.adapters.db.tables import metadata

organisations = Table(
    "organisations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("credit_code", String(18), nullable=False, unique=True),
    Column("province", String(6), nullable=False),
    Column("contact_name", String(100), nullable=False),
    Column("contact_phone", String(40), nullable=False),
    Column("contact_email", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(200), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(24), nullable=False),
    Column("province", String(6)),
    Column("organisation_id", String(40), ForeignKey("organisations.id")),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Failed logins, for throttling; cleared by a successful login.
login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("ix_login_failures_email_at", login_failures.c.email, login_failures.c.at)

# Only the SHA-256 of a token is stored: a database leak does not leak usable tokens.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("scopes", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
)

# Browser sessions: the cookie carries a random token, the table only its SHA-256 (like API
# tokens), so a database leak does not hand out logged-in sessions. The CSRF token is per session
# (synchronizer token) and is not a secret from the database's point of view.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("user_id", String(40), ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
Index("ix_web_sessions_user", web_sessions.c.user_id)

filings = Table(
    "filings",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("organisation_id", String(40), ForeignKey("organisations.id"), nullable=False),
    Column("province", String(6), nullable=False),
    Column("state", String(24), nullable=False),
    Column("form", JSON, nullable=False),
    Column("previous_filing_id", String(40), ForeignKey("filings.id")),
    Column("number", String(120), unique=True),
    Column("approved_on", Date),
    Column("provincial_reviewer", String(40)),
    Column("assessors", JSON, nullable=False),
    Column("assessment_run_id", String(40)),
    Column("assessment_signed_by", String(40)),
    Column("assessment_signed_at", DateTime(timezone=True)),
    Column("created_by", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_filings_organisation", filings.c.organisation_id)
Index("ix_filings_province_state", filings.c.province, filings.c.state)

# Every upload is kept (a replacement adds a row); the newest row per type is the current one.
materials = Table(
    "materials",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("filing_id", String(40), ForeignKey("filings.id"), nullable=False),
    Column("material_type", String(40), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", String(200), nullable=False),
    Column("declared_type", String(200)),
    Column("sniffed_type", String(200), nullable=False),
    Column("uploaded_by", String(40), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
)
Index("ix_materials_filing_type", materials.c.filing_id, materials.c.material_type, materials.c.id)

# Numbers issued per (kind, day): the sequence of the published formats.
number_sequences = Table(
    "number_sequences",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("last", Integer, nullable=False),
)

batches = Table(
    "filing_batches",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("status", String(12), nullable=False),
    Column("created_by", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_by", String(40)),
    Column("published_at", DateTime(timezone=True)),
)

batch_filings = Table(
    "filing_batch_members",
    metadata,
    Column("batch_id", String(40), ForeignKey("filing_batches.id"), primary_key=True),
    # unique: a filing is announced in one batch only
    Column("filing_id", String(40), ForeignKey("filings.id"), primary_key=True, unique=True),
)

# The hash chain (clearance.domain.audit). `seq` is the primary key, so two transactions that
# append concurrently cannot both take the same place in the chain: one fails and rolls back.
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(60), nullable=False),
    Column("object_type", String(40), nullable=False),
    Column("object_id", String(200), nullable=False),
    Column("reason", Text),
    Column("before", JSON),
    Column("after", JSON),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_events_object", audit_events.c.object_type, audit_events.c.object_id, audit_events.c.seq)

# One row holding the newest event's seq and hash, updated with every append. Appenders lock it
# (SELECT ... FOR UPDATE on PostgreSQL), which serialises them, and `verify` compares it with the
# last stored event, which is how deleting the newest events is noticed.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)
