"""Registry entries, status changes and batches."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clearance.domain.registry.provinces import BY_KEY, Province


class Kind(StrEnum):
    FILING = "filing"              # 备案: a model developed or fine-tuned by the applicant
    REGISTRATION = "registration"  # 登记: an app calling an already-filed model


class Status(StrEnum):
    PUBLISHED = "published"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class Source(StrEnum):
    IMPORTED = "imported"    # transcribed from a regulator's published list
    CLEARANCE = "clearance"  # approved inside Clearance (fed by the filing service)


class RdMode(StrEnum):
    SELF_DEVELOPED = "self_developed"
    FINE_TUNED = "fine_tuned"


class DataType(StrEnum):
    TEXT = "text"
    MULTIMODAL = "multimodal"


class Scope(StrEnum):
    GENERAL = "general"
    INDUSTRY = "industry"


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"  # the sample dates some rows only to the month of the attachment holding them


# Suspension and revocation are the only changes after publication; nothing is ever removed.
ALLOWED_STATUS_CHANGES: dict[Status, frozenset[Status]] = {
    Status.PUBLISHED: frozenset({Status.SUSPENDED, Status.REVOKED}),
    Status.SUSPENDED: frozenset({Status.PUBLISHED, Status.REVOKED}),
    Status.REVOKED: frozenset(),
}


class StatusChangeError(ValueError):
    pass


class StatusChange(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: Status
    reason: str
    at: dt.datetime

    @field_validator("at")
    @classmethod
    def _aware(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None:
            raise ValueError("status change times must be timezone-aware (UTC)")
        return v


def check_status_change(current: Status, target: Status, reason: str) -> None:
    if target not in ALLOWED_STATUS_CHANGES[current]:
        raise StatusChangeError(f"cannot change a {current.value} entry to {target.value}")
    if not reason.strip():
        raise StatusChangeError("a reason is required: it is shown publicly with the status")


class Entry(BaseModel):
    """One published filing or registration. Fields the published list leaves blank stay None:
    nothing is guessed, except the province derived from a number's prefix (``province_derived``)."""

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    kind: Kind
    seq: int | None = Field(default=None, ge=1)
    province: str | None = None          # Province.key
    province_derived: bool = False
    model_name: str | None = None
    entity_zh: str | None = None
    entity_en: str | None = None
    number: str | None = None
    date: dt.date | None = None
    date_precision: DatePrecision | None = None
    status: Status = Status.PUBLISHED
    history: tuple[StatusChange, ...] = ()
    batch: str | None = None
    source: Source = Source.IMPORTED
    rd_mode: RdMode | None = None
    data_type: DataType | None = None
    scope: Scope | None = None
    report_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    report_url: str | None = None
    note: str | None = None
    # days spent in each phase, for entries approved inside Clearance (imported lists carry no
    # submission dates): provincial_review, technical_assessment, central_review, total
    phase_days: dict[str, float] | None = None

    @field_validator("province")
    @classmethod
    def _known_province(cls, v: str | None) -> str | None:
        if v is not None and v not in BY_KEY:
            raise ValueError(f"unknown province key {v!r}")
        return v

    @property
    def province_info(self) -> Province | None:
        return BY_KEY.get(self.province) if self.province else None

    @property
    def month(self) -> str | None:
        return f"{self.date:%Y-%m}" if self.date else None

    @property
    def date_text(self) -> str:
        if self.date is None:
            return ""
        return f"{self.date:%Y-%m}" if self.date_precision == DatePrecision.MONTH else self.date.isoformat()

    def dedupe_key(self) -> tuple[str, ...]:
        """The identity used to drop an entry that a later cumulative attachment repeats: the
        number when there is one, otherwise kind + 序号 + names."""
        if self.number:
            return ("number", self.number.strip().lower())
        return ("row", self.kind.value, str(self.seq or ""), self.model_name or "", self.entity_zh or "")


class Batch(BaseModel):
    """A publication batch (an attachment or notice), or the announcement of reported counts."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,79}$")
    title: str
    published_on: dt.date | None = None
    date_precision: DatePrecision | None = None
    reported: str | None = None   # the count as reported, verbatim ("302 cumulative filed by ...")
    note: str | None = None
    source: str | None = None
    created_at: dt.datetime | None = None
