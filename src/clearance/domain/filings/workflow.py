"""The filing workflow as a declarative transition table.

Each edge names the state it leaves, the event, the state it reaches, the roles that may fire
it, the guards that must hold, and whether a reason is required. ``fire`` is the only way a
state changes: an event that is not on an edge from the current state, fired by a role not on
the edge, or failing a guard, raises ``IllegalTransition`` and changes nothing.

Phases: 1 provincial review, 2 technical assessment, 3 central review, 4 approval and
publication. A registration (登记) has provincial review only and is approved there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    PROVINCIAL_REVIEW = "provincial_review"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    TECHNICAL_ASSESSMENT = "technical_assessment"
    CENTRAL_REVIEW = "central_review"
    APPROVED = "approved"
    PUBLISHED = "published"
    SUSPENDED = "suspended"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"


TERMINAL = frozenset({State.REJECTED, State.WITHDRAWN, State.REVOKED})


class Event(StrEnum):
    SUBMIT = "submit"
    START_PROVINCIAL_REVIEW = "start_provincial_review"
    REQUEST_SUPPLEMENT = "request_supplement"
    RESUBMIT = "resubmit"
    FORWARD = "forward"
    APPROVE_REGISTRATION = "approve_registration"
    COMPLETE_ASSESSMENT = "complete_assessment"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    PUBLISH = "publish"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    REVOKE = "revoke"


class Role(StrEnum):
    PROVIDER = "provider"
    PROVINCIAL_REVIEWER = "provincial_reviewer"
    ASSESSOR = "assessor"
    CENTRAL_REVIEWER = "central_reviewer"
    ADMIN = "admin"


class FilingKind(StrEnum):
    FILING = "filing"  # 备案: a model developed or fine-tuned by the applicant
    REGISTRATION = "registration"  # 登记: an app calling an already-filed model unmodified


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    role: Role
    province: str | None = None  # GB/T 2260 code, for provincial reviewers
    organisation: str | None = None  # for providers


@dataclass(frozen=True, slots=True)
class Facts:
    """What the guards need to know about the filing; gathered by the service."""

    kind: FilingKind
    province: str
    organisation: str
    missing_materials: tuple[str, ...] = ()
    provincial_reviewer: str | None = None
    assessors: frozenset[str] = frozenset()
    assessment_signed: bool = False


class IllegalTransition(Exception):
    """``code`` is stable for API clients; the message says what would make it legal."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


Guard = Callable[[Actor, Facts], str | None]  # returns the reason the guard fails, or None


def complete(_a: Actor, f: Facts) -> str | None:
    if f.missing_materials:
        return "the filing is incomplete; missing: " + ", ".join(f.missing_materials)
    return None


def own_organisation(a: Actor, f: Facts) -> str | None:
    return None if a.organisation == f.organisation else "providers act only on their own organisation's filings"


def own_province(a: Actor, f: Facts) -> str | None:
    return None if a.province == f.province else "provincial reviewers act only on filings of their province"


def is_filing(_a: Actor, f: Facts) -> str | None:
    return None if f.kind is FilingKind.FILING else "a registration (登记) has no technical assessment or central review"


def is_registration(_a: Actor, f: Facts) -> str | None:
    return None if f.kind is FilingKind.REGISTRATION else "a filing (备案) is approved by the central reviewer after assessment"


def assessor_of_filing(a: Actor, f: Facts) -> str | None:
    return None if a.id in f.assessors else "only an assessor assigned to this filing completes its assessment"


def assessment_signed(_a: Actor, f: Facts) -> str | None:
    return None if f.assessment_signed else "the technical assessment has not been signed"


def separation_of_duties(a: Actor, f: Facts) -> str | None:
    if a.id == f.provincial_reviewer:
        return "separation of duties: the filing's provincial reviewer may not take the central decision"
    if a.id in f.assessors:
        return "separation of duties: an assessor of the filing may not take the central decision"
    return None


@dataclass(frozen=True)
class Transition:
    source: State
    event: Event
    target: State
    roles: frozenset[Role]
    guards: tuple[Guard, ...] = ()
    reason_required: bool = False
    phase: int | None = None


def _t(source: State, event: Event, target: State, roles: Sequence[Role], *guards: Guard,
       reason: bool = False, phase: int | None = None) -> Transition:
    return Transition(source, event, target, frozenset(roles), tuple(guards), reason, phase)


P, PR, A, C = Role.PROVIDER, Role.PROVINCIAL_REVIEWER, Role.ASSESSOR, Role.CENTRAL_REVIEWER
S = State

_WITHDRAWABLE = (S.DRAFT, S.SUBMITTED, S.PROVINCIAL_REVIEW, S.SUPPLEMENT_REQUESTED, S.TECHNICAL_ASSESSMENT,
                 S.CENTRAL_REVIEW)

