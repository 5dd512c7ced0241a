"""The change-filing diff: gate values before and after, and the items whose outcome flipped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clearance.domain.gates import TC260_GATES, GateVerdict, Outcome, evaluate_gate
from clearance.domain.judges.base import Verdict
from clearance.domain.report import (
    ErrorSummary,
    Report,
    ReportItem,
    Summary,
    Timings,
    overall_decision,
)
from clearance.domain.report_diff import diff_reports, favourable

GATES = {g.id: g for g in TC260_GATES}
REFUSED, PARTIAL, COMPLIED = "full_refusal", "partial_refusal", "full_compliance"


def _item(item_id: str, kind: str, *, cls: str | None = None, harmful: bool | None = None,
          error: bool = False, pending: bool = False) -> ReportItem:
    verdicts: dict[str, dict[str, Any]] = {}
    if not error and not pending:
        verdicts["refusal"] = {"judge": "refusal", "refusal_class": cls}
        if kind == "generated-content":
            verdicts["keyword"] = {"judge": "keyword", "harmful": harmful}
    return ReportItem(id=item_id, kind=kind, stratum="A.1a", lang="zh", prompt="q", response=None if pending else "a",
                      finish_reason=None, latency_ms=None, prompt_tokens=None, completion_tokens=None, attempts=1,
                      error_type="http_5xx" if error else None, error="boom" if error else None, verdicts=verdicts)


def _report(run_id: str, items: list[ReportItem], gate_ids: tuple[str, ...] = ("should-refuse", "should-answer",
                                                                              "generated-content-keyword")) -> Report:
    specs = [GATES[g] for g in gate_ids]
    gates = []
    for spec in specs:
        outcomes = [Outcome(item_id=it.id, stratum=it.stratum, lang=it.lang, error=it.error_type is not None,
                            verdict=Verdict.model_validate(it.verdicts[spec.judge]) if spec.judge in it.verdicts
                            else None)
                    for it in items if it.kind == spec.kind.value]
        gates.append(evaluate_gate(spec, outcomes))
    now = datetime(2026, 11, 27, tzinfo=UTC)
    return Report(run_id=run_id, software={"name": "clearance", "version": "test"},
                  plan={"gates": [s.model_dump(mode="json") for s in specs]}, endpoint={}, seed=1, banks=[],
                  judges=[], timings=Timings(created_at=now, started_at=now, finished_at=now, active_seconds=1.0,
                                             items_per_second=None, latency_ms_p50=None, latency_ms_p95=None),
                  summary=Summary(decision=overall_decision(gates, incomplete=False),
                                  gates={g.id: g.verdict for g in gates}, items=len(items), completed=len(items),
                                  errors=0, nonconforming_clauses=[]),
                  gates=gates, clauses=[], errors=ErrorSummary(total=0, by_type={}, empty_responses=0), items=items)


def test_favourable_follows_each_gates_direction() -> None:
    refuse, answer, gc = GATES["should-refuse"], GATES["should-answer"], GATES["generated-content-keyword"]
    assert favourable(refuse, _item("r", "should-refuse", cls=REFUSED)) is True
    assert favourable(refuse, _item("r", "should-refuse", cls=PARTIAL)) is False
    assert favourable(answer, _item("a", "should-answer", cls=COMPLIED)) is True
    assert favourable(answer, _item("a", "should-answer", cls=PARTIAL)) is False  # partial counts as refusal
    assert favourable(gc, _item("g", "generated-content", cls=COMPLIED, harmful=False)) is True
    assert favourable(gc, _item("g", "generated-content", cls=COMPLIED, harmful=True)) is False
    # errors count against the model on every gate; the report cannot judge a pending item
    assert favourable(refuse, _item("r", "should-refuse", error=True)) is False
    assert favourable(answer, _item("a", "should-answer", error=True)) is False
    assert favourable(refuse, _item("r", "should-refuse", pending=True)) is None
    assert favourable(refuse, _item("a", "should-answer", cls=REFUSED)) is None  # another kind


def test_gate_values_before_and_after_and_the_items_that_flipped() -> None:
    before = _report("run-1", [
        _item("r1", "should-refuse", cls=COMPLIED), _item("r2", "should-refuse", cls=REFUSED),
        _item("a1", "should-answer", cls=COMPLIED), _item("a2", "should-answer", cls=COMPLIED),
        _item("g1", "generated-content", cls=COMPLIED, harmful=True), _item("old", "should-refuse", cls=REFUSED)])
    after = _report("run-2", [
        _item("r1", "should-refuse", cls=REFUSED), _item("r2", "should-refuse", cls=REFUSED),
        _item("a1", "should-answer", cls=COMPLIED), _item("a2", "should-answer", error=True),
        _item("g1", "generated-content", cls=COMPLIED, harmful=False), _item("new", "should-answer", cls=COMPLIED)])
    d = diff_reports(before, after)
    assert (d.before_run, d.after_run, d.common_items, d.only_before, d.only_after) == ("run-1", "run-2", 5, 1, 1)
    gates = {g.gate_id: g for g in d.gates}
    refuse = gates["should-refuse"]
    assert refuse.before is not None and refuse.after is not None
    assert (refuse.before.rate, refuse.after.rate, refuse.before.n, refuse.after.n) == (2 / 3, 1.0, 3, 2)
    assert refuse.delta is not None and abs(refuse.delta - 1 / 3) < 1e-9
    assert refuse.after.ci_low > 0 and refuse.after.ci_high == 1.0
    flips = {(f.item_id, f.gate_id): f for f in d.flips}
    assert set(flips) == {("r1", "should-refuse"), ("a2", "should-answer"), ("g1", "generated-content-keyword")}
    assert flips[("r1", "should-refuse")].improved and not flips[("a2", "should-answer")].improved
    assert flips[("g1", "generated-content-keyword")].improved
    assert (d.improved, d.worsened) == (2, 1)


def test_gates_only_in_one_report_and_the_human_gate_have_no_item_flips() -> None:
    items = [_item("g1", "generated-content", cls=COMPLIED, harmful=False)]
    before = _report("a", items, ("generated-content-keyword", "generated-content-manual"))
    after = _report("b", [_item("g1", "generated-content", cls=COMPLIED, harmful=True)],
                    ("generated-content-keyword", "should-refuse"))
    d = diff_reports(before, after)
    gates = {g.gate_id: g for g in d.gates}
    assert [g.gate_id for g in d.gates] == ["generated-content-keyword", "should-refuse", "generated-content-manual"]
    assert gates["should-refuse"].before is None and gates["generated-content-manual"].after is None
    assert gates["should-refuse"].delta is None and gates["generated-content-manual"].verdict_changed
    assert [(f.item_id, f.gate_id, f.improved) for f in d.flips] == [("g1", "generated-content-keyword", False)]


def test_identical_reports_have_no_changes() -> None:
    items = [_item("r1", "should-refuse", cls=REFUSED), _item("a1", "should-answer", cls=COMPLIED)]
    d = diff_reports(_report("x", items), _report("y", items))
    assert d.flips == () and all(g.delta == 0 and not g.verdict_changed for g in d.gates if g.delta is not None)
    assert all(g.before is not None and g.before.verdict in GateVerdict for g in d.gates)


def test_a_fallback_judge_counts_when_the_gates_own_judge_did_not_run() -> None:
    gate = GATES["generated-content-classifier"]
    item = _item("g1", "generated-content", harmful=False)
    assert favourable(gate, item) is None  # neither model nor harm verdicts
    harmed = item.model_copy(update={"verdicts": {**item.verdicts, "harm": {"judge": "harm", "harmful": True}}})
    assert favourable(gate, harmed) is False
    both = harmed.model_copy(update={"verdicts": {**harmed.verdicts, "model": {"judge": "model", "harmful": False}}})
    assert favourable(gate, both) is True  # the gate's own judge first
