"""Administration pages: user accounts, provider organisations and the audit chain.

Handlers parse the form, call one service function and render; the services check the policy
(only admins manage users and organisations; admins and central reviewers verify the audit
log) and write the audit events, exactly as for the CLI. A refused form is shown again with
what was typed (never the password) and one message next to each field it concerns."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from clearance.domain.filings.workflow import Role
from clearance.domain.policy import Action, allowed
from clearance.domain.registry.provinces import PROVINCES
from clearance.interfaces.web import catalogues
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
from clearance.interfaces.web.workspace.field_messages import translate_errors
from clearance.services import accounts
from clearance.services import audit_log as audit_service
from clearance.services.accounts import WebSession
from clearance.services.errors import InvalidInput, NotFound

router = APIRouter(route_class=PageErrors, include_in_schema=False)
N_ = catalogues.N_

ADMIN = "/admin"
USERS = ADMIN + "/users"
USER = USERS + "/{user_id}"
ORGANISATIONS = ADMIN + "/organisations"
AUDIT = ADMIN + "/audit"

ORGANISATION_FIELDS = ("name_zh", "name_en", "credit_code", "province", "contact_name", "contact_phone",
                       "contact_email")

# UserCreate's cross-field rule (only a provincial reviewer has a province, only a provider an
# organisation) is reported without a field and in the CLI's words (--province); the form says
# it next to the field it is about, in the page's words.
ROLE_FIT = {"province": N_("A provincial reviewer needs a province; no other role has one."),
            "organisation": N_("A provider needs an organisation; no other role has one.")}


def user_url(user_id: str, part: str = "") -> str:
    return f"{USERS}/{user_id}{part}"


def _placed(errors: dict[str, str], lang: str) -> dict[str, str]:
    """The service's errors by form field, phrased for people (field_messages)."""
    out = translate_errors(errors, lang)
    rule = out.pop("input", None)
    if rule is not None:
        field = next((f for f in ROLE_FIT if f in rule), "role")
        out.setdefault(field, catalogues.Translator(lang)(ROLE_FIT[field]) if field in ROLE_FIT else rule)
    return out


def _provinces(lang: str) -> list[tuple[str, str]]:
    return [(p.code, f"{p.code} {p.en if lang == 'en' else p.zh}") for p in PROVINCES if p.code]


def _page(web: Web, request: Request, sess: WebSession, template: str, *, status: int = 200,
          **ctx: Any) -> Response:
    lang = lang_of(request)
    return render(web, request, template, sess=sess, status=status, provinces=_provinces(lang), roles=list(Role),
                  can_manage=allowed(sess.actor, Action.MANAGE_USERS),
                  can_verify=allowed(sess.actor, Action.VERIFY_AUDIT), **ctx)


@router.get(ADMIN)
async def home(sess: Session) -> Response:
    # central reviewers may verify the audit log but manage no accounts
    return see_other(USERS if allowed(sess.actor, Action.MANAGE_USERS) else AUDIT)


# --- users ----------------------------------------------------------------------------------------

def _users_page(web: Web, request: Request, sess: WebSession, *, status: int = 200,
                errors: dict[str, str] | None = None, typed: dict[str, str] | None = None) -> Response:
    users = accounts.list_users(web.engine, actor=sess.actor)
    orgs = accounts.list_organisations(web.engine, actor=sess.actor)
    return _page(web, request, sess, "workspace/admin_users.html", status=status, users=users,
                 organisations=orgs, org_names={o.id: o.name_zh for o in orgs}, errors=errors or {},
                 typed=typed or {})


@router.get(USERS)
async def users_page(request: Request, web: WebState, sess: Session) -> Response:
    return await run_in_threadpool(_users_page, web, request, sess)


@router.post(USERS)
async def create_user(request: Request, web: WebState, sess: Session) -> Response:
    form = await checked_form(request, sess)
    typed = {k: text(form, k) for k in ("email", "role", "province", "organisation")}
    password = form.get("password")
    try:
        await run_in_threadpool(accounts.create_user, web.engine, actor=sess.actor, email=typed["email"],
                                role=typed["role"], password=password if isinstance(password, str) else "",
                                province=typed["province"] or None, organisation=typed["organisation"] or None)
    except InvalidInput as exc:
        return await run_in_threadpool(_users_page, web, request, sess, status=422,
                                       errors=_placed(exc.errors, lang_of(request)), typed=typed)
    return see_other(USERS + "?saved=1")


