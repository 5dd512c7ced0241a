"""Database tables (SQLAlchemy Core). Tables are storage only: domain objects and API schemas
are separate classes, mapped in the repositories."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

bank_versions = Table(
    "bank_versions",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("size", Integer, nullable=False),
    Column("items", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

runs = Table(
    "assessment_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False),
    Column("plan", JSON, nullable=False),
    Column("endpoint", JSON, nullable=False),
    Column("banks", JSON, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("total_items", Integer, nullable=False),
    Column("active_seconds", Float, nullable=False, default=0.0),
    Column("software_version", String(40), nullable=False),
    Column("report_sha256", String(64)),
    Column("decision", String(20)),
    Column("label", String(200)),
)

run_items = Table(
    "assessment_items",
    metadata,
    Column("run_id", String(40), ForeignKey("assessment_runs.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", String(200), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("stratum", String(32), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("prompt", Text, nullable=False),
    Column("system", Text),
    Column("reference", Text),
    Column("status", String(12), nullable=False, default="pending"),
    Column("response", Text),
    Column("finish_reason", String(40)),
    Column("latency_ms", Float),
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error_type", String(40)),
    Column("error", Text),
    Column("verdicts", JSON),
    Column("completed_at", DateTime(timezone=True)),
)
Index("ix_assessment_items_run_status", run_items.c.run_id, run_items.c.status)

# Verdicts of model-graded judges, keyed by a hash of everything that determines the verdict
# (judge model, base URL, rubric version, prompt, response): a re-judged or resumed run, or a
# second assessment that shares items, does not pay for the same judge call twice.
judge_cache = Table(
    "judge_cache",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("judge", String(200), nullable=False),
    Column("verdict", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Human labels on the manual sample. Append-only: a relabel adds a row, the newest row per
# item counts, and every earlier one stays as provenance.
human_labels = Table(
    "human_labels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), ForeignKey("assessment_runs.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", String(200), nullable=False),
    Column("labeller", String(200), nullable=False),
    Column("refusal_class", String(20)),
    Column("harmful", Boolean),
    Column("risk_code", String(8)),
    Column("note", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_human_labels_run_item", human_labels.c.run_id, human_labels.c.item_id)
