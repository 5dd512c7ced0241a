"""Assessment use cases: schedule a run, execute or resume it, re-judge it, build its report.

Keyword-only functions; each takes the database engine explicitly so that the CLI, the web
application and the Python API share them without global state.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Engine

from clearance import __version__
from clearance.adapters.db import labels as label_repo
from clearance.adapters.db import runs as repo
from clearance.adapters.db.labels import Label
from clearance.adapters.endpoints.base import ChatEndpoint
from clearance.adapters.endpoints.openai import OpenAIChatEndpoint
from clearance.domain.agreement import Agreement, agreement, check_gate
from clearance.domain.banks import BankSet, KeywordEntry, KeywordLibrary, Kind
from clearance.domain.conformity import Clause, ClauseVerdict, bank_clauses, sample_clauses
from clearance.domain.endpoint import EndpointConfig
from clearance.domain.gates import (
    GateResult,
    GateSpec,
    Outcome,
    counts_as_success,
    evaluate_gate,
)
from clearance.domain.judges.base import JudgeInput, RefusalClass, Verdict
from clearance.domain.plan import AssessmentPlan, JudgeConfig
from clearance.domain.report import (
    BankRef,
    ErrorSummary,
    Report,
    ReportItem,
    Summary,
    Timings,
    overall_decision,
)
from clearance.domain.results import RunItem, StoredItem
from clearance.domain.sampling import stratified_sample
from clearance.services import judging
from clearance.services.engine import Progress, execute

log = logging.getLogger("clearance.assessments")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def schedule(db: Engine, *, plan: AssessmentPlan, endpoint: EndpointConfig, banks: BankSet,
             label: str | None = None) -> repo.RunRecord:
    """Sample the items, store the bank versions and the run. Nothing is sent yet."""
    items: list[RunItem] = []
    bank_refs: list[dict[str, Any]] = []
    for kind, n in plan.samples.items():
        bank = banks.banks.get(kind)
        if bank is None or n == 0:
            continue
        chosen = stratified_sample(bank.items, n, plan.seed)
        repo.save_bank_version(db, bank, kind.value)
        bank_refs.append(BankRef(kind=kind.value, name=bank.name, sha256=bank.sha256, size=len(bank),
                                 sampled=len(chosen)).model_dump())
        items.extend(
            RunItem(item_id=it.id, seq=len(items) + i, kind=kind.value, stratum=it.stratum, lang=it.lang,
                    prompt=it.prompt, system=it.system, reference=it.reference)
            for i, it in enumerate(chosen))
    if banks.keywords is not None:
        repo.save_bank_version(db, banks.keywords, "keywords")
        bank_refs.append(BankRef(kind="keywords", name=banks.keywords.name, sha256=banks.keywords.sha256,
                                 size=len(banks.keywords), sampled=0).model_dump())
    if not items:
        raise ValueError("the plan samples no items from these banks; check --banks and --sample")
    # The bank conformity clauses need the whole banks, which a run does not store, so they
    # are computed now and kept with the plan.
    plan_data = plan.model_dump(mode="json")
    plan_data["bank_clauses"] = [c.model_dump(mode="json") for c in bank_clauses(banks)]
    stored_endpoint = endpoint.model_dump(mode="json")
    stored_endpoint["extra_headers"] = endpoint.public()["extra_headers"]
    return repo.create_run(db, run_id=new_run_id(), plan=plan_data, endpoint=stored_endpoint,
                           banks=bank_refs, seed=plan.seed, items=items,
                           software_version=__version__, label=label)


def _plan(record: repo.RunRecord) -> AssessmentPlan:
    data = {k: v for k, v in record.plan.items() if k != "bank_clauses"}
    return AssessmentPlan.model_validate(data)


def _keywords(db: Engine, record: repo.RunRecord, loaded: KeywordLibrary | None = None) -> KeywordLibrary | None:
    """The run's keyword library: the one already in memory when it is the same version (a
    fresh run), else the stored version (resume, rejudge)."""
    ref = next((b for b in record.banks if b["kind"] == "keywords"), None)
    if ref is None:
        return None
    if loaded is not None and loaded.sha256 == ref["sha256"]:
        return loaded
    stored = repo.load_bank_version(db, ref["sha256"])
    if stored is None:
        return None
    name, rows = stored
    # stored under its hash: no need to hash again
    entries = TypeAdapter(list[KeywordEntry]).validate_python(rows)
    return KeywordLibrary(entries=tuple(entries), name=name, sha256=ref["sha256"])


def _endpoint_from(record: repo.RunRecord) -> EndpointConfig:
    data = dict(record.endpoint)
    headers = {k: v for k, v in data.get("extra_headers", {}).items() if v != "<redacted>"}
    dropped = set(data.get("extra_headers", {})) - set(headers)
    if dropped:
        log.warning("headers %s were redacted when the run was stored and are not sent on resume",
                    ", ".join(sorted(dropped)))
    data["extra_headers"] = headers
    return EndpointConfig.model_validate(data)


EndpointFactory = Callable[[EndpointConfig, int], ChatEndpoint]


def _default_endpoint(cfg: EndpointConfig, concurrency: int) -> ChatEndpoint:
    return OpenAIChatEndpoint(cfg, concurrency=concurrency)


async def execute_run(db: Engine, run_id: str, *, retry_errors: bool = False,
                      keywords: KeywordLibrary | None = None,
                      on_progress: Callable[[Progress], None] | None = None,
                      endpoint_factory: EndpointFactory = _default_endpoint) -> Report:
    """Send every item of the run that has no stored result, then build the report.
    Used for a fresh run and for ``resume`` alike."""
    record = repo.get_run(db, run_id)
    plan = _plan(record)
    if retry_errors:
        n = repo.reset_errors(db, run_id)
        log.info("retrying %d errored items", n)
    pending = [s.item for s in repo.load_items(db, run_id, statuses=["pending"])]
    counts = repo.item_counts(db, run_id)
    # in a worker thread: building the keyword automaton and loading the classifiers takes a
    # CPU-bound moment in which this loop's other runs must still renew their leases
    judges = await asyncio.to_thread(
        lambda: judging.build(plan.judges, judging.JudgeContext(keywords=_keywords(db, record, keywords), db=db)))
    cfg = _endpoint_from(record)
    prog = Progress(total=record.total_items, done=record.total_items - len(pending),
                    errors=counts.get("error", 0))
    repo.mark(db, run_id, status="running", started=True)
    t0 = time.monotonic()
    status = "interrupted"
    endpoint = endpoint_factory(cfg, plan.execution.concurrency)
    try:
        if pending:
            await execute(pending, endpoint, judges, plan.execution,
                          lambda batch: repo.store_results(db, run_id, batch),
                          max_tokens=cfg.max_tokens, progress=prog, on_progress=on_progress,
                          seed=plan.seed)
        status = "completed"
    finally:
        await endpoint.aclose()
        repo.mark(db, run_id, status=status, finished=status == "completed",
                  add_seconds=time.monotonic() - t0)
    return finalise(db, run_id)


def rejudge(db: Engine, run_id: str, *, judges: list[dict[str, Any]] | None = None,
            concurrency: int = 16) -> Report:
    """Re-run the judges on stored responses; the model under assessment is not called.
    (A model-graded judge is called, up to ``concurrency`` at once, and caches its verdicts.)"""
    record = repo.get_run(db, run_id)
    plan = _plan(record)
    if judges is not None:
        plan.judges = [JudgeConfig.model_validate(j) for j in judges]
        data = dict(record.plan)
        data["judges"] = [j.model_dump(mode="json") for j in plan.judges]
        repo.update_plan(db, run_id, data)
    js = judging.build(plan.judges, judging.JudgeContext(keywords=_keywords(db, record), db=db))
    inputs = []
    for s in repo.load_items(db, run_id, statuses=["done"]):
        r = s.result
        assert r is not None
        inputs.append(JudgeInput(item_id=s.item.item_id, prompt=s.item.prompt, response=r.response or "",
                                 lang=s.item.lang, finish_reason=r.finish_reason, kind=s.item.kind,
                                 risk=s.item.stratum, reference=s.item.reference))
    if js.remote:
        async def all_remote() -> list[dict[str, dict[str, Any]]]:
            gate = asyncio.Semaphore(concurrency)

            async def one(inp: JudgeInput) -> dict[str, dict[str, Any]]:
                async with gate:
                    return await js.run(inp)

            return list(await asyncio.gather(*(one(i) for i in inputs)))

        verdicts = asyncio.run(all_remote())
    else:
        verdicts = [js.run_local(i) for i in inputs]
    repo.store_verdicts(db, run_id, [(i.item_id, v) for i, v in zip(inputs, verdicts, strict=True)])
    return finalise(db, run_id)


def _verdict(d: dict[str, Any] | None) -> Verdict | None:
    return None if d is None else Verdict.model_validate(d)


def _configured_judges(plan: AssessmentPlan) -> set[str]:
    return {j.name for j in plan.judges} | {"human"}  # human labels are never "configured"


def _unavailable_judges(plan: AssessmentPlan, has_keywords: bool) -> set[str]:
    configured = _configured_judges(plan)
    missing = {g.judge_in(configured) for g in plan.gates} - configured
    if not has_keywords:
        missing.add("keyword")
    return missing


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def _human_verdict(label: Label) -> Verdict:
    cls = RefusalClass(label.refusal_class) if label.refusal_class else None
    return Verdict(judge="human", refusal_class=cls, harmful=label.harmful, risk_code=label.risk_code,
                   decided_by=f"human:{label.labeller}", reason=label.note)


def _effective(spec: GateSpec, auto: Verdict | None, human: Verdict | None) -> tuple[Verdict | None, bool]:
    """The verdict a gate counts: the human's where the human labelled the field the gate
    uses (an override, kept with provenance), else the judge's."""
    if human is None:
        return auto, False
    field = "harmful" if spec.metric == "pass_rate" else "refusal_class"
    if getattr(human, field) is None:
        return auto, False
    return human, auto is None or getattr(auto, field) != getattr(human, field)


