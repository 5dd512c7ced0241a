"""Why the policy refused, in the reader's language. The policy module (domain/policy.py)
writes its reasons in English for the API and the CLI; the workspace shows them translated.
tests/web/test_refusals.py enumerates every reason the policy can give and fails when one is
not covered here."""

from __future__ import annotations

import re

from clearance.interfaces.web.catalogues import N_, Translator, rephrase
from clearance.interfaces.web.workspace.labels import STATES_BY_VALUE

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^'\w+' needs the role "), N_("Your role may not do this.")),
    (re.compile(r"^a filing in state '(?P<state>\w+)' cannot be edited"),
     N_("A filing in the state “%(state)s” cannot be edited: only a draft or a filing awaiting a supplement can.")),
    (re.compile(r"^the filing is in '(?P<state>\w+)', not in technical assessment"),
     N_("The filing is in the state “%(state)s”, not in technical assessment.")),
    (re.compile(r"^a draft is visible to its provider only$"), N_("A draft is visible to its provider only.")),
    (re.compile(r"^administrators manage accounts and do not see filings$"),
     N_("Administrators manage accounts and do not see filings.")),
    (re.compile(r"^only a provider member of an organisation creates filings$"),
     N_("Only a provider member of an organisation creates filings.")),
    (re.compile(r"^only assessors run and sign technical assessments$"),
     N_("Only assessors run and sign technical assessments.")),
    (re.compile(r"^only the filing organisation's providers edit a filing$"),
     N_("Only the filing organisation's providers edit a filing.")),
    (re.compile(r"^providers see their own organisation's filings only$"),
     N_("Providers see their own organisation's filings only.")),
    (re.compile(r"^provincial reviewers see their own province's filings only$"),
     N_("Provincial reviewers see their own province's filings only.")),
)


def translated(reason: str, lang: str) -> str:
    tr = Translator(lang)
    return rephrase(_RULES, reason, tr, lambda state: tr(STATES_BY_VALUE.get(state, state))) or reason
