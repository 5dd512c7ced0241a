"""The whole process through the services, on SQLite and PostgreSQL: filing and registration
paths, phase 2 against the in-process mock endpoint, numbers, batches, change filings."""

from __future__ import annotations

import re

import pytest

from clearance.adapters.db import registry as registry_repo
from clearance.adapters.db import runs as runs_repo
from clearance.domain.audit import verify as verify_chain
from clearance.domain.banks import BankSet
from clearance.domain.filings.workflow import IllegalTransition, State
from clearance.domain.registry import numbers
from clearance.services import audit_log, batches, registry_feed, review
from clearance.services import filings as filing_service
from clearance.services.errors import InvalidInput, NotFound
from tests.filings.conftest import World
from tests.filings.flows import (
    draft,
    run_assessment,
    snapshot,
    to_central_review,
    to_provincial_review,
)


def test_the_whole_filing_path(world: World, fixture_banks: BankSet) -> None:
    w = world
    f = filing_service.create_draft(w.db, actor=w.provider, kind="filing", form={"model_name": "云雀 Chat"})
    assert f.state is State.DRAFT and filing_service.missing_of(f)
    f = draft(w)
    assert filing_service.missing_of(f) == []
    f = review.advance(w.db, actor=w.provider, filing_id=f.id, event="submit")
    assert f.state is State.SUBMITTED
    review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="start_provincial_review")
    f = review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="request_supplement",
                       reason="请补充语料来源说明")
    assert f.state is State.SUPPLEMENT_REQUESTED
    # the provider amends the form and replaces a material, then resubmits
    f = filing_service.update_draft(w.db, actor=w.provider, filing_id=f.id,
                                    changes={"corpus_sources": ["open_source", "commercial"]})
    f = filing_service.upload_material(w.db, actor=w.provider, filing_id=f.id, material_type="annotation_rules",
                                       filename="标注规则v2.pdf", content=b"%PDF-1.7\nv2", store=w.store)
    assert f.current_materials()["annotation_rules"].filename == "标注规则v2.pdf"  # type: ignore[index]
    f = review.advance(w.db, actor=w.provider, filing_id=f.id, event="resubmit")
    assert f.state is State.SUBMITTED
    review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="start_provincial_review")
    f = review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="forward")
    assert f.state is State.TECHNICAL_ASSESSMENT and f.provincial_reviewer == w.reviewer.id
    # phase 2: the assessment runs against the mock endpoint, in-process
    run_id = run_assessment(w, f.id, fixture_banks)
    run = runs_repo.get_run(w.db, run_id)
    assert run.status == "completed" and run.report_sha256 is not None and run.total_items == 30
    f = filing_service.get_filing(w.db, actor=w.central, filing_id=f.id)
    assert f.assessment_run_id == run_id and w.assessor.id in f.assessors
    with pytest.raises(IllegalTransition, match="not been signed"):
        review.advance(w.db, actor=w.assessor, filing_id=f.id, event="complete_assessment")
    review.sign_assessment(w.db, actor=w.assessor, filing_id=f.id)
    f = review.advance(w.db, actor=w.assessor, filing_id=f.id, event="complete_assessment")
    assert f.state is State.CENTRAL_REVIEW
    # phase 4: approval issues the number in the published format
    f = review.advance(w.db, actor=w.central, filing_id=f.id, event="approve")
    assert f.state is State.APPROVED and f.number is not None and f.approved_on is not None
    assert re.fullmatch(rf"Beijing-YunQueChat-{f.approved_on:%Y%m%d}0001", f.number)
    parsed = numbers.parse_filing(f.number)
    assert parsed.province is not None and parsed.province.code == "110000" and parsed.sequence == 1
    b = batches.compose(w.db, actor=w.central, title="2026年第1批", filing_ids=[f.id])
    assert b.status == "draft" and b.filing_ids == (f.id,)
    b = batches.publish(w.db, actor=w.central, batch_id=b.id)
    assert b.status == "published" and b.published_at is not None
    f = filing_service.get_filing(w.db, actor=w.provider, filing_id=f.id)
    assert f.state is State.PUBLISHED
    # the batch is announced in the public registry
    entry = registry_repo.find_by_number(w.db, f.number)
    assert entry is not None and entry.source.value == "clearance" and entry.batch == b.id
    assert (entry.province, entry.model_name, entry.entity_en) == ("beijing", "云雀 Chat", "DeepSeek AI (Beijing)")
    assert entry.report_sha256 == run.report_sha256 and entry.date == f.approved_on
    assert (entry.rd_mode.value, entry.data_type.value, entry.scope.value) == (  # type: ignore[union-attr]
        "self_developed", "text", "general")
    assert registry_feed.announce(w.db, batch_id=b.id) == 0  # rerunning the feed adds nothing
    # time in each phase reaches the registry's statistics
    assert entry.phase_days is not None
    assert set(entry.phase_days) == {"provincial_review", "technical_assessment", "central_review", "total"}
    assert all(v >= 0 for v in entry.phase_days.values())
    assert entry.phase_days["total"] == pytest.approx(sum(v for k, v in entry.phase_days.items() if k != "total"),
                                                      abs=0.02)
    from clearance.services import registry as registry_service

    stats = registry_service.statistics(w.db)
    assert [(d.phase, d.n) for d in stats.durations] == [("provincial_review", 1), ("technical_assessment", 1),
                                                         ("central_review", 1), ("total", 1)]
    # the timeline tells the story, and the chain is intact
    actions = [e.action for e in filing_service.timeline(w.db, actor=w.provider, filing_id=f.id)]
    assert actions[0] == "filing.created" and actions[-1] == "filing.publish"
    assert actions.count("filing.submit") == 1 and actions.count("filing.resubmit") == 1
    assert {"material.uploaded", "filing.updated", "assessment.scheduled", "assessment.signed",
            "filing.request_supplement", "filing.approve"} <= set(actions)
    supplement = next(e for e in filing_service.timeline(w.db, actor=w.provider, filing_id=f.id)
                      if e.action == "filing.request_supplement")
    assert supplement.reason == "请补充语料来源说明" and supplement.before == {"state": "provincial_review"}
    assert audit_log.verify(w.db) is None


