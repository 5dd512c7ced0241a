"""Who may read and do what: the one access-policy module, used by services (and through them
by pages, API and CLI alike).

Workflow decisions (submit, forward, approve, ...) are the transition table's business
(``filings.workflow``: the role is on the edge, guards check province, organisation and
separation of duties); this module decides everything else and who may see a filing at all.

- provider: their own organisation's filings only, drafts included; edits only a draft or a
  filing awaiting a supplement.
- provincial reviewer: submitted filings of their own province only.
- assessor and central reviewer: submitted filings of every province (the central office and
  its technical teams work nationally); assessors run and sign assessments.
- the assessment's detail (its report with every question and answer, the phase-3 review, the
  change diff): assessors and central reviewers; everyone who sees a filing sees its progress
  and decision.
- admin: manages users and organisations and verifies the audit log; sees no filing and takes
  no workflow decision, so an account administrator cannot approve models.
Drafts are the provider's unfinished work: no reviewer sees one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from clearance.domain.filings.workflow import Actor, Role, State


class Action(StrEnum):
    READ_FILING = "read_filing"
    CREATE_FILING = "create_filing"
    EDIT_FILING = "edit_filing"          # form fields and materials
    RUN_ASSESSMENT = "run_assessment"    # schedule and sign phase 2
    MANAGE_BATCHES = "manage_batches"    # compose and publish
    MANAGE_USERS = "manage_users"
    MANAGE_ORGANISATIONS = "manage_organisations"
    VERIFY_AUDIT = "verify_audit"
    READ_ASSESSMENT_DETAIL = "read_assessment_detail"  # the report's items: questions and answers


@dataclass(frozen=True, slots=True)
class Target:
    """The filing an action is about."""

    organisation: str
    province: str
    state: State


EDITABLE = frozenset({State.DRAFT, State.SUPPLEMENT_REQUESTED})


class Forbidden(PermissionError):
    pass


def _read(actor: Actor, t: Target) -> str | None:
    if actor.role is Role.PROVIDER:
        return None if actor.organisation == t.organisation else "providers see their own organisation's filings only"
    if t.state is State.DRAFT:
        return "a draft is visible to its provider only"
    if actor.role is Role.PROVINCIAL_REVIEWER:
        return None if actor.province == t.province else "provincial reviewers see their own province's filings only"
    if actor.role in (Role.ASSESSOR, Role.CENTRAL_REVIEWER):
        return None
    return "administrators manage accounts and do not see filings"


def refusal(actor: Actor, action: Action, target: Target | None = None) -> str | None:
    """None when allowed, else why not (shown to the user)."""
    if action is Action.READ_FILING:
        assert target is not None
        return _read(actor, target)
    if action is Action.CREATE_FILING:
        if actor.role is not Role.PROVIDER or not actor.organisation:
            return "only a provider member of an organisation creates filings"
        return None
    if action is Action.EDIT_FILING:
        assert target is not None
        if actor.role is not Role.PROVIDER or actor.organisation != target.organisation:
            return "only the filing organisation's providers edit a filing"
        if target.state not in EDITABLE:
            return f"a filing in state '{target.state.value}' cannot be edited (only a draft or a filing " \
                   "awaiting a supplement)"
        return None
    if action is Action.RUN_ASSESSMENT:
        if actor.role is not Role.ASSESSOR:
            return "only assessors run and sign technical assessments"
        if target is not None and target.state is not State.TECHNICAL_ASSESSMENT:
            return f"the filing is in '{target.state.value}', not in technical assessment"
        return None
    allowed_roles = {Action.MANAGE_BATCHES: {Role.CENTRAL_REVIEWER},
                     Action.MANAGE_USERS: {Role.ADMIN},
                     Action.MANAGE_ORGANISATIONS: {Role.ADMIN},
                     Action.VERIFY_AUDIT: {Role.ADMIN, Role.CENTRAL_REVIEWER},
                     Action.READ_ASSESSMENT_DETAIL: {Role.ASSESSOR, Role.CENTRAL_REVIEWER}}[action]
    if actor.role not in allowed_roles:
        return f"'{action.value}' needs the role " + " or ".join(sorted(r.value for r in allowed_roles))
    return None


def allowed(actor: Actor, action: Action, target: Target | None = None) -> bool:
    return refusal(actor, action, target) is None


def require(actor: Actor, action: Action, target: Target | None = None) -> None:
    why = refusal(actor, action, target)
    if why is not None:
        raise Forbidden(why)


@dataclass(frozen=True, slots=True)
class ListScope:
    """The filings an actor may list, as a filter a repository applies."""

    nothing: bool = False
    organisation: str | None = None
    province: str | None = None
    include_drafts: bool = False


def list_scope(actor: Actor) -> ListScope:
    if actor.role is Role.PROVIDER:
        return ListScope(organisation=actor.organisation or "\x00", include_drafts=True)
    if actor.role is Role.PROVINCIAL_REVIEWER:
        return ListScope(province=actor.province or "\x00")
    if actor.role in (Role.ASSESSOR, Role.CENTRAL_REVIEWER):
        return ListScope()
    return ListScope(nothing=True)
