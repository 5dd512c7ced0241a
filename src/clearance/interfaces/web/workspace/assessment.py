"""Phase 2 and 3 pages: schedule the technical assessment and follow it live, label the manual
sample one item at a time, sign; then the report next to the materials, and for a change
filing the report against the previous filing's.

Handlers parse the request and call one service (services/filing_assessment.py and
services/manual_sample.py), which decide who may do what. The filing page shows this phase
through ``_assessment_panel.html``, which asks ``assessment_panel(f, actor)`` (installed as a
template global by ``install``) for what to show."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from clearance.adapters.reports import render as report_render
from clearance.domain.filings.forms import MATERIAL_LABELS
from clearance.domain.filings.records import Filing
from clearance.domain.filings.workflow import Actor
from clearance.domain.judges.base import RefusalClass
from clearance.domain.risks import RISKS
from clearance.interfaces.web import catalogues
from clearance.interfaces.web.catalogues import N_
from clearance.interfaces.web.state import Web, WebState
from clearance.interfaces.web.workspace.common import (
    SECURITY_HEADERS,
    Session,
    checked_form,
    lang_of,
    render,
    see_other,
    text,
)
from clearance.interfaces.web.workspace.errors import PageErrors
from clearance.services import filing_assessment as service
from clearance.services import manual_sample
from clearance.services.accounts import WebSession
from clearance.services.errors import InvalidInput

router = APIRouter(route_class=PageErrors, include_in_schema=False)

FILING = "/filings/{filing_id}"
ASSESSMENT = FILING + "/assessment"


def url(filing_id: str, part: str = "") -> str:
    return f"/filings/{filing_id}{part}"


REFUSAL_CLASSES: dict[str, str] = {
    RefusalClass.FULL_REFUSAL.value: N_("Refused"),
    RefusalClass.PARTIAL_REFUSAL.value: N_("Partial refusal"),
    RefusalClass.FULL_COMPLIANCE.value: N_("Complied"),
}
# the keyboard shortcut of each refusal class on the labelling page
CLASS_KEYS = {RefusalClass.FULL_REFUSAL.value: "R", RefusalClass.PARTIAL_REFUSAL.value: "P",
              RefusalClass.FULL_COMPLIANCE.value: "C"}

RUN_STATUSES: dict[str, str] = {
    "created": N_("Scheduled"),
    "running": N_("Running"),
    "interrupted": N_("Interrupted"),
    "completed": N_("Completed"),
    "failed": N_("Failed"),
}

# Label form problems, in the user's language (the service's messages are English).
LABEL_PROBLEMS: dict[str, str] = {
    "item_id": N_("This item is not in the manual sample. Nothing was saved."),
    "refusal_class": N_("Choose refused, partial refusal or complied."),
    "harmful": N_("Say whether the answer is harmful (yes or no)."),
    "risk_code": N_("A harmful answer needs a known risk code (A.1a … A.5b)."),
    "agree": N_("The judges did not decide this item: label it with Override."),
    "note": N_("The note is too long (at most 2,000 characters)."),
    "assessment": N_("The assessment is signed or was scheduled again: its labels can no longer change. "
                     "Nothing was saved."),
}

REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
              "base-uri 'none'; form-action 'none'")


def _page(web: Web, request: Request, sess: WebSession, template: str, *, status: int = 200,
          **ctx: Any) -> Response:
    tr = catalogues.Translator(lang_of(request))
    return render(web, request, template, sess=sess, status=status, url=url, refusal_classes=REFUSAL_CLASSES,
                  class_keys=CLASS_KEYS, run_statuses=RUN_STATUSES,
                  run_statuses_shown={k: tr(v) for k, v in RUN_STATUSES.items()}, **ctx)


def install(web: Web) -> None:
    """Make the filing page's panel able to ask for this phase's state."""
    def assessment_panel(f: Filing, actor: Actor | None) -> service.PanelView | None:
        if actor is None:
            return None
        return service.panel(web.engine, web.runner, actor=actor, filing=f)

    web.templates.globals["assessment_panel"] = assessment_panel
    web.templates.globals["run_statuses"] = RUN_STATUSES


# --- phase 2 --------------------------------------------------------------------------------------

@router.post(ASSESSMENT + "/schedule")
async def schedule(filing_id: str, request: Request, web: WebState, sess: Session) -> Response:
    form = await checked_form(request, sess)
    await run_in_threadpool(service.schedule, web.engine, web.runner, actor=sess.actor, filing_id=filing_id,
                            plan=text(form, "plan"))
    return see_other(url(filing_id, "/assessment"))


@router.post(ASSESSMENT + "/resume")
async def resume(filing_id: str, request: Request, web: WebState, sess: Session) -> Response:
    await checked_form(request, sess)
    await run_in_threadpool(service.resume, web.engine, web.runner, actor=sess.actor, filing_id=filing_id)
    return see_other(url(filing_id, "/assessment"))


@router.get(ASSESSMENT)
async def progress_page(filing_id: str, request: Request, web: WebState, sess: Session) -> Response:
    view = await run_in_threadpool(service.progress, web.engine, web.runner, actor=sess.actor, filing_id=filing_id)
    return _page(web, request, sess, "workspace/assessment.html", p=view, f=view.filing)


def progress_json(p: service.ProgressView) -> dict[str, Any]:
    return {"run_id": p.run_id, "status": p.status, "live": p.live, "total": p.total, "done": p.done,
            "errors": p.errors, "pending": p.total - p.done, "percent": p.percent, "rate": p.rate,
            "eta_seconds": None if p.eta_seconds is None else round(p.eta_seconds),
            "error": p.error, "decision": p.decision, "report_sha256": p.report_sha256,
            "sample_size": p.sample_size, "labelled": p.labelled, "signed": p.signed_by is not None}


@router.get(FILING + "/assessment.json")
async def progress_data(filing_id: str, web: WebState, sess: Session) -> Response:
    view = await run_in_threadpool(service.progress, web.engine, web.runner, actor=sess.actor, filing_id=filing_id)
    return JSONResponse(progress_json(view), headers={"Cache-Control": "no-store"})


def _label_page(web: Web, request: Request, sess: WebSession, view: manual_sample.LabelView, *,
                status: int = 200, errors: dict[str, str] | None = None) -> Response:
    en = lang_of(request) == "en"
    return _page(web, request, sess, "workspace/assessment_label.html", status=status, v=view, f=view.filing,
                 errors=errors or {}, risks=list(RISKS.values()),
                 risk_names={r.code: r.name_en if en else r.name_zh for r in RISKS.values()},
                 complete=request.query_params.get("complete") == "1")


@router.get(ASSESSMENT + "/label")
async def label_page(filing_id: str, request: Request, web: WebState, sess: Session,
                     at: Annotated[int | None, Query(ge=1)] = None) -> Response:
    view = await run_in_threadpool(manual_sample.label_view, web.engine, actor=sess.actor, filing_id=filing_id,
                                   at=at)
    return _label_page(web, request, sess, view)


def _parse_label(form: Any) -> dict[str, Any]:
    """The override fields as the service takes them; a value outside the choices is an error."""
    cls = text(form, "refusal_class") or None
    harmful_raw = text(form, "harmful")
    if harmful_raw not in ("", "yes", "no"):
        raise InvalidInput({"harmful": "yes or no"})
    return {"refusal_class": cls, "harmful": None if not harmful_raw else harmful_raw == "yes",
            "risk_code": text(form, "risk_code") or None, "note": text(form, "note") or None}


@router.post(ASSESSMENT + "/label")
async def label(filing_id: str, request: Request, web: WebState, sess: Session) -> Response:
    form = await checked_form(request, sess)
    _ = catalogues.Translator(lang_of(request))
    at_raw = text(form, "at")
    at = int(at_raw) if at_raw.isdigit() else None
    agree = text(form, "action") == "agree"
    try:
        values = {} if agree else _parse_label(form)
        following = await run_in_threadpool(manual_sample.record_label, web.engine, actor=sess.actor,
                                            filing_id=filing_id, item_id=text(form, "item_id"), agree=agree,
                                            **values)
    except InvalidInput as exc:
        shown = {k: (_(LABEL_PROBLEMS[k]) if k in LABEL_PROBLEMS else v) for k, v in exc.errors.items()}
        try:
            view = await run_in_threadpool(manual_sample.label_view, web.engine, actor=sess.actor,
                                           filing_id=filing_id, at=at)
        except InvalidInput:
            raise exc from None
        return _label_page(web, request, sess, view, status=422, errors=shown)
    if following is None:
        return see_other(url(filing_id, "/assessment/label") + f"?at={at or 1}&complete=1")
    return see_other(url(filing_id, "/assessment/label") + f"?at={following}")


@router.post(ASSESSMENT + "/sign")
async def sign(filing_id: str, request: Request, web: WebState, sess: Session) -> Response:
    await checked_form(request, sess)
    await run_in_threadpool(service.sign, web.engine, actor=sess.actor, filing_id=filing_id)
    return see_other(url(filing_id) + "#actions")


# --- the report, phase 3 ----------------------------------------------------------------------------

@router.get(ASSESSMENT + "/report")
async def report_html(filing_id: str, web: WebState, sess: Session) -> Response:
    """The full printable report (self-contained, styled inline, no script): served with a
    policy that lets its inline styles apply and nothing else run or load."""
    rep = await run_in_threadpool(service.report, web.engine, actor=sess.actor, filing_id=filing_id)
    body = await run_in_threadpool(report_render.to_html, rep)
    return Response(body, media_type="text/html; charset=utf-8",
                    headers={**SECURITY_HEADERS, "Content-Security-Policy": REPORT_CSP})


@router.get(ASSESSMENT + "/report.json")
async def report_json(filing_id: str, web: WebState, sess: Session) -> Response:
    rep = await run_in_threadpool(service.report, web.engine, actor=sess.actor, filing_id=filing_id)
    return Response(rep.canonical_json(), media_type="application/json", headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="report-{rep.run_id}.json"'})


@router.get(FILING + "/review")
async def review_page(filing_id: str, request: Request, web: WebState, sess: Session) -> Response:
    view = await run_in_threadpool(service.review_view, web.engine, actor=sess.actor, filing_id=filing_id)
    return _page(web, request, sess, "workspace/assessment_review.html", v=view, f=view.filing, r=view.report,
                 material_labels=MATERIAL_LABELS)


@router.get(FILING + "/diff")
async def diff_page(filing_id: str, request: Request, web: WebState, sess: Session) -> Response:
    view = await run_in_threadpool(service.diff_view, web.engine, actor=sess.actor, filing_id=filing_id)
    return _page(web, request, sess, "workspace/assessment_diff.html", v=view, f=view.filing, d=view.diff)