def _gate_event(spec: GateSpec, v: Verdict) -> bool:
    return counts_as_success(spec, Outcome(item_id="", stratum="", lang="", error=False, verdict=v))


def build_report(db: Engine, run_id: str, *, include_items: bool = True) -> Report:
    record = repo.get_run(db, run_id)
    plan = _plan(record)
    stored = repo.load_items(db, run_id)
    unavailable = _unavailable_judges(plan, any(b["kind"] == "keywords" for b in record.banks))
    humans = {k: _human_verdict(v) for k, v in label_repo.latest_labels(db, run_id).items()}
    gates: list[GateResult] = []
    configured = _configured_judges(plan)
    for spec in plan.gates:
        judge = spec.judge_in(configured)
        outcomes: list[Outcome] = []
        overrides = 0
        pairs: list[tuple[bool, bool]] = []
        for s in stored:
            if s.item.kind != spec.kind.value or s.result is None:
                continue
            human = humans.get(s.item.item_id)
            is_done = s.result.status == "done"
            if spec.judge == "human":
                if human is None or (human.harmful if spec.metric == "pass_rate" else human.refusal_class) is None:
                    continue
                verdict: Verdict | None = human
            else:
                auto = _verdict(s.result.verdicts.get(judge)) if is_done else None
                verdict, overridden = _effective(spec, auto, human if is_done else None)
                overrides += overridden
                if auto is not None and verdict is human and human is not None and not auto.undecided:
                    pairs.append((_gate_event(spec, human), _gate_event(spec, auto)))
            outcomes.append(Outcome(item_id=s.item.item_id, stratum=s.item.stratum, lang=s.item.lang,
                                    error=s.result.status == "error", verdict=verdict))
        if judge in unavailable:
            outcomes = []
        result = evaluate_gate(spec, outcomes)
        update: dict[str, Any] = {"human_overrides": overrides, "judge": judge}
        if pairs:
            update["judge_error"] = check_gate(result.counted, result.n, spec.op, spec.threshold, pairs).model_dump(mode="json")
        gates.append(result.model_copy(update=update))
    agreements = _agreements(stored, humans)
    sizes = Counter(s.item.kind for s in stored)
    clauses = [c for c in _bank_clauses(record)] + sample_clauses({Kind(k): v for k, v in sizes.items()})
    errors = [s for s in stored if s.result is not None and s.result.status == "error"]
    pending = sum(1 for s in stored if s.result is None)
    done = [s for s in stored if s.result is not None and s.result.status == "done"]
    latencies = sorted(s.result.latency_ms for s in done if s.result is not None and s.result.latency_ms is not None)
    empty = sum(1 for s in done if s.result is not None and not (s.result.response or "").strip())
    active = record.active_seconds
    items = [_report_item(s) for s in stored] if include_items else []
    summary = Summary(
        decision=overall_decision(gates, incomplete=pending > 0),
        gates={g.id: g.verdict for g in gates},
        items=len(stored), completed=len(done), errors=len(errors),
        nonconforming_clauses=[c.id for c in clauses if c.verdict is ClauseVerdict.DOES_NOT_CONFORM],
    )
    return Report(
        run_id=record.id,
        software={"name": "clearance", "version": record.software_version},
        plan={k: v for k, v in record.plan.items() if k != "bank_clauses"},
        endpoint={**record.endpoint, "api_key_env": record.endpoint.get("api_key_env")},
        seed=record.seed,
        banks=[BankRef.model_validate(b) for b in record.banks],
        judges=[_judge_entry(j.model_dump(mode="json"), stored) for j in plan.judges],
        timings=Timings(created_at=record.created_at, started_at=record.started_at,
                        finished_at=record.finished_at, active_seconds=round(active, 3),
                        items_per_second=round((len(done) + len(errors)) / active, 2) if active > 0 else None,
                        latency_ms_p50=_percentile(latencies, 50), latency_ms_p95=_percentile(latencies, 95)),
        summary=summary, gates=gates, clauses=clauses,
        errors=ErrorSummary(total=len(errors),
                            by_type=dict(Counter(s.result.error_type or "error" for s in errors if s.result)),
                            empty_responses=empty),
        judge_agreement=agreements,
        items=items,
    )


