"""Illegal attempts, access policy and bad input through the services: each is refused with a
clear message and leaves filings, materials and the audit log exactly as they were."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from clearance.domain.banks import BankSet
from clearance.domain.filings.workflow import Actor, Event, IllegalTransition, Role, State
from clearance.domain.policy import Forbidden
from clearance.services import accounts, batches, review
from clearance.services import filings as filing_service
from clearance.services.errors import InvalidInput, NotFound
from tests.filings.conftest import ADMIN, ORG_BEIJING, PDF, World
from tests.filings.flows import draft, snapshot, to_central_review, to_provincial_review


def unchanged(w: World, attempt: Callable[[], Any], error: type[Exception] | tuple[type[Exception], ...],
              match: str | None = None) -> Exception:
    before = snapshot(w.db)
    with pytest.raises(error, match=match) as exc:
        attempt()
    assert snapshot(w.db) == before
    return exc.value


def test_every_event_off_the_table_changes_nothing(world: World) -> None:
    """From provincial review, every event that is not an edge there, by every role."""
    w = world
    f = to_provincial_review(w)
    legal = {Event.REQUEST_SUPPLEMENT, Event.REJECT, Event.FORWARD, Event.APPROVE_REGISTRATION, Event.WITHDRAW}
    for ev in Event:
        if ev in legal:
            continue
        for actor in (w.provider, w.reviewer, w.assessor, w.central, w.admin):
            err = unchanged(w, lambda a=actor, e=ev: review.advance(w.db, actor=a, filing_id=f.id, event=e.value,
                                                                    reason="r"), (IllegalTransition, NotFound, InvalidInput))
            if isinstance(err, IllegalTransition):
                assert err.code == "no_such_edge"


@pytest.mark.parametrize(("who", "event", "code"), [
    ("provider", "forward", "role"),
    ("assessor", "forward", "role"),
    ("central", "request_supplement", "role"),
    ("reviewer", "reject", "reason"),             # a rejection needs a reason
    ("reviewer", "request_supplement", "reason"),
    ("reviewer", "approve_registration", "is_registration"),
])
def test_wrong_role_or_missing_reason_changes_nothing(world: World, who: str, event: str, code: str) -> None:
    f = to_provincial_review(world)
    err = unchanged(world, lambda: review.advance(world.db, actor=getattr(world, who), filing_id=f.id, event=event),
                    IllegalTransition)
    assert isinstance(err, IllegalTransition) and err.code == code


def test_incomplete_filing_cannot_be_submitted(world: World) -> None:
    w = world
    f = filing_service.create_draft(w.db, actor=w.provider, kind="filing", form={"model_name": "Only a name"})
    err = unchanged(w, lambda: review.advance(w.db, actor=w.provider, filing_id=f.id, event="submit"),
                    IllegalTransition, match="missing: .*安全自评估报告")
    assert isinstance(err, IllegalTransition) and err.code == "complete"
    assert filing_service.get_filing(w.db, actor=w.provider, filing_id=f.id).state is State.DRAFT


@pytest.mark.parametrize("who", ["reviewer", "assessor"])
def test_separation_of_duties(world: World, fixture_banks: BankSet, who: str) -> None:
    """The filing's provincial reviewer or assessor, holding a central-reviewer account too
    (same person id), may not take the central decision."""
    w = world
    f = to_central_review(w, fixture_banks)
    conflicted = Actor(getattr(w, who).id, Role.CENTRAL_REVIEWER)
    for event in ("approve", "reject", "request_supplement"):
        err = unchanged(w, lambda e=event: review.advance(w.db, actor=conflicted, filing_id=f.id, event=e,
                                                          reason="r"), IllegalTransition, match="separation of duties")
        assert isinstance(err, IllegalTransition) and err.code == "separation_of_duties"
    assert review.advance(w.db, actor=w.central, filing_id=f.id, event="approve").state is State.APPROVED


def test_only_an_assessor_of_the_filing_signs_and_completes(world: World, fixture_banks: BankSet) -> None:
    from tests.filings.flows import run_assessment

    w = world
    f = to_provincial_review(w)
    review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="forward")
    outsider = Actor("usr_a9", Role.ASSESSOR)
    unchanged(w, lambda: review.sign_assessment(w.db, actor=w.assessor, filing_id=f.id), InvalidInput,
              match="only an assessor who ran")
    run_assessment(w, f.id, fixture_banks)
    unchanged(w, lambda: review.sign_assessment(w.db, actor=outsider, filing_id=f.id), InvalidInput)
    unchanged(w, lambda: review.sign_assessment(w.db, actor=w.central, filing_id=f.id), Forbidden)
    review.sign_assessment(w.db, actor=w.assessor, filing_id=f.id)
    err = unchanged(w, lambda: review.advance(w.db, actor=outsider, filing_id=f.id, event="complete_assessment"),
                    IllegalTransition)
    assert isinstance(err, IllegalTransition) and err.code == "assessor_of_filing"


def test_provider_cannot_read_or_touch_another_organisations_filing(world: World) -> None:
    w = world
    f = draft(w)
    attempts: list[Callable[[], Any]] = [
        lambda: filing_service.get_filing(w.db, actor=w.other_provider, filing_id=f.id),
        lambda: filing_service.timeline(w.db, actor=w.other_provider, filing_id=f.id),
        lambda: filing_service.update_draft(w.db, actor=w.other_provider, filing_id=f.id, changes={"model_name": "x"}),
        lambda: filing_service.upload_material(w.db, actor=w.other_provider, filing_id=f.id,
                                               material_type="filing_form", filename="a.pdf", content=PDF,
                                               store=w.store),
        lambda: review.advance(w.db, actor=w.other_provider, filing_id=f.id, event="submit"),
        lambda: review.advance(w.db, actor=w.other_provider, filing_id=f.id, event="withdraw"),
        # a guessed id is answered exactly like a forbidden one
        lambda: filing_service.get_filing(w.db, actor=w.other_provider, filing_id="fil_0000000000000000"),
    ]
    for attempt in attempts:
        unchanged(w, attempt, NotFound, match="no filing")
    assert filing_service.list_filings(w.db, actor=w.other_provider) == []
    assert [x.id for x in filing_service.list_filings(w.db, actor=w.provider)] == [f.id]


def test_reviewer_of_another_province_sees_and_decides_nothing(world: World) -> None:
    w = world
    f = draft(w)
    review.advance(w.db, actor=w.provider, filing_id=f.id, event="submit")
    for event in ("start_provincial_review", "reject", "forward"):
        unchanged(w, lambda e=event: review.advance(w.db, actor=w.other_reviewer, filing_id=f.id, event=e,
                                                    reason="r"), NotFound)
    unchanged(w, lambda: filing_service.get_filing(w.db, actor=w.other_reviewer, filing_id=f.id), NotFound)
    assert filing_service.list_filings(w.db, actor=w.other_reviewer) == []
    assert [x.id for x in filing_service.list_filings(w.db, actor=w.reviewer)] == [f.id]


def test_drafts_are_private_and_admins_see_no_filings(world: World) -> None:
    w = world
    f = draft(w)
    for actor in (w.reviewer, w.assessor, w.central, w.admin):
        unchanged(w, lambda a=actor: filing_service.get_filing(w.db, actor=a, filing_id=f.id), NotFound)
        assert filing_service.list_filings(w.db, actor=actor) == []
    review.advance(w.db, actor=w.provider, filing_id=f.id, event="submit")
    for actor in (w.reviewer, w.assessor, w.central):
        assert filing_service.get_filing(w.db, actor=actor, filing_id=f.id).id == f.id
    unchanged(w, lambda: filing_service.get_filing(w.db, actor=w.admin, filing_id=f.id), NotFound)


def test_admin_takes_no_workflow_decision(world: World, fixture_banks: BankSet) -> None:
    w = world
    f = to_central_review(w, fixture_banks)
    assert isinstance(unchanged(w, lambda: review.advance(w.db, actor=w.admin, filing_id=f.id, event="approve"),
                                NotFound), NotFound)
    assert isinstance(unchanged(w, lambda: batches.compose(w.db, actor=w.admin, title="t", filing_ids=[f.id]),
                                Forbidden), Forbidden)


def test_submitted_filing_cannot_be_edited(world: World) -> None:
    w = world
    f = draft(w)
    review.advance(w.db, actor=w.provider, filing_id=f.id, event="submit")
    err = unchanged(w, lambda: filing_service.update_draft(w.db, actor=w.provider, filing_id=f.id,
                                                           changes={"model_name": "改名"}), Forbidden, match="submitted")
    assert "submitted" in str(err)
    unchanged(w, lambda: filing_service.upload_material(w.db, actor=w.provider, filing_id=f.id,
                                                        material_type="filing_form", filename="new.pdf",
                                                        content=PDF, store=w.store), Forbidden)


def test_bad_form_input_changes_nothing(world: World) -> None:
    w = world
    f = filing_service.create_draft(w.db, actor=w.provider, kind="filing", form={"model_name": "M"})
    bad: list[tuple[dict[str, Any], str]] = [
        ({"foreign_open_source_share": 1.5}, "foreign_open_source_share"),
        ({"functions": ["telepathy"]}, "functions"),
        ({"corpus_tokens": -1}, "corpus_tokens"),
        ({"endpoint": {"base_url": "ftp://x", "model": "m"}}, "endpoint"),
        ({"base_model_number": "not-a-number"}, "base_model_number"),
        ({"favourite_colour": "red"}, "favourite_colour"),
    ]
    for changes, field in bad:
        err = unchanged(w, lambda c=changes: filing_service.update_draft(w.db, actor=w.provider, filing_id=f.id,
                                                                         changes=c), InvalidInput)
        assert isinstance(err, InvalidInput) and any(k.startswith(field) for k in err.errors), err.errors
    unchanged(w, lambda: filing_service.create_draft(w.db, actor=w.provider, kind="licence"), InvalidInput)
    unchanged(w, lambda: filing_service.create_draft(w.db, actor=w.provider, kind="filing",
                                                     form={"concurrency": "lots"}), InvalidInput)
    unchanged(w, lambda: filing_service.create_draft(w.db, actor=w.reviewer, kind="filing"), Forbidden)


def test_partial_saves_keep_earlier_fields(world: World) -> None:
    w = world
    f = filing_service.create_draft(w.db, actor=w.provider, kind="filing", form={"model_name": "M"})
    filing_service.update_draft(w.db, actor=w.provider, filing_id=f.id, changes={"annotators": 3})
    f = filing_service.update_draft(w.db, actor=w.provider, filing_id=f.id, changes={"concurrency": 10})
    assert (f.form.model_name, f.form.annotators, f.form.concurrency) == ("M", 3, 10)
    f = filing_service.update_draft(w.db, actor=w.provider, filing_id=f.id, changes={"annotators": None})
    assert f.form.annotators is None
    events = filing_service.timeline(w.db, actor=w.provider, filing_id=f.id)
    assert events[-1].before == {"annotators": 3} and events[-1].after == {"annotators": None}
    # saving the same values again is not a change and writes no event
    n = len(events)
    filing_service.update_draft(w.db, actor=w.provider, filing_id=f.id, changes={"concurrency": 10})
    assert len(filing_service.timeline(w.db, actor=w.provider, filing_id=f.id)) == n


@pytest.mark.parametrize(("mtype", "name", "content", "message"), [
    ("self_assessment_report", "report.docx", b"PK\x03\x04xx", "allowed file types are .pdf"),
    ("filing_form", "form.exe", b"MZ", "allowed file types"),
    ("filing_form", "form.pdf", b"<!DOCTYPE html><script>alert(1)</script>", "content is text/html"),
    ("filing_form", "form.pdf", b"", "empty"),
    ("keyword_list", "kw.txt", b"\x00\x01\x02binary", "content is application/octet-stream"),
    ("filing_form", "../../etc/passwd.pdf", PDF, "without folders"),
    ("no_such_material", "x.pdf", PDF, "one of filing_form"),
])
def test_bad_uploads_store_nothing(world: World, mtype: str, name: str, content: bytes, message: str) -> None:
    w = world
    f = filing_service.create_draft(w.db, actor=w.provider, kind="filing")
    err = unchanged(w, lambda: filing_service.upload_material(w.db, actor=w.provider, filing_id=f.id,
                                                              material_type=mtype, filename=name, content=content,
                                                              store=w.store), InvalidInput, match=message)
    assert isinstance(err, InvalidInput)
    assert not w.store.root.exists() or not any(p.is_file() for p in w.store.root.rglob("*"))


def test_oversize_upload_names_the_field_and_the_limit(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from clearance.domain.filings import uploads

    monkeypatch.setitem(uploads.RULES, uploads.MaterialType.FILING_FORM, uploads.Rule((".pdf",), 1024))
    w = world
    f = filing_service.create_draft(w.db, actor=w.provider, kind="filing")
    err = unchanged(w, lambda: filing_service.upload_material(
        w.db, actor=w.provider, filing_id=f.id, material_type="filing_form", filename="big.pdf",
        content=PDF + b"x" * 2048, store=w.store), InvalidInput)
    assert isinstance(err, InvalidInput) and err.errors == {"filing_form": "'big.pdf' is 2.0 KB; the limit is 1.0 KB"}


def test_upload_whose_transaction_fails_leaves_no_file(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from clearance.adapters.db import audit_log

    w = world
    f = filing_service.create_draft(w.db, actor=w.provider, kind="filing")

    def broken(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit_log, "append", broken)
    unchanged(w, lambda: filing_service.upload_material(w.db, actor=w.provider, filing_id=f.id,
                                                        material_type="filing_form", filename="f.pdf",
                                                        content=PDF + b"unique", store=w.store), RuntimeError)
    assert not any(p.is_file() for p in w.store.root.rglob("*"))


def test_state_change_and_audit_event_roll_back_together(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """When writing the audit event fails, the state change it records is rolled back too."""
    from clearance.adapters.db import audit_log

    w = world
    f = draft(w)

    def broken(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("audit write failed")

    monkeypatch.setattr(audit_log, "append", broken)
    unchanged(w, lambda: review.advance(w.db, actor=w.provider, filing_id=f.id, event="submit"), RuntimeError)
    assert filing_service.get_filing(w.db, actor=w.provider, filing_id=f.id).state is State.DRAFT


def test_invalid_organisations_are_refused(world: World) -> None:
    w = world
    cases = [
        ({**ORG_BEIJING, "credit_code": "914403001922038217"}, "credit_code", "should be 6"),
        ({**ORG_BEIJING, "credit_code": "91440300192203821"}, "credit_code", "18 characters"),
        ({**ORG_BEIJING, "province": "110100"}, "province", "GB/T 2260"),
        ({**ORG_BEIJING, "contact_email": "nobody"}, "contact_email", "not an email"),
        ({**ORG_BEIJING, "name_zh": ""}, "name_zh", "at least 2"),
        (ORG_BEIJING, "credit_code", "already registered"),   # the fixture registered it
    ]
    for data, field, message in cases:
        err = unchanged(w, lambda d=data: accounts.create_organisation(w.db, actor=ADMIN, data=d), InvalidInput)
        assert isinstance(err, InvalidInput) and message in err.errors.get(field, ""), err.errors
    unchanged(w, lambda: accounts.create_organisation(w.db, actor=w.central, data=ORG_BEIJING), Forbidden)


def test_batch_composition_is_checked(world: World, fixture_banks: BankSet) -> None:
    w = world
    f = to_central_review(w, fixture_banks)
    unchanged(w, lambda: batches.compose(w.db, actor=w.central, title="b", filing_ids=[f.id]), InvalidInput,
              match="not approved")
    unchanged(w, lambda: batches.compose(w.db, actor=w.central, title="b", filing_ids=["fil_x"]), InvalidInput,
              match="no such filing")
    review.advance(w.db, actor=w.central, filing_id=f.id, event="approve")
    b = batches.compose(w.db, actor=w.central, title="b", filing_ids=[f.id])
    unchanged(w, lambda: batches.compose(w.db, actor=w.central, title="b2", filing_ids=[f.id]), InvalidInput,
              match="already in a batch")
    batches.publish(w.db, actor=w.central, batch_id=b.id)
    err = unchanged(w, lambda: batches.publish(w.db, actor=w.central, batch_id=b.id), InvalidInput,
                    match="already published")
    assert "already published" in str(err)


def test_materials_download_as_attachments_to_those_who_may_read(world: World) -> None:
    w = world
    f = draft(w)
    m = f.current_materials()[next(iter(f.current_materials()))]
    got = filing_service.download_material(w.db, actor=w.provider, filing_id=f.id, material_id=m.id, store=w.store)
    assert got.disposition == "attachment" and got.content_type == m.sniffed_type
    assert hashlib.sha256(got.content).hexdigest() == m.sha256
    for actor in (w.other_provider, w.reviewer, w.admin):  # a draft: only its provider
        unchanged(w, lambda a=actor: filing_service.download_material(w.db, actor=a, filing_id=f.id,
                                                                      material_id=m.id, store=w.store), NotFound)
    w.store.path(m.storage_key).write_bytes(b"%PDF-tampered")
    with pytest.raises(RuntimeError, match="altered"):
        filing_service.download_material(w.db, actor=w.provider, filing_id=f.id, material_id=m.id, store=w.store)


def test_identical_uploads_are_stored_once(world: World) -> None:
    w = world
    a = draft(w)
    b = draft(w)
    keys = {m.storage_key for f in (a, b) for m in f.materials}
    assert len(keys) == 6 and sum(1 for p in w.store.root.rglob("*") if p.is_file()) == 6
