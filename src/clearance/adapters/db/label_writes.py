"""Human labels written on the caller's connection, so a label recorded in the workspace commits
or rolls back with its audit event (``labels.add_labels`` opens its own transaction, which is
right for a CLI import but would be a second writer inside an audited change)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, insert

from clearance.adapters.db.labels import Label
from clearance.adapters.db.tables import human_labels


def add_labels(conn: Connection, run_id: str, labels: Sequence[Label]) -> None:
    if not labels:
        return
    conn.execute(insert(human_labels), [
        {"run_id": run_id, "item_id": lab.item_id, "labeller": lab.labeller,
         "refusal_class": lab.refusal_class, "harmful": lab.harmful, "risk_code": lab.risk_code,
         "note": lab.note, "created_at": lab.created_at} for lab in labels])
