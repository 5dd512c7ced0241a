"""Publication batches, for central reviewers: the batches (drafts and published), composing a
batch from approved filings not yet in one, and publishing a draft batch — its filings then
appear in the public registry with their numbers (services.batches announces them).

Handlers parse the form, call one service function and render. Who may do this is the
service's decision (the policy's MANAGE_BATCHES): anyone else gets the 403 page, and a refused
form (no title, no filing, a filing that is not approved or already batched, a batch already
published) is shown again with what was chosen and the reason, having changed nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from clearance.domain.registry.provinces import PROVINCES
from clearance.interfaces.web import catalogues, urls
from clearance.interfaces.web.state import Web, WebState
from clearance.interfaces.web.workspace.common import (
    Session,
    checked_form,
    lang_of,
    render,
    see_other,
    text,
)
from clearance.interfaces.web.workspace.errors import PageErrors
from clearance.services import batches as batch_service
from clearance.services.accounts import WebSession
from clearance.services.errors import InvalidInput

router = APIRouter(route_class=PageErrors, include_in_schema=False)

BATCHES = "/review/batches"
PUBLISH = BATCHES + "/{batch_id}/publish"


def publish_url(batch_id: str) -> str:
    return f"{BATCHES}/{batch_id}/publish"


def _province_names(lang: str) -> dict[str, str]:
    return {p.code: (p.en if lang == "en" else p.zh) for p in PROVINCES if p.code}


def _page(web: Web, request: Request, sess: WebSession, *, status: int = 200, errors: dict[str, str] | None = None,
          title: str = "", chosen: set[str] | None = None, **ctx: Any) -> Response:
    view = batch_service.overview(web.engine, actor=sess.actor)
    return render(web, request, "workspace/batches.html", sess=sess, status=status, view=view,
                  errors=errors or {}, typed_title=title, chosen=chosen or set(),
                  composed=request.query_params.get("composed"), published=request.query_params.get("published"),
                  provinces=_province_names(lang_of(request)), publish_url=publish_url,
                  registry_batch=urls.batch, **ctx)


@router.get(BATCHES)
async def batches_page(request: Request, web: WebState, sess: Session) -> Response:
    return await run_in_threadpool(_page, web, request, sess)


@router.post(BATCHES)
async def compose(request: Request, web: WebState, sess: Session) -> Response:
    form = await checked_form(request, sess)
    title = text(form, "title")
    chosen = {v for v in form.getlist("filing_ids") if isinstance(v, str) and v}
    _ = catalogues.Translator(lang_of(request))
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = _("Give the batch a title (it is shown in the public registry).")
    if not chosen:
        errors["filing_ids"] = _("Choose at least one approved filing.")
    if not errors:
        try:
            batch = await run_in_threadpool(batch_service.compose, web.engine, actor=sess.actor, title=title,
                                            filing_ids=sorted(chosen))
        except InvalidInput as exc:
            errors = dict(exc.errors)
        else:
            return see_other(f"{BATCHES}?composed={batch.id}#{batch.id}")
    return await run_in_threadpool(lambda: _page(web, request, sess, status=422, errors=errors, title=title,
                                                 chosen=chosen))


@router.post(PUBLISH)
async def publish(batch_id: str, request: Request, web: WebState, sess: Session) -> Response:
    await checked_form(request, sess)
    try:
        await run_in_threadpool(batch_service.publish, web.engine, actor=sess.actor, batch_id=batch_id)
    except InvalidInput as exc:
        _ = catalogues.Translator(lang_of(request))
        message = (_("This batch is already published; nothing was changed.")
                   if "already published" in exc.errors.get("batch", "") else "; ".join(exc.errors.values()))
        return await run_in_threadpool(lambda: _page(web, request, sess, status=409,
                                                     errors={"publish": message}))
    return see_other(f"{BATCHES}?published={batch_id}#{batch_id}")