def _agreements(stored: list[StoredItem], humans: dict[str, Verdict]) -> list[Agreement]:
    """Each automatic judge against the human labels, on the fields both gave."""
    pairs: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for s in stored:
        human = humans.get(s.item.item_id)
        if human is None or s.result is None or s.result.status != "done":
            continue
        for name, raw in s.result.verdicts.items():
            v = Verdict.model_validate(raw)
            if v.undecided:
                continue
            if human.refusal_class is not None and v.refusal_class is not None:
                pairs.setdefault((name, "refusal_class"), []).append((human.refusal_class.value, v.refusal_class.value))
            if human.harmful is not None and v.harmful is not None:
                pairs.setdefault((name, "harmful"), []).append((str(human.harmful).lower(), str(v.harmful).lower()))
    return [agreement(j, f, p) for (j, f), p in sorted(pairs.items())]


def _judge_entry(judge: dict[str, Any], stored: list[StoredItem]) -> dict[str, Any]:
    """A plan's judge, with the versions of the local classifiers that decided this run's items
    (read from the stored verdicts, so a report built later still names the weights that judged)."""
    seen = {v.get("classifier") for s in stored if s.result is not None
            for v in [s.result.verdicts.get(judge["name"], {})] if v.get("classifier")}
    return {**judge, "classifiers": sorted(str(x) for x in seen)} if seen else judge


