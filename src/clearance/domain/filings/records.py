"""A stored filing, its materials and publication batches, as the services hand them out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from clearance.domain.filings.forms import FilingForm, MaterialType
from clearance.domain.filings.workflow import FilingKind, State


@dataclass(frozen=True, slots=True)
class Material:
    id: int
    filing_id: str
    material_type: MaterialType
    filename: str
    size: int
    sha256: str
    storage_key: str
    declared_type: str | None
    sniffed_type: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class Filing:
    id: str
    kind: FilingKind
    organisation_id: str
    province: str
    state: State
    form: FilingForm
    created_by: str
    created_at: datetime
    updated_at: datetime
    previous_filing_id: str | None = None
    number: str | None = None
    approved_on: date | None = None
    provincial_reviewer: str | None = None
    assessors: frozenset[str] = field(default_factory=frozenset)
    assessment_run_id: str | None = None
    assessment_signed_by: str | None = None
    assessment_signed_at: datetime | None = None
    materials: tuple[Material, ...] = ()

    def current_materials(self) -> dict[MaterialType, Material]:
        """The newest upload of each type (earlier ones stay stored as history)."""
        out: dict[MaterialType, Material] = {}
        for m in sorted(self.materials, key=lambda m: m.id):
            out[m.material_type] = m
        return out


@dataclass(frozen=True, slots=True)
class Batch:
    id: str
    title: str
    status: str  # "draft" or "published"
    created_by: str
    created_at: datetime
    filing_ids: tuple[str, ...]
    published_by: str | None = None
    published_at: datetime | None = None
