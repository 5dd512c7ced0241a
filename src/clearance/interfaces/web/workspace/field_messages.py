"""Field errors in the reader's language. The domain's form is validated by pydantic, whose
messages are English and written for programmers ("Input should be a valid integer, unable to
parse string as an integer"); the common ones are rephrased here for people filling a form, in
both languages. Messages the domain writes itself (credit codes, filing numbers) pass through."""

from __future__ import annotations

import re

from clearance.interfaces.web.catalogues import N_, Translator, rephrase

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Field required"), N_("This field is required.")),
    (re.compile(r"^String should have at least 1 character"), N_("This field is required.")),
    (re.compile(r"^Input should be a valid integer"), N_("Enter a whole number, e.g. 2000.")),
    (re.compile(r"^Input should be a valid number"), N_("Enter a number, e.g. 0.25.")),
    (re.compile(r"^Input should be a valid boolean"), N_("Choose yes or no.")),
    (re.compile(r"^Input should be greater than or equal to (?P<n>\S+)"), N_("Enter %(n)s or more.")),
    (re.compile(r"^Input should be less than or equal to (?P<n>\S+)"), N_("Enter %(n)s or less.")),
    (re.compile(r"^String should match pattern '\^https\?://'"),
     N_("Enter an address that starts with http:// or https://.")),
    (re.compile(r"^String should have at most (?P<n>\d+) characters?"), N_("At most %(n)s characters.")),
    (re.compile(r"^String should have at least (?P<n>\d+) characters?"), N_("At least %(n)s characters.")),
    (re.compile(r"^Input should be '"), N_("Choose one of the offered options.")),
    (re.compile(r"^Input should be a valid list"), N_("Choose one or more of the offered options.")),
    (re.compile(r"^Extra inputs are not permitted"), N_("This is not a field of the form.")),
)


def humane(message: str, tr: Translator) -> str:
    return rephrase(_RULES, message, tr, lambda v: v.rstrip(".,")) or message


def translate_errors(errors: dict[str, str], lang: str) -> dict[str, str]:
    tr = Translator(lang)
    return {field: humane(message, tr) for field, message in errors.items()}
