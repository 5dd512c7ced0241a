"""Assessment use cases on SQLite and PostgreSQL, against the in-process mock over HTTP."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from clearance.adapters.db import runs as repo
from clearance.adapters.endpoints.mock import MockConfig
from clearance.adapters.reports.render import to_csv, to_html, write_all
from clearance.domain.banks import BankSet, Kind
from clearance.domain.endpoint import EndpointConfig
from clearance.domain.gates import TC260_GATES, GateVerdict
from clearance.domain.plan import AssessmentPlan, ExecutionSettings
from clearance.services import assessments
from tests.conftest import FIXTURES
from tests.mockserver import mock_server

SAMPLES = {Kind.GENERATED_CONTENT: 30, Kind.SHOULD_REFUSE: 40, Kind.SHOULD_ANSWER: 30}


def _plan(**kw: Any) -> AssessmentPlan:
    return AssessmentPlan(samples=dict(SAMPLES), execution=ExecutionSettings(concurrency=8, flush_every=7,
                          backoff_base_s=0.01, backoff_max_s=0.02, max_retries=1), **kw)


def _run(db: Engine, banks: BankSet, config: MockConfig, plan: AssessmentPlan | None = None) -> tuple[str, Any, dict[str, int]]:
    async def main() -> tuple[str, Any, dict[str, int]]:
        async with mock_server(config) as (url, mock):
            rec = assessments.schedule(db, plan=plan or _plan(), endpoint=EndpointConfig(base_url=url, model="m"), banks=banks)
            rep = await assessments.execute_run(db, rec.id)
            return rec.id, rep, dict(mock.calls)

    return asyncio.run(main())


def test_schedule_samples_and_stores_bank_versions(db: Engine, fixture_banks: BankSet) -> None:
    rec = assessments.schedule(db, plan=_plan(), endpoint=EndpointConfig(base_url="http://127.0.0.1:1/v1", model="m"),
                               banks=fixture_banks)
    assert rec.total_items == 100 and rec.status == "created"
    assert {b["kind"] for b in rec.banks} == {"generated-content", "should-refuse", "should-answer", "keywords"}
    assert repo.load_bank_version(db, fixture_banks.keywords.sha256) is not None  # type: ignore[union-attr]
    assert repo.item_counts(db, rec.id) == {"pending": 100}


def test_refuse_everything_passes_refusal_and_fails_over_refusal(db: Engine, fixture_banks: BankSet) -> None:
    run_id, rep, calls = _run(db, fixture_banks, MockConfig(mode="refuse"))
    gates = {g.id: g for g in rep.gates}
    assert gates["should-refuse"].rate == 1.0
    assert gates["should-answer"].rate == 1.0 and gates["should-answer"].verdict is GateVerdict.FAIL
    assert rep.summary.decision == GateVerdict.FAIL
    assert sum(calls.values()) == 100
    assert repo.get_run(db, run_id).report_sha256 == rep.sha256()


def test_bank_mode_mock_gives_the_scripted_rates(db: Engine, fixture_banks: BankSet) -> None:
    cfg = MockConfig(mode="bank", banks_dir=FIXTURES / "banks", refuse_rate=1.0, over_refuse_rate=0.0, unsafe_rate=1.0)
    _, rep, _ = _run(db, fixture_banks, cfg)
    gates = {g.id: g for g in rep.gates}
    assert gates["should-refuse"].verdict is GateVerdict.MARGINAL  # 40/40 but n is small: CI reaches below 95%
    assert gates["should-refuse"].rate == 1.0 and gates["should-answer"].rate == 0.0
    # unsafe answers carry a keyword of the item's risk code where the library has one
    gc = gates["generated-content-keyword"]
    assert gc.rate is not None and gc.rate < 1.0
    hits = [i for i in rep.items if i.kind == "generated-content" and i.verdicts["keyword"].get("harmful")]
    assert hits and all(i.verdicts["keyword"]["risk_code"] == i.stratum for i in hits)


def test_errors_are_counted_and_shown(db: Engine, fixture_banks: BankSet) -> None:
    _, rep, _ = _run(db, fixture_banks, MockConfig(mode="refuse", error_rate=0.3, fault_scope="prompt"))
    assert rep.errors.total > 0 and rep.errors.by_type == {"http_5xx": rep.errors.total}
    kinds = {g.id: g.kind.value for g in TC260_GATES}
    for g in rep.gates:  # every gate that ran counts the errors of its kind (against the model)
        if g.verdict is not GateVerdict.NOT_RUN:
            assert g.errors == sum(1 for i in rep.items if i.kind == kinds[g.id] and i.error_type), g.id
    html = to_html(rep)
    assert "http_5xx" in html and "错误" in html


def test_resume_sends_only_pending_items(db: Engine, fixture_banks: BankSet) -> None:
    rec = assessments.schedule(db, plan=_plan(), endpoint=EndpointConfig(base_url="http://127.0.0.1:1/v1", model="m"),
                               banks=fixture_banks)
    # pretend a first process stored 60 results before dying
    first = repo.load_items(db, rec.id)[:60]
    from clearance.domain.results import ItemResult

    repo.store_results(db, rec.id, [ItemResult(item_id=s.item.item_id, status="done", response="I'm sorry, but I can't help with that.")
                                    for s in first])

    async def main() -> dict[str, int]:
        async with mock_server(MockConfig(mode="refuse")) as (url, mock):
            def factory(cfg: EndpointConfig, conc: int) -> Any:
                from clearance.adapters.endpoints.openai import OpenAIChatEndpoint

                return OpenAIChatEndpoint(cfg.model_copy(update={"base_url": url}), concurrency=conc)

            await assessments.execute_run(db, rec.id, endpoint_factory=factory)
            return dict(mock.calls)

    calls = asyncio.run(main())
    assert sum(calls.values()) == 40
    assert repo.item_counts(db, rec.id) == {"done": 100}
    assert repo.get_run(db, rec.id).status == "completed"


def test_rejudge_changes_verdicts_without_calling_the_model(db: Engine, fixture_banks: BankSet) -> None:
    run_id, rep, _calls = _run(db, fixture_banks, MockConfig(mode="comply"))
    before = {g.id: g.rate for g in rep.gates}
    rep2 = assessments.rejudge(db, run_id, judges=[{"name": "refusal", "args": {"opening_sentences": 1}}, {"name": "keyword"},
                                                    {"name": "harm"}])
    assert {g.id: g.rate for g in rep2.gates} == before
    assert rep2.judges[0]["args"] == {"opening_sentences": 1}
    # no new calls: the mock is gone and nothing failed
    assert repo.item_counts(db, run_id) == {"done": 100}


def test_report_files_and_schema_golden(db: Engine, fixture_banks: BankSet, tmp_path: Path) -> None:
    _, rep, _ = _run(db, fixture_banks, MockConfig(mode="keyword", refuse_keywords=("forbidden", "违法")))
    paths = write_all(rep, tmp_path / "r")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    import hashlib

    assert hashlib.sha256(paths["json"].read_bytes()).hexdigest() == rep.sha256()
    golden = json.loads((FIXTURES / "report-shape.json").read_text(encoding="utf-8"))
    assert sorted(data) == golden["top"]
    assert sorted(data["gates"][0]) == golden["gate"]
    assert sorted(data["items"][0]) == golden["item"]
    assert data["schema_version"] == golden["schema_version"]
    assert "api_key" not in json.dumps(data["endpoint"]).replace("api_key_env", "")
    html = paths["html"].read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace(rep.endpoint["base_url"], "")
    assert len(to_csv(rep).splitlines()) == 101


def test_secret_headers_are_redacted_in_stored_runs(db: Engine, fixture_banks: BankSet) -> None:
    cfg = EndpointConfig(base_url="http://127.0.0.1:1/v1", model="m", extra_headers={"X-Api-Key": "s3cret", "X-Team": "a"})
    rec = assessments.schedule(db, plan=_plan(), endpoint=cfg, banks=fixture_banks)
    assert rec.endpoint["extra_headers"] == {"X-Api-Key": "<redacted>", "X-Team": "a"}


def test_pdf_report(db: Engine, fixture_banks: BankSet) -> None:
    from clearance.adapters.reports.render import to_pdf

    _, rep, _ = _run(db, fixture_banks, MockConfig(mode="refuse"))
    pdf = to_pdf(rep)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_the_report_names_the_classifier_weights_that_judged(db: Engine, fixture_banks: BankSet) -> None:
    from clearance.services.judging import CLASSIFIER_PATH, HARM_PATH, _classifier

    # an answer no lexicon rule decides, long enough for the classifiers: they are consulted on each
    vague = "Well, it depends on many things, and people see it differently in different places."
    _, rep, _ = _run(db, fixture_banks, MockConfig(mode="file", default_response=vague))
    judges = {j["name"]: j for j in rep.judges}
    refusal_version = _classifier(str(CLASSIFIER_PATH)).version  # type: ignore[union-attr]
    harm_version = _classifier(str(HARM_PATH)).version  # type: ignore[union-attr]
    assert judges["refusal"]["classifiers"] == [refusal_version]
    assert all(c.startswith(harm_version) for c in judges["harm"]["classifiers"])
    assert "classifiers" not in judges["keyword"]  # no weights behind it
    decided = [i.verdicts["refusal"] for i in rep.items if i.verdicts["refusal"].get("decided_by", "").startswith("classifier")]
    assert decided and all(v["classifier"] == refusal_version for v in decided)
