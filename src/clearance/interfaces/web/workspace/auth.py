"""Logging in and out, and the account page (API tokens for providers' automation)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from clearance.domain.accounts import LOCKOUT, MAX_FAILURES, WINDOW, Scope
from clearance.interfaces.web import catalogues
from clearance.interfaces.web.state import WebState
from clearance.interfaces.web.workspace.common import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    MaybeSession,
    Session,
    checked_form,
    lang_of,
    render,
    safe_next,
    secure,
    see_other,
    text,
)
from clearance.interfaces.web.workspace.errors import STALE, PageErrors
from clearance.services import accounts
from clearance.services.errors import InvalidInput, LoginRefused

router = APIRouter(route_class=PageErrors, include_in_schema=False)
LOGIN, LOGOUT, ACCOUNT = "/login", "/logout", "/account"


def _login_page(request: Request, web: WebState, *, next_url: str, email: str = "", error: str | None = None,
                status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    resp = render(web, request, "workspace/login.html", sess=None, status=status, next_url=next_url, email=email,
                  error=error, login_csrf=token, max_failures=MAX_FAILURES,
                  lockout_minutes=int(LOCKOUT.total_seconds() // 60),
                  window_minutes=int(WINDOW.total_seconds() // 60))
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                    secure=secure(request), path=LOGIN)
    return resp


@router.get(LOGIN)
async def login_form(request: Request, web: WebState, sess: MaybeSession,
                     next: Annotated[str | None, Query()] = None) -> Response:
    if sess is not None:
        return see_other(safe_next(next))
    return _login_page(request, web, next_url=safe_next(next))


@router.post(LOGIN)
async def login(request: Request, web: WebState) -> Response:
    _ = catalogues.Translator(lang_of(request))
    form = await request.form()
    email, password = text(form, "email"), form.get("password")
    next_url = safe_next(text(form, "next"))
    cookie, sent = request.cookies.get(LOGIN_CSRF_COOKIE), text(form, "csrf_token")
    if not cookie or not sent or not secrets.compare_digest(cookie, sent):
        return _login_page(request, web, next_url=next_url, email=email, error=_(STALE), status=403)
    if not email or not isinstance(password, str) or not password:
        return _login_page(request, web, next_url=next_url, email=email, status=422,
                           error=_("Enter your email address and your password."))
    try:
        user = await run_in_threadpool(accounts.authenticate, web.engine, email=email, password=password)
    except LoginRefused as exc:
        message = str(exc)
        if message.startswith("too many"):
            shown = _("Too many failed logins for this account: try again after %(time)s UTC.",
                      time=message.rsplit("after ", 1)[-1].split(" ")[0])
        else:
            shown = _("Wrong email address or password.")
        return _login_page(request, web, next_url=next_url, email=email, error=shown, status=401)
    token, _sess = await run_in_threadpool(accounts.start_session, web.engine, user=user)
    resp = see_other(next_url)
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure(request),
                    max_age=int(accounts.SESSION_MAX.total_seconds()))
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN)
    return resp


@router.post(LOGOUT)
async def logout(request: Request, web: WebState, sess: Session) -> Response:
    await checked_form(request, sess)
    token = request.cookies.get(SESSION_COOKIE, "")
    await run_in_threadpool(accounts.end_session, web.engine, token=token)
    resp: RedirectResponse = see_other(LOGIN)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


def _account_page(request: Request, web: WebState, sess: accounts.WebSession, *, created: str | None = None,
                  error: dict[str, str] | None = None, status: int = 200) -> Response:
    tokens = accounts.list_tokens(web.engine, actor=sess.actor)
    return render(web, request, "workspace/account.html", sess=sess, status=status, tokens=tokens,
                  created=created, errors=error or {}, scopes=[s.value for s in Scope])


@router.get(ACCOUNT)
async def account(request: Request, web: WebState, sess: Session) -> Response:
    return _account_page(request, web, sess)


@router.post(ACCOUNT + "/tokens")
async def create_token(request: Request, web: WebState, sess: Session) -> Response:
    form = await checked_form(request, sess)
    scopes = [s for s in form.getlist("scopes") if isinstance(s, str)]
    days = text(form, "days")
    expires = None
    if days:
        if not days.isdigit() or not 1 <= int(days) <= 366:
            return _account_page(request, web, sess, status=422,
                                 error={"days": catalogues.Translator(lang_of(request))(
                                     "Enter a number of days between 1 and 366, or leave it empty.")})
        expires = datetime.now(UTC) + timedelta(days=int(days))
    try:
        token, _rec = accounts.create_token(web.engine, actor=sess.actor, name=text(form, "name"), scopes=scopes,
                                            expires_at=expires)
    except InvalidInput as exc:
        return _account_page(request, web, sess, error=exc.errors, status=422)
    return _account_page(request, web, sess, created=token)


@router.post(ACCOUNT + "/tokens/{token_id}/revoke")
async def revoke_token(token_id: str, request: Request, web: WebState, sess: Session) -> Response:
    await checked_form(request, sess)
    accounts.revoke_token(web.engine, actor=sess.actor, token_id=token_id)
    return see_other(ACCOUNT)