def test_numbers_count_per_day(world: World, fixture_banks: BankSet) -> None:
    w = world
    first = to_central_review(w, fixture_banks)
    second = to_central_review(w, fixture_banks)
    a = review.advance(w.db, actor=w.central, filing_id=first.id, event="approve")
    b = review.advance(w.db, actor=w.central, filing_id=second.id, event="approve")
    assert a.number is not None and b.number is not None
    assert a.number.endswith("0001") and b.number.endswith("0002")


def test_registration_path(world: World) -> None:
    w = world
    f = draft(w, "registration")
    assert filing_service.missing_of(f) == []  # no self-assessment report needed
    review.advance(w.db, actor=w.provider, filing_id=f.id, event="submit")
    review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="start_provincial_review")
    with pytest.raises(IllegalTransition) as exc:
        review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="forward")
    assert exc.value.code == "is_filing"
    f = review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="approve_registration")
    assert f.state is State.APPROVED and f.number is not None
    assert re.fullmatch(r"Beijing-ZhiNengKeFuZhuShou-\d{8}S0001", f.number)
    parsed = numbers.parse(f.number)
    assert parsed.kind == "registration" and parsed.province is not None and parsed.province.key == "beijing"
    b = batches.compose(w.db, actor=w.central, title="登记 2026-11", filing_ids=[f.id])
    batches.publish(w.db, actor=w.central, batch_id=b.id)
    assert filing_service.get_filing(w.db, actor=w.provider, filing_id=f.id).state is State.PUBLISHED
    entry = registry_repo.find_by_number(w.db, f.number)
    assert entry is not None and entry.kind.value == "registration" and entry.report_sha256 is None
    assert entry.phase_days is not None and set(entry.phase_days) == {"provincial_review", "total"}


