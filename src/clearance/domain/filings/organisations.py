"""Provider organisations: the legal entity that files (its name must match the business
licence), identified by its unified social credit code and located in one province, whose CAC
office (属地网信办) receives its filings."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clearance.domain.filings import credit_code
from clearance.domain.registry.provinces import PROVINCES, Province

# Only the 31 provincial-level divisions: a filing goes to a provincial CAC office, so the
# central state-owned-enterprise jurisdiction (no GB/T 2260 code) is not a valid seat here.
_BY_CODE: dict[str, Province] = {p.code: p for p in PROVINCES if p.code}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def province_for(code: str) -> Province:
    """The province of a GB/T 2260 provincial code; ValueError naming the format otherwise."""
    p = _BY_CODE.get(code.strip())
    if p is None:
        raise ValueError(f"{code!r} is not a GB/T 2260 provincial code (six digits ending in 0000, "
                         "e.g. 110000 Beijing, 310000 Shanghai, 440000 Guangdong)")
    return p


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name_zh: str = Field(min_length=2, max_length=200, description="Full name as on the business licence")
    name_en: str = Field(min_length=2, max_length=200)
    credit_code: str = Field(description="Unified social credit code, 18 characters")
    province: str = Field(description="GB/T 2260 provincial code of the registered seat")
    contact_name: str = Field(min_length=1, max_length=100)
    contact_phone: str = Field(min_length=5, max_length=40)
    contact_email: str = Field(max_length=200)

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, v: str) -> str:
        problem = credit_code.validate(v)
        if problem is not None:
            raise ValueError(problem)
        return v.strip().upper()

    @field_validator("province")
    @classmethod
    def _province(cls, v: str) -> str:
        province_for(v)
        return v

    @field_validator("contact_email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not _EMAIL.match(v):
            raise ValueError(f"{v!r} is not an email address")
        return v.lower()


class Organisation(OrganisationCreate):
    model_config = ConfigDict(frozen=True)

    id: str
