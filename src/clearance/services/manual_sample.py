"""Phase 2's manual check in the workspace: the sample an assessor labels, one item at a time.

The standard's manual gate (TC260-003 9.3) reads at least 1,000 generated-content answers; the
sample is therefore drawn from the answered items of the manual gate's kind, as many as the
gate's minimum sample asks for (all of them when the run has fewer, as the quick plan has),
stratified by risk code and seeded with the run's seed. It is drawn when an assessor first
opens the labelling page and recorded in the audit log (``manual_sample.drawn``, with every
item id), which is also where it is read back from, so it never changes under the labellers.

Labels are the human judge's records (``adapters.db.labels``: append-only, the newest per item
counts, the labeller's user id as provenance); each is written with its audit event in one
transaction. Whoever labels works on the assessment, so they become an assessor of the filing
(separation of duties then keeps them from the central decision). Once the assessment is
signed its labels are final.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from clearance.adapters.db import audit_log
from clearance.adapters.db import filings as filing_repo
from clearance.adapters.db import labels as label_repo
from clearance.adapters.db import runs as runs_repo
from clearance.domain.filings.records import Filing
from clearance.domain.filings.workflow import Actor
from clearance.domain.gates import TC260_GATES, GateSpec
from clearance.domain.judges.base import RefusalClass, Verdict, agreed_harmful
from clearance.domain.policy import Action, require
from clearance.domain.results import StoredItem
from clearance.domain.risks import RISKS
from clearance.domain.sampling import allocate
from clearance.services.errors import InvalidInput, NotFound
from clearance.services.filings import get_filing, load_visible, target

SAMPLE_OBJECT = "manual_sample"
DRAWN = "manual_sample.drawn"
LABELLED = "label.recorded"
_DEFAULT_GATE = next(g for g in TC260_GATES if g.judge == "human")


@dataclass(frozen=True, slots=True)
class Sample:
    run_id: str
    kind: str
    field: str                 # the label field the manual gate counts: harmful or refusal_class
    item_ids: tuple[str, ...]

    def position(self, item_id: str) -> int | None:
        """1-based position of an item, None when it is not in the sample."""
        try:
            return self.item_ids.index(item_id) + 1
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Proposal:
    """What the automatic judges said, as a label an assessor can agree with."""

    refusal_class: str | None
    harmful: bool | None
    risk_code: str | None


@dataclass(frozen=True, slots=True)
class JudgeRow:
    judge: str
    refusal_class: str | None
    harmful: bool | None
    risk_code: str | None
    decided_by: str
    reason: str | None
    undecided: bool
    # the deciding layer's confidence (a classifier's probability), when it has one
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class LabelView:
    filing: Filing
    run_id: str
    position: int
    size: int
    item: StoredItem
    judges: list[JudgeRow]
    proposal: Proposal
    agreeable: bool            # the judges decided what the manual gate counts
    field: str
    current: label_repo.Label | None
    labelled: int
    next_unlabelled: int | None
    editable: bool             # not signed yet


def manual_gate(plan: dict[str, Any]) -> GateSpec:
    for g in plan.get("gates", []):
        spec = GateSpec.model_validate(g)
        if spec.judge == "human":
            return spec
    return _DEFAULT_GATE


def _field(spec: GateSpec) -> str:
    return "harmful" if spec.metric == "pass_rate" else "refusal_class"


def draw(items: list[StoredItem], n: int, seed: int) -> list[str]:
    """Seeded and stratified by risk code (every code keeps at least one item while n allows);
    the same items, size and seed always give the same sample."""
    groups: dict[str, list[StoredItem]] = {}
    for s in items:
        groups.setdefault(s.item.stratum, []).append(s)
    alloc = allocate({k: len(v) for k, v in groups.items()}, n)
    chosen: list[StoredItem] = []
    for key in sorted(groups):
        rng = random.Random(int.from_bytes(hashlib.sha256(f"{seed}:manual:{key}".encode()).digest()[:8], "big"))
        pool = sorted(groups[key], key=lambda s: s.item.item_id)
        chosen.extend(rng.sample(pool, alloc[key]) if alloc[key] < len(pool) else pool)
    return [s.item.item_id for s in sorted(chosen, key=lambda s: s.item.seq)]


def stored_sample(db: Engine, run_id: str) -> Sample | None:
    events = [e for e in audit_log.for_object(db, SAMPLE_OBJECT, run_id) if e.action == DRAWN]
    if not events:
        return None
    after = events[0].after or {}
    return Sample(run_id=run_id, kind=str(after["kind"]), field=str(after["field"]),
                  item_ids=tuple(str(i) for i in after["items"]))


def expected_size(db: Engine, run: runs_repo.RunRecord) -> int:
    """How many items the sample of a completed run holds (before it is drawn)."""
    spec = manual_gate(run.plan)
    answered = sum(1 for s in runs_repo.load_items(db, run.id, statuses=["done"]) if s.item.kind == spec.kind.value)
    return min(spec.min_sample, answered)


def labelled_count(db: Engine, sample: Sample) -> int:
    latest = label_repo.latest_labels(db, sample.run_id)
    return sum(1 for i in sample.item_ids if i in latest)


def _completed_run(f: Filing, db: Engine) -> runs_repo.RunRecord:
    if f.assessment_run_id is None:
        raise InvalidInput({"assessment": "no assessment has been scheduled"})
    try:
        run = runs_repo.get_run(db, f.assessment_run_id)
    except runs_repo.RunNotFound:
        raise NotFound(f"assessment run {f.assessment_run_id!r} is missing") from None
    if run.status != "completed":
        raise InvalidInput({"assessment": f"the run is '{run.status}'; the sample is labelled once it has completed"})
    return run


def ensure_sample(db: Engine, *, actor: Actor, filing: Filing) -> Sample:
    """The filing's manual sample, drawn (and audited) the first time it is asked for."""
    require(actor, Action.RUN_ASSESSMENT, target(filing))
    run = _completed_run(filing, db)
    found = stored_sample(db, run.id)
    if found is not None:
        return found
    spec = manual_gate(run.plan)
    answered = [s for s in runs_repo.load_items(db, run.id, statuses=["done"]) if s.item.kind == spec.kind.value]
    if not answered:
        raise InvalidInput({"assessment": f"the run has no answered {spec.kind.value} items to label"})
    n = min(spec.min_sample, len(answered))
    ids = draw(answered, n, run.seed)
    with audit_log.writing(db) as conn:
        # drawn by a concurrent visit meanwhile: that one stands (the lock serialises the two)
        again = stored_sample(db, run.id)
        if again is not None:
            return again
        audit_log.append(conn, actor=actor.id, action=DRAWN, object_type=SAMPLE_OBJECT, object_id=run.id,
                         after={"filing_id": filing.id, "kind": spec.kind.value, "field": _field(spec),
                                "gate": spec.id, "min_sample": spec.min_sample, "answered": len(answered),
                                "seed": run.seed, "size": len(ids), "items": ids})
    return Sample(run_id=run.id, kind=spec.kind.value, field=_field(spec), item_ids=tuple(ids))


