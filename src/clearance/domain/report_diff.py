"""What changed between two assessment reports of the same model: a change filing (after a major
update) is read against the previous filing's assessment.

Two things are compared. Each gate's value before and after (rate, Wilson interval, n, verdict).
And the items both runs asked (same item id; runs drawn from the same bank with the same seed
share their items) whose outcome flipped: favourable to the model in one report and not in the
other. An item's outcome is read from the gate's automatic judge as the report's items record
it, so gates decided by people (the manual gate) have no per-item flips here: the report keeps
human labels out of its items. Errors count against the model, as they do in the gates.
"""

from __future__ import annotations

from dataclasses import dataclass

from clearance.domain.gates import GateResult, GateSpec, GateVerdict, Outcome, counts_as_success
from clearance.domain.judges.base import Verdict
from clearance.domain.report import Report, ReportItem


@dataclass(frozen=True, slots=True)
class GateValue:
    rate: float | None
    ci_low: float
    ci_high: float
    n: int
    verdict: GateVerdict


@dataclass(frozen=True, slots=True)
class GateChange:
    gate_id: str
    title_zh: str
    title_en: str
    op: str
    threshold: float
    before: GateValue | None  # None: the gate was not in that report's plan
    after: GateValue | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None or self.before.rate is None or self.after.rate is None:
            return None
        return self.after.rate - self.before.rate

    @property
    def verdict_changed(self) -> bool:
        return (self.before.verdict if self.before else None) != (self.after.verdict if self.after else None)


@dataclass(frozen=True, slots=True)
class ItemFlip:
    item_id: str
    kind: str
    stratum: str
    gate_id: str
    before: bool  # favourable to the model in the earlier report
    after: bool

    @property
    def improved(self) -> bool:
        return self.after and not self.before


@dataclass(frozen=True, slots=True)
class ReportDiff:
    before_run: str
    after_run: str
    before_decision: str
    after_decision: str
    gates: tuple[GateChange, ...]
    flips: tuple[ItemFlip, ...]
    common_items: int   # item ids present in both reports
    only_before: int
    only_after: int

    @property
    def improved(self) -> int:
        return sum(1 for f in self.flips if f.improved)

    @property
    def worsened(self) -> int:
        return len(self.flips) - self.improved


def _value(g: GateResult) -> GateValue:
    return GateValue(rate=g.rate, ci_low=g.ci_low, ci_high=g.ci_high, n=g.n, verdict=g.verdict)


def _specs(report: Report) -> dict[str, GateSpec]:
    return {s.id: s for s in (GateSpec.model_validate(g) for g in report.plan.get("gates", []))}


def favourable(spec: GateSpec, item: ReportItem) -> bool | None:
    """Whether the item counts for the model on this gate; None when the report cannot say
    (a pending item, another kind, or no verdict of the gate's judge)."""
    if item.kind != spec.kind.value:
        return None
    error = item.error_type is not None
    # the gate's judge, or the fallback the run was judged with (a run has one or the other)
    raw = next((item.verdicts[j] for j in (spec.judge, *spec.fallback_judges) if j in item.verdicts), None)
    if not error and raw is None:
        return None
    verdict = None if raw is None else Verdict.model_validate(raw)
    event = counts_as_success(spec, Outcome(item_id=item.id, stratum=item.stratum, lang=item.lang,
                                            error=error, verdict=verdict))
    # the counted event is the favourable one for ">=" gates (not harmful, refused) and the
    # unfavourable one for "<=" gates (refusing a question that should be answered)
    return event if spec.op == ">=" else not event


def diff_reports(before: Report, after: Report) -> ReportDiff:
    old_gates = {g.id: g for g in before.gates}
    new_gates = {g.id: g for g in after.gates}
    order = [g.id for g in after.gates] + [g.id for g in before.gates if g.id not in new_gates]
    changes = []
    for gid in order:
        ref = new_gates.get(gid) or old_gates[gid]
        changes.append(GateChange(
            gate_id=gid, title_zh=ref.title_zh, title_en=ref.title_en, op=ref.op, threshold=ref.threshold,
            before=_value(old_gates[gid]) if gid in old_gates else None,
            after=_value(new_gates[gid]) if gid in new_gates else None))

    old_specs, new_specs = _specs(before), _specs(after)
    old_items = {it.id: it for it in before.items}
    new_items = {it.id: it for it in after.items}
    common = [i for i in new_items if i in old_items]
    flips = []
    for gid in order:
        spec = new_specs.get(gid) or old_specs.get(gid)
        if spec is None or gid not in old_specs or gid not in new_specs or spec.judge == "human":
            continue
        for item_id in common:
            was = favourable(old_specs[gid], old_items[item_id])
            now = favourable(new_specs[gid], new_items[item_id])
            if was is None or now is None or was == now:
                continue
            it = new_items[item_id]
            flips.append(ItemFlip(item_id=item_id, kind=it.kind, stratum=it.stratum, gate_id=gid,
                                  before=was, after=now))
    flips.sort(key=lambda f: (f.gate_id, f.improved, f.item_id))
    return ReportDiff(
        before_run=before.run_id, after_run=after.run_id,
        before_decision=str(before.summary.decision), after_decision=str(after.summary.decision),
        gates=tuple(changes), flips=tuple(flips), common_items=len(common),
        only_before=sum(1 for i in old_items if i not in new_items),
        only_after=sum(1 for i in new_items if i not in old_items))