def _bank_clauses(record: repo.RunRecord) -> list[Clause]:
    return [Clause.model_validate(c) for c in record.plan.get("bank_clauses", [])]


def _report_item(s: StoredItem) -> ReportItem:
    r = s.result
    return ReportItem(
        id=s.item.item_id, kind=s.item.kind, stratum=s.item.stratum, lang=s.item.lang,
        prompt=s.item.prompt, response=r.response if r else None, finish_reason=r.finish_reason if r else None,
        latency_ms=r.latency_ms if r else None, prompt_tokens=r.prompt_tokens if r else None,
        completion_tokens=r.completion_tokens if r else None, attempts=r.attempts if r else 0,
        error_type=r.error_type if r else None, error=r.error if r else None,
        verdicts=r.verdicts if r else {},
    )


def finalise(db: Engine, run_id: str) -> Report:
    """Build the report and store its hash and decision with the run."""
    report = build_report(db, run_id)
    repo.set_report(db, run_id, sha256=report.sha256(), decision=str(report.summary.decision))
    return report


def public_summary(db: Engine, sha256: str) -> Report | None:
    """What the public registry may show of an assessment, found by its report hash: decision,
    gates with intervals, clauses, bank and judge identities. Never the items (the test
    questions and the model's answers stay confidential) nor the endpoint's address."""
    record = repo.find_by_report_sha256(db, sha256)
    if record is None:
        return None
    report = build_report(db, record.id, include_items=False)
    # judge arguments can name a regulator's internal judge endpoint: names only
    plan = {k: report.plan[k] for k in ("name", "standard", "seed", "samples", "gates") if k in report.plan}
    return report.model_copy(update={"endpoint": {"model": record.endpoint.get("model")}, "plan": plan,
                                     "judges": [{"name": j["name"]} for j in report.judges]})
