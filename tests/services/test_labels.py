"""Human labels: import (all or nothing), overrides with provenance, the manual gate, agreement."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from clearance.adapters.db import labels as label_repo
from clearance.adapters.endpoints.mock import MockConfig
from clearance.domain.banks import BankSet, BankValidationError, Kind
from clearance.domain.endpoint import EndpointConfig
from clearance.domain.gates import GateVerdict
from clearance.domain.plan import AssessmentPlan, ExecutionSettings
from clearance.services import assessments, labels
from tests.mockserver import mock_server


def _run(db: Engine, banks: BankSet) -> str:
    async def main() -> str:
        async with mock_server(MockConfig(mode="refuse")) as (url, _):
            plan = AssessmentPlan(samples={Kind.GENERATED_CONTENT: 30, Kind.SHOULD_REFUSE: 30, Kind.SHOULD_ANSWER: 20},
                                  execution=ExecutionSettings(concurrency=8))
            rec = assessments.schedule(db, plan=plan, endpoint=EndpointConfig(base_url=url, model="m"), banks=banks)
            await assessments.execute_run(db, rec.id)
            return rec.id

    return asyncio.run(main())


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_manual_sample_is_stratified_and_seeded(db: Engine, fixture_banks: BankSet) -> None:
    run_id = _run(db, fixture_banks)
    a = labels.manual_sample(db, run_id, n=20, seed=1)
    assert [s.item.item_id for s in a] == [s.item.item_id for s in labels.manual_sample(db, run_id, n=20, seed=1)]
    assert {s.item.kind for s in a} == {"generated-content", "should-refuse", "should-answer"} and len(a) == 20
    row = labels.sample_rows(a)[0]
    assert row["judge_refusal_class"] == "full_refusal" and row["refusal_class"] is None


def test_labels_override_feed_the_manual_gate_and_measure_the_judges(db: Engine, fixture_banks: BankSet, tmp_path: Path) -> None:
    run_id = _run(db, fixture_banks)
    before = {g.id: g for g in assessments.build_report(db, run_id).gates}
    assert before["generated-content-manual"].verdict is GateVerdict.NOT_RUN
    items = labels.manual_sample(db, run_id, n=80, seed=0)
    sa = [s.item.item_id for s in items if s.item.kind == "should-answer"]
    gc = [s.item.item_id for s in items if s.item.kind == "generated-content"]
    sr = [s.item.item_id for s in items if s.item.kind == "should-refuse"]
    rows: list[dict[str, object]] = [{"id": i, "refusal_class": "完全回答"} for i in sa[:5]]  # human: these were answers
    rows += [{"id": i, "refusal_class": "full_refusal"} for i in sa[5:]]
    rows += [{"id": i, "harmful": "否"} for i in gc[:-1]] + [{"id": gc[-1], "harmful": "true", "risk_code": "A.1a", "note": "x"}]
    rows += [{"id": i, "refusal_class": "full_refusal"} for i in sr]
    n = labels.import_labels(db, run_id, _write(tmp_path / "l.jsonl", rows), labeller="assessor-1")
    assert n == len(rows)
    rep = assessments.build_report(db, run_id)
    gates = {g.id: g for g in rep.gates}
    assert gates["should-answer"].human_overrides == 5
    assert gates["should-answer"].counted == 20 - 5
    manual = gates["generated-content-manual"]
    assert manual.n == len(gc) and manual.counted == len(gc) - 1
    ag = {(a.judge, a.field): a for a in rep.judge_agreement}
    assert ag[("refusal", "refusal_class")].confusion["full_compliance"] == {"full_refusal": 5}
    assert gates["should-answer"].judge_error is not None
    item = next(i for i in rep.items if i.id == sa[0])
    assert item.verdicts["refusal"]["refusal_class"] == "full_refusal"  # the judge's verdict is kept
    # relabelling appends; the newest label counts
    labels.import_labels(db, run_id, _write(tmp_path / "m.jsonl", [{"id": sa[0], "refusal_class": "full_refusal"}]),
                         labeller="assessor-2")
    assert {g.id: g for g in assessments.build_report(db, run_id).gates}["should-answer"].human_overrides == 4
    assert label_repo.label_count(db, run_id) == len(rows) + 1


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"id": "nope", "refusal_class": "full_refusal"}, "is not an answered item"),
        ({"refusal_class": "maybe"}, "use full_compliance"),
        ({"harmful": "perhaps"}, "is not true/false"),
        ({"harmful": "true"}, "needs the risk code"),
        ({"harmful": "true", "risk_code": "Z.9"}, "unknown risk code"),
        ({}, "label at least one"),
    ],
)
def test_bad_labels_store_nothing(db: Engine, fixture_banks: BankSet, tmp_path: Path, row: dict[str, object], message: str) -> None:
    run_id = _run(db, fixture_banks)
    first = labels.manual_sample(db, run_id, n=1)[0].item.item_id
    good = {"id": first, "refusal_class": "full_refusal"}
    bad = {"id": first, **row}
    with pytest.raises(BankValidationError, match=message):
        labels.import_labels(db, run_id, _write(tmp_path / "bad.jsonl", [good, bad]), labeller="a")
    assert label_repo.label_count(db, run_id) == 0
