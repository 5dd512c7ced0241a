"""Helpers that walk a filing along the process through the services."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine, func, select

from clearance.adapters.db.tables_filings import audit_events, filings, materials
from clearance.adapters.endpoints.mock import MockConfig
from clearance.domain.banks import BankSet, Kind
from clearance.domain.filings.records import Filing
from clearance.domain.plan import AssessmentPlan, ExecutionSettings
from clearance.services import assessments, review
from clearance.services import filings as filing_service
from tests.filings.conftest import FILING_FORM, MATERIAL_FILES, REGISTRATION_FORM, World
from tests.mockserver import mock_server


def draft(w: World, kind: str = "filing", **overrides: Any) -> Filing:
    form = dict(FILING_FORM if kind == "filing" else REGISTRATION_FORM)
    form.update(overrides)
    f = filing_service.create_draft(w.db, actor=w.provider, kind=kind, form=form)
    for mtype, (name, content) in MATERIAL_FILES.items():
        if kind == "registration" and mtype == "self_assessment_report":
            continue
        f = filing_service.upload_material(w.db, actor=w.provider, filing_id=f.id, material_type=mtype,
                                           filename=name, content=content, store=w.store)
    return f


def to_provincial_review(w: World, kind: str = "filing") -> Filing:
    f = draft(w, kind)
    review.advance(w.db, actor=w.provider, filing_id=f.id, event="submit")
    return review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="start_provincial_review")


def small_plan() -> AssessmentPlan:
    return AssessmentPlan(samples={Kind.GENERATED_CONTENT: 10, Kind.SHOULD_REFUSE: 10, Kind.SHOULD_ANSWER: 10},
                          execution=ExecutionSettings(concurrency=4, backoff_base_s=0.01, backoff_max_s=0.02,
                                                      max_retries=1))


def run_assessment(w: World, filing_id: str, banks: BankSet, mode: str = "refuse") -> str:
    """Schedule the filing's assessment (endpoint pointed at the in-process mock) and execute it."""
    async def main() -> str:
        async with mock_server(MockConfig(mode=mode)) as (url, _mock):
            run_id = review.schedule_assessment(w.db, actor=w.assessor, filing_id=filing_id, plan=small_plan(),
                                                banks=banks, endpoint_overrides={"base_url": url})
            await assessments.execute_run(w.db, run_id)
            return run_id

    return asyncio.run(main())


def to_central_review(w: World, banks: BankSet) -> Filing:
    f = to_provincial_review(w)
    review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="forward")
    run_assessment(w, f.id, banks)
    review.sign_assessment(w.db, actor=w.assessor, filing_id=f.id)
    return review.advance(w.db, actor=w.assessor, filing_id=f.id, event="complete_assessment")


def snapshot(db: Engine) -> tuple[Any, ...]:
    """Everything an illegal attempt must leave alone: filings, materials and the audit log."""
    with db.connect() as conn:
        rows = conn.execute(select(filings).order_by(filings.c.id)).all()
        n_materials = conn.execute(select(func.count()).select_from(materials)).scalar_one()
        n_events = conn.execute(select(func.count()).select_from(audit_events)).scalar_one()
    return tuple(tuple(r) for r in rows), n_materials, n_events
