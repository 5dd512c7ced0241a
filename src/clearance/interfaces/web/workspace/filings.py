"""Filing pages: the work list, a filing with its form, materials, actions and timeline.

Handlers parse the request, call one service function and render; who may see or do what is
decided by the services through the policy module, exactly as for the JSON API."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from clearance.domain.filings import uploads
from clearance.domain.filings.forms import MATERIAL_LABELS, REQUIRED_MATERIALS, MaterialType
from clearance.domain.filings.records import Filing
from clearance.domain.filings.workflow import (
    Event,
    FilingKind,
    IllegalTransition,
    Role,
    State,
    available,
    edge,
)
from clearance.domain.policy import Action, allowed
from clearance.interfaces.web import catalogues
from clearance.interfaces.web.state import Store, Web, WebState
from clearance.interfaces.web.upload_body import BadUpload, TooLarge, read_capped
from clearance.interfaces.web.workspace import form_fields, labels
from clearance.interfaces.web.workspace.common import (
    CSRF_FIELD,
    Session,
    StaleForm,
    checked_form,
    lang_of,
    render,
    see_other,
    text,
)
from clearance.interfaces.web.workspace.errors import PageErrors, transition_message
from clearance.interfaces.web.workspace.field_messages import translate_errors
from clearance.services import filings as filing_service
from clearance.services import review
from clearance.services.accounts import WebSession
from clearance.services.errors import InvalidInput

router = APIRouter(route_class=PageErrors, include_in_schema=False)

FILINGS = "/filings"
FILING = "/filings/{filing_id}"


def filing_url(filing_id: str, part: str = "") -> str:
    return f"{FILINGS}/{filing_id}{part}"


@router.get(FILINGS)
async def list_page(request: Request, web: WebState, sess: Session,
                    state: Annotated[str | None, Query()] = None) -> Response:
    chosen = state if state in {s.value for s in State} else None
    found = await run_in_threadpool(filing_service.list_filings, web.engine, actor=sess.actor, state=chosen)
    waiting = {f.id for f in await run_in_threadpool(review.pending, web.engine, actor=sess.actor)}
    found.sort(key=lambda f: (f.id not in waiting, -f.updated_at.timestamp()))
    return render(web, request, "workspace/filings.html", sess=sess, filings=found, waiting=waiting,
                  chosen=chosen, states=list(State),
                  can_create=allowed(sess.actor, Action.CREATE_FILING))


@router.post(FILINGS)
async def create(request: Request, web: WebState, sess: Session) -> Response:
    form = await checked_form(request, sess)
    f = await run_in_threadpool(filing_service.create_draft, web.engine, actor=sess.actor,
                                kind=text(form, "kind") or "filing")
    return see_other(filing_url(f.id))


def _actions(f: Filing, sess: WebSession) -> list[dict[str, Any]]:
    out = []
    for ev in available(f.state, sess.actor, review.facts(f)):
        if ev is Event.PUBLISH:
            continue  # publication goes through a batch
        t = edge(f.state, ev)
        out.append({"event": ev.value, "label": labels.EVENTS[ev], "reason": bool(t and t.reason_required),
                    "danger": ev in (Event.REJECT, Event.REVOKE, Event.WITHDRAW, Event.SUSPEND)})
    return out


def filing_page(web: Web, request: Request, sess: WebSession, f: Filing, *, status: int = 200,
                errors: dict[str, str] | None = None, raw: dict[str, Any] | None = None,
                notice: str | None = None) -> Response:
    editable = allowed(sess.actor, Action.EDIT_FILING, filing_service.target(f))
    events = filing_service.timeline(web.engine, actor=sess.actor, filing_id=f.id)
    current = f.current_materials()
    return render(
        web, request, "workspace/filing.html", sess=sess, status=status, f=f, editable=editable,
        fields=form_fields.fields_for(f.kind), values=form_fields.shown(f.form, raw), errors=errors or {},
        missing=filing_service.missing_of(f), materials=current, material_types=list(REQUIRED_MATERIALS[f.kind]),
        material_labels=MATERIAL_LABELS, limits={m: uploads.RULES[m] for m in MaterialType},
        actions=_actions(f, sess), events=events, notice=notice, Role=Role, State=State,
        FilingKind=FilingKind, can_change=(sess.actor.role is Role.PROVIDER
                                           and f.state in filing_service.CHANGEABLE),
        url=filing_url)


@router.get(FILING)
async def show(filing_id: str, request: Request, web: WebState, sess: Session) -> Response:
    f = await run_in_threadpool(filing_service.get_filing, web.engine, actor=sess.actor, filing_id=filing_id)
    return await run_in_threadpool(filing_page, web, request, sess, f)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post(FILING + "/form")
async def save_form(filing_id: str, request: Request, web: WebState, sess: Session) -> Response:
    """Save the form: by the Save button (a page comes back) or by the page's autosave script
    (Accept: application/json; what is saved and what is still missing come back)."""
    form = await checked_form(request, sess)
    f = await run_in_threadpool(filing_service.get_filing, web.engine, actor=sess.actor, filing_id=filing_id)
    changes = form_fields.read(form, f.kind)
    _ = catalogues.Translator(lang_of(request))
    try:
        updated = await run_in_threadpool(filing_service.update_draft, web.engine, actor=sess.actor,
                                          filing_id=filing_id, changes=changes)
    except InvalidInput as exc:
        errors = translate_errors(exc.errors, lang_of(request))
        if _wants_json(request):
            return JSONResponse({"saved": False, "errors": errors}, status_code=422)
        return filing_page(web, request, sess, f, status=422, errors=errors, raw=dict(changes),
                           notice=_("Nothing was saved: correct the marked fields."))
    if _wants_json(request):
        return JSONResponse({"saved": True, "updated_at": updated.updated_at.isoformat(),
                             "missing": [_.pick(m) for m in filing_service.missing_of(updated)]})
    return see_other(filing_url(filing_id) + "?saved=1")


@router.post(FILING + "/materials/{material_type}")
async def upload(filing_id: str, material_type: str, request: Request, web: WebState, sess: Session,
                 store: Store) -> Response:
    """One form per material, so the material's own size limit is known before the body is
    read (upload_body.read_capped); the CSRF token travels in the same multipart body."""
    _ = catalogues.Translator(lang_of(request))
    f = await run_in_threadpool(filing_service.get_filing, web.engine, actor=sess.actor, filing_id=filing_id)
    try:
        mtype = MaterialType(material_type)
    except ValueError:
        raise InvalidInput({"material_type": "one of " + ", ".join(m.value for m in MaterialType)}) from None
    # every message names the material it is about: the page shows one message for all six forms
    label = _.pick(MATERIAL_LABELS[mtype]) + ": "
    try:
        up = await read_capped(request, mtype)
    except TooLarge as exc:
        return filing_page(web, request, sess, f, status=413, errors={
            "material": label + _("The file is larger than this material may be (%(size)s). Nothing was uploaded.",
                                  size=exc.size_text)})
    except BadUpload:
        return filing_page(web, request, sess, f, status=422, errors={"material": label + _("Choose a file to upload.")})
    sent = up.fields.get(CSRF_FIELD, "")
    if not sent or not secrets.compare_digest(sent, sess.csrf_token):
        raise StaleForm
    if not up.filename:
        return filing_page(web, request, sess, f, status=422, errors={"material": label + _("Choose a file to upload.")})
    try:
        await run_in_threadpool(filing_service.upload_material, web.engine, actor=sess.actor, filing_id=filing_id,
                                material_type=mtype.value, filename=up.filename, content=up.content,
                                declared_type=up.declared_type, store=store)
    except InvalidInput as exc:
        return filing_page(web, request, sess, f, status=422,
                           errors={"material": label + "; ".join(exc.errors.values())})
    return see_other(filing_url(filing_id) + "#materials")


@router.get(FILING + "/materials/{material_id}")
async def download(filing_id: str, material_id: int, web: WebState, sess: Session, store: Store) -> Response:
    d = await run_in_threadpool(filing_service.download_material, web.engine, actor=sess.actor,
                                filing_id=filing_id, material_id=material_id, store=store)
    return Response(d.content, media_type=d.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(d.material.filename)}",
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox", "Cache-Control": "no-store"})


@router.post(FILING + "/events")
async def fire(filing_id: str, request: Request, web: WebState, sess: Session) -> Response:
    form = await checked_form(request, sess)
    event = text(form, "event")
    try:
        await run_in_threadpool(review.advance, web.engine, actor=sess.actor, filing_id=filing_id, event=event,
                                reason=text(form, "reason") or None)
    except (IllegalTransition, InvalidInput) as exc:
        f = await run_in_threadpool(filing_service.get_filing, web.engine, actor=sess.actor, filing_id=filing_id)
        message = ("; ".join(exc.errors.values()) if isinstance(exc, InvalidInput)
                   else transition_message(exc, lang_of(request)))
        return filing_page(web, request, sess, f, status=409 if isinstance(exc, IllegalTransition) else 422,
                           errors={"event": message})
    return see_other(filing_url(filing_id))


@router.post(FILING + "/change")
async def open_change(filing_id: str, request: Request, web: WebState, sess: Session) -> Response:
    await checked_form(request, sess)
    f = await run_in_threadpool(filing_service.open_change_filing, web.engine, actor=sess.actor,
                                previous_filing_id=filing_id)
    return see_other(filing_url(f.id))