def _judge_rows(s: StoredItem) -> list[JudgeRow]:
    rows = []
    for name, raw in sorted((s.result.verdicts if s.result else {}).items()):
        v = Verdict.model_validate(raw)
        rows.append(JudgeRow(judge=name, refusal_class=v.refusal_class.value if v.refusal_class else None,
                             harmful=v.harmful, risk_code=v.risk_code, decided_by=v.decided_by, reason=v.reason,
                             undecided=v.undecided, confidence=v.confidence))
    return rows


def proposal(rows: list[JudgeRow], stratum: str) -> Proposal:
    """The judges' verdict as one label: the refusal judge's class, and "harmful" where every
    judge that decided it agrees (judges that disagree leave it to the assessor)."""
    ref = next((r for r in rows if r.judge == "refusal" and not r.undecided), None)
    verdicts = [Verdict(judge=r.judge, harmful=r.harmful, risk_code=r.risk_code, undecided=r.undecided) for r in rows]
    harmful = agreed_harmful(verdicts)
    risk = None
    if harmful:
        risk = next((v.risk_code for v in verdicts if v.harmful and v.risk_code), None) or (stratum if stratum in RISKS else None)
    return Proposal(refusal_class=ref.refusal_class if ref else None, harmful=harmful, risk_code=risk)


def _next_unlabelled(sample: Sample, labelled: set[str], after: int) -> int | None:
    """The first unlabelled position after ``after`` (1-based), wrapping around."""
    n = len(sample.item_ids)
    for step in range(1, n + 1):
        pos = (after - 1 + step) % n + 1
        if sample.item_ids[pos - 1] not in labelled:
            return pos
    return None


def label_view(db: Engine, *, actor: Actor, filing_id: str, at: int | None = None) -> LabelView:
    f = get_filing(db, actor=actor, filing_id=filing_id)
    sample = ensure_sample(db, actor=actor, filing=f)
    latest = label_repo.latest_labels(db, sample.run_id)
    done = {i for i in sample.item_ids if i in latest}
    size = len(sample.item_ids)
    if at is None:
        at = _next_unlabelled(sample, done, size) or 1
    if not 1 <= at <= size:
        raise NotFound(f"the sample has items 1 to {size}; there is no item {at}")
    item_id = sample.item_ids[at - 1]
    stored = {s.item.item_id: s for s in runs_repo.load_items(db, sample.run_id, statuses=["done"])}
    s = stored.get(item_id)
    if s is None:
        raise NotFound(f"sample item {item_id!r} has no stored answer")
    rows = _judge_rows(s)
    prop = proposal(rows, s.item.stratum)
    return LabelView(filing=f, run_id=sample.run_id, position=at, size=size, item=s, judges=rows, proposal=prop,
                     agreeable=getattr(prop, sample.field) is not None, field=sample.field,
                     current=latest.get(item_id), labelled=len(done), next_unlabelled=_next_unlabelled(sample, done, at),
                     editable=f.assessment_signed_by is None)


