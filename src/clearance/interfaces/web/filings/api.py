"""The filing service's JSON API, /api/v1/filings, for providers' automation and reviewers' tools.

Authentication is by API token only (``Authorization: Bearer <token>``): no session, no cookie,
so no CSRF surface. Reading needs the ``filings:read`` scope, every change ``filings:write``.
Each handler parses its input, calls one service function and renders the result; who may see
or do what is the services' and the policy's business, and their errors become JSON errors in
one place (``ServiceErrors``) with the same shape everywhere (``FilingErrorV1``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from clearance.domain.accounts import Scope
from clearance.domain.filings.forms import MaterialType
from clearance.domain.filings.records import Filing
from clearance.domain.filings.workflow import Actor, IllegalTransition, State
from clearance.domain.policy import Forbidden
from clearance.interfaces.web.error_routes import mapping_errors
from clearance.interfaces.web.filings import schemas as sc
from clearance.interfaces.web.state import Store, WebState, material_store  # noqa: F401 - tests override it here
from clearance.interfaces.web.upload_body import BadUpload, TooLarge, read_capped
from clearance.services import accounts, review
from clearance.services import filings as filing_service
from clearance.services.errors import InvalidInput, InvalidToken, NotFound

API = "/api/v1/filings"
FILING = API + "/{filing_id}"
MATERIAL = FILING + "/materials/{material_type}"
EVENTS = FILING + "/events"
TIMELINE = FILING + "/timeline"
CHANGE = FILING + "/change"


class ApiError(Exception):
    """An error decided by the interface itself (authentication, transport limits)."""

    def __init__(self, status: int, error: str, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = sc.FilingErrorV1(error=error, message=message, fields=fields)


def _json(status: int, body: sc.FilingErrorV1) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers)


def _validation_fields(exc: RequestValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for e in exc.errors():
        # the first element says where the value came from (body, path, query): not a field name
        loc = [str(p) for p in e.get("loc", ())][1:]
        fields.setdefault(".".join(loc) or "input", str(e.get("msg", "invalid")).removeprefix("Value error, "))
    return fields


def error_response(exc: Exception) -> JSONResponse | None:
    """The JSON error for an exception the services or the request parsing raise, or None."""
    if isinstance(exc, ApiError):
        return _json(exc.status, exc.body)
    if isinstance(exc, NotFound):
        return _json(404, sc.FilingErrorV1(error="not_found", message=str(exc)))
    if isinstance(exc, Forbidden):
        return _json(403, sc.FilingErrorV1(error="forbidden", message=str(exc)))
    if isinstance(exc, IllegalTransition):
        return _json(409, sc.FilingErrorV1(error="illegal_transition", code=exc.code, message=str(exc)))
    if isinstance(exc, InvalidInput):
        return _json(422, sc.FilingErrorV1(error="invalid_input", message=str(exc), fields=exc.errors))
    if isinstance(exc, RequestValidationError):
        fields = _validation_fields(exc)
        return _json(422, sc.FilingErrorV1(error="invalid_input", fields=fields,
                                     message="; ".join(f"{k}: {v}" for k, v in fields.items())))
    return None


# Renders service errors as ``FilingErrorV1`` for this router's routes only, so the app's other
# areas (the registry's pages and API) keep their own error handling.
ServiceErrors = mapping_errors(lambda _request, exc: error_response(exc), "ServiceErrors")


_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": sc.FilingErrorV1} for status in (401, 403, 404, 422)}
_EVENT_ERRORS: dict[int | str, dict[str, Any]] = {**_ERRORS, 409: {"model": sc.FilingErrorV1}}
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {**_ERRORS, 413: {"model": sc.FilingErrorV1}}

router = APIRouter(tags=["filings API v1"], route_class=ServiceErrors, responses=_ERRORS)

_bearer = HTTPBearer(auto_error=False, description="An API token (clr_...) created for a user account.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _authenticate(web: WebState, credentials: HTTPAuthorizationCredentials | None, scope: Scope) -> Actor:
    if credentials is None or not credentials.credentials.strip():
        raise ApiError(401, "unauthorized", "an API token is required: Authorization: Bearer <token>")
    try:
        return accounts.verify_token(web.engine, token=credentials.credentials, scope=scope.value)
    except InvalidToken as exc:
        refused = exc
    # The service reports a missing scope like a bad token; asking again without the scope tells
    # a valid token that lacks it (403) from one that is unknown, revoked or expired (401).
    try:
        accounts.verify_token(web.engine, token=credentials.credentials)
    except InvalidToken as exc:
        raise ApiError(401, "unauthorized", str(exc)) from None
    raise ApiError(403, "forbidden", str(refused))


def reader(web: WebState, credentials: Credentials) -> Actor:
    return _authenticate(web, credentials, Scope.FILINGS_READ)


def writer(web: WebState, credentials: Credentials) -> Actor:
    return _authenticate(web, credentials, Scope.FILINGS_WRITE)


Reader = Annotated[Actor, Security(reader)]
Writer = Annotated[Actor, Security(writer)]


def _public(f: Filing) -> sc.FilingPublic:
    # missing_of is a pure derivation of the loaded filing (no query, no rule beyond the form's)
    return sc.FilingPublic.of(f, filing_service.missing_of(f))


@router.get(API, response_model=sc.FilingListV1)
def list_filings(web: WebState, actor: Reader,
                 state: Annotated[State | None, Query(description="only filings in this state")] = None
                 ) -> sc.FilingListV1:
    """The filings the token's user may see: a provider's own organisation's, a provincial
    reviewer's province's (drafts excluded), every submitted one for assessors and central
    reviewers."""
    found = filing_service.list_filings(web.engine, actor=actor, state=state.value if state else None)
    return sc.FilingListV1(filings=[_public(f) for f in found])


@router.post(API, response_model=sc.FilingPublic, status_code=201)
def create_filing(body: sc.FilingCreate, web: WebState, actor: Writer) -> sc.FilingPublic:
    """A new draft of the provider's organisation, with any subset of the form's fields."""
    form = body.form.model_dump(mode="json", exclude_none=True) if body.form else None
    return _public(filing_service.create_draft(web.engine, actor=actor, kind=body.kind.value, form=form))


@router.get(FILING, response_model=sc.FilingPublic)
def get_filing(filing_id: str, web: WebState, actor: Reader) -> sc.FilingPublic:
    """A filing the user may not see is reported exactly like a missing one (404)."""
    return _public(filing_service.get_filing(web.engine, actor=actor, filing_id=filing_id))


@router.patch(FILING, response_model=sc.FilingPublic)
def update_filing(filing_id: str, body: sc.FilingUpdate, web: WebState, actor: Writer) -> sc.FilingPublic:
    """Autosave: only the fields sent change; null clears one. A draft or a filing awaiting a
    supplement only."""
    return _public(filing_service.update_draft(web.engine, actor=actor, filing_id=filing_id,
                                               changes=body.changes()))


_MULTIPART: dict[str, Any] = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"}}}}}}}


def _too_large(exc: TooLarge, material_type: MaterialType) -> ApiError:
    return ApiError(413, "too_large", str(exc), fields={material_type.value: f"larger than {exc.size_text}"})


@router.post(MATERIAL, response_model=sc.FilingPublic, status_code=201, openapi_extra=_MULTIPART,
             responses=_UPLOAD_ERRORS)
async def upload_material(filing_id: str, material_type: MaterialType, request: Request, web: WebState,
                          actor: Writer, store: Store) -> sc.FilingPublic:
    """Upload one material (multipart field ``file``). Type and content are checked by the
    service (the content decides, not the name); a refused upload stores nothing."""
    try:
        up = await read_capped(request, material_type)
    except TooLarge as exc:
        raise _too_large(exc, material_type) from None
    except BadUpload as exc:
        raise ApiError(422, "invalid_input", str(exc), fields={"file": "required"}) from None
    updated = await run_in_threadpool(
        filing_service.upload_material, web.engine, actor=actor, filing_id=filing_id,
        material_type=material_type.value, filename=up.filename, content=up.content,
        declared_type=up.declared_type, store=store)
    return _public(updated)


@router.post(EVENTS, response_model=sc.FilingPublic, responses=_EVENT_ERRORS)
def fire_event(filing_id: str, body: sc.EventRequest, web: WebState, actor: Writer) -> sc.FilingPublic:
    """Move the filing along the workflow. An event the table does not allow for this state,
    role or filing is a 409 whose ``code`` says why (no_such_edge, role, complete, reason, ...)."""
    return _public(review.advance(web.engine, actor=actor, filing_id=filing_id, event=body.event,
                                  reason=body.reason))


@router.get(TIMELINE, response_model=sc.TimelineV1)
def timeline(filing_id: str, web: WebState, actor: Reader) -> sc.TimelineV1:
    """The filing's audit events, oldest first."""
    events = filing_service.timeline(web.engine, actor=actor, filing_id=filing_id)
    return sc.TimelineV1(filing_id=filing_id, events=[sc.TimelineEventPublic.of(e) for e in events])


@router.post(CHANGE, response_model=sc.FilingPublic, status_code=201)
def open_change_filing(filing_id: str, web: WebState, actor: Writer) -> sc.FilingPublic:
    """After a major update of an approved, published or suspended model: a new draft linked
    to this filing (``previous_filing_id``), its form copied as the starting point and no
    materials (the update needs new ones, a new self-assessment above all). Only the filing
    organisation's providers open one; 422 with ``fields.previous_filing_id`` when the filing
    is not in a state a change filing follows."""
    return _public(filing_service.open_change_filing(web.engine, actor=actor, previous_filing_id=filing_id))
