"""Every reason the access policy can give is shown translated on the workspace's pages."""

from __future__ import annotations

from itertools import product

from clearance.domain.filings.workflow import Actor, Role, State
from clearance.domain.policy import Action, Target, refusal
from clearance.interfaces.web.workspace.refusals import translated


def _every_reason() -> set[str]:
    actors = [Actor("u", r, province="110000" if r is Role.PROVINCIAL_REVIEWER else None,
                    organisation="o" if r is Role.PROVIDER else None) for r in Role]
    actors.append(Actor("u", Role.PROVIDER))  # a provider without an organisation
    reasons = set()
    for actor, action, state, org, province in product(actors, Action, State, ("o", "x"), ("110000", "310000")):
        why = refusal(actor, action, Target(org, province, state))
        if why:
            reasons.add(why)
    return reasons


def test_every_policy_reason_has_a_chinese_rendering() -> None:
    reasons = _every_reason()
    assert len(reasons) > 20
    untranslated = sorted(r for r in reasons if translated(r, "zh") == r)
    assert not untranslated, "add a rule in workspace/refusals.py for:\n" + "\n".join(untranslated)


def test_states_inside_reasons_are_translated_too() -> None:
    reason = refusal(Actor("u", Role.PROVIDER, organisation="o"), Action.EDIT_FILING,
                     Target("o", "110000", State.CENTRAL_REVIEW))
    assert reason is not None
    assert translated(reason, "zh") == "处于“中央复审”状态的备案不能修改：只有草稿或待补正的备案可以修改。"
    assert "“Central review”" in translated(reason, "en")
