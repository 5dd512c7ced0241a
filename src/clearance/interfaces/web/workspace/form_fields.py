"""The filing form as HTML fields: how each field of ``FilingForm`` is shown and read back.

Values are handed to the service as the browser sent them (strings; lists for check boxes) and
pydantic does the typing, so the rules live once, in the domain's form; an empty input clears
the field. Labels come from the domain's bilingual FIELD_LABELS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData

from clearance.domain.filings.forms import (
    FIELD_LABELS,
    CorpusSource,
    DomainScope,
    FilingForm,
    Function,
    ServiceMode,
    form_fields,
)
from clearance.domain.filings.workflow import FilingKind

ENDPOINT_PARTS = ("base_url", "model", "api_key_env")


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    widget: str  # text, textarea, number, choice, multi, bool, endpoint
    choices: tuple[str, ...] = ()
    step: str = "any"

    @property
    def label(self) -> str:
        return FIELD_LABELS[self.name]


_WIDGETS: dict[str, Field] = {f.name: f for f in (
    Field("model_name", "text"),
    Field("contact_name", "text"),
    Field("contact_phone", "text"),
    Field("functions", "multi", tuple(m.value for m in Function)),
    Field("domain_scope", "choice", tuple(m.value for m in DomainScope)),
    Field("built_on_filed_model", "bool"),
    Field("base_model_number", "text"),
    Field("corpus_size_gb", "number"),
    Field("corpus_tokens", "number", step="1"),
    Field("corpus_sources", "multi", tuple(m.value for m in CorpusSource)),
    Field("foreign_open_source_share", "number"),
    Field("annotation_count", "number", step="1"),
    Field("annotators", "number", step="1"),
    Field("annotation_rules_summary", "textarea"),
    Field("accuracy_check_ratio", "number"),
    Field("inference_compute", "text"),
    Field("concurrency", "number", step="1"),
    Field("third_party_cloud", "text"),
    Field("service_modes", "multi", tuple(m.value for m in ServiceMode)),
    Field("endpoint", "endpoint"),
    Field("called_model_number", "text"),
)}


def fields_for(kind: FilingKind) -> list[Field]:
    names = list(form_fields(kind))
    if kind is FilingKind.FILING:
        names.insert(names.index("built_on_filed_model") + 1, "base_model_number")
    return [_WIDGETS[n] for n in names]


def _str(form: FormData, name: str) -> str:
    v = form.get(name)
    return v.strip() if isinstance(v, str) else ""


def read(form: FormData, kind: FilingKind) -> dict[str, Any]:
    """Every field of the kind's form, as changes for ``update_draft``."""
    out: dict[str, Any] = {}
    for f in fields_for(kind):
        if f.widget == "multi":
            out[f.name] = [v for v in form.getlist(f.name) if isinstance(v, str) and v] or None
        elif f.widget == "bool":
            out[f.name] = {"yes": True, "no": False}.get(_str(form, f.name))
        elif f.widget == "endpoint":
            parts = {p: _str(form, f"endpoint.{p}") for p in ENDPOINT_PARTS}
            out[f.name] = {k: v for k, v in parts.items() if v} or None
        else:
            out[f.name] = _str(form, f.name) or None
    return out


def shown(form: FilingForm, raw: dict[str, Any] | None = None) -> dict[str, Any]:
    """Values to put back in the inputs: what was typed when re-showing a refused form,
    else what is stored."""
    if raw is not None:
        return raw
    return form.model_dump(mode="json")
