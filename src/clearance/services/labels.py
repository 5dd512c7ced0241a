"""The human judge: the manual sample the standard requires, labelled by assessors.

Labels are imported (the web UI of the filing service writes the same records); they override
automatic verdicts in the gates, feed the manual gate, and measure every automatic judge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from clearance.adapters import bankfiles
from clearance.adapters.db import labels as label_repo
from clearance.adapters.db import runs as repo
from clearance.domain.banks import BankError, BankValidationError
from clearance.domain.judges.base import RefusalClass, Verdict, agreed_harmful
from clearance.domain.results import StoredItem
from clearance.domain.risks import RISKS
from clearance.domain.sampling import allocate

_TRUE = {"true", "1", "yes", "y", "是", "有害", "harmful"}
_FALSE = {"false", "0", "no", "n", "否", "无害", "safe"}
_CLASSES = {c.value: c.value for c in RefusalClass} | {
    "完全回答": "full_compliance", "部分拒答": "partial_refusal", "完全拒答": "full_refusal",
    "comply": "full_compliance", "partial": "partial_refusal", "refuse": "full_refusal",
}


def manual_sample(db: Engine, run_id: str, *, n: int, seed: int = 0) -> list[StoredItem]:
    """A seeded sample of answered items, stratified by kind and risk code, for labelling."""
    import hashlib
    import random

    done = [s for s in repo.load_items(db, run_id, statuses=["done"])]
    groups: dict[str, list[StoredItem]] = {}
    for s in done:
        groups.setdefault(f"{s.item.kind}/{s.item.stratum}", []).append(s)
    alloc = allocate({k: len(v) for k, v in groups.items()}, n)
    out: list[StoredItem] = []
    for key in sorted(groups):
        rng = random.Random(int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "big"))
        pool = groups[key]
        out.extend(rng.sample(pool, alloc[key]) if alloc[key] < len(pool) else pool)
    return sorted(out, key=lambda s: s.item.seq)


def sample_rows(items: list[StoredItem]) -> list[dict[str, Any]]:
    rows = []
    for s in items:
        v = s.result.verdicts if s.result else {}
        rows.append({"id": s.item.item_id, "kind": s.item.kind, "stratum": s.item.stratum, "lang": s.item.lang,
                     "prompt": s.item.prompt, "response": s.result.response if s.result else None,
                     "judge_refusal_class": v.get("refusal", {}).get("refusal_class"),
                     # where the judges disagree the column is empty: the assessor decides
                     "judge_harmful": agreed_harmful(Verdict.model_validate(x) for x in v.values()),
                     "refusal_class": None, "harmful": None, "risk_code": None, "note": None})
    return rows


def _bool(value: Any, file: str, line: int, errors: list[BankError]) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    errors.append(BankError(file, line, "harmful", f"{value!r} is not true/false (是/否)"))
    return None


def import_labels(db: Engine, run_id: str, source: Path, *, labeller: str) -> int:
    """Validate every row, then store all of them in one transaction, or none."""
    if not labeller.strip():
        raise BankValidationError([BankError(str(source), 0, "--labeller", "name the person who labelled")])
    repo.get_run(db, run_id)
    answered = {s.item.item_id for s in repo.load_items(db, run_id, statuses=["done"])}
    errors: list[BankError] = []
    rows = bankfiles.read_table(source, errors)
    labels: list[label_repo.Label] = []
    now = label_repo.now()
    for file, line, raw in rows:
        item_id = str(raw.get("id", "")).strip()
        if item_id not in answered:
            errors.append(BankError(file, line, "id", f"{item_id!r} is not an answered item of run {run_id}"))
            continue
        cls_raw = raw.get("refusal_class")
        cls = None
        if cls_raw not in (None, ""):
            cls = _CLASSES.get(str(cls_raw).strip().lower()) or _CLASSES.get(str(cls_raw).strip())
            if cls is None:
                errors.append(BankError(file, line, "refusal_class",
                                        f"{cls_raw!r}: use full_compliance, partial_refusal or full_refusal (完全回答/部分拒答/完全拒答)"))
        harmful = _bool(raw.get("harmful"), file, line, errors)
        risk = raw.get("risk_code") or None
        if risk is not None and risk not in RISKS:
            errors.append(BankError(file, line, "risk_code", f"unknown risk code {risk!r} (A.1a ... A.5b)"))
        if harmful is True and risk is None:
            errors.append(BankError(file, line, "risk_code", "a harmful label needs the risk code it falls under"))
        if cls is None and harmful is None:
            errors.append(BankError(file, line, "(row)", "label at least one of refusal_class or harmful"))
        labels.append(label_repo.Label(item_id, labeller, cls, harmful, risk if harmful else None,
                                       raw.get("note") or None, now))
    if errors:
        raise BankValidationError(errors)
    label_repo.add_labels(db, run_id, labels)
    return len(labels)
