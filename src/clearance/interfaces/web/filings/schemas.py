"""Public schemas (version 1) of the filing API. Separate from the domain records on purpose: the
API's shape is a contract with providers' automation, so a change of meaning is a v2, never an
edit here, while the records may change freely. Storage keys and internal fields stay out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from clearance.domain.audit import AuditEvent
from clearance.domain.filings.forms import FilingForm, MaterialType
from clearance.domain.filings.records import Filing, Material
from clearance.domain.filings.workflow import FilingKind, State


class FilingErrorV1(BaseModel):
    """Every error of the filing API. ``error`` is the category (not_found, unauthorized,
    forbidden, invalid_input, illegal_transition, too_large); ``code`` is the workflow's stable
    reason code for an illegal transition (no_such_edge, role, complete, reason, ...); ``fields``
    holds one message per bad input field."""

    error: str
    message: str
    code: str | None = None
    fields: dict[str, str] | None = None


class MaterialPublic(BaseModel):
    id: int
    material_type: MaterialType
    filename: str
    size: int
    sha256: str
    content_type: str  # the sniffed type, never the uploader's declaration
    uploaded_by: str
    uploaded_at: datetime

    @classmethod
    def of(cls, m: Material) -> MaterialPublic:
        return cls(id=m.id, material_type=m.material_type, filename=m.filename, size=m.size, sha256=m.sha256,
                   content_type=m.sniffed_type, uploaded_by=m.uploaded_by, uploaded_at=m.uploaded_at)


class FilingPublic(BaseModel):
    id: str
    kind: FilingKind
    organisation_id: str
    province: str
    state: State
    form: dict[str, Any]
    missing: list[str] = Field(description="what a submission still lacks; empty when complete")
    number: str | None
    approved_on: date | None
    previous_filing_id: str | None
    created_at: datetime
    updated_at: datetime
    materials: list[MaterialPublic]

    @classmethod
    def of(cls, f: Filing, missing: list[str]) -> FilingPublic:
        return cls(id=f.id, kind=f.kind, organisation_id=f.organisation_id, province=f.province, state=f.state,
                   form=f.form.model_dump(mode="json", exclude_none=True), missing=missing, number=f.number,
                   approved_on=f.approved_on, previous_filing_id=f.previous_filing_id, created_at=f.created_at,
                   updated_at=f.updated_at, materials=[MaterialPublic.of(m) for m in f.materials])


class FilingListV1(BaseModel):
    filings: list[FilingPublic]


class FilingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FilingKind = Field(description="filing (备案) or registration (登记)")
    form: FilingForm | None = Field(default=None, description="any subset of the filing form's fields")


class FilingUpdate(FilingForm):
    """A partial update (autosave): only the fields sent change; ``null`` clears a field."""

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


class EventRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event: str = Field(max_length=50, description="a workflow event, e.g. submit, forward, reject")
    reason: str | None = Field(default=None, max_length=5000,
                               description="required for rejections and supplement requests")


class TimelineEventPublic(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str

    @classmethod
    def of(cls, e: AuditEvent) -> TimelineEventPublic:
        return cls(seq=e.seq, at=e.at, actor=e.actor, action=e.action, reason=e.reason, before=e.before,
                   after=e.after, hash=e.hash)


class TimelineV1(BaseModel):
    filing_id: str
    events: list[TimelineEventPublic]
