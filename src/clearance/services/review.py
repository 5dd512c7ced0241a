"""Moving filings through the phases: every decision goes through the workflow table
(``workflow.fire``) and is applied with its audit event in one transaction; an illegal attempt
raises before anything is written. Phase 2 schedules the technical assessment of the filing's
endpoint with the assessment engine and records the run; approval issues the number."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from pypinyin import lazy_pinyin
from sqlalchemy import Engine

from clearance.adapters.db import audit_log
from clearance.adapters.db import filings as repo
from clearance.adapters.db import runs as runs_repo
from clearance.domain.banks import BankSet
from clearance.domain.endpoint import EndpointConfig
from clearance.domain.filings import numbering
from clearance.domain.filings.organisations import province_for
from clearance.domain.filings.records import Filing
from clearance.domain.filings.workflow import Actor, Event, Facts, FilingKind, Role, State, fire
from clearance.domain.plan import AssessmentPlan
from clearance.domain.policy import Action, require
from clearance.services import assessments, registry_feed
from clearance.services.errors import InvalidInput, NotFound
from clearance.services.filings import list_filings, load_visible, missing_of, target

# Numbers carry the date of issue as the regulator's calendar has it (China Standard Time).
CHINA = timezone(timedelta(hours=8), "CST")


def _now() -> datetime:
    return datetime.now(UTC)


def facts(f: Filing) -> Facts:
    return Facts(kind=f.kind, province=f.province, organisation=f.organisation_id,
                 missing_materials=tuple(missing_of(f)), provincial_reviewer=f.provincial_reviewer,
                 assessors=f.assessors, assessment_signed=f.assessment_signed_by is not None)


def issue_number(kind: FilingKind, province_code: str, model_name: str, issued_on: date, sequence: int) -> str:
    province = province_for(province_code)
    if kind is FilingKind.FILING:
        return numbering.filing_number(province, model_name, issued_on, sequence, lazy_pinyin)
    return numbering.launch_number(province, model_name, issued_on, sequence, lazy_pinyin)


def advance(db: Engine, *, actor: Actor, filing_id: str, event: str, reason: str | None = None,
            now: datetime | None = None) -> Filing:
    """Fire ``event`` on the filing. Raises NotFound (not visible), IllegalTransition (not on the
    table, wrong role, failed guard, missing reason) or InvalidInput (unknown event)."""
    try:
        ev = Event(event)
    except ValueError:
        raise InvalidInput({"event": "one of " + ", ".join(e.value for e in Event)}) from None
    if ev is Event.PUBLISH:
        # publication is announced in batches, so it only happens through services.batches
        raise InvalidInput({"event": "approved filings are published in a batch (compose one, then publish it)"})
    at = now or _now()
    with audit_log.writing(db) as conn:
        f = load_visible(conn, actor, filing_id, for_update=True)
        decision = fire(f.state, ev, actor, facts(f), reason)
        values: dict[str, Any] = {"state": decision.target}
        after: dict[str, Any] = {"state": decision.target.value}
        if actor.role is Role.PROVINCIAL_REVIEWER:
            # the reviewer who last acted in phase 1 is the one separation of duties excludes
            values["provincial_reviewer"] = actor.id
        if ev is Event.FORWARD:
            # a filing back from a supplement is assessed afresh
            values.update(assessment_run_id=None, assessment_signed_by=None, assessment_signed_at=None)
        if ev in (Event.APPROVE, Event.APPROVE_REGISTRATION):
            issued_on = at.astimezone(CHINA).date()
            assert f.form.model_name is not None  # required by the completeness check
            seq = repo.next_sequence(conn, f.kind, issued_on)
            number = issue_number(f.kind, f.province, f.form.model_name, issued_on, seq)
            values.update(number=number, approved_on=issued_on)
            after["number"] = number
        repo.update_filing(conn, filing_id, at, **values)
        audit_log.append(conn, actor=actor.id, action=f"filing.{ev.value}", object_type="filing",
                         object_id=filing_id, reason=decision.reason, before={"state": f.state.value},
                         after=after, at=at)
        updated = repo.get_filing(conn, filing_id)
    assert updated is not None
    # after the commit, like every registry change (see registry_feed)
    registry_feed.mirror(db, filing=updated, event=ev, reason=decision.reason, at=at)
    return updated


def schedule_assessment(db: Engine, *, actor: Actor, filing_id: str, plan: AssessmentPlan, banks: BankSet,
                        endpoint_overrides: dict[str, Any] | None = None) -> str:
    """Phase 2: schedule an assessment run of the filing's endpoint and record it on the filing;
    the scheduling assessor becomes an assessor of the filing. Returns the run id; executing it
    is ``assessments.execute_run`` (in-process or by a worker)."""
    with db.connect() as conn:
        f = load_visible(conn, actor, filing_id)
    require(actor, Action.RUN_ASSESSMENT, target(f))
    if f.assessment_signed_by is not None:
        raise InvalidInput({"assessment": "the assessment is already signed"})
    ep = f.form.endpoint
    if ep is None:
        raise InvalidInput({"endpoint": "the filing names no endpoint to assess"})
    cfg = EndpointConfig.model_validate({"base_url": ep.base_url, "model": ep.model,
                                         "api_key_env": ep.api_key_env, **(endpoint_overrides or {})})
    # The run is created by the engine in its own transactions; should recording it below fail,
    # the run stays as an unattached run in `clearance assess list`, harmless.
    run = assessments.schedule(db, plan=plan, endpoint=cfg, banks=banks, label=f"filing {filing_id}")
    with audit_log.writing(db) as conn:
        current = load_visible(conn, actor, filing_id, for_update=True)
        require(actor, Action.RUN_ASSESSMENT, target(current))
        if current.assessment_signed_by is not None:
            raise InvalidInput({"assessment": "the assessment was signed meanwhile"})
        repo.update_filing(conn, filing_id, _now(), assessment_run_id=run.id,
                           assessors=current.assessors | {actor.id})
        audit_log.append(conn, actor=actor.id, action="assessment.scheduled", object_type="filing",
                         object_id=filing_id, before={"run_id": current.assessment_run_id},
                         after={"run_id": run.id, "items": run.total_items})
    return run.id


def sign_assessment(db: Engine, *, actor: Actor, filing_id: str) -> Filing:
    """An assessor of the filing signs its finished assessment (the report hash is recorded in
    the audit event). Signing is what the workflow's ``assessment_signed`` guard waits for."""
    with audit_log.writing(db) as conn:
        f = load_visible(conn, actor, filing_id, for_update=True)
        require(actor, Action.RUN_ASSESSMENT, target(f))
        if actor.id not in f.assessors:
            raise InvalidInput({"assessment": "only an assessor who ran this filing's assessment signs it"})
        if f.assessment_run_id is None:
            raise InvalidInput({"assessment": "no assessment has been scheduled"})
        if f.assessment_signed_by is not None:
            raise InvalidInput({"assessment": "the assessment is already signed"})
        try:
            run = runs_repo.get_run(db, f.assessment_run_id)
        except runs_repo.RunNotFound:
            raise NotFound(f"assessment run {f.assessment_run_id!r} is missing") from None
        if run.status != "completed" or run.report_sha256 is None:
            raise InvalidInput({"assessment": f"the run is '{run.status}'; sign it when it has completed"})
        now = _now()
        repo.update_filing(conn, filing_id, now, assessment_signed_by=actor.id, assessment_signed_at=now)
        audit_log.append(conn, actor=actor.id, action="assessment.signed", object_type="filing", object_id=filing_id,
                         after={"run_id": run.id, "report_sha256": run.report_sha256, "decision": run.decision})
        updated = repo.get_filing(conn, filing_id)
    assert updated is not None
    return updated


def pending(db: Engine, *, actor: Actor) -> list[Filing]:
    """Filings waiting for this actor's role (a work queue)."""
    waiting = {Role.PROVINCIAL_REVIEWER: {State.SUBMITTED, State.PROVINCIAL_REVIEW},
               Role.ASSESSOR: {State.TECHNICAL_ASSESSMENT},
               Role.CENTRAL_REVIEWER: {State.CENTRAL_REVIEW, State.APPROVED},
               Role.PROVIDER: {State.DRAFT, State.SUPPLEMENT_REQUESTED}}.get(actor.role, set())
    return [f for f in list_filings(db, actor=actor) if f.state in waiting]
