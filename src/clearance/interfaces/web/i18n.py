"""UI language for the public registry: its templates name messages by key (``t('site')``);
the table maps each key to its English text, and the Chinese comes from the same gettext
catalogues as the workspace (``locale/zh_CN/LC_MESSAGES/registry.po``, see catalogues.py and
docs/i18n.md). Babel negotiates the language from Accept-Language and formats numbers."""

from __future__ import annotations

from babel import negotiate_locale
from babel.numbers import format_decimal

from clearance.interfaces.web.catalogues import N_, Translator

LANGS = ("zh", "en")
DEFAULT = "zh"

MESSAGES: dict[str, str] = {
    "site": N_("Generative AI services registry"),
    "registry": N_("Registry"),
    "statistics": N_("Statistics"),
    "batches": N_("Batches"),
    "search": N_("Search"),
    "search_hint": N_("model, organisation, number or pinyin"),
    "results": N_("results"),
    "clear": N_("Clear filters"),
    "next": N_("Next page"),
    "first": N_("First page"),
    "download": N_("Download"),
    "feed": N_("Batch feed (Atom)"),
    "api": N_("JSON API"),
    "seq": N_("No."),
    "province": N_("Province"),
    "model_name": N_("Model"),
    "entity": N_("Organisation"),
    "number": N_("Filing / launch number"),
    "date": N_("Date"),
    "kind": N_("Kind"),
    "batch": N_("Batch"),
    "month": N_("Month"),
    "status": N_("Status"),
    "rd_mode": N_("R&D mode"),
    "data_type": N_("Data type"),
    "scope": N_("General / industry"),
    "source": N_("Source"),
    "province_derived": N_("derived from the number's prefix"),
    "history": N_("Status history"),
    "no_history": N_("No change since publication"),
    "reason": N_("Reason"),
    "report": N_("Assessment report SHA-256"),
    "report_summary": N_("Public report summary"),
    "no_report": N_("Imported historical entries carry no Clearance report"),
    "note": N_("Provenance"),
    "not_stated": N_("not stated"),
    "entries": N_("entries"),
    "reported": N_("Reported count"),
    "published_on": N_("Published on"),
    "named": N_("Named in the notice"),
    "total": N_("Total"),
    "cumulative": N_("Cumulative entries (vertical lines are batches)"),
    "by_province": N_("By province"),
    "by_month": N_("By month"),
    "by_kind": N_("By kind"),
    "by_status": N_("By status"),
    "by_source": N_("By source"),
    "ranked": N_("Ranked list"),
    "count": N_("Count"),
    "dated_only": N_("dated entries only"),
    "report_public_summary": N_("Assessment report: public summary"),
    "report_decision": N_("Overall decision"),
    "report_gates": N_("Gates"),
    "report_clauses": N_("Clause conformity"),
    "report_record": N_("Record"),
    "report_confidential": N_("Test questions and the model's answers are not published; the SHA-256 "
                              "identifies the full record held with the filing."),
    "phase": N_("Phase"),
    "median_days": N_("Median (days)"),
    "iqr_days": N_("Interquartile range (days)"),
    "range_days": N_("Shortest–longest (days)"),
    "phase_provincial_review": N_("Provincial review"),
    "phase_technical_assessment": N_("Technical assessment"),
    "phase_central_review": N_("Central review"),
    "phase_total": N_("Submission to approval, total"),
    "durations_note": N_("Filings approved in Clearance only; the imported historical lists carry no submission dates."),
    "durations": N_("Time from submission to approval"),
    "durations_none": N_("No filing has been approved in Clearance yet: the imported lists carry no submission dates."),
    "filing": N_("filing"),
    "registration": N_("registration"),
    "published": N_("published"),
    "suspended": N_("suspended"),
    "revoked": N_("revoked"),
    "imported": N_("imported from a published list"),
    "clearance": N_("approved in Clearance"),
    "not_found": N_("Not found"),
    "bad_request": N_("Bad request"),
    "all": N_("all"),
    "lang_switch": N_("中文"),
    "open_data": N_("Open data"),
    "entries_in_batch": N_("Entries in this batch"),
}


_TRANSLATORS: dict[str, Translator] = {}


def t(key: str, lang: str) -> str:
    tr = _TRANSLATORS.get(lang)
    if tr is None:
        tr = _TRANSLATORS[lang] = Translator(lang if lang in LANGS else DEFAULT)
    return tr(MESSAGES.get(key, key))


def negotiate(explicit: str | None, cookie: str | None, accept_language: str | None) -> str:
    for choice in (explicit, cookie):
        if choice in LANGS:
            return choice
    if accept_language:
        prefs = []
        for part in accept_language.split(","):
            tag, _, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                weight = 0.0
            if tag and tag != "*":
                prefs.append((weight, tag.strip().replace("-", "_")))
        ordered = [tag for _, tag in sorted(prefs, key=lambda p: -p[0])]
        found = negotiate_locale(ordered, list(LANGS), sep="_")
        if found in LANGS:
            return str(found)
    return DEFAULT


def number(n: int, lang: str) -> str:
    return str(format_decimal(n, locale="zh_CN" if lang == "zh" else "en"))