def _problems(sample: Sample, refusal_class: str | None, harmful: bool | None, risk_code: str | None,
              note: str | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if refusal_class is not None and refusal_class not in {c.value for c in RefusalClass}:
        errors["refusal_class"] = "one of " + ", ".join(c.value for c in RefusalClass)
    if risk_code is not None and risk_code not in RISKS:
        errors["risk_code"] = f"unknown risk code {risk_code!r} (A.1a ... A.5b)"
    if harmful is True and risk_code is None:
        errors.setdefault("risk_code", "a harmful answer needs the risk code it falls under")
    if (refusal_class if sample.field == "refusal_class" else harmful) is None:
        errors.setdefault(sample.field, "the manual gate counts this field: choose a value")
    if note is not None and len(note) > 2000:
        errors["note"] = "at most 2,000 characters"
    return errors


def record_label(db: Engine, *, actor: Actor, filing_id: str, item_id: str, agree: bool,
                 refusal_class: str | None = None, harmful: bool | None = None, risk_code: str | None = None,
                 note: str | None = None) -> int | None:
    """Store one label for a sample item: the judges' verdict (``agree``) or the assessor's own.
    Returns the next unlabelled position (None when every item is labelled). Raises
    InvalidInput for an item outside the sample or bad values; nothing is stored then."""
    f = get_filing(db, actor=actor, filing_id=filing_id)
    sample = ensure_sample(db, actor=actor, filing=f)
    pos = sample.position(item_id)
    if pos is None:
        raise InvalidInput({"item_id": f"{item_id!r} is not in this assessment's manual sample"})
    if agree:
        stored = runs_repo.load_items(db, sample.run_id, statuses=["done"])
        s = next((x for x in stored if x.item.item_id == item_id), None)
        if s is None:
            raise NotFound(f"sample item {item_id!r} has no stored answer")
        prop = proposal(_judge_rows(s), s.item.stratum)
        if getattr(prop, sample.field) is None:
            raise InvalidInput({"agree": "the judges did not decide this item; label it with Override"})
        refusal_class, harmful, risk_code = prop.refusal_class, prop.harmful, prop.risk_code
    problems = _problems(sample, refusal_class, harmful, risk_code, note)
    if problems:
        raise InvalidInput(problems)
    label = label_repo.Label(item_id, actor.id, refusal_class, harmful, risk_code if harmful else None,
                             note or None, label_repo.now())
    with audit_log.writing(db) as conn:
        current = load_visible(conn, actor, filing_id, for_update=True)
        require(actor, Action.RUN_ASSESSMENT, target(current))
        if current.assessment_signed_by is not None:
            raise InvalidInput({"assessment": "the assessment is signed; its labels are final"})
        if current.assessment_run_id != sample.run_id:
            raise InvalidInput({"assessment": "the assessment was scheduled again meanwhile; reload the page"})
        previous = label_repo.latest_labels(db, sample.run_id).get(item_id)
        label_repo.insert_labels(conn, sample.run_id, [label])
        if actor.id not in current.assessors:
            filing_repo.update_filing(conn, filing_id, label.created_at, assessors=current.assessors | {actor.id})
        audit_log.append(conn, actor=actor.id, action=LABELLED, object_type="assessment_run", object_id=sample.run_id,
                         before=None if previous is None else _label_dict(previous),
                         after={"filing_id": filing_id, "item_id": item_id, "agree": agree, **_label_dict(label)})
    latest = label_repo.latest_labels(db, sample.run_id)
    done = {i for i in sample.item_ids if i in latest} | {item_id}
    return _next_unlabelled(sample, done, pos)


def _label_dict(label: label_repo.Label) -> dict[str, Any]:
    return {"labeller": label.labeller, "refusal_class": label.refusal_class, "harmful": label.harmful,
            "risk_code": label.risk_code, "note": label.note}


def unlabelled(db: Engine, run_id: str) -> int | None:
    """Sample items still without a label; None when no sample has been drawn yet."""
    sample = stored_sample(db, run_id)
    if sample is None:
        return None
    return len(sample.item_ids) - labelled_count(db, sample)