def test_a_failed_feed_is_rerun_with_the_current_status(world: World, fixture_banks: BankSet,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    w = world
    f = to_central_review(w, fixture_banks)
    review.advance(w.db, actor=w.central, filing_id=f.id, event="approve")
    b = batches.compose(w.db, actor=w.central, title="b", filing_ids=[f.id])

    def down(*_a: object, **_k: object) -> int:
        raise ConnectionError("registry database unavailable")

    with monkeypatch.context() as m:
        m.setattr(registry_feed.registry, "publish", down)
        with pytest.raises(ConnectionError):
            batches.publish(w.db, actor=w.central, batch_id=b.id)
        # the publication itself committed; only the announcement is missing
        f = review.advance(w.db, actor=w.central, filing_id=f.id, event="revoke", reason="违规")
    assert f.state is State.REVOKED and f.number is not None
    assert registry_repo.find_by_number(w.db, f.number) is None
    assert registry_feed.announce(w.db, batch_id=b.id) == 1
    entry = registry_repo.find_by_number(w.db, f.number)
    assert entry is not None and entry.status.value == "revoked" and entry.history[-1].reason == "违规"


def test_a_registration_needs_the_called_model_number(world: World) -> None:
    f = filing_service.create_draft(world.db, actor=world.provider, kind="registration",
                                    form={"model_name": "客服"})
    assert any("所调用模型的备案号" in m for m in filing_service.missing_of(f))
    assert not any("安全自评估报告" in m for m in filing_service.missing_of(f))


def test_change_filing_links_to_the_published_one(world: World, fixture_banks: BankSet) -> None:
    w = world
    f = to_central_review(w, fixture_banks)
    f = review.advance(w.db, actor=w.central, filing_id=f.id, event="approve")
    change = filing_service.open_change_filing(w.db, actor=w.provider, previous_filing_id=f.id)
    assert change.previous_filing_id == f.id and change.state is State.DRAFT
    assert change.form == f.form and change.materials == () and change.number is None
    # materials must be supplied afresh before the change can be submitted
    assert any("安全自评估报告" in m for m in filing_service.missing_of(change))
    with pytest.raises(NotFound):  # another organisation does not even see it
        filing_service.open_change_filing(w.db, actor=w.other_provider, previous_filing_id=f.id)


def test_one_change_filing_at_a_time(world: World, fixture_banks: BankSet) -> None:
    w = world
    f = review.advance(w.db, actor=w.central, filing_id=to_central_review(w, fixture_banks).id, event="approve")
    first = filing_service.open_change_filing(w.db, actor=w.provider, previous_filing_id=f.id)
    before = snapshot(w.db)
    with pytest.raises(InvalidInput, match=f"change filing {first.id} of this filing is still open"):
        filing_service.open_change_filing(w.db, actor=w.provider, previous_filing_id=f.id)
    assert snapshot(w.db) == before
    review.advance(w.db, actor=w.provider, filing_id=first.id, event="withdraw")
    second = filing_service.open_change_filing(w.db, actor=w.provider, previous_filing_id=f.id)
    assert second.previous_filing_id == f.id and second.id != first.id


def test_a_draft_cannot_become_a_change_filing(world: World) -> None:
    f = draft(world)
    before = snapshot(world.db)
    with pytest.raises(Exception, match="approved or published"):
        filing_service.open_change_filing(world.db, actor=world.provider, previous_filing_id=f.id)
    assert snapshot(world.db) == before


def test_reassessment_after_central_supplement(world: World, fixture_banks: BankSet) -> None:
    """A supplement requested in central review sends the filing back through phases 1 and 2;
    the earlier signature does not carry over."""
    w = world
    f = to_central_review(w, fixture_banks)
    review.advance(w.db, actor=w.central, filing_id=f.id, event="request_supplement", reason="模型版本不一致")
    review.advance(w.db, actor=w.provider, filing_id=f.id, event="resubmit")
    review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="start_provincial_review")
    f = review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="forward")
    assert f.assessment_signed_by is None and f.assessment_run_id is None
    with pytest.raises(IllegalTransition):
        review.advance(w.db, actor=w.assessor, filing_id=f.id, event="complete_assessment")
    run_assessment(w, f.id, fixture_banks)
    review.sign_assessment(w.db, actor=w.assessor, filing_id=f.id)
    assert review.advance(w.db, actor=w.assessor, filing_id=f.id, event="complete_assessment").state \
        is State.CENTRAL_REVIEW
    assert verify_chain([]) is None


def test_work_queues(world: World) -> None:
    w = world
    f = to_provincial_review(w)
    assert [x.id for x in review.pending(w.db, actor=w.reviewer)] == [f.id]
    assert review.pending(w.db, actor=w.other_reviewer) == []
    assert review.pending(w.db, actor=w.admin) == []


def test_rejection_withdrawal_and_oversight_after_publication(world: World, fixture_banks: BankSet) -> None:
    w = world
    rejected = to_provincial_review(w)
    f = review.advance(w.db, actor=w.reviewer, filing_id=rejected.id, event="reject", reason="材料不实")
    assert f.state is State.REJECTED
    withdrawn = draft(w)
    assert review.advance(w.db, actor=w.provider, filing_id=withdrawn.id, event="withdraw").state is State.WITHDRAWN
    for terminal in (rejected, withdrawn):
        with pytest.raises(IllegalTransition, match="final state"):
            review.advance(w.db, actor=w.provider, filing_id=terminal.id, event="resubmit")
    f = to_central_review(w, fixture_banks)
    f = review.advance(w.db, actor=w.central, filing_id=f.id, event="approve")
    batches.publish(w.db, actor=w.central,
                    batch_id=batches.compose(w.db, actor=w.central, title="b", filing_ids=[f.id]).id)
    for event, state in (("suspend", State.SUSPENDED), ("reinstate", State.PUBLISHED), ("suspend", State.SUSPENDED),
                         ("revoke", State.REVOKED)):
        with pytest.raises(IllegalTransition) as exc:
            review.advance(w.db, actor=w.central, filing_id=f.id, event=event)
        assert exc.value.code == "reason"
        assert review.advance(w.db, actor=w.central, filing_id=f.id, event=event, reason="投诉核实").state is state
        entry = registry_repo.find_by_number(w.db, f.number or "")
        assert entry is not None and entry.status.value == state.value
    assert entry.history[-1].reason == "投诉核实"
    assert audit_log.verify(w.db) is None


def test_publication_happens_only_in_a_batch(world: World, fixture_banks: BankSet) -> None:
    from clearance.services.errors import InvalidInput

    w = world
    f = to_central_review(w, fixture_banks)
    f = review.advance(w.db, actor=w.central, filing_id=f.id, event="approve")
    with pytest.raises(InvalidInput, match="in a batch"):
        review.advance(w.db, actor=w.central, filing_id=f.id, event="publish")
    assert filing_service.get_filing(w.db, actor=w.central, filing_id=f.id).state is State.APPROVED