def _user_page(web: Web, request: Request, sess: WebSession, user_id: str, *, status: int = 200,
               errors: dict[str, str] | None = None, typed: dict[str, str] | None = None) -> Response:
    user = accounts.get_user(web.engine, actor=sess.actor, user_id=user_id)
    orgs = accounts.list_organisations(web.engine, actor=sess.actor)
    shown = typed or {"role": user.role.value, "province": user.province or "",
                      "organisation": user.organisation_id or ""}
    return _page(web, request, sess, "workspace/admin_user.html", status=status, user=user, organisations=orgs,
                 org_names={o.id: o.name_zh for o in orgs}, errors=errors or {}, typed=shown,
                 is_self=user.id == sess.actor.id,
                 tokens=accounts.tokens_of_user(web.engine, actor=sess.actor, user_id=user_id))


@router.get(USER)
async def user_page(user_id: str, request: Request, web: WebState, sess: Session) -> Response:
    return await run_in_threadpool(_user_page, web, request, sess, user_id)


@router.post(USER + "/access")
async def change_access(user_id: str, request: Request, web: WebState, sess: Session) -> Response:
    """Role, province and organisation together: the form always sends all three, so an empty
    province or organisation clears it (as a change of role needs)."""
    form = await checked_form(request, sess)
    typed = {k: text(form, k) for k in ("role", "province", "organisation")}
    try:
        if not typed["role"]:
            # the service reads a missing role as "keep it": from this form it is a broken post
            raise InvalidInput({"role": "choose a role"})
        await run_in_threadpool(accounts.change_access, web.engine, actor=sess.actor, user_id=user_id,
                                role=typed["role"], province=typed["province"] or None,
                                organisation=typed["organisation"] or None)
    except InvalidInput as exc:
        return await run_in_threadpool(_user_page, web, request, sess, user_id, status=422,
                                       errors=_placed(exc.errors, lang_of(request)), typed=typed)
    return see_other(user_url(user_id) + "?saved=1")


@router.post(USER + "/active")
async def set_active(user_id: str, request: Request, web: WebState, sess: Session) -> Response:
    form = await checked_form(request, sess)
    active = {"yes": True, "no": False}.get(text(form, "active"))
    try:
        if active is None:
            raise InvalidInput({"active": "yes (enable the account) or no (disable it)"})
        await run_in_threadpool(accounts.change_access, web.engine, actor=sess.actor, user_id=user_id,
                                active=active)
    except InvalidInput as exc:
        return await run_in_threadpool(_user_page, web, request, sess, user_id, status=422,
                                       errors=_placed(exc.errors, lang_of(request)))
    return see_other(user_url(user_id) + "?saved=1")


@router.post(USER + "/tokens/{token_id}/revoke")
async def revoke_token(user_id: str, token_id: str, request: Request, web: WebState, sess: Session) -> Response:
    """An administrator revokes one of the user's API tokens (a leaked one, say); audited."""
    await checked_form(request, sess)
    tokens = await run_in_threadpool(accounts.tokens_of_user, web.engine, actor=sess.actor, user_id=user_id)
    if token_id not in {t.id for t in tokens}:
        raise NotFound(f"no API token {token_id!r} of user {user_id!r}")
    await run_in_threadpool(accounts.revoke_token, web.engine, actor=sess.actor, token_id=token_id)
    return see_other(user_url(user_id) + "?saved=1#tokens")


# --- organisations --------------------------------------------------------------------------------

def _organisations_page(web: Web, request: Request, sess: WebSession, *, status: int = 200,
                        errors: dict[str, str] | None = None, typed: dict[str, str] | None = None) -> Response:
    orgs = accounts.list_organisations(web.engine, actor=sess.actor)
    return _page(web, request, sess, "workspace/admin_organisations.html", status=status, organisations=orgs,
                 errors=errors or {}, typed=typed or {})


@router.get(ORGANISATIONS)
async def organisations_page(request: Request, web: WebState, sess: Session) -> Response:
    return await run_in_threadpool(_organisations_page, web, request, sess)


@router.post(ORGANISATIONS)
async def create_organisation(request: Request, web: WebState, sess: Session) -> Response:
    form = await checked_form(request, sess)
    typed = {k: text(form, k) for k in ORGANISATION_FIELDS}
    try:
        await run_in_threadpool(accounts.create_organisation, web.engine, actor=sess.actor, data=typed)
    except InvalidInput as exc:
        return await run_in_threadpool(_organisations_page, web, request, sess, status=422,
                                       errors=_placed(exc.errors, lang_of(request)), typed=typed)
    return see_other(ORGANISATIONS + "?saved=1")


# --- audit log ------------------------------------------------------------------------------------

@router.get(AUDIT)
async def audit_page(request: Request, web: WebState, sess: Session) -> Response:
    """Verifies the whole chain on every visit: it is read-only, and a result cached from an
    earlier visit could hide a tampering that happened since."""
    broken = await run_in_threadpool(audit_service.verify, web.engine, actor=sess.actor)
    count = await run_in_threadpool(audit_service.count, web.engine)
    return _page(web, request, sess, "workspace/admin_audit.html", broken=broken, count=count)
