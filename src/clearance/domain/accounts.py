"""Accounts: who a user is (role, province, organisation), the password rule, login
throttling and API tokens. Pure: hashing with argon2 happens in an adapter; token digests are
SHA-256 (a token is 256 random bits, so a fast hash is safe, unlike for passwords)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from clearance.domain.filings.organisations import province_for
from clearance.domain.filings.workflow import Role

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 would hash megabytes happily: bound the work an attacker can ask for


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"a password needs at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"a password has at most {MAX_PASSWORD} characters"
    return None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = Field(max_length=200)
    role: Role
    province: str | None = None
    organisation: str | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not _EMAIL.match(v):
            raise ValueError(f"{v!r} is not an email address")
        return v.lower()

    @field_validator("province")
    @classmethod
    def _province(cls, v: str | None) -> str | None:
        if v:
            province_for(v)
        return v or None

    @model_validator(mode="after")
    def _role_fits(self) -> UserCreate:
        if self.role is Role.PROVINCIAL_REVIEWER and not self.province:
            raise ValueError("a provincial reviewer needs --province (GB/T 2260 code, e.g. 110000)")
        if self.role is Role.PROVIDER and not self.organisation:
            raise ValueError("a provider needs --organisation (the organisation id)")
        if self.role is not Role.PROVINCIAL_REVIEWER and self.province:
            raise ValueError("only provincial reviewers belong to a province")
        if self.role is not Role.PROVIDER and self.organisation:
            raise ValueError("only providers belong to an organisation")
        return self


# Login throttling: after MAX_FAILURES failed attempts within WINDOW the account is locked for
# LOCKOUT from the last failure. Counted per account (email), so an attacker spreading guesses
# over many addresses is slowed per address; the lockout is short so it cannot be used to keep
# a real user out for long.
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Throttle:
    allowed: bool
    locked_until: datetime | None = None


def throttle(failures: Sequence[datetime], now: datetime) -> Throttle:
    recent = sorted(f for f in failures if now - WINDOW < f <= now)
    if len(recent) < MAX_FAILURES:
        return Throttle(True)
    until = recent[-1] + LOCKOUT
    return Throttle(False, until) if until > now else Throttle(True)


class Scope(StrEnum):
    FILINGS_READ = "filings:read"
    FILINGS_WRITE = "filings:write"


TOKEN_PREFIX = "clr_"


def new_token() -> str:
    """Shown to the user once; only its digest is stored."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
