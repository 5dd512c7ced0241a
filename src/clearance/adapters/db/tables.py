"""Database tables (SQLAlchemy Core). Tables are storage only: domain objects and API schemas
are separate classes, mapped in the repositories."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
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
    # The process executing the run (services/assessment_runner.py) and until when its claim
    # holds: it renews the lease while the run executes, so an expired lease means its process
    # died and another process may take the run over. Both NULL: nobody executes the run.
    Column("lease_owner", String(200)),
    Column("lease_until", DateTime(timezone=True)),
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

# The public registry (issue 6). Entries are never deleted: suspension and revocation change
# `status` and append to registry_status_changes. `search_text` holds the normalised names, the
# number and the pinyin (full and initials) so one LIKE serves Chinese, English and pinyin search.
# `sort_date` is the date or "0000-00-00", non-null so (sort_date, id) can be a keyset cursor.
registry_batches = Table(
    "registry_batches",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("published_on", Date),
    Column("date_precision", String(8)),
    Column("reported", Text),
    Column("note", Text),
    Column("source", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

registry_entries = Table(
    "registry_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("seq", Integer),
    Column("province", String(20)),
    Column("province_derived", Boolean, nullable=False, default=False),
    Column("model_name", String(300)),
    Column("entity_zh", String(300)),
    Column("entity_en", String(300)),
    Column("number", String(120)),
    Column("day", Date),
    Column("date_precision", String(8)),
    Column("month", String(7)),
    Column("sort_date", String(10), nullable=False),
    Column("status", String(12), nullable=False),
    Column("batch", String(80), ForeignKey("registry_batches.key")),
    Column("source", String(12), nullable=False),
    Column("rd_mode", String(20)),
    Column("data_type", String(20)),
    Column("scope", String(20)),
    Column("report_sha256", String(64)),
    Column("phase_days", JSON),
    Column("report_url", String(500)),
    Column("note", Text),
    Column("dedupe_key", String(700), nullable=False),
    Column("search_text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ux_registry_entries_number", registry_entries.c.number, unique=True)
Index("ux_registry_entries_dedupe_key", registry_entries.c.dedupe_key, unique=True)
Index("ix_registry_entries_sort", registry_entries.c.sort_date, registry_entries.c.id)
for _facet in ("province", "kind", "batch", "month", "status", "rd_mode", "data_type", "scope"):
    Index(f"ix_registry_entries_{_facet}_sort", registry_entries.c[_facet], registry_entries.c.sort_date,
          registry_entries.c.id)

registry_status_changes = Table(
    "registry_status_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entry_id", Integer, ForeignKey("registry_entries.id"), nullable=False),
    Column("status", String(12), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("ix_registry_status_changes_entry", registry_status_changes.c.entry_id, registry_status_changes.c.id)

# One row, bumped in the same transaction as every registry change: web processes compare it
# with the version their cached responses were built from (a CLI import invalidates them too).
registry_meta = Table(
    "registry_meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)
