"""What every workspace page shares: the session behind the cookie, CSRF checks, rendering.

Sessions are server-side (services.accounts): the cookie holds a random token, HttpOnly,
SameSite=Lax and Secure whenever the request came over TLS. Every state-changing form carries
the session's CSRF token (synchronizer token); the login form, which has no session yet, uses
a double-submit cookie. A form whose token does not match is refused with 403 and changes
nothing — the usual cause is a page left open across a logout, so the message says to reload."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from clearance.domain.filings.workflow import Actor, Role
from clearance.interfaces.web import catalogues, i18n
from clearance.interfaces.web.state import Web, WebState
from clearance.interfaces.web.workspace import labels
from clearance.services import accounts

SESSION_COOKIE = "clearance_session"
LOGIN_CSRF_COOKIE = "clearance_login_csrf"
CSRF_FIELD = "csrf_token"

# Workspace pages load their CSS and JS from /static (written here, no CDN), so they can forbid
# inline script entirely: an injected <script> would not run even if escaping ever failed.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    """No valid session: handled by redirecting to the login page (see install_handlers)."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class StaleForm(Exception):
    """The form's CSRF token is missing or not this session's."""


def lang_of(request: Request) -> str:
    return i18n.negotiate(request.query_params.get("lang"), request.cookies.get("lang"),
                          request.headers.get("accept-language"))


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


async def optional_session(request: Request, web: WebState) -> accounts.WebSession | None:
    # looked up once per request: the route's dependencies and the error pages share it
    if hasattr(request.state, "session"):
        cached: accounts.WebSession | None = request.state.session
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    sess = await run_in_threadpool(accounts.session, web.engine, token=token) if token else None
    request.state.session = sess
    return sess


async def required_session(request: Request,
                           sess: Annotated[accounts.WebSession | None, Depends(optional_session)]
                           ) -> accounts.WebSession:
    if sess is None:
        raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return sess


MaybeSession = Annotated[accounts.WebSession | None, Depends(optional_session)]
Session = Annotated[accounts.WebSession, Depends(required_session)]


def safe_next(url: str | None, default: str = "/filings") -> str:
    """Only same-site paths: a login link must not bounce the user to another site."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    parts = urlsplit(url)
    return default if parts.scheme or parts.netloc else url


async def checked_form(request: Request, sess: accounts.WebSession) -> FormData:
    """The posted form, after its CSRF token has been compared with the session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not secrets.compare_digest(sent, sess.csrf_token):
        raise StaleForm
    return form


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


class Who:
    """``who(user_id)`` in templates: how a page names the person behind an audit actor or a
    signature. Regulators see the account's email; a provider sees colleagues by email and the
    regulator's staff by role only ("Provincial reviewer"), as the regulator's people are not
    the provider's contacts. Looked up once per id per page."""

    def __init__(self, web: Web, viewer: Actor | None, tr: catalogues.Translator) -> None:
        self._web, self._viewer, self._tr = web, viewer, tr
        self._known: dict[str, accounts.Person | None] = {}

    def __call__(self, user_id: str | None) -> str:
        if not user_id:
            return "—"
        if user_id not in self._known:
            self._known[user_id] = accounts.people(self._web.engine, [user_id]).get(user_id)
        person = self._known[user_id]
        if person is None:
            return user_id
        viewer = self._viewer
        if viewer is not None and viewer.role is Role.PROVIDER and person.organisation != viewer.organisation:
            return self._tr(labels.ROLES[person.role])
        return person.email


def render(web: Web, request: Request, template: str, *, sess: accounts.WebSession | None,
           status: int = 200, **ctx: Any) -> HTMLResponse:
    lang = lang_of(request)
    tr = catalogues.Translator(lang)
    body = web.templates.get_template(template).render(
        lang=lang, _=tr, gettext=tr, ngettext=tr.ngettext, tr=tr, session=sess,
        actor=sess.actor if sess else None, csrf=sess.csrf_token if sess else "",
        path=request.url.path, fmt_number=i18n.number, labels=labels,
        who=Who(web, sess.actor if sess else None, tr),
        request_saved=request.query_params.get("saved") == "1", **ctx)
    resp = HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGS:
        resp.set_cookie("lang", chosen, max_age=365 * 86400, samesite="lax", httponly=True, secure=secure(request))
    return resp


def see_other(url: str) -> RedirectResponse:
    """After a successful POST: the browser GETs the result, so a reload does not post again."""
    return RedirectResponse(url, status_code=303)


def login_redirect(next_url: str) -> RedirectResponse:
    return RedirectResponse("/login?next=" + quote(next_url, safe="/"), status_code=303)


def actor_of(sess: accounts.WebSession) -> Actor:
    return sess.actor


def error_page(web: Web, request: Request, sess: accounts.WebSession | None, status: int, title: str,
               message: str) -> Response:
    return render(web, request, "workspace/error.html", sess=sess, status=status, title=title, message=message)