TRANSITIONS: tuple[Transition, ...] = (
    _t(S.DRAFT, Event.SUBMIT, S.SUBMITTED, [P], own_organisation, complete),
    _t(S.SUBMITTED, Event.START_PROVINCIAL_REVIEW, S.PROVINCIAL_REVIEW, [PR], own_province, phase=1),
    _t(S.PROVINCIAL_REVIEW, Event.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED, [PR], own_province, reason=True, phase=1),
    _t(S.SUPPLEMENT_REQUESTED, Event.RESUBMIT, S.SUBMITTED, [P], own_organisation, complete),
    _t(S.PROVINCIAL_REVIEW, Event.REJECT, S.REJECTED, [PR], own_province, reason=True, phase=1),
    _t(S.PROVINCIAL_REVIEW, Event.FORWARD, S.TECHNICAL_ASSESSMENT, [PR], own_province, is_filing, phase=2),
    _t(S.PROVINCIAL_REVIEW, Event.APPROVE_REGISTRATION, S.APPROVED, [PR], own_province, is_registration, phase=4),
    _t(S.TECHNICAL_ASSESSMENT, Event.COMPLETE_ASSESSMENT, S.CENTRAL_REVIEW, [A], assessor_of_filing,
       assessment_signed, phase=3),
    _t(S.CENTRAL_REVIEW, Event.REQUEST_SUPPLEMENT, S.SUPPLEMENT_REQUESTED, [C], separation_of_duties, reason=True,
       phase=3),
    _t(S.CENTRAL_REVIEW, Event.REJECT, S.REJECTED, [C], separation_of_duties, reason=True, phase=3),
    _t(S.CENTRAL_REVIEW, Event.APPROVE, S.APPROVED, [C], separation_of_duties, phase=4),
    _t(S.APPROVED, Event.PUBLISH, S.PUBLISHED, [C], phase=4),
    _t(S.PUBLISHED, Event.SUSPEND, S.SUSPENDED, [C], reason=True),
    _t(S.SUSPENDED, Event.REINSTATE, S.PUBLISHED, [C], reason=True),
    _t(S.PUBLISHED, Event.REVOKE, S.REVOKED, [C], reason=True),
    _t(S.SUSPENDED, Event.REVOKE, S.REVOKED, [C], reason=True),
    *(_t(s, Event.WITHDRAW, S.WITHDRAWN, [P], own_organisation) for s in _WITHDRAWABLE),
)

_BY_EDGE: dict[tuple[State, Event], Transition] = {(t.source, t.event): t for t in TRANSITIONS}
assert len(_BY_EDGE) == len(TRANSITIONS), "one edge per (state, event)"


@dataclass(frozen=True)
class Decision:
    transition: Transition
    actor: Actor
    reason: str | None = field(default=None)

    @property
    def target(self) -> State:
        return self.transition.target


def fire(state: State, event: Event, actor: Actor, facts: Facts, reason: str | None = None) -> Decision:
    """Decide a transition, or raise ``IllegalTransition`` naming why; nothing is changed here
    (the service applies the decision and its audit event in one transaction)."""
    t = _BY_EDGE.get((state, event))
    if t is None:
        allowed = sorted(e.value for (s, e) in _BY_EDGE if s is state)
        raise IllegalTransition("no_such_edge", f"'{event.value}' is not possible from '{state.value}'"
                                + (f"; possible: {', '.join(allowed)}" if allowed else " (final state)"))
    if actor.role not in t.roles:
        raise IllegalTransition("role", f"'{event.value}' from '{state.value}' needs the role "
                                + " or ".join(sorted(r.value for r in t.roles)) + f", not {actor.role.value}")
    for guard in t.guards:
        why = guard(actor, facts)
        if why is not None:
            raise IllegalTransition(guard.__name__, why)
    if t.reason_required and not (reason and reason.strip()):
        raise IllegalTransition("reason", f"'{event.value}' needs a reason, which is shown to the provider")
    return Decision(t, actor, reason.strip() if reason else None)


def edge(state: State, event: Event) -> Transition | None:
    """The table's edge for (state, event), if there is one (the UI asks whether a reason is due)."""
    return _BY_EDGE.get((state, event))


def available(state: State, actor: Actor, facts: Facts) -> list[Event]:
    """Events this actor may fire now (for the UI: only offer what would succeed)."""
    out = []
    for (s, e), t in _BY_EDGE.items():
        if s is state and actor.role in t.roles and all(g(actor, facts) is None for g in t.guards):
            out.append(e)
    return out


def mermaid() -> str:
    """The table as a Mermaid state diagram, for the docs (generated, so it cannot drift)."""
    lines = ["stateDiagram-v2", "    [*] --> draft"]
    for t in TRANSITIONS:
        roles = "/".join(sorted(r.value for r in t.roles))
        lines.append(f"    {t.source.value} --> {t.target.value}: {t.event.value} ({roles})")
    lines += [f"    {s.value} --> [*]" for s in sorted(TERMINAL)]
    return "\n".join(lines)
