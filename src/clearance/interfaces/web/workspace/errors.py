"""Errors on workspace pages, in one place: the services' errors become HTML pages with the
right status, in the user's language. Form handlers that can show an error next to a field
catch InvalidInput themselves and re-render the form; what reaches this route class is the
rest (a missing or invisible filing, a forbidden action, a stale form, no session)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from clearance.domain.filings.workflow import IllegalTransition
from clearance.domain.policy import Forbidden
from clearance.interfaces.web import catalogues
from clearance.interfaces.web.state import Web
from clearance.interfaces.web.workspace.common import (
    LoginRequired,
    StaleForm,
    error_page,
    lang_of,
    login_redirect,
)
from clearance.services.errors import InvalidInput, NotFound

N_ = catalogues.N_
STALE = N_("This form has expired (you were logged out, or it was opened in another session). "
           "Reload the page and submit it again; nothing was changed.")


def page_for(web: Web, request: Request, exc: Exception) -> Response | None:
    _ = catalogues.Translator(lang_of(request))
    sess = getattr(request.state, "session", None) or None
    if isinstance(exc, LoginRequired):
        return login_redirect(exc.next_url)
    if isinstance(exc, StaleForm):
        return error_page(web, request, sess, 403, _("Form expired"), _(STALE))
    if isinstance(exc, NotFound):
        return error_page(web, request, sess, 404, _("Not found"), str(exc))
    if isinstance(exc, Forbidden):
        return error_page(web, request, sess, 403, _("Not allowed"), str(exc))
    if isinstance(exc, IllegalTransition):
        return error_page(web, request, sess, 409, _("Not possible now"), str(exc))
    if isinstance(exc, InvalidInput):
        return error_page(web, request, sess, 422, _("Please correct the input"), str(exc))
    return None


class PageErrors(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                response = page_for(request.app.state.web, request, exc)
                if response is None:
                    raise
                return response

        return guarded
