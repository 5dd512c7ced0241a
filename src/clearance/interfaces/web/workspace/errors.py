"""Errors on workspace pages, in one place: the services' errors become HTML pages with the
right status, in the user's language. Form handlers that can show an error next to a field
catch InvalidInput themselves and re-render the form; what reaches this route class is the
rest (a missing or invisible filing, a forbidden action, a stale form, no session)."""

from __future__ import annotations

from fastapi import Request, Response

from clearance.domain.filings.workflow import IllegalTransition
from clearance.domain.policy import Forbidden
from clearance.interfaces.web import catalogues
from clearance.interfaces.web.error_routes import mapping_errors
from clearance.interfaces.web.state import Web
from clearance.interfaces.web.workspace import refusals
from clearance.interfaces.web.workspace.common import (
    LoginRequired,
    StaleForm,
    error_page,
    lang_of,
    login_redirect,
)
from clearance.services.errors import InvalidInput, NotFound

N_ = catalogues.N_
NOT_FOUND = N_("There is nothing here that you may see: it does not exist, or your role and "
               "organisation or province do not give access to it.")
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
        # the same words whether it does not exist or may not be seen: ids reveal nothing
        return error_page(web, request, sess, 404, _("Not found"), _(NOT_FOUND))
    if isinstance(exc, Forbidden):
        return error_page(web, request, sess, 403, _("Not allowed"), refusals.translated(str(exc), lang_of(request)))
    if isinstance(exc, IllegalTransition):
        return error_page(web, request, sess, 409, _("Not possible now"), transition_message(exc, lang_of(request)))
    if isinstance(exc, InvalidInput):
        return error_page(web, request, sess, 422, _("Please correct the input"), str(exc))
    return None


PageErrors = mapping_errors(lambda request, exc: page_for(request.app.state.web, request, exc), "PageErrors")


# Why a workflow step was refused, by the table's stable code, for the reader's language. The
# domain's own message (English, for the API and the CLI) is the fallback for codes not listed.
TRANSITION_MESSAGES: dict[str, str] = {
    "no_such_edge": N_("This step is not possible in the filing's current state (someone may have moved it on "
                       "meanwhile: reload the page)."),
    "role": N_("Your role does not take this step."),
    "complete": N_("The filing is not complete yet: see what is still missing."),
    "own_organisation": N_("Providers act only on their own organisation's filings."),
    "own_province": N_("Provincial reviewers act only on filings of their own province."),
    "is_filing": N_("A registration has no technical assessment or central review."),
    "is_registration": N_("A filing is approved by the central reviewer after its assessment."),
    "assessor_of_filing": N_("Only an assessor who worked on this filing completes its assessment."),
    "assessment_signed": N_("The technical assessment has not been signed yet."),
    "separation_of_duties": N_("Separation of duties: whoever reviewed this filing in the province or assessed it "
                               "may not take the central decision."),
    "reason": N_("Give a reason: it is shown to the provider."),
}


def transition_message(exc: IllegalTransition, lang: str) -> str:
    text = TRANSITION_MESSAGES.get(exc.code)
    return catalogues.Translator(lang)(text) if text else str(exc)
