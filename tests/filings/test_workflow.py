"""One test per workflow edge, legal and illegal, generated from the table itself plus the
guards' own cases. Adding an edge adds its tests."""

from __future__ import annotations

import itertools

import pytest

from clearance.domain.filings.workflow import (
    TERMINAL,
    TRANSITIONS,
    Actor,
    Event,
    Facts,
    FilingKind,
    IllegalTransition,
    Role,
    State,
    Transition,
    available,
    fire,
    mermaid,
)

PROVINCE, ORG = "110000", "org-1"
ACTORS = {
    Role.PROVIDER: Actor("p1", Role.PROVIDER, organisation=ORG),
    Role.PROVINCIAL_REVIEWER: Actor("r1", Role.PROVINCIAL_REVIEWER, province=PROVINCE),
    Role.ASSESSOR: Actor("a1", Role.ASSESSOR),
    Role.CENTRAL_REVIEWER: Actor("c1", Role.CENTRAL_REVIEWER),
    Role.ADMIN: Actor("x1", Role.ADMIN),
}


def facts_for(t: Transition) -> Facts:
    """Facts under which the edge's guards hold."""
    kind = FilingKind.REGISTRATION if t.event is Event.APPROVE_REGISTRATION else FilingKind.FILING
    return Facts(kind=kind, province=PROVINCE, organisation=ORG, provincial_reviewer="r1",
                 assessors=frozenset({"a1"}), assessment_signed=True)


def _id(t: Transition) -> str:
    return f"{t.source.value}-{t.event.value}"


@pytest.mark.parametrize("t", TRANSITIONS, ids=_id)
def test_legal_edge(t: Transition) -> None:
    actor = ACTORS[next(iter(sorted(t.roles)))]
    d = fire(t.source, t.event, actor, facts_for(t), reason="because" if t.reason_required else None)
    assert d.target is t.target


@pytest.mark.parametrize("t", TRANSITIONS, ids=_id)
def test_edge_refuses_every_other_role(t: Transition) -> None:
    for role, actor in ACTORS.items():
        if role in t.roles:
            continue
        with pytest.raises(IllegalTransition) as exc:
            fire(t.source, t.event, actor, facts_for(t), reason="because")
        assert exc.value.code == "role"


@pytest.mark.parametrize("t", [t for t in TRANSITIONS if t.reason_required], ids=_id)
def test_edge_requires_a_reason(t: Transition) -> None:
    actor = ACTORS[next(iter(t.roles))]
    for reason in (None, "", "   "):
        with pytest.raises(IllegalTransition) as exc:
            fire(t.source, t.event, actor, facts_for(t), reason=reason)
        assert exc.value.code == "reason"


_EDGES = {(t.source, t.event) for t in TRANSITIONS}


@pytest.mark.parametrize(("state", "event"), [p for p in itertools.product(State, Event) if p not in _EDGES],
                         ids=lambda x: x.value)
def test_events_off_the_table_are_illegal(state: State, event: Event) -> None:
    for actor in ACTORS.values():
        with pytest.raises(IllegalTransition) as exc:
            fire(state, event, actor, Facts(FilingKind.FILING, PROVINCE, ORG), reason="r")
        assert exc.value.code == "no_such_edge"


def test_terminal_states_have_no_way_out() -> None:
    assert all(t.source not in TERMINAL for t in TRANSITIONS)


def base(**kw: object) -> Facts:
    d: dict[str, object] = {"kind": FilingKind.FILING, "province": PROVINCE, "organisation": ORG,
                            "provincial_reviewer": "r1", "assessors": frozenset({"a1"}), "assessment_signed": True}
    d.update(kw)
    return Facts(**d)  # type: ignore[arg-type]


def test_incomplete_filing_cannot_be_submitted() -> None:
    with pytest.raises(IllegalTransition, match="missing: 安全自评估报告") as exc:
        fire(State.DRAFT, Event.SUBMIT, ACTORS[Role.PROVIDER], base(missing_materials=("安全自评估报告",)))
    assert exc.value.code == "complete"


def test_provider_of_another_organisation_is_refused() -> None:
    other = Actor("p2", Role.PROVIDER, organisation="org-2")
    with pytest.raises(IllegalTransition) as exc:
        fire(State.DRAFT, Event.SUBMIT, other, base())
    assert exc.value.code == "own_organisation"


def test_reviewer_of_another_province_is_refused() -> None:
    shanghai = Actor("r9", Role.PROVINCIAL_REVIEWER, province="310000")
    with pytest.raises(IllegalTransition) as exc:
        fire(State.SUBMITTED, Event.START_PROVINCIAL_REVIEW, shanghai, base())
    assert exc.value.code == "own_province"


@pytest.mark.parametrize("who", ["r1", "a1"])
def test_separation_of_duties_at_the_central_decision(who: str) -> None:
    conflicted = Actor(who, Role.CENTRAL_REVIEWER)
    for event in (Event.APPROVE, Event.REJECT, Event.REQUEST_SUPPLEMENT):
        with pytest.raises(IllegalTransition, match="separation of duties"):
            fire(State.CENTRAL_REVIEW, event, conflicted, base(), reason="r")


def test_registration_skips_assessment_and_central_review() -> None:
    reg = base(kind=FilingKind.REGISTRATION)
    with pytest.raises(IllegalTransition) as exc:
        fire(State.PROVINCIAL_REVIEW, Event.FORWARD, ACTORS[Role.PROVINCIAL_REVIEWER], reg)
    assert exc.value.code == "is_filing"
    assert fire(State.PROVINCIAL_REVIEW, Event.APPROVE_REGISTRATION, ACTORS[Role.PROVINCIAL_REVIEWER], reg).target \
        is State.APPROVED
    with pytest.raises(IllegalTransition):
        fire(State.PROVINCIAL_REVIEW, Event.APPROVE_REGISTRATION, ACTORS[Role.PROVINCIAL_REVIEWER], base())


def test_assessment_must_be_signed_by_an_assessor_of_the_filing() -> None:
    with pytest.raises(IllegalTransition) as exc:
        fire(State.TECHNICAL_ASSESSMENT, Event.COMPLETE_ASSESSMENT, ACTORS[Role.ASSESSOR], base(assessment_signed=False))
    assert exc.value.code == "assessment_signed"
    with pytest.raises(IllegalTransition) as exc:
        fire(State.TECHNICAL_ASSESSMENT, Event.COMPLETE_ASSESSMENT, Actor("a9", Role.ASSESSOR), base())
    assert exc.value.code == "assessor_of_filing"


def test_available_offers_only_what_would_succeed() -> None:
    assert set(available(State.CENTRAL_REVIEW, ACTORS[Role.CENTRAL_REVIEWER], base())) == \
        {Event.APPROVE, Event.REJECT, Event.REQUEST_SUPPLEMENT}
    assert available(State.CENTRAL_REVIEW, Actor("r1", Role.CENTRAL_REVIEWER), base()) == []
    assert available(State.REVOKED, ACTORS[Role.CENTRAL_REVIEWER], base()) == []


def test_mermaid_lists_every_edge() -> None:
    m = mermaid()
    assert m.startswith("stateDiagram-v2") and m.count("-->") == len(TRANSITIONS) + 1 + len(TERMINAL)
