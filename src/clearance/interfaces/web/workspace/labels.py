"""Display names for the workflow's and the form's values, marked for the gettext catalogue.
The domain speaks in stable English identifiers; people read these."""

from __future__ import annotations

from clearance.domain.filings.forms import CorpusSource, DomainScope, Function, ServiceMode
from clearance.domain.filings.organisations import province_for
from clearance.domain.filings.workflow import Event, FilingKind, Role, State
from clearance.interfaces.web.catalogues import N_

STATES: dict[State, str] = {
    State.DRAFT: N_("Draft"),
    State.SUBMITTED: N_("Submitted"),
    State.PROVINCIAL_REVIEW: N_("Provincial review"),
    State.SUPPLEMENT_REQUESTED: N_("Supplement requested"),
    State.TECHNICAL_ASSESSMENT: N_("Technical assessment"),
    State.CENTRAL_REVIEW: N_("Central review"),
    State.APPROVED: N_("Approved"),
    State.PUBLISHED: N_("Published"),
    State.SUSPENDED: N_("Suspended"),
    State.REJECTED: N_("Rejected"),
    State.WITHDRAWN: N_("Withdrawn"),
    State.REVOKED: N_("Revoked"),
}

EVENTS: dict[Event, str] = {
    Event.SUBMIT: N_("Submit for review"),
    Event.START_PROVINCIAL_REVIEW: N_("Start provincial review"),
    Event.REQUEST_SUPPLEMENT: N_("Request a supplement"),
    Event.RESUBMIT: N_("Resubmit"),
    Event.FORWARD: N_("Forward to technical assessment"),
    Event.APPROVE_REGISTRATION: N_("Approve the registration"),
    Event.COMPLETE_ASSESSMENT: N_("Complete the assessment"),
    Event.APPROVE: N_("Approve"),
    Event.REJECT: N_("Reject"),
    Event.WITHDRAW: N_("Withdraw the filing"),
    Event.PUBLISH: N_("Publish"),
    Event.SUSPEND: N_("Suspend"),
    Event.REINSTATE: N_("Reinstate"),
    Event.REVOKE: N_("Revoke"),
}

ROLES: dict[Role, str] = {
    Role.PROVIDER: N_("Provider"),
    Role.PROVINCIAL_REVIEWER: N_("Provincial reviewer"),
    Role.ASSESSOR: N_("Assessor"),
    Role.CENTRAL_REVIEWER: N_("Central reviewer"),
    Role.ADMIN: N_("Administrator"),
}

KINDS: dict[FilingKind, str] = {
    FilingKind.FILING: N_("Filing (model)"),
    FilingKind.REGISTRATION: N_("Registration (app calling a filed model)"),
}

CHOICES: dict[str, str] = {
    Function.DIALOGUE.value: N_("Human–machine dialogue"),
    Function.TEXT.value: N_("Text generation"),
    Function.IMAGE.value: N_("Image generation"),
    Function.VOICE.value: N_("Voice synthesis"),
    Function.VIDEO.value: N_("Video synthesis"),
    Function.CODE.value: N_("Code generation"),
    DomainScope.GENERAL.value: N_("General purpose"),
    DomainScope.LIMITED.value: N_("Limited domain (industry)"),
    CorpusSource.OPEN_SOURCE.value: N_("Open-source corpora"),
    CorpusSource.SELF_COLLECTED.value: N_("Self-collected corpora"),
    CorpusSource.COMMERCIAL.value: N_("Commercial corpora"),
    ServiceMode.APP.value: N_("App"),
    ServiceMode.WEB.value: N_("Website"),
    ServiceMode.API.value: N_("API"),
    ServiceMode.MINI_PROGRAM.value: N_("Mini program"),
    ServiceMode.OTHER.value: N_("Other"),
    "yes": N_("Yes"),
    "no": N_("No"),
}

# Audit actions as the filing's timeline shows them.
ACTIONS: dict[str, str] = {
    "filing.created": N_("Draft created"),
    "filing.updated": N_("Form edited"),
    "material.uploaded": N_("Material uploaded"),
    "assessment.scheduled": N_("Assessment scheduled"),
    "assessment.signed": N_("Assessment signed"),
    "label.recorded": N_("Sample item labelled"),
    "batch.composed": N_("Added to a publication batch"),
    "batch.published": N_("Published in a batch"),
    **{f"filing.{e.value}": EVENTS[e] for e in Event},
}

STATES_BY_VALUE: dict[str, str] = {s.value: label for s, label in STATES.items()}


def province_name(code: str | None, lang: str) -> str:
    """"北京市" or "Beijing" for a GB/T 2260 code; the code itself if it is not one."""
    if not code:
        return "—"
    try:
        p = province_for(code)
    except ValueError:
        return code
    return p.en if lang == "en" else p.zh
