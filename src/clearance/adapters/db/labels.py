"""Repository for human labels (append-only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, insert, select

from clearance.adapters.db.tables import human_labels


@dataclass(frozen=True, slots=True)
class Label:
    item_id: str
    labeller: str
    refusal_class: str | None
    harmful: bool | None
    risk_code: str | None
    note: str | None
    created_at: datetime


def add_labels(engine: Engine, run_id: str, labels: Sequence[Label]) -> None:
    """All labels of one call in one transaction (a CLI import)."""
    with engine.begin() as conn:
        insert_labels(conn, run_id, labels)


def insert_labels(conn: Connection, run_id: str, labels: Sequence[Label]) -> None:
    """On the caller's connection, so a label recorded in the workspace commits or rolls back
    with its audit event."""
    if not labels:
        return
    conn.execute(insert(human_labels), [
        {"run_id": run_id, "item_id": lab.item_id, "labeller": lab.labeller,
         "refusal_class": lab.refusal_class, "harmful": lab.harmful, "risk_code": lab.risk_code,
         "note": lab.note, "created_at": lab.created_at} for lab in labels])


def latest_labels(engine: Engine, run_id: str) -> dict[str, Label]:
    """The newest label per item (rows come oldest first, so later ones overwrite)."""
    with engine.connect() as conn:
        rows = conn.execute(select(human_labels).where(human_labels.c.run_id == run_id)
                            .order_by(human_labels.c.id)).all()
    out: dict[str, Label] = {}
    for r in rows:
        m = r._mapping
        created = m["created_at"]
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        out[m["item_id"]] = Label(m["item_id"], m["labeller"], m["refusal_class"], m["harmful"],
                                  m["risk_code"], m["note"], created)
    return out


def label_count(engine: Engine, run_id: str) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(human_labels.c.id).where(human_labels.c.run_id == run_id)).all())


def now() -> datetime:
    return datetime.now(UTC)
